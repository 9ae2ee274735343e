package profiles

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Plan is everything a profile compiles to: the LXC config plus what the
// launcher does around it (the attach step, the files of a host-image
// rootfs). It is data only; sandbox and launcher carry it out.
type Plan struct {
	Name string
	Mode string
	// Config is the container's LXC config.
	Config Config
	// ContainerDir is LXCPath/Name; Rootfs the rootfs inside it (for an
	// overlay snapshot, the upper layer, over RootfsLower).
	ContainerDir string
	Rootfs       string
	RootfsLower  string
	// RunDir is the host directory that becomes XDG_RUNTIME_DIR inside.
	RunDir string
	// Attach says how to run the app inside.
	Attach Attach
	// Skeleton is the rootfs content of a host-image container; nil for
	// other image types, whose rootfs comes from the image.
	Skeleton *Skeleton
	// X11 is the X access mode; XSocket the host socket bound in.
	X11     X11Mode
	Display string
	XSocket string
	// XAuthority is the cookie file for the container, on the host (in
	// RunDir) and inside.
	XAuthorityHost, XAuthority string
	// LogFile and LogLevel are LXC's log for this container.
	LogFile, LogLevel string
	// PulseSocket is where the launcher has the user's sound server
	// listen for this container (in RunDir); "" without pulseaudio.
	PulseSocket string
	// Shares are the share sources that must exist before start.
	Shares []ResolvedShare
	// IDMap is the container's id map (uid entries, then gid entries).
	IDMap []IDMapEntry
	// NestedDisplay is the display number of the container's own X
	// server with x11 = "nested" (0 otherwise).
	NestedDisplay int
	// DBusProxy is the filtering proxy the launcher runs for
	// dbus = "filtered" (nil otherwise).
	DBusProxy *DBusProxy
	// SeccompPolicy is the text of lxcage's seccomp policy, written to
	// ContainerDir/SeccompFile before start; "" when the profile uses none
	// or its own file.
	SeccompPolicy string
}

// ConfigAt renders the config for the container living in dir instead of
// ContainerDir: how a container is built under a temporary name and then
// renamed into place.
func (p *Plan) ConfigAt(dir string) string {
	c := Config{Lines: append([]Line(nil), p.Config.Lines...)}
	for i, l := range c.Lines {
		if l.Key == "lxc.rootfs.path" || l.Key == "lxc.seccomp.profile" {
			c.Lines[i].Value = strings.ReplaceAll(l.Value, p.ContainerDir+"/", dir+"/")
		}
	}
	return c.String()
}

// ResolvedShare is a share with its paths made absolute.
type ResolvedShare struct {
	Host, Path string
	Readonly   bool
	Optional   bool
}

// Attach is how the app runs inside the container.
type Attach struct {
	UID, GID int
	User     string
	// Cwd is the app's working directory inside (its home). lxc-attach
	// has no option for it: it changes into the caller's own working
	// directory when that path exists inside. So the launcher runs it
	// from HostCwd (the user's home on the host), and the container has
	// a link at that path to Cwd (HomeLink): the app starts at home
	// without a wrapper process.
	Cwd     string
	HostCwd string
	// Env is the app's whole environment, sorted "NAME=value" strings.
	Env     []string
	Command []string
}

// Skeleton is a minimal root filesystem for host-image containers: the
// host's /usr is bound in read-only, and only the few /etc files that
// must differ from the host's are written.
type Skeleton struct {
	Dirs  []SkelDir
	Files []SkelFile
	Links []SkelLink
}

// SkelDir is a directory of the skeleton; User means owned by the app
// user rather than the container's root.
type SkelDir struct {
	Path string
	Mode uint32
	User bool
}

// SkelFile is a file of the skeleton, owned by the container's root.
type SkelFile struct {
	Path    string
	Mode    uint32
	Content string
}

// SkelLink is a symlink of the skeleton.
type SkelLink struct {
	Path, Target string
}

