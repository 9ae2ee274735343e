// Package hostcheck tells whether this machine is ready to run lxcage's
// containers (`lxcage check`, the editor's host page): LXC, user
// namespaces, subordinate ids, cgroups and the runtime dir, then what each
// access switch needs, as the switch itself says (profiles.AccessSwitches).
// Each failure comes with the command that fixes it.
package hostcheck

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
)

// Check is one host readiness check, like a line of lxc-checkconfig.
type Check struct {
	Name string
	OK   bool
	// Required checks fail `lxcage check`; the others are needed only by
	// some profiles (an access switch).
	Required bool
	Detail   string
	// Fix is the command (or step) that makes the check pass.
	Fix string
}

// Run runs every check for the calling user on host h.
func Run(ctx context.Context, r run.Runner, h *profiles.Host) []Check {
	var out []Check
	for _, group := range []func(context.Context, run.Runner, *profiles.Host) []Check{
		lxcChecks, idChecks, cgroupChecks, runtimeChecks, switchChecks,
	} {
		out = append(out, group(ctx, r, h)...)
	}
	return out
}

// lxcChecks: LXC's tools and static init, and user namespaces.
func lxcChecks(ctx context.Context, r run.Runner, h *profiles.Host) []Check {
	var out []Check
	if v, err := r.Run(ctx, nil, "lxc-start", "--version"); err != nil {
		out = append(out, Check{Name: "LXC tools", Required: true, Detail: "lxc-start not found", Fix: "apt-get install lxc (LXC 4 or newer)"})
	} else {
		ver := strings.TrimSpace(string(v))
		major, _ := strconv.Atoi(strings.SplitN(ver, ".", 2)[0])
		out = append(out, Check{Name: "LXC tools", Required: true, OK: major >= 4, Detail: "LXC " + ver, Fix: "upgrade LXC to version 4 or newer"})
	}
	out = append(out, Check{Name: "LXC static init", Required: true, OK: h.InitPath != "", Detail: orNone(h.InitPath), Fix: "apt-get install lxc (it ships init.lxc.static)"})
	userns := readInt("/proc/sys/user/max_user_namespaces")
	c := Check{Name: "user namespaces", Required: true, OK: userns > 0, Detail: fmt.Sprintf("max_user_namespaces = %d", userns), Fix: "sysctl -w user.max_user_namespaces=15000"}
	if v := readInt("/proc/sys/kernel/unprivileged_userns_clone"); v == 0 && fileExists("/proc/sys/kernel/unprivileged_userns_clone") {
		c.OK, c.Detail, c.Fix = false, "kernel.unprivileged_userns_clone = 0", "sysctl -w kernel.unprivileged_userns_clone=1"
	}
	return append(out, c)
}

// idChecks: subordinate ids, and the setuid helpers that map them.
func idChecks(ctx context.Context, r run.Runner, h *profiles.Host) []Check {
	var out []Check
	for _, s := range []struct {
		name, file string
		ranges     []sandbox.IDRange
		kind       byte
		own        int
	}{{"subordinate uids", "/etc/subuid", h.SubUIDs, 'u', h.UID}, {"subordinate gids", "/etc/subgid", h.SubGIDs, 'g', h.GID}} {
		_, err := sandbox.IDMap(s.kind, s.own, h.UserName, s.ranges, s.file)
		c := Check{Name: s.name, Required: true, OK: err == nil}
		if err != nil {
			c.Detail, c.Fix = fix.Split(err)
		} else {
			c.Detail = fmt.Sprintf("%s: %d ids from %d", s.file, s.ranges[0].Count, s.ranges[0].Start)
		}
		out = append(out, c)
	}
	// newuidmap and newgidmap must be setuid root (or carry file caps).
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		p, err := exec.LookPath(tool)
		c := Check{Name: tool, Required: true, Fix: "apt-get install uidmap"}
		if err == nil {
			var st unix.Stat_t
			if unix.Stat(p, &st) == nil && (st.Mode&unix.S_ISUID != 0 && st.Uid == 0 || hasFileCaps(p)) {
				c.OK, c.Detail = true, p
			} else {
				c.Detail, c.Fix = p+" is neither setuid root nor has file capabilities", "chmod u+s "+p+" (as root)"
			}
		} else {
			c.Detail = tool + " not found"
		}
		out = append(out, c)
	}
	return out
}

