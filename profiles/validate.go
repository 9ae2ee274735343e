package profiles

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lxcage/lxcage/internal/lazyre"
)

// Validate checks a profile that was built in code (an editor, an
// importer) by the same rules Load applies to files.
func Validate(p *Profile) error {
	ps := &problems{file: p.Name + Ext}
	if err := CheckName(p.Name); err != nil {
		ps.add("", "", "%v", err)
	}
	validate(p, ps)
	return ps.err()
}

// validate runs every check; each one adds its problems and the list is
// reported whole, so a user fixes a file in one pass.
func validate(p *Profile, ps *problems) {
	for _, check := range []func(*Profile, *problems){
		checkTop, checkImage, checkSetup, checkAccess, checkEnv,
		checkShares, checkLimits, checkSecurity, checkDesktop, checkLog,
	} {
		check(p, ps)
	}
}

var (
	userRE      = lazyre.New(`^[a-z_][a-z0-9_-]{0,31}$`)
	envNameRE   = lazyre.New(`^[A-Za-z_][A-Za-z0-9_]*$`)
	wordRE      = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
	hostnameRE  = lazyre.New(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?$`)
	packageRE   = lazyre.New(`^[a-z0-9][a-z0-9+.:~=_-]*$`)
	sha256RE    = lazyre.New(`^[0-9a-f]{64}$`)
	busNameRE   = lazyre.New(`^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_-][A-Za-z0-9_-]*)+(\.\*)?$`)
	categoryRE  = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	mimeRE      = lazyre.New(`^[a-z0-9][a-z0-9.+-]*/[A-Za-z0-9][A-Za-z0-9.+_-]*$`)
	iconNameRE  = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	apparmorRE  = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9_./:-]*$`)
	memoryRE    = lazyre.New(`^([0-9]+(\.[0-9]+)?)\s*([KMGT]?)(i?B)?$`)
	urlSchemeRE = lazyre.New(`^https?://[^\s/]+/\S*$`)
)

// reservedEnv are set by lxcage for the inside of the container; a profile
// that set them would point the app at host paths that do not exist there.
var reservedEnv = map[string]string{
	"DISPLAY":         "set [access] x11 instead",
	"XAUTHORITY":      "lxcage writes a cookie file for the container",
	"XDG_RUNTIME_DIR": "lxcage gives the container its own runtime dir",
	"HOME":            "the home is /home/USER inside; change `user` instead",
	"WAYLAND_DISPLAY": "set [access] wayland instead",
	"PULSE_SERVER":    "set [access] pulseaudio instead",
	"USER":            "change `user` instead",
	"LOGNAME":         "change `user` instead",
}

// Capabilities are the names drop_caps accepts (LXC's spelling, no cap_).
var Capabilities = []string{
	"audit_control", "audit_read", "audit_write", "block_suspend", "bpf",
	"checkpoint_restore", "chown", "dac_override", "dac_read_search",
	"fowner", "fsetid", "ipc_lock", "ipc_owner", "kill", "lease",
	"linux_immutable", "mac_admin", "mac_override", "mknod", "net_admin",
	"net_bind_service", "net_broadcast", "net_raw", "perfmon", "setfcap",
	"setgid", "setpcap", "setuid", "sys_admin", "sys_boot", "sys_chroot",
	"sys_module", "sys_nice", "sys_pacct", "sys_ptrace", "sys_rawio",
	"sys_resource", "sys_time", "sys_tty_config", "syslog", "wake_alarm",
}

// LogLevels are LXC's log priorities, lowest first.
var LogLevels = []string{"TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "CRIT", "ALERT", "FATAL"}

// badText explains why s cannot be used in a value that may reach an LXC
// config line or a desktop file, or returns "". LXC splits lines on \n
// and \r and stops reading at a NUL, so no control character is allowed.
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	return ""
}

// text checks a free-text value.
func text(ps *problems, key, v string, maxLen int) bool {
	if why := badText(v); why != "" {
		ps.add(key, "remove it (write the value on one line, without escapes such as \\n)", "value %q %s", v, why)
		return false
	}
	if maxLen > 0 && utf8.RuneCountInString(v) > maxLen {
		ps.add(key, fmt.Sprintf("shorten it to %d characters", maxLen), "value is %d characters long", utf8.RuneCountInString(v))
		return false
	}
	return true
}

