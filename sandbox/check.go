package sandbox

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/profiles"
)

// Check is one host readiness check, like a line of lxc-checkconfig.
type Check struct {
	Name string
	OK   bool
	// Required checks fail `lxcage check`; the others are needed only by
	// some profiles (bridge networking, X11).
	Required bool
	Detail   string
	// Fix is the command (or step) that makes the check pass.
	Fix string
}

// CheckHost runs every check for the calling user.
func CheckHost(ctx context.Context, h *profiles.Host) []Check {
	var out []Check
	add := func(c Check) { out = append(out, c) }

	// LXC tools.
	if v, err := exec.CommandContext(ctx, "lxc-start", "--version").Output(); err != nil {
		add(Check{Name: "LXC tools", Required: true, Detail: "lxc-start not found", Fix: "apt-get install lxc (LXC 4 or newer)"})
	} else {
		ver := strings.TrimSpace(string(v))
		major, _ := strconv.Atoi(strings.SplitN(ver, ".", 2)[0])
		add(Check{Name: "LXC tools", Required: true, OK: major >= 4, Detail: "LXC " + ver, Fix: "upgrade LXC to version 4 or newer"})
	}
	add(Check{Name: "LXC static init", Required: true, OK: h.InitPath != "", Detail: orNone(h.InitPath), Fix: "apt-get install lxc (it ships init.lxc.static)"})

	// User namespaces.
	userns := readInt("/proc/sys/user/max_user_namespaces")
	c := Check{Name: "user namespaces", Required: true, OK: userns > 0, Detail: fmt.Sprintf("max_user_namespaces = %d", userns), Fix: "sysctl -w user.max_user_namespaces=15000"}
	if v := readInt("/proc/sys/kernel/unprivileged_userns_clone"); v == 0 && fileExists("/proc/sys/kernel/unprivileged_userns_clone") {
		c.OK, c.Detail, c.Fix = false, "kernel.unprivileged_userns_clone = 0", "sysctl -w kernel.unprivileged_userns_clone=1"
	}
	add(c)

	// Subordinate ids.
	for _, s := range []struct {
		name, file string
		ranges     []profiles.IDRange
		kind       byte
		own        int
	}{{"subordinate uids", "/etc/subuid", h.SubUIDs, 'u', h.UID}, {"subordinate gids", "/etc/subgid", h.SubGIDs, 'g', h.GID}} {
		_, err := profiles.IDMap(s.kind, s.own, h.UserName, s.ranges, s.file)
		c := Check{Name: s.name, Required: true, OK: err == nil}
		if err != nil {
			c.Detail, c.Fix = err.Error(), fmt.Sprintf("usermod --add-sub%sids 100000-165535 %s", map[byte]string{'u': "u", 'g': "g"}[s.kind], h.UserName)
			if i := strings.Index(c.Detail, "; as root"); i > 0 {
				c.Detail = c.Detail[:i]
			}
		} else {
			c.Detail = fmt.Sprintf("%s: %d ids from %d", s.file, s.ranges[0].Count, s.ranges[0].Start)
		}
		add(c)
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
		add(c)
	}

	// Cgroups.
	if cg, err := ReadCgroups(); err != nil {
		add(Check{Name: "cgroup delegation", Required: true, Detail: err.Error()})
	} else {
		c := Check{Name: "cgroup delegation", Required: true, OK: cg.Delegated()}
		switch {
		case cg.LegacyDelegated():
			c.Detail = "you own your cgroup in every v1 hierarchy (limits work)"
		case cg.UnifiedOnly():
			c = checkUnified(ctx, cg, h.UserName)
		case cg.Delegated():
			c.Detail = "you own your cgroup in the unified (v2) hierarchy"
		case SystemdAvailable(ctx, SystemdBus()):
			c.OK, c.Detail = true, "not delegated now; lxcage will ask systemd for a delegated scope at launch"
		default:
			var dirs []string
			for _, hh := range cg.NotWritable() {
				dirs = append(dirs, hh.Dir)
			}
			c.Detail = "not writable: " + strings.Join(dirs, ", ")
			c.Fix = cg.Fix(h.UserName)
		}
		add(c)
	}

	if c, ok := checkAppArmor(h); ok {
		add(c)
	}

	// Bridge networking.
	usernet, _ := os.ReadFile("/etc/lxc/lxc-usernet")
	re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(h.UserName) + `\s+veth\s+` + regexp.QuoteMeta(h.LXCBridge) + `\s+[1-9]`)
	add(Check{Name: "lxc-usernet (network = \"bridge\")", OK: re.Match(usernet),
		Detail: "/etc/lxc/lxc-usernet entry for " + h.UserName,
		Fix:    fmt.Sprintf("echo '%s veth %s 10' >> /etc/lxc/lxc-usernet (as root)", h.UserName, h.LXCBridge)})

	// Runtime dir.
	rt := os.Getenv("XDG_RUNTIME_DIR")
	c = Check{Name: "XDG_RUNTIME_DIR", Required: true, Fix: "log in through a session manager, or export XDG_RUNTIME_DIR=/run/user/$(id -u) (a 0700 directory you own)"}
	if rt == "" {
		c.OK, c.Detail = true, "not set; lxcage falls back to "+FallbackRuntimeDir()
	} else if fi, err := os.Stat(rt); err != nil {
		c.Detail = err.Error()
	} else if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == os.Getuid() && fi.Mode().Perm()&0o077 == 0 {
		c.OK, c.Detail = true, rt
	} else {
		c.Detail = rt + " is not a private directory of yours"
	}
	add(c)

	// X11.
	c = Check{Name: "X display", Detail: "DISPLAY is not set", Fix: "run lxcage from your desktop session (DISPLAY=:0)"}
	if h.Display != "" {
		if h.XSocket == "" {
			c.Detail = fmt.Sprintf("DISPLAY=%s is not a local socket (remote displays cannot be bound into a container)", h.Display)
		} else if conn, err := net.DialTimeout("unix", h.XSocket, time.Second); err != nil {
			c.Detail = fmt.Sprintf("DISPLAY=%s: %v", h.Display, err)
			c.Fix = "start your X server, or check DISPLAY"
		} else {
			conn.Close()
			c.OK, c.Detail = true, fmt.Sprintf("DISPLAY=%s, socket %s", h.Display, h.XSocket)
		}
	}
	add(c)
	// Session sockets the access switches share.
	if h.WaylandDisplay != "" {
		sock := h.WaylandDisplay
		if !filepath.IsAbs(sock) {
			sock = filepath.Join(h.XDGRuntimeDir, sock)
		}
		add(Check{Name: "Wayland (wayland = true)", OK: isSocket(sock), Detail: sock, Fix: "run lxcage from your Wayland session"})
	} else {
		add(Check{Name: "Wayland (wayland = true)", OK: true, Detail: "not a Wayland session (WAYLAND_DISPLAY unset); x11 works"})
	}
	pulse := filepath.Join(h.XDGRuntimeDir, "pulse", "native")
	add(Check{Name: "PulseAudio (pulseaudio = true)", OK: isSocket(pulse), Detail: pulse, Fix: "start PulseAudio or pipewire-pulse (pactl info must answer)"})
	add(Check{Name: "PipeWire (pipewire = true)", OK: isSocket(filepath.Join(h.XDGRuntimeDir, "pipewire-0")), Detail: filepath.Join(h.XDGRuntimeDir, "pipewire-0"), Fix: "start PipeWire (pipewire-0 in XDG_RUNTIME_DIR)"})
	_, brErr := os.Stat("/sys/class/net/" + h.LXCBridge)
	add(Check{Name: "bridge " + h.LXCBridge + " (network = \"bridge\")", OK: brErr == nil, Detail: "the bridge LXC's lxc-net sets up", Fix: "as root: systemctl enable --now lxc-net (or set network = \"host\")"})
	for _, dc := range deviceChecks(h.UID) {
		add(dc)
	}
	_, err := exec.LookPath("xauth")
	add(Check{Name: "xauth (untrusted X cookies)", OK: err == nil, Detail: "xauth makes the untrusted cookie of x11 = true", Fix: "apt-get install xauth"})
	return out
}

