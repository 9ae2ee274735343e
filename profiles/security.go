package profiles

import (
	"path"
	"sort"
	"strings"
)

// SeccompFile is the name of lxcage's seccomp policy in the container's
// directory (next to its LXC config, out of the container's reach).
const SeccompFile = "lxcage.seccomp"

// AppCaps are the capabilities an app container's root keeps (Docker's
// default set): enough for package managers in [setup], nothing that
// touches the kernel's global state. The app itself runs as the user and
// holds none of them.
var AppCaps = []string{
	"audit_write", "chown", "dac_override", "fowner", "fsetid", "kill", "mknod",
	"net_bind_service", "setfcap", "setgid", "setpcap", "setuid", "sys_chroot",
}

// maskedProc are /proc files that tell a container about the host's
// keys, timers and scheduler; each is covered with /dev/null.
var maskedProc = []string{"proc/keys", "proc/key-users", "proc/timer_list", "proc/sched_debug", "proc/latency_stats", "proc/kcore"}

// TIOCSTI pushes bytes into a terminal's input queue and TIOCLINUX can
// do the same on a virtual console: both let a sandboxed program type
// commands into the terminal that started it.
const (
	ioctlTIOCSTI   = "0x5412"
	ioctlTIOCLINUX = "0x541c"
	cloneNewUser   = "0x10000000"
)

// SeccompPolicy is lxcage's default policy, an LXC v2 deny list on top of
// what LXC's own default denies: kernel keyrings, BPF, perf events,
// userfaultfd, module and kexec loading, the mount family (app mode),
// new user namespaces (unless allowed) and terminal injection. ioctl
// requests are compared through a 32-bit mask: the kernel ignores the
// upper half of the request, so a plain compare is bypassed by setting
// it (CVE-2019-10063).
func SeccompPolicy(mode string, allowUserns bool) string {
	var b strings.Builder
	b.WriteString("2\ndenylist\nreject_force_umount\n[all]\n")
	deny := []string{
		"kexec_load", "kexec_file_load", "open_by_handle_at", "init_module", "finit_module", "delete_module",
		"keyctl", "add_key", "request_key",
		"bpf", "perf_event_open", "userfaultfd",
		"acct", "swapon", "swapoff", "syslog", "lookup_dcookie", "quotactl", "nfsservctl",
		"iopl", "ioperm", "vm86", "vm86old", "uselib", "kcmp",
	}
	if mode != ModeSystem {
		deny = append(deny, "mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr")
	}
	for _, s := range deny {
		b.WriteString(s + " errno 1\n")
	}
	for _, req := range []string{ioctlTIOCSTI, ioctlTIOCLINUX} {
		b.WriteString("ioctl errno 1 [1," + req + ",SCMP_CMP_MASKED_EQ,0xffffffff]\n")
	}
	if !allowUserns {
		b.WriteString("unshare errno 1 [0," + cloneNewUser + ",SCMP_CMP_MASKED_EQ," + cloneNewUser + "]\n")
		b.WriteString("clone errno 1 [0," + cloneNewUser + ",SCMP_CMP_MASKED_EQ," + cloneNewUser + "]\n")
		// clone3 passes its flags in memory, which seccomp cannot read:
		// make it look absent, and the C library falls back to clone.
		b.WriteString("clone3 errno 38\n")
	}
	return b.String()
}

// stageSecurity: capabilities, no_new_privs, seccomp and AppArmor.
func stageSecurity(c *compiler) error {
	s, cfg := c.p.Security, &c.plan.Config
	if c.p.Mode == ModeSystem {
		drop := s.DropCaps
		if c.p.Access.Network == NetworkNat {
			// With these a process inside could take the user-mode
			// network's filter away, or craft packets for the host's
			// loopback (app mode never keeps them).
			drop = append(drop, "net_admin", "net_raw")
		}
		cfg.Add("lxc.cap.drop", strings.Join(dropCaps(drop), " "))
	} else {
		keep := strings.Join(keepCaps(s.DropCaps), " ")
		cfg.Add("lxc.cap.keep", orDefault(keep, "none"))
	}
	if s.NoNewPrivs == nil || *s.NoNewPrivs {
		cfg.Add("lxc.no_new_privs", "1")
	}
	switch s.Seccomp {
	case "default":
		c.plan.Files[SeccompFile] = SeccompPolicy(c.p.Mode, s.UserNS)
		cfg.Add("lxc.seccomp.profile", path.Join(c.plan.ContainerDir, SeccompFile))
	case "none":
		c.plan.Files[SeccompFile] = ""
	default:
		c.plan.Files[SeccompFile] = ""
		cfg.Add("lxc.seccomp.profile", ExpandHome(s.Seccomp, c.h.Home))
	}
	if c.h.AppArmor {
		cfg.Add("lxc.apparmor.profile", orDefault(s.AppArmor, defaultAppArmor(c.h, s.UserNS)))
	}
	return nil
}

func dropCaps(extra []string) []string {
	set := map[string]bool{}
	for _, c := range DefaultDropCaps {
		set[c] = true
	}
	for _, c := range extra {
		set[strings.TrimPrefix(strings.ToLower(c), "cap_")] = true
	}
	return sortedKeys(set)
}

// keepCaps is AppCaps without the capabilities the profile drops.
func keepCaps(drop []string) []string {
	gone := map[string]bool{}
	for _, d := range drop {
		gone[strings.TrimPrefix(strings.ToLower(d), "cap_")] = true
	}
	var out []string
	for _, c := range AppCaps {
		if !gone[c] {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}