// cgroupChecks: a cgroup the user may create containers in.
func cgroupChecks(ctx context.Context, r run.Runner, h *profiles.Host) []Check {
	cg, err := sandbox.ReadCgroups()
	if err != nil {
		return []Check{{Name: "cgroup delegation", Required: true, Detail: err.Error()}}
	}
	c := Check{Name: "cgroup delegation", Required: true, OK: cg.Delegated()}
	switch {
	case cg.LegacyDelegated():
		c.Detail = "you own your cgroup in every v1 hierarchy (limits work)"
	case cg.UnifiedOnly():
		c = checkUnified(ctx, cg, h.UserName)
	case cg.Delegated():
		c.Detail = "you own your cgroup in the unified (v2) hierarchy"
	case sandbox.SystemdAvailable(ctx, sandbox.SystemdBus()):
		c.OK, c.Detail = true, "not delegated now; lxcage will ask systemd for a delegated scope at launch"
	default:
		var dirs []string
		for _, hh := range cg.NotWritable() {
			dirs = append(dirs, hh.Dir)
		}
		c.Detail = "not writable: " + strings.Join(dirs, ", ")
		c.Fix = cg.Fix(h.UserName)
	}
	out := []Check{c}
	if a, ok := checkAppArmor(h); ok {
		out = append(out, a)
	}
	return out
}

// runtimeChecks: a private runtime dir for lxcage's state and sockets.
func runtimeChecks(ctx context.Context, r run.Runner, h *profiles.Host) []Check {
	rt := os.Getenv("XDG_RUNTIME_DIR")
	c := Check{Name: "XDG_RUNTIME_DIR", Required: true, Fix: "log in through a session manager, or export XDG_RUNTIME_DIR=/run/user/$(id -u) (a 0700 directory you own)"}
	if rt == "" {
		c.OK, c.Detail = true, "not set; lxcage falls back to "+sandbox.FallbackRuntimeDir()
	} else if fi, err := os.Stat(rt); err != nil {
		c.Detail = err.Error()
	} else if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == os.Getuid() && fi.Mode().Perm()&0o077 == 0 {
		c.OK, c.Detail = true, rt
	} else {
		c.Detail = rt + " is not a private directory of yours"
	}
	return []Check{c}
}

// switchChecks: what each access switch needs, as its table entry says.
func switchChecks(ctx context.Context, r run.Runner, h *profiles.Host) []Check {
	var out []Check
	pr := probe{uid: h.UID}
	for _, s := range profiles.AccessSwitches {
		if s.Check == nil {
			continue
		}
		for _, rd := range s.Check(h, pr) {
			out = append(out, Check{Name: rd.Name, OK: rd.OK, Detail: rd.Detail, Fix: rd.Fix})
		}
	}
	return out
}

// probe answers the access switches' questions about this machine.
type probe struct{ uid int }

func (probe) Socket(path string) bool { return isSocket(path) }

func (probe) Dial(path string) error {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return err
	}
	return conn.Close()
}

func (p probe) Devices(glob string) (int, []string) {
	nodes, _ := filepath.Glob(glob)
	found := 0
	var blocked []string
	for _, n := range nodes {
		fi, err := os.Stat(n)
		if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			continue
		}
		found++
		if !uidReaches(n, p.uid) {
			blocked = append(blocked, n)
		}
	}
	return found, blocked
}

func (probe) Installed(program string) bool { _, err := exec.LookPath(program); return err == nil }

func (probe) Exists(path string) bool { return fileExists(path) }

func (probe) ReadFile(path string) string {
	b, _ := os.ReadFile(path) // nil when missing or unreadable
	return string(b)
}

// uidReaches reports whether uid may read and write path by ownership,
// world permissions or a POSIX ACL entry naming uid.
func uidReaches(path string, uid int) bool {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return false
	}
	if int(st.Uid) == uid && st.Mode&0o600 == 0o600 || st.Mode&0o006 == 0o006 {
		return true
	}
	buf := make([]byte, 4096)
	n, err := unix.Getxattr(path, "system.posix_acl_access", buf)
	if err != nil || n < 4 {
		return false
	}
	// Linux ACL xattr: a 4-byte version, then (tag u16, perm u16, id u32).
	const aclUser, aclMask = 0x02, 0x10
	mask, userPerm, haveUser := uint16(7), uint16(0), false
	for off := 4; off+8 <= n; off += 8 {
		tag := uint16(buf[off]) | uint16(buf[off+1])<<8
		perm := uint16(buf[off+2]) | uint16(buf[off+3])<<8
		id := uint32(buf[off+4]) | uint32(buf[off+5])<<8 | uint32(buf[off+6])<<16 | uint32(buf[off+7])<<24
		switch tag {
		case aclUser:
			if int(id) == uid {
				userPerm, haveUser = perm, true
			}
		case aclMask:
			mask = perm
		}
	}
	return haveUser && userPerm&mask&6 == 6
}

func hasFileCaps(p string) bool {
	buf := make([]byte, 64)
	n, err := unix.Getxattr(p, "security.capability", buf)
	return err == nil && n > 0
}

func readInt(p string) int {
	b, err := os.ReadFile(p)
	if err != nil {
		return -1
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func isSocket(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}

func orNone(s string) string {
	if s == "" {
		return "not found"
	}
	return s
}
