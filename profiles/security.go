package profiles

import (
	"path"
	"sort"
	"strings"

	"github.com/lxcage/lxcage/sandbox"
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

// Nesting is how much of a sandbox of its own the app may build inside
// the container.
type Nesting int

// Levels of Nesting.
const (
	// NestNone: no new user namespaces, no mounts.
	NestNone Nesting = iota
	// NestUserNS: new user namespaces (Chromium's and Chrome's sandbox,
	// which never mount): security.userns.
	NestUserNS
	// NestMounts: new user namespaces and the mount family inside them
	// (bwrap, Flatpak, Steam's pressure-vessel): security.nested_sandbox.
	NestMounts
)

// Nesting is the level the profile's [security] asks for.
func (s Security) Nesting() Nesting {
	switch {
	case s.NestedSandbox:
		return NestMounts
	case s.UserNS:
		return NestUserNS
	}
	return NestNone
}

// mountCalls are the system calls that change mounts.
var mountCalls = []string{"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"}

// SeccompPolicy is lxcage's default policy, an LXC v2 deny list on top of
// what LXC's own default denies: kernel keyrings, BPF, perf events,
// userfaultfd, module and kexec loading, the mount family (app mode,
// unless nest allows mounts), new user namespaces (unless nest allows
// them) and terminal injection. ioctl requests are compared through a
// 32-bit mask: the kernel ignores the upper half of the request, so a
// plain compare is bypassed by setting it (CVE-2019-10063).
//
// seccomp cannot tell a mount in a user namespace the app made from one
// in the container's own: with NestMounts the mount calls are allowed
// everywhere, and the kernel is what keeps them inside — the app holds no
// capability in the container's namespaces (lxc.cap.keep leaves the
// container's root no CAP_SYS_ADMIN, and the app runs as the user), and
// the container's mounts are locked in any namespace it makes.
func SeccompPolicy(mode string, nest Nesting) string {
	var b strings.Builder
	b.WriteString("2\ndenylist\nreject_force_umount\n[all]\n")
	deny := []string{
		"kexec_load", "kexec_file_load", "open_by_handle_at", "init_module", "finit_module", "delete_module",
		"keyctl", "add_key", "request_key",
		"bpf", "perf_event_open", "userfaultfd",
		"acct", "swapon", "swapoff", "syslog", "lookup_dcookie", "quotactl", "nfsservctl",
		"iopl", "ioperm", "vm86", "vm86old", "uselib", "kcmp",
	}
	if mode != ModeSystem && nest < NestMounts {
		deny = append(deny, mountCalls...)
	}
	for _, s := range deny {
		b.WriteString(s + " errno 1\n")
	}
	for _, req := range []string{ioctlTIOCSTI, ioctlTIOCLINUX} {
		b.WriteString("ioctl errno 1 [1," + req + ",SCMP_CMP_MASKED_EQ,0xffffffff]\n")
	}
	if nest == NestNone {
		b.WriteString("unshare errno 1 [0," + cloneNewUser + ",SCMP_CMP_MASKED_EQ," + cloneNewUser + "]\n")
		b.WriteString("clone errno 1 [0," + cloneNewUser + ",SCMP_CMP_MASKED_EQ," + cloneNewUser + "]\n")
		// clone3 passes its flags in memory, which seccomp cannot read:
		// make it look absent, and the C library falls back to clone.
		b.WriteString("clone3 errno 38\n")
	}
	return b.String()
}

// nestedProc is where a nested sandbox's container gets a procfs without
// masks (LXC's own place for it, see nesting.conf): the kernel lets a
// user namespace mount a new procfs only while some procfs in its mount
// namespace shows everything (mount_too_revealing), and the container's
// own /proc has /proc/sys and the masked files covered. bwrap --proc,
// Flatpak and pressure-vessel mount one.
const nestedProc = "dev/.lxc/proc"

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
		c.plan.Files[SeccompFile] = SeccompPolicy(c.p.Mode, s.Nesting())
		cfg.Add("lxc.seccomp.profile", path.Join(c.plan.ContainerDir, SeccompFile))
	case "none":
		c.plan.Files[SeccompFile] = ""
	default:
		c.plan.Files[SeccompFile] = ""
		cfg.Add("lxc.seccomp.profile", ExpandHome(s.Seccomp, c.h.Home))
	}
	if c.h.AppArmor {
		aa := orDefault(s.AppArmor, defaultAppArmor(c.h, s.UserNS, s.NestedSandbox))
		cfg.Add("lxc.apparmor.profile", aa)
		if s.NestedSandbox && aa == "generated" {
			// The generated profile then allows mounts inside and denies
			// access to the unmasked procfs below.
			cfg.Add("lxc.apparmor.allow_nesting", "1")
		}
	}
	if s.NestedSandbox {
		cfg.Comment("nested_sandbox: a procfs without masks, so that sandboxes inside may mount their own /proc")
		cfg.Add("lxc.mount.entry", sandbox.MountEntry{Source: "proc", Target: nestedProc, FSType: "proc",
			Options: []string{"rw", "nosuid", "nodev", "noexec", "create=dir"}}.String())
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