// deviceChecks says, for the device nodes the access switches hand out,
// whether the user reaches them in a container. lxc-attach drops
// supplementary groups and a host group such as render or audio cannot be
// mapped without a subgid entry for it, so only what the user's own uid
// grants passes through: ownership, an ACL entry for the uid (logind's
// uaccess gives the seat user one) or world access.
func deviceChecks(uid int) []Check {
	var out []Check
	for _, dev := range []struct{ switchName, glob, group string }{
		{"gpu", "/dev/dri/*", "render/video"},
		{"sound", "/dev/snd/*", "audio"},
		{"webcam", "/dev/video*", "video"},
	} {
		nodes, _ := filepath.Glob(dev.glob)
		var blocked []string
		found := 0
		for _, n := range nodes {
			fi, err := os.Stat(n)
			if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
				continue
			}
			found++
			if !uidReaches(n, uid) {
				blocked = append(blocked, n)
			}
		}
		c := Check{Name: "devices for " + dev.switchName + " = true", OK: len(blocked) == 0}
		switch {
		case found == 0:
			c.Detail = "no " + dev.glob + " on this machine (the switch binds nothing)"
		case len(blocked) == 0:
			c.Detail = fmt.Sprintf("%d node(s), reachable through your uid (owner, ACL or world access)", found)
		default:
			c.Detail = fmt.Sprintf("%s reachable only through the %s group, which the container cannot keep", strings.Join(blocked, " "), dev.group)
			c.Fix = fmt.Sprintf("log in through a seat manager (logind gives you uaccess ACLs), or as root: setfacl -m u:%d:rw %s", uid, strings.Join(blocked, " "))
		}
		out = append(out, c)
	}
	return out
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