func oneOf(ps *problems, key, v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	ps.add(key, "use one of "+quoteList(allowed), "unknown value %q", v)
	return false
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func checkTop(p *Profile, ps *problems) {
	text(ps, "description", p.Description, 200)
	switch {
	case len(p.Command) == 0:
		ps.add("command", `write command = ["program", "argument", …]`, "is missing or empty")
	case p.Command[0] == "":
		ps.add("command[0]", "name the program to run", "the program name is empty")
	case strings.HasPrefix(p.Command[0], "-"):
		ps.add("command[0]", "name the program first, then its options", "the program name %q starts with a dash", p.Command[0])
	}
	// Arguments go to the program as argv, never into a config line or
	// a shell, so a script may span lines; only NUL cannot be passed.
	for i, a := range p.Command {
		key := fmt.Sprintf("command[%d]", i)
		if i == 0 {
			text(ps, key, a, 4096)
		} else if strings.ContainsRune(a, 0) || !utf8.ValidString(a) {
			ps.add(key, "remove the NUL byte", "argument %q cannot be passed to a program", a)
		} else if len(a) > 65536 {
			ps.add(key, "shorten it", "argument is %d bytes long", len(a))
		}
	}
	if p.User != "" && (!userRE.MatchString(p.User) || p.User == "root") {
		ps.add("user", `use a lower-case account name such as "user"; the app never runs as root`, "invalid account name %q", p.User)
	}
	if p.Mode != "" {
		oneOf(ps, "mode", p.Mode, ModeApp, ModeSystem)
	}
}

func checkImage(p *Profile, ps *problems) {
	im := p.Image
	t, ok := imageTypeKnown(im.Type, ps)
	if !ok {
		return
	}
	checkImageFields(t, im, ps)
	word := func(key, v string) {
		if v != "" && !wordRE.MatchString(v) {
			ps.add(key, "use letters, digits, dots, dashes and underscores only", "invalid value %q", v)
		}
	}
	word("image.dist", im.Dist)
	word("image.release", im.Release)
	word("image.arch", im.Arch)
	word("image.variant", im.Variant)
	word("image.suite", im.Suite)
	for i, c := range im.Components {
		word(fmt.Sprintf("image.components[%d]", i), c)
	}
	if im.Server != "" && !hostnameRE.MatchString(im.Server) {
		ps.add("image.server", `write a host name such as "images.linuxcontainers.org"`, "invalid server %q", im.Server)
	}
	if im.Mirror != "" && !urlSchemeRE.MatchString(im.Mirror) {
		ps.add("image.mirror", `write a URL such as "http://deb.debian.org/debian/"`, "invalid mirror %q", im.Mirror)
	}
	if t.check != nil {
		t.check(p, ps)
	}
}

// hostPath checks a path on the host: absolute or under "~".
func hostPath(ps *problems, key, v string) bool {
	if v == "" {
		return true
	}
	if !text(ps, key, v, 4096) {
		return false
	}
	if !(strings.HasPrefix(v, "/") || v == "~" || strings.HasPrefix(v, "~/")) {
		ps.add(key, `write an absolute path, or one starting with "~/"`, "path %q is relative", v)
		return false
	}
	for _, part := range strings.Split(v, "/") {
		if part == ".." {
			ps.add(key, "write the path without ..", "path %q climbs with ..", v)
			return false
		}
	}
	return true
}

func checkSetup(p *Profile, ps *problems) {
	s := p.Setup
	for i, pkg := range s.Packages {
		if !packageRE.MatchString(pkg) {
			ps.add(fmt.Sprintf("setup.packages[%d]", i), "write a package name such as \"ca-certificates\"", "invalid package name %q", pkg)
		}
	}
	for i, d := range s.Debs {
		key := fmt.Sprintf("setup.debs[%d]", i)
		if hostPath(ps, key, d) && !strings.HasSuffix(d, ".deb") {
			ps.add(key, "name a .deb file", "%q is not a .deb file", d)
		}
	}
	for i, u := range s.URLs {
		key := fmt.Sprintf("setup.urls[%d]", i)
		if !text(ps, key+".url", u.URL, 4096) {
			continue
		}
		if !urlSchemeRE.MatchString(u.URL) {
			ps.add(key+".url", "write an http:// or https:// URL", "invalid URL %q", u.URL)
		}
		if !sha256RE.MatchString(u.SHA256) {
			ps.add(key+".sha256", "write the file's sha256sum: 64 lower-case hex digits", "a download needs its checksum")
		}
	}
	for i, argv := range s.Run {
		key := fmt.Sprintf("setup.run[%d]", i)
		if len(argv) == 0 || argv[0] == "" {
			ps.add(key, `write an argv list such as ["sh", "-c", "…"]`, "empty command")
			continue
		}
		for j, a := range argv {
			if strings.ContainsRune(a, 0) || !utf8.ValidString(a) {
				ps.add(fmt.Sprintf("%s[%d]", key, j), "remove the NUL byte", "argument is not valid text")
			}
		}
	}
}

func checkAccess(p *Profile, ps *problems) {
	a := p.Access
	if a.Microphone && !a.PulseAudio {
		ps.add("access.microphone", "set pulseaudio = true, or remove it", "microphone only applies when pulseaudio = true")
	}
	if a.Clipboard != "" {
		oneOf(ps, "access.clipboard", a.Clipboard, AccessSwitchNamed("clipboard").Values...)
	}
	if a.DBus != "" {
		oneOf(ps, "access.dbus", a.DBus, AccessSwitchNamed("dbus").Values...)
	}
	for i, n := range a.DBusTalk {
		if !busNameRE.MatchString(n) {
			ps.add(fmt.Sprintf("access.dbus_talk[%d]", i), `write a D-Bus name such as "org.freedesktop.Notifications"`, "invalid bus name %q", n)
		}
	}
	if len(a.DBusTalk) > 0 && a.DBus != DBusFiltered {
		ps.add("access.dbus_talk", `set dbus = "filtered" to use it`, "dbus_talk only applies when dbus = \"filtered\"")
	}
	if a.Network != "" {
		oneOf(ps, "access.network", a.Network, AccessSwitchNamed("network").Values...)
	}
	for i, port := range a.ForwardHostPorts {
		if port < 1 || port > 65535 {
			ps.add(fmt.Sprintf("access.forward_host_ports[%d]", i), "write a TCP port number, 1–65535", "invalid port %d", port)
		}
	}
	if len(a.ForwardHostPorts) > 0 && a.Network != NetworkNat {
		ps.add("access.forward_host_ports", `set network = "nat" to use it`, "forward_host_ports only applies when network = \"nat\"")
	}
	for i, r := range a.Require {
		oneOf(ps, fmt.Sprintf("access.require[%d]", i), r, Requirable...)
	}
}

func checkEnv(p *Profile, ps *problems) {
	names := make([]string, 0, len(p.Env))
	for k := range p.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		key := "env." + k
		if !envNameRE.MatchString(k) {
			ps.add(key, "use letters, digits and underscores, not starting with a digit", "invalid variable name %q", k)
			continue
		}
		if why, ok := reservedEnv[k]; ok {
			ps.add(key, why, "%s is set by lxcage", k)
			continue
		}
		text(ps, key, p.Env[k], 32768)
	}
}