// Hash is a short digest of the skeleton, to know when to rewrite it.
func (s *Skeleton) Hash() string {
	h := sha256.New()
	for _, d := range s.Dirs {
		fmt.Fprintf(h, "d %s %o %v\n", d.Path, d.Mode, d.User)
	}
	for _, f := range s.Files {
		fmt.Fprintf(h, "f %s %o %d\n%s", f.Path, f.Mode, len(f.Content), f.Content)
	}
	for _, l := range s.Links {
		fmt.Fprintf(h, "l %s %s\n", l.Path, l.Target)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// PathKind says what is at a host path.
type PathKind int

// Kinds of host paths.
const (
	PathMissing PathKind = iota
	PathDir
	PathFile
)

// Inside paths lxcage uses.
const (
	// InitInside is where the host's static LXC init is bound.
	InitInside = "/run/lxcage/init"
	// DefaultPath is the app's PATH unless the profile sets one.
	DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// DefaultDropCaps are dropped in every container: nothing a desktop app
// needs, and each one a known way to poke at the kernel.
var DefaultDropCaps = []string{"mac_admin", "mac_override", "sys_module", "sys_rawio", "sys_time"}

// Compile turns a validated profile into a Plan for host. It is pure:
// it reads nothing but its arguments (PathKind is the host's answer to
// "what is at this path", supplied by the caller).
func Compile(p *Profile, h *Host, kind func(string) PathKind) (*Plan, error) {
	if err := Validate(p); err != nil {
		return nil, err
	}
	q := *p
	q.Defaults()
	p = &q
	if kind == nil {
		kind = func(string) PathKind { return PathDir }
	}
	file := p.Name + Ext
	fail := func(key, format string, args ...any) error {
		return &Error{File: file, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	if h.UID == 0 {
		return nil, fail("", "lxcage runs apps in unprivileged containers and will not run as root; run it as your own user")
	}
	umap, err := IDMap('u', h.UID, h.UserName, h.SubUIDs, "/etc/subuid")
	if err != nil {
		return nil, fail("", "%v", err)
	}
	gmap, err := IDMap('g', h.GID, h.UserName, h.SubGIDs, "/etc/subgid")
	if err != nil {
		return nil, fail("", "%v", err)
	}
	if h.LXCPath == "" || h.StateDir == "" {
		return nil, fmt.Errorf("compile %s: host facts incomplete (no lxcpath or runtime dir)", p.Name)
	}

	home := p.Home()
	runInside := "/run/user/" + strconv.Itoa(h.UID)
	plan := &Plan{
		Name:         p.Name,
		Mode:         p.Mode,
		ContainerDir: path.Join(h.LXCPath, p.Name),
		RunDir:       path.Join(h.StateDir, p.Name, "run"),
		X11:          p.Access.X11,
		LogLevel:     strings.ToUpper(p.Log.Level),
	}
	plan.Rootfs = path.Join(plan.ContainerDir, "rootfs")
	rootfsSpec := "dir:" + plan.Rootfs
	if p.Image.Type == ImageClone && h.OverlayOK {
		// A snapshot: the base's rootfs below, this container's changes
		// in delta0 (what lxc-copy -s -B overlayfs makes).
		plan.RootfsLower = path.Join(h.LXCPath, p.Image.Base, "rootfs")
		plan.Rootfs = path.Join(plan.ContainerDir, "delta0")
		rootfsSpec = "overlay:" + plan.RootfsLower + ":" + plan.Rootfs
	}
	plan.LogFile = ExpandHome(p.Log.File, h.Home)
	if plan.LogFile == "" {
		plan.LogFile = path.Join(h.CacheDir, "lxcage", p.Name+".log")
	}

	c := &plan.Config
	c.Comment("Generated by lxcage from profile " + p.Name + ". Edit the profile, not this file.")
	c.Add("lxc.uts.name", p.Name)
	c.Add("lxc.rootfs.path", rootfsSpec)
	plan.IDMap = append(umap, gmap...)
	for _, e := range plan.IDMap {
		c.Add("lxc.idmap", e.String())
	}

	// Init. App mode: LXC's static init reaps orphans (Chromium leaves
	// many) and stops in milliseconds; it waits on a sleep.
	if p.Mode == ModeApp {
		c.Add("lxc.init.cmd", InitInside+" -n "+p.Name+" -- /bin/sleep infinity")
		c.Add("lxc.console.path", "none")
	} else {
		c.Add("lxc.signal.halt", "SIGRTMIN+3")
	}
	c.Add("lxc.autodev", "1")
	c.Add("lxc.tty.max", "0")
	c.Add("lxc.pty.max", "64")

	// Network. "off" is a namespace with only loopback: it also keeps the
	// host's abstract X socket (@/tmp/.X11-unix/X0) out of reach.
	sysBind := false
	switch p.Access.Network {
	case NetworkOff:
		c.Add("lxc.net.0.type", "empty")
	case NetworkHost:
		// Sharing the host's network namespace makes a fresh sysfs mount
		// fail with EPERM; bind the host's /sys instead.
		c.Add("lxc.net.0.type", "none")
		sysBind = true
	case NetworkBridge:
		c.Add("lxc.net.0.type", "veth")
		c.Add("lxc.net.0.link", orDefault(h.LXCBridge, "lxcbr0"))
		c.Add("lxc.net.0.flags", "up")
	}
	auto := "proc:mixed sys:ro"
	if sysBind {
		auto = "proc:mixed"
	}
	if p.Mode == ModeSystem {
		auto += " cgroup:mixed"
	}
	c.Add("lxc.mount.auto", auto)

	// Mounts, in order: each target's parent must exist when it is made.
	var mounts []MountEntry
	bind := func(src, dst string, opts ...string) {
		if len(opts) == 0 || opts[0] != "rbind" {
			opts = append([]string{"bind"}, opts...)
		}
		mounts = append(mounts, MountEntry{src, strings.TrimPrefix(dst, "/"), "none", opts})
	}
	tmpfs := func(dst, mode string) {
		mounts = append(mounts, MountEntry{"tmpfs", strings.TrimPrefix(dst, "/"), "tmpfs", []string{"rw", "nosuid", "nodev", "mode=" + mode, "create=dir"}})
	}
	if sysBind {
		bind("/sys", "/sys", "rbind", "ro", "create=dir")
	}
	if p.Image.Type == ImageHost {
		bind("/usr", "/usr", "rbind", "ro", "create=dir")
		for _, d := range h.RootDirs {
			bind("/"+d, "/"+d, "rbind", "ro", "create=dir")
		}
		for _, d := range sortedKeys(h.HostEtc) {
			create := "create=file"
			if h.HostEtc[d] {
				create = "create=dir"
			}
			bind("/etc/"+d, "/etc/"+d, "rbind", "ro", "optional", create)
		}
		bind("/opt", "/opt", "rbind", "ro", "optional", "create=dir")
		if p.Access.Network == NetworkHost {
			bind("/etc/resolv.conf", "/etc/resolv.conf", "ro", "optional", "create=file")
		}
	}
	for _, m := range maskedProc {
		bind("/dev/null", m, "optional")
	}
	tmpfs("/tmp", "1777")
	tmpfs("/run", "755")
	tmpfs("/dev/shm", "1777")
	if p.Mode == ModeApp {
		if h.InitPath == "" {
			return nil, fmt.Errorf("compile %s: LXC's static init (init.lxc.static) is not installed; install the lxc package (apt-get install lxc)", p.Name)
		}
		bind(h.InitPath, InitInside, "ro", "create=file")
	}
	bind(plan.RunDir, runInside, "create=dir")

	env := map[string]string{
		"HOME":            home,
		"USER":            p.User,
		"LOGNAME":         p.User,
		"SHELL":           "/bin/sh",
		"PATH":            DefaultPath,
		"LANG":            orDefault(h.Lang, "C.UTF-8"),
		"XDG_RUNTIME_DIR": runInside,
	}
	if p.Access.DBus == DBusNone {
		// No session bus inside. Without an address, libdbus would
		// autolaunch a private bus through X11 (dbus-launch), a daemon
		// that outlives the app and keeps the container up; GTK's
		// accessibility bridge would look for a bus and warn.
		env["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"
		env["NO_AT_BRIDGE"] = "1"
	}
	if p.Access.X11.On() {
		if h.XSocket == "" {
			return nil, fail("access.x11", "DISPLAY %q is not a local X server socket; run lxcage inside a graphical session, or set x11 = false", h.Display)
		}
		xsock := h.XSocket
		if p.Access.X11 == X11Nested {
			// The container's own X server (Xephyr, a window on the
			// user's display) gets a display number derived from the
			// container, so the config stays the same from start to start.
			plan.NestedDisplay = NestedDisplay(h.LXCPath, p.Name)
			xsock = "/tmp/.X11-unix/X" + strconv.Itoa(plan.NestedDisplay)
		}
		// Only this display's socket: a writable copy of the whole
		// directory has let a container's init wipe the host's sockets.
		bind(xsock, xsock, "create=file")
		plan.Display = ":" + strings.TrimPrefix(path.Base(xsock), "X")
		plan.XSocket = xsock
		plan.XAuthorityHost = path.Join(plan.RunDir, "Xauthority")
		plan.XAuthority = path.Join(runInside, "Xauthority")
		env["DISPLAY"] = plan.Display
		env["XAUTHORITY"] = plan.XAuthority
	}
	switch p.Access.DBus {
	case DBusFull, DBusFiltered:
		bus := h.SessionBus
		if !strings.HasPrefix(bus, "unix:") {
			return nil, fail("access.dbus", "there is no session bus to share (DBUS_SESSION_BUS_ADDRESS is %q)", bus)
		}
		if p.Access.DBus == DBusFull {
			sock := busSocketPath(bus)
			if sock == "" {
				return nil, fail("access.dbus", "the session bus %q is not a socket file that can be bound in; use dbus = \"filtered\"", bus)
			}
			bind(sock, path.Join(runInside, "bus"), "create=file")
		} else {
			// The launcher runs xdg-dbus-proxy, listening in RunDir/bus.
			plan.DBusProxy = &DBusProxy{Address: bus, Socket: path.Join(plan.RunDir, "bus"), Talk: append([]string(nil), p.Access.DBusTalk...)}
		}
		env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + path.Join(runInside, "bus")
	}
	if err := accessSockets(p, h, plan, env, runInside, bind); err != nil {
		return nil, err
	}
	accessDevices(p, h, bind)

	for i, s := range p.Shares {
		key := fmt.Sprintf("share[%d]", i)
		hostAbs := ExpandHome(s.Host, h.Home)
		inside := s.Path
		if inside == "" {
			inside = DefaultSharePath(s.Host, home)
		}
		inside = path.Clean(inside)
		if why := sensitive(hostAbs, h); why != "" && !s.AllowSensitive {
			return nil, &Error{File: file, Key: key + ".host", Msg: fmt.Sprintf("sharing %s would give the app %s", s.Host, why),
				Fix: "share a narrower directory, or write allow_sensitive = true in this [[share]] if you mean it"}
		}
		create := "create=dir"
		switch kind(hostAbs) {
		case PathFile:
			create = "create=file"
		case PathMissing:
			if !s.Optional {
				return nil, &Error{File: file, Key: key + ".host", Msg: fmt.Sprintf("%s does not exist", hostAbs),
					Fix: fmt.Sprintf("create it (mkdir -p %q) or write optional = true", hostAbs)}
			}
		}
		opts := []string{"rbind"}
		if s.Readonly {
			opts = append(opts, "ro")
		}
		if s.Optional {
			opts = append(opts, "optional")
		}
		bind(hostAbs, inside, append(opts, create)...)
		plan.Shares = append(plan.Shares, ResolvedShare{Host: hostAbs, Path: inside, Readonly: s.Readonly, Optional: s.Optional})
	}
	for _, m := range mounts {
		c.Add("lxc.mount.entry", m.String())
	}

	securityConfig(p, h, plan, c)

	// Limits, in the hierarchy that holds the controllers.
	cg := "lxc.cgroup."
	if h.Cgroup2 {
		cg = "lxc.cgroup2."
	}
	if p.Limits.Memory != "" {
		n, _ := ParseSize(p.Limits.Memory)
		// With swap accounting the limit covers swap too; otherwise a
		// 256M app could still fill the swap.
		if h.Cgroup2 {
			c.Add(cg+"memory.max", strconv.FormatInt(n, 10))
			if h.SwapAccounting {
				c.Add(cg+"memory.swap.max", "0")
			}
		} else {
			c.Add(cg+"memory.limit_in_bytes", strconv.FormatInt(n, 10))
			if h.SwapAccounting {
				c.Add(cg+"memory.memsw.limit_in_bytes", strconv.FormatInt(n, 10))
			}
		}
	}
	if p.Limits.Pids > 0 {
		c.Add(cg+"pids.max", strconv.FormatInt(p.Limits.Pids, 10))
	}
	if p.Limits.CPUWeight > 0 {
		if h.Cgroup2 {
			c.Add(cg+"cpu.weight", strconv.FormatInt(p.Limits.CPUWeight, 10))
		} else {
			// cpu.shares: 1024 is the default, as weight 100 is on v2.
			c.Add(cg+"cpu.shares", strconv.FormatInt(max(2, p.Limits.CPUWeight*1024/100), 10))
		}
	}

	c.Add("lxc.log.file", plan.LogFile)
	c.Add("lxc.log.level", plan.LogLevel)

	for k, v := range p.Env {
		env[k] = v
	}
	plan.Attach = Attach{
		UID:     h.UID,
		GID:     h.GID,
		User:    p.User,
		Cwd:     home,
		HostCwd: h.Home,
		Env:     envList(env),
		Command: append([]string(nil), p.Command...),
	}
	if p.Image.Type == ImageHost {
		plan.Skeleton = skeleton(p, h)
	}
	return plan, nil
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for _, k := range sortedKeys(env) {
		out = append(out, k+"="+env[k])
	}
	return out
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ExpandHome turns "~" and "~/x" into paths under home; other paths are
// returned as they are.
func ExpandHome(p, home string) string {
	switch {
	case p == "~":
		return home
	case strings.HasPrefix(p, "~/"):
		return path.Join(home, p[2:])
	}
	return p
}

// DBusProxy is an xdg-dbus-proxy for one container: it connects to the
// user's bus at Address and serves Socket, letting through only calls to
// the Talk names.
type DBusProxy struct {
	Address string
	Socket  string
	Talk    []string
}

// NestedDisplay is the X display number of a container's nested server:
// stable for a container (100–899), unlikely to meet a real display.
func NestedDisplay(lxcpath, name string) int {
	sum := sha256.Sum256([]byte(lxcpath + "\x00" + name))
	return 100 + int(binary.BigEndian.Uint16(sum[:2]))%800
}

// busSocketPath extracts the socket file of a "unix:path=…" bus address.
func busSocketPath(addr string) string {
	for _, part := range strings.Split(strings.TrimPrefix(addr, "unix:"), ",") {
		if p, ok := strings.CutPrefix(part, "path="); ok {
			return p
		}
	}
	return ""
}

// accessSockets gives the container the session sockets the profile
// switches on. Each lands in the container's XDG_RUNTIME_DIR under the
// name clients look for; a switch that is off adds nothing: no socket,
// no variable.
func accessSockets(p *Profile, h *Host, plan *Plan, env map[string]string, runInside string, bind func(string, string, ...string)) error {
	a := p.Access
	needRuntime := func(key, what string) error {
		if h.XDGRuntimeDir == "" {
			return &Error{File: p.Name + Ext, Key: key, Msg: "XDG_RUNTIME_DIR is not set, so there is no " + what + " socket to share", Fix: "run lxcage from your desktop session, or switch it off"}
		}
		return nil
	}
	if a.Wayland {
		if err := needRuntime("access.wayland", "Wayland"); err != nil {
			return err
		}
		if h.WaylandDisplay == "" {
			return &Error{File: p.Name + Ext, Key: "access.wayland", Msg: "WAYLAND_DISPLAY is not set: this is not a Wayland session", Fix: "set wayland = false (x11 = true works on XWayland too)"}
		}
		sock := h.WaylandDisplay
		if !path.IsAbs(sock) {
			sock = path.Join(h.XDGRuntimeDir, sock)
		}
		name := path.Base(sock)
		bind(sock, path.Join(runInside, name), "create=file")
		env["WAYLAND_DISPLAY"] = name
		env["XDG_SESSION_TYPE"] = "wayland"
		env["MOZ_ENABLE_WAYLAND"] = "1"
		// Toolkits try Wayland first, then X11 when the profile allows it.
		if a.X11.On() {
			env["GDK_BACKEND"] = "wayland,x11"
			env["QT_QPA_PLATFORM"] = "wayland;xcb"
			env["SDL_VIDEODRIVER"] = "wayland,x11"
		} else {
			env["GDK_BACKEND"] = "wayland"
			env["QT_QPA_PLATFORM"] = "wayland"
			env["SDL_VIDEODRIVER"] = "wayland"
		}
	}
	if a.PipeWire {
		if err := needRuntime("access.pipewire", "PipeWire"); err != nil {
			return err
		}
		bind(path.Join(h.XDGRuntimeDir, "pipewire-0"), path.Join(runInside, "pipewire-0"), "optional", "create=file")
	}
	if a.PulseAudio {
		// The launcher asks the user's sound server for a socket of this
		// container's own in the runtime dir (run/pulse/native).
		plan.PulseSocket = path.Join(plan.RunDir, "pulse", "native")
		env["PULSE_SERVER"] = "unix:" + path.Join(runInside, "pulse", "native")
		env["PULSE_CLIENTCONFIG"] = path.Join(runInside, "pulse", "client.conf")
	}
	return nil
}

// accessDevices binds the device nodes the profile switches on. Nodes are
// optional: a missing webcam or sound card never stops the container.
func accessDevices(p *Profile, h *Host, bind func(string, string, ...string)) {
	a := p.Access
	if a.GPU {
		bind("/dev/dri", "/dev/dri", "optional", "create=dir")
		for _, n := range h.Devices.NVIDIA {
			bind(n, n, "optional", "create=file")
		}
	}
	if a.Sound {
		bind("/dev/snd", "/dev/snd", "optional", "create=dir")
	}
	if a.Webcam {
		for _, n := range h.Devices.Video {
			bind(n, n, "optional", "create=file")
		}
	}
	if a.Input {
		for _, n := range h.Devices.Joysticks {
			bind(n, n, "optional", "create=file")
		}
	}
	if a.UInput {
		bind("/dev/uinput", "/dev/uinput", "optional", "create=file")
	}
}

// HomeLink is the link that makes the host home path lead to the app's
// home inside (see Attach.HostCwd): the link's path relative to the
// rootfs and its relative target; ok is false when no link is needed or
// possible.
func HomeLink(hostHome, home string) (link, target string, ok bool) {
	hostHome = path.Clean(hostHome)
	if !path.IsAbs(hostHome) || hostHome == "/" || hostHome == home || strings.HasPrefix(home, hostHome+"/") {
		return "", "", false
	}
	for _, sys := range []string{"/proc", "/sys", "/dev", "/run", "/tmp", "/usr", "/etc"} {
		if hostHome == sys || strings.HasPrefix(hostHome, sys+"/") {
			return "", "", false
		}
	}
	rel, err := relPath(path.Dir(hostHome), home)
	if err != nil {
		return "", "", false
	}
	return strings.TrimPrefix(hostHome, "/"), rel, true
}

// relPath is filepath.Rel for slash paths.
func relPath(from, to string) (string, error) {
	f := strings.Split(strings.Trim(from, "/"), "/")
	t := strings.Split(strings.Trim(to, "/"), "/")
	if from == "/" {
		f = nil
	}
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(f)-i+len(t)-i)
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	if len(parts) == 0 {
		return ".", nil
	}
	return strings.Join(parts, "/"), nil
}

// secretDirs are home-relative paths whose content is a credential.
var secretDirs = []string{".ssh", ".gnupg", ".pki", ".aws", ".kube", ".docker", ".password-store", ".netrc", ".local/share/keyrings", ".mozilla", ".config/chromium", ".config/google-chrome"}

// sensitive explains why sharing hostAbs would expose the user's secrets
// or lxcage's own policy, or returns "".
func sensitive(hostAbs string, h *Host) string {
	p := path.Clean(hostAbs)
	within := func(parent string) bool {
		parent = path.Clean(parent)
		return p == parent || strings.HasPrefix(p, strings.TrimSuffix(parent, "/")+"/")
	}
	contains := func(child string) bool { // p is child or an ancestor of it
		child = path.Clean(child)
		return p == child || p == "/" || strings.HasPrefix(child, p+"/")
	}
	switch {
	case p == "/":
		return "the whole host filesystem"
	case p == path.Clean(h.Home):
		return "your whole home directory"
	}
	for _, s := range secretDirs {
		if within(path.Join(h.Home, s)) {
			return "your credentials in ~/" + s
		}
	}
	configHome := orDefault(h.ConfigHome, path.Join(h.Home, ".config"))
	// Policy paths: refused when shared themselves, inside or above.
	guarded := map[string]string{
		path.Join(configHome, "lxcage"): "lxcage's profiles, so it could rewrite its own sandbox",
		path.Join(configHome, "lxc"):    "your LXC configuration",
		h.LXCPath:                       "the LXC containers and their configs",
	}
	if h.StateDir != "" {
		guarded[path.Dir(h.StateDir)] = "lxcage's runtime state"
	}
	for _, g := range sortedKeys(guarded) {
		if g != "" && (contains(g) || within(g)) {
			return guarded[g]
		}
	}
	if contains(configHome) {
		return "your whole ~/.config, including lxcage's profiles"
	}
	for _, sys := range []string{"/etc", "/root", "/proc", "/sys", "/dev", "/boot", "/run/user", "/run/dbus", "/run/docker.sock", "/var/run"} {
		if within(sys) {
			return "the host's " + sys
		}
	}
	return ""
}

// skeleton lists the rootfs of a host-image container.
func skeleton(p *Profile, h *Host) *Skeleton {
	s := &Skeleton{}
	for _, d := range []string{"dev", "etc", "home", "mnt", "opt", "proc", "root", "run", "sys", "tmp", "usr", "var", "var/cache", "var/lib", "var/log", "var/tmp"} {
		mode := uint32(0o755)
		switch d {
		case "tmp", "var/tmp":
			mode = 0o1777
		case "root":
			mode = 0o700
		}
		s.Dirs = append(s.Dirs, SkelDir{Path: d, Mode: mode})
	}
	for _, d := range sortedKeys(h.HostEtc) {
		if h.HostEtc[d] {
			s.Dirs = append(s.Dirs, SkelDir{Path: "etc/" + d, Mode: 0o755})
		} else {
			s.Files = append(s.Files, SkelFile{Path: "etc/" + d, Mode: 0o644})
		}
	}
	s.Dirs = append(s.Dirs, SkelDir{Path: "home/" + p.User, Mode: 0o700, User: true})
	if link, target, ok := HomeLink(h.Home, p.Home()); ok {
		for d := path.Dir(link); d != "." && d != "/" && d != "home"; d = path.Dir(d) {
			s.Dirs = append(s.Dirs, SkelDir{Path: d, Mode: 0o755})
		}
		sort.SliceStable(s.Dirs, func(i, j int) bool { return strings.Count(s.Dirs[i].Path, "/") < strings.Count(s.Dirs[j].Path, "/") })
		s.Links = append(s.Links, SkelLink{Path: link, Target: target})
	}
	for _, l := range h.UsrLinks {
		s.Links = append(s.Links, SkelLink{Path: l, Target: "usr/" + l})
	}
	for _, d := range h.RootDirs {
		s.Dirs = append(s.Dirs, SkelDir{Path: d, Mode: 0o755})
	}
	s.Links = append(s.Links, SkelLink{Path: "var/run", Target: "../run"})

	u, g := strconv.Itoa(h.UID), strconv.Itoa(h.GID)
	passwd := "root:x:0:0:root:/root:/bin/sh\n" +
		p.User + ":x:" + u + ":" + g + ":" + p.User + ":" + p.Home() + ":/bin/sh\n"
	group := "root:x:0:\n" + p.User + ":x:" + g + ":\n"
	if h.UID != 65534 {
		passwd += "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	}
	if h.GID != 65534 {
		group += "nogroup:x:65534:\n"
	}
	id := sha256.Sum256([]byte(h.LXCPath + "\x00" + p.Name + "\x00" + u))
	files := []SkelFile{
		{"etc/passwd", 0o644, passwd},
		{"etc/group", 0o644, group},
		{"etc/shadow", 0o640, "root:*:1::::::\n" + p.User + ":*:1::::::\n"},
		{"etc/hostname", 0o644, p.Name + "\n"},
		{"etc/hosts", 0o644, "127.0.0.1\tlocalhost\n127.0.1.1\t" + p.Name + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
		{"etc/nsswitch.conf", 0o644, "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"},
		{"etc/machine-id", 0o444, hex.EncodeToString(id[:16]) + "\n"},
		{"etc/shells", 0o644, "/bin/sh\n/bin/bash\n/usr/bin/bash\n"},
	}
	if p.Access.Network != NetworkHost {
		files = append(files, SkelFile{"etc/resolv.conf", 0o644, "# no DNS: this container's network is " + p.Access.Network + "\n"})
	} else {
		files = append(files, SkelFile{"etc/resolv.conf", 0o644, ""})
	}
	s.Files = append(s.Files, files...)
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	return s
}