// FallbackRuntimeDir is where runtime state goes without XDG_RUNTIME_DIR.
func FallbackRuntimeDir() string {
	if p := "/run/user/" + strconv.Itoa(os.Getuid()); dirOwned(p) {
		return p
	}
	return os.TempDir() + "/lxcage-" + strconv.Itoa(os.Getuid())
}

// RuntimeDir is $XDG_RUNTIME_DIR, or a private fallback it creates.
func RuntimeDir() (string, error) {
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		return rt, nil
	}
	p := FallbackRuntimeDir()
	if err := os.Mkdir(p, 0o700); err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("runtime dir: %w", err)
	}
	if !dirOwned(p) {
		return "", fmt.Errorf("runtime dir %s is not a private directory of yours; set XDG_RUNTIME_DIR", p)
	}
	return p, nil
}

func dirOwned(p string) bool {
	fi, err := os.Lstat(p)
	if err != nil || !fi.IsDir() {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid() && fi.Mode().Perm()&0o077 == 0
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

// limitControllers are the cgroup v2 controllers [limits] use.
var limitControllers = []string{"memory", "pids", "cpu"}

// checkUnified is the cgroup check of a host with cgroup v2 only: a
// container needs a delegated scope from the user's systemd manager (see
// ContainerScope), which hands on the controllers [limits] use; without
// systemd, a cgroup root delegated by hand.
func checkUnified(ctx context.Context, cg *Cgroups, user string) Check {
	c := Check{Name: "cgroup delegation", Required: true}
	u, _ := cg.unified()
	switch {
	case SystemdAvailable(ctx, SystemdBus()):
		missing := missingControllers(DelegatedControllers(u.Mount, os.Getuid()))
		c.OK = len(missing) == 0
		c.Detail = "systemd delegates a scope to each container at launch"
		if !c.OK {
			c.Detail = "your systemd user manager does not hand on the " + strings.Join(missing, ", ") + " controller(s) that [limits] need"
			c.Fix = `as root: mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\nDelegate=cpu cpuset io memory pids\n' > /etc/systemd/system/user@.service.d/delegate.conf && systemctl daemon-reload; then log out and in again`
		}
	case InUserManager(u.Dir, os.Getuid()):
		c.Detail = "your cgroup is systemd's, but no systemd user manager answers on the session bus (" + orNone(SystemdBus()) + ")"
		c.Fix = "run lxcage from your desktop session, with DBUS_SESSION_BUS_ADDRESS (or $XDG_RUNTIME_DIR/bus) reaching systemd --user"
	case u.Writable:
		c.OK, c.Detail = true, "you own your cgroup in the unified (v2) hierarchy"
	default:
		c.Detail = "not writable: " + u.Dir + ", and no systemd user manager on the session bus (" + orNone(SystemdBus()) + ")"
		c.Fix = cg.Fix(user)
	}
	return c
}

// missingControllers are the limit controllers not in have.
func missingControllers(have []string) []string {
	var out []string
	for _, w := range limitControllers {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}

// checkAppArmor: with AppArmor on, a user's container needs a profile
// already loaded to switch into (LXC's own); ok is false where the check
// does not apply (AppArmor off, or root, who loads LXC's generated one).
func checkAppArmor(h *profiles.Host) (Check, bool) {
	if !h.AppArmor || h.UID == 0 {
		return Check{}, false
	}
	c := Check{Name: "AppArmor profile for containers", Required: true, OK: h.AppArmorShipped}
	if c.OK {
		c.Detail = "LXC's lxc-container-default-cgns (a user may not load a profile of its own)"
	} else {
		c.Detail = "AppArmor is on, but LXC's profiles are not installed: a user's container cannot load one"
		c.Fix = "apt-get install lxc apparmor (as root; LXC's profiles are loaded at boot), or set apparmor = \"unconfined\" under [security] in a profile"
	}
	return c, true
}