func checkShares(p *Profile, ps *problems) {
	seen := map[string]int{}
	for i, s := range p.Shares {
		key := fmt.Sprintf("share[%d]", i)
		if s.Host == "" {
			ps.add(key+".host", `write host = "~/Downloads"`, "missing")
			continue
		}
		if !hostPath(ps, key+".host", s.Host) {
			continue
		}
		inside := s.Path
		if inside == "" {
			inside = DefaultSharePath(s.Host, p.Home())
			if inside == "" {
				ps.add(key+".path", `write path = "/where/inside"`, "cannot derive a path inside from %q", s.Host)
				continue
			}
		} else if !containerPath(ps, key+".path", inside) {
			continue
		}
		if j, dup := seen[inside]; dup {
			ps.add(key+".path", "give each share its own path", "%s is already used by share[%d]", inside, j)
		}
		seen[inside] = i
		// In system mode the image's init and services run as the
		// container's root, which keeps CAP_SYS_ADMIN over the mounts
		// LXC made inside: a read-only bind is one remount away from
		// read-write, and the share's files are the user's, a uid that
		// root may write. (App mode keeps no such capability; a nested
		// sandbox's namespaces get the binds locked read-only.)
		if s.Readonly && p.Mode == ModeSystem {
			ps.add(key+".readonly", `use mode = "app" (the default), or share a copy of the folder`,
				`cannot stay read-only in mode = "system": the image's own root may remount the share read-write and change your files`)
		}
	}
}

// forbiddenInside are the paths a share may not cover: the kernel's
// pseudo filesystems and what lxcage itself mounts.
var forbiddenInside = []string{"/proc", "/sys", "/dev", "/run/user", "/tmp/.X11-unix"}

// containerPath checks a path inside the container: absolute, no "..",
// not the root and not over the kernel's filesystems.
func containerPath(ps *problems, key, v string) bool {
	if !text(ps, key, v, 4096) {
		return false
	}
	if !strings.HasPrefix(v, "/") {
		ps.add(key, `write an absolute path such as "/home/user/Downloads"`, "path %q is relative", v)
		return false
	}
	for _, part := range strings.Split(v, "/") {
		if part == ".." || part == "." {
			ps.add(key, "write the path without . or ..", "path %q must stay inside the container", v)
			return false
		}
	}
	c := path.Clean(v)
	if c == "/" {
		ps.add(key, "share into a directory such as /home/user/Downloads", "cannot share over the container's root")
		return false
	}
	for _, f := range forbiddenInside {
		if c == f || strings.HasPrefix(c, f+"/") {
			ps.add(key, "choose a path outside "+f, "path %q is under %s, which the container manages", v, f)
			return false
		}
	}
	return true
}

// DefaultSharePath is where a share of host appears when the profile does
// not say: paths under the home move to the container user's home.
func DefaultSharePath(host, home string) string {
	switch {
	case host == "~":
		return home
	case strings.HasPrefix(host, "~/"):
		return path.Join(home, host[2:])
	case strings.HasPrefix(host, "/"):
		return path.Clean(host)
	}
	return ""
}

func checkLimits(p *Profile, ps *problems) {
	l := p.Limits
	if l.Memory != "" {
		if n, err := ParseSize(l.Memory); err != nil {
			ps.add("limits.memory", `write a size such as "512M" or "4G"`, "%v", err)
		} else if n < 16<<20 {
			ps.add("limits.memory", `give at least "16M"`, "%s is too little memory to start anything", l.Memory)
		}
	}
	if l.Pids < 0 || (l.Pids > 0 && l.Pids < 8) {
		ps.add("limits.pids", "write at least 8 (or leave it out for no limit)", "pids = %d is too low", l.Pids)
	}
	if l.CPUWeight < 0 || l.CPUWeight > 10000 {
		ps.add("limits.cpu_weight", "write a weight from 1 to 10000 (100 is normal)", "cpu_weight = %d is out of range", l.CPUWeight)
	}
}

// ParseSize reads a memory size: a number with an optional K, M, G or T
// suffix (powers of 1024; "B", "iB" accepted after it).
func ParseSize(s string) (int64, error) {
	m := memoryRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	mult := map[string]float64{"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[m[3]]
	v := f * mult
	if v < 1 || v > 1<<60 {
		return 0, fmt.Errorf("size %q is out of range", s)
	}
	return int64(v), nil
}

func checkSecurity(p *Profile, ps *problems) {
	s := p.Security
	known := map[string]bool{}
	for _, c := range Capabilities {
		known[c] = true
	}
	for i, c := range s.DropCaps {
		n := strings.TrimPrefix(strings.ToLower(c), "cap_")
		if !known[n] {
			ps.add(fmt.Sprintf("security.drop_caps[%d]", i), "use a capability name such as \"sys_module\" (see capabilities(7))", "unknown capability %q", c)
		}
	}
	if s.AppArmor != "" && !apparmorRE.MatchString(s.AppArmor) {
		ps.add("security.apparmor", `write "generated", "unconfined" or a profile name`, "invalid AppArmor profile %q", s.AppArmor)
	}
	switch s.Seccomp {
	case "", "default", "none":
	default:
		if text(ps, "security.seccomp", s.Seccomp, 4096) && !strings.HasPrefix(s.Seccomp, "/") && !strings.HasPrefix(s.Seccomp, "~/") {
			ps.add("security.seccomp", `write "default", "none" or the absolute path of an LXC seccomp policy`, "unknown value %q", s.Seccomp)
		}
	}
}

func checkDesktop(p *Profile, ps *problems) {
	d := p.Desktop
	text(ps, "desktop.name", d.Name, 120)
	text(ps, "desktop.comment", d.Comment, 300)
	text(ps, "desktop.wm_class", d.WMClass, 200)
	if d.Icon != "" && text(ps, "desktop.icon", d.Icon, 4096) && !iconNameRE.MatchString(d.Icon) && !strings.HasPrefix(d.Icon, "/") {
		ps.add("desktop.icon", `write an icon name such as "google-chrome" or an absolute path`, "invalid icon %q", d.Icon)
	}
	for i, c := range d.Categories {
		if !categoryRE.MatchString(c) {
			ps.add(fmt.Sprintf("desktop.categories[%d]", i), `write a category such as "Network"`, "invalid category %q", c)
		}
	}
	for i, m := range d.MimeTypes {
		if !mimeRE.MatchString(m) {
			ps.add(fmt.Sprintf("desktop.mime_types[%d]", i), `write a type such as "text/html" or "x-scheme-handler/https"`, "invalid MIME type %q", m)
		}
	}
	for i, k := range d.Keywords {
		key := fmt.Sprintf("desktop.keywords[%d]", i)
		if text(ps, key, k, 100) && (strings.ContainsAny(k, ";") || strings.TrimSpace(k) == "") {
			ps.add(key, "write one word or phrase per list item", "invalid keyword %q", k)
		}
	}
	if d.WMClass != "" && strings.IndexFunc(d.WMClass, unicode.IsSpace) >= 0 {
		ps.add("desktop.wm_class", "write the window class without spaces (see xprop WM_CLASS)", "invalid class %q", d.WMClass)
	}
}

func checkLog(p *Profile, ps *problems) {
	if p.Log.Level != "" {
		oneOf(ps, "log.level", strings.ToUpper(p.Log.Level), LogLevels...)
	}
	hostPath(ps, "log.file", p.Log.File)
	if p.Log.File == "~" {
		ps.add("log.file", `name a file such as "~/.cache/lxcage/app.log"`, "the home directory is not a file")
	}
}
