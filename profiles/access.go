package profiles

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/dbus"
	"github.com/lxcage/lxcage/services/dhcp"
	"github.com/lxcage/lxcage/services/nested"
	"github.com/lxcage/lxcage/services/net"
	"github.com/lxcage/lxcage/services/sound"
	"github.com/lxcage/lxcage/services/x11"
)

// SwitchKind is the shape of an access switch's value.
type SwitchKind int

// Kinds of access switches.
const (
	// SwitchBool is on or off.
	SwitchBool SwitchKind = iota
	// SwitchChoice is one of Values.
	SwitchChoice
	// SwitchList is a list of words (bus names).
	SwitchList
	// SwitchPorts is a list of TCP port numbers.
	SwitchPorts
)

// Risk is the line shown under an access switch: what the app gains,
// said as what it could do to you. High marks what an untrusted app
// should not be given lightly.
type Risk struct {
	Text string
	High bool
}

// Needs are the host facts a switch or a profile needs gathered before
// it compiles; the rest are skipped on a launch's hot path.
type Needs struct {
	// Devices: the device nodes of gpu, webcam and input.
	Devices bool
	// HostRoot: the host's top-level layout and /etc entries (host image).
	HostRoot bool
	// Command is the program whose packages' /etc entries a host-image
	// container binds (with HostRoot).
	Command string
	// Swap: whether memory cgroups account swap (memory limits).
	Swap bool
}

// Readiness is what a switch's host check found: a line of `lxcage
// check` and of the editor's host page.
type Readiness struct {
	Name   string
	OK     bool
	Detail string
	Fix    string
}

// Probe answers a host check's questions about the running system. The
// host check (package hostcheck) implements it; the table stays pure.
type Probe interface {
	// Socket reports whether a Unix socket exists at path.
	Socket(path string) bool
	// Dial connects to the Unix socket at path.
	Dial(path string) error
	// Devices globs device nodes and names those the user's uid cannot
	// reach (group access does not cross into a container).
	Devices(glob string) (found int, blocked []string)
	// Installed reports whether a program is on PATH.
	Installed(program string) bool
	// Exists reports whether a path exists.
	Exists(path string) bool
	// ReadFile reads a small file ("" when unreadable).
	ReadFile(path string) string
}

// AccessSwitch is one key of [access] and everything lxcage knows about
// it: how the editor shows it, what it risks, what the host must have,
// how it compiles. The editor, the host check, the compiler and the
// docs iterate AccessSwitches; adding a switch is adding an entry.
type AccessSwitch struct {
	// Key is the TOML key under [access].
	Key string
	// Label names it in the editor; Group is the editor's heading.
	Label, Group string
	// Kind is its value's shape; Values the words of a Choice.
	Kind   SwitchKind
	Values []string
	// Doc is the editor's hint for a List.
	Doc string
	// Risks explain each value ("true"/"false" for a Bool).
	Risks map[string]Risk
	// Needs are the host facts it needs when on.
	Needs Needs
	// Get and Set read and write the value as a word ("true"/"false"
	// for a Bool); GetList points at a List's value.
	Get      func(*Access) string
	Set      func(*Access, string)
	GetList  func(*Access) *[]string
	GetPorts func(*Access) *[]int
	// Check says whether the host is ready for it (nil: nothing to
	// check).
	Check func(h *Host, pr Probe) []Readiness
	// compile adds its config lines, mounts, environment and services.
	compile func(c *compiler) error
}

// On reports whether the switch is on in a.
func (s AccessSwitch) On(a *Access) bool {
	switch s.Kind {
	case SwitchList:
		return len(*s.GetList(a)) > 0
	case SwitchPorts:
		return len(*s.GetPorts(a)) > 0
	case SwitchChoice:
		v := s.Get(a)
		return v != "" && v != s.Values[0]
	}
	return s.Get(a) == "true"
}

// Groups of the editor's access page, in order.
const (
	GroupDisplay  = "Display"
	GroupDevices  = "Devices and services"
	GroupDBusNet  = "D-Bus and network"
	x11OffWord    = "off"
	boolTrueWord  = "true"
	boolFalseWord = "false"
)

// AccessSwitchNamed is the entry of AccessSwitches for key; a key not
// in the table is a programming error (it panics).
func AccessSwitchNamed(key string) AccessSwitch {
	for _, s := range AccessSwitches {
		if s.Key == key {
			return s
		}
	}
	panic("profiles: no access switch " + key)
}

func boolWord(b bool) string {
	if b {
		return boolTrueWord
	}
	return boolFalseWord
}

// boolSwitch builds a Bool switch over the field field points at.
func boolSwitch(key, label, group string, field func(*Access) *bool, on Risk) AccessSwitch {
	return AccessSwitch{
		Key: key, Label: label, Group: group, Kind: SwitchBool,
		Risks: map[string]Risk{boolTrueWord: on, boolFalseWord: {Text: on.Text}},
		Get:   func(a *Access) string { return boolWord(*field(a)) },
		Set:   func(a *Access, v string) { *field(a) = v == boolTrueWord },
	}
}

// AccessSwitches are the [access] keys in compile order (the order their
// mounts appear in a config); the editor shows them by Group.
var AccessSwitches = []AccessSwitch{
	x11Switch(),
	clipboardSwitch(),
	dbusSwitch(),
	dbusTalkSwitch(),
	waylandSwitch(),
	pulseSwitch(),
	microphoneSwitch(),
	pipewireSwitch(),
	deviceSwitch("gpu", "GPU", func(a *Access) *bool { return &a.GPU },
		Risk{"Fast graphics and video (/dev/dri), at the cost of a large kernel driver to attack.", false},
		func(c *compiler) {
			c.resource("gpu", "the GPU", "/dev/dri", "install your GPU's driver, or set gpu = false")
			c.bind("/dev/dri", "/dev/dri", "optional", "create=dir")
			for _, n := range c.h.Devices.NVIDIA {
				c.bind(n, n, "optional", "create=file")
			}
		}, "/dev/dri/*", "render/video"),
	deviceSwitch("sound", "Sound devices", func(a *Access) *bool { return &a.Sound },
		Risk{"Raw sound cards (/dev/snd): records the microphone without asking any sound server.", true},
		func(c *compiler) {
			c.resource("sound", "sound devices", "/dev/snd", "set sound = false, or use pulseaudio = true")
			c.bind("/dev/snd", "/dev/snd", "optional", "create=dir")
		}, "/dev/snd/*", "audio"),
	deviceSwitch("webcam", "Webcam", func(a *Access) *bool { return &a.Webcam },
		Risk{"Sees through your cameras (/dev/video*).", true},
		func(c *compiler) {
			for _, n := range c.h.Devices.Video {
				c.bind(n, n, "optional", "create=file")
			}
		}, "/dev/video*", "video"),
	deviceSwitch("input", "Game controllers", func(a *Access) *bool { return &a.Input },
		Risk{"Reads joysticks and gamepads (their /dev/input and /dev/hidraw nodes) and the host's device list (/run/udev).", false},
		func(c *compiler) {
			for _, n := range append(append([]string(nil), c.h.Devices.Joysticks...), c.h.Devices.HidRaw...) {
				c.bind(n, n, "optional", "create=file")
			}
			if c.h.Devices.Udev {
				c.bind("/run/udev", "/run/udev", "ro", "optional", "create=dir")
			}
		}, "", ""),
	deviceSwitch("uinput", "Virtual input devices", func(a *Access) *bool { return &a.UInput },
		Risk{"Creates virtual keyboards and mice (/dev/uinput), which can type into any window: Steam needs it to remap controllers.", true},
		func(c *compiler) { c.bind("/dev/uinput", "/dev/uinput", "optional", "create=file") }, "", ""),
	networkSwitch(),
	forwardSwitch(),
	requireSwitch(),
}

func forwardSwitch() AccessSwitch {
	return AccessSwitch{
		Key: "forward_host_ports", Label: "Host ports", Group: GroupDBusNet, Kind: SwitchPorts,
		Doc:      "With network = \"nat\": TCP ports of your localhost the app may reach (e.g. 631 for printing), separated by spaces.",
		GetPorts: func(a *Access) *[]int { return &a.ForwardHostPorts },
	}
}

// requireSwitch is the list of switches the app cannot do without.
func requireSwitch() AccessSwitch {
	return AccessSwitch{
		Key: "require", Label: "Required", Group: GroupDBusNet, Kind: SwitchList,
		Doc:     "Switches the app cannot run without, one per line (e.g. pulseaudio): when the host lacks one, the launch fails instead of running the app without it.",
		GetList: func(a *Access) *[]string { return &a.Require },
	}
}

// Requirable are the switches [access] require may name: those the
// host can lack at launch.
var Requirable = []string{"wayland", "pulseaudio", "pipewire", "gpu", "sound", "dbus"}

// deviceSwitch is a Bool switch that binds device nodes.
func deviceSwitch(key, label string, field func(*Access) *bool, on Risk, binds func(*compiler), glob, group string) AccessSwitch {
	s := boolSwitch(key, label, GroupDevices, field, on)
	s.Needs = Needs{Devices: key == "gpu" || key == "webcam" || key == "input"}
	s.compile = func(c *compiler) error {
		if *field(&c.p.Access) {
			binds(c)
		}
		return nil
	}
	if glob != "" {
		s.Check = func(h *Host, pr Probe) []Readiness { return []Readiness{deviceReadiness(h, pr, key, glob, group)} }
	}
	return s
}

// deviceReadiness says whether the user's uid reaches the nodes of a
// device switch: lxc-attach drops supplementary groups and a host group
// such as render or audio cannot be mapped without a subgid entry for
// it, so only ownership, an ACL entry for the uid (logind's uaccess) or
// world access pass through.
func deviceReadiness(h *Host, pr Probe, key, glob, group string) Readiness {
	found, blocked := pr.Devices(glob)
	r := Readiness{Name: "devices for " + key + " = true", OK: len(blocked) == 0}
	switch {
	case found == 0:
		r.Detail = "no " + glob + " on this machine (the switch binds nothing)"
	case len(blocked) == 0:
		r.Detail = fmt.Sprintf("%d node(s), reachable through your uid (owner, ACL or world access)", found)
	default:
		r.Detail = fmt.Sprintf("%s reachable only through the %s group, which the container cannot keep", strings.Join(blocked, " "), group)
		r.Fix = fmt.Sprintf("log in through a seat manager (logind gives you uaccess ACLs), or as root: setfacl -m u:%d:rw %s", h.UID, strings.Join(blocked, " "))
	}
	return r
}

// X11 words the editor shows.
var x11Words = []string{x11OffWord, string(X11Proxy), string(X11Nested), string(X11Trusted), string(X11Untrusted)}

// PipeWireRisk says what pipewire = true gives away: PipeWire 0.3 has no
// per-socket access control, so the app talks to the user's daemon
// itself, unmediated.
const PipeWireRisk = "Your PipeWire daemon itself, unmediated: the app can make it load a library of its choosing (code running as you, outside the sandbox), record microphones, other apps' sound, cameras and screen shares, change your audio settings and leave objects behind. Only for apps you would run unsandboxed."

// TrustedX11Risk says in one line what x11 = "trusted" gives away.
const TrustedX11Risk = "Full access to your display: it can read every window, log every key you type (passwords included) and type into other apps."

func x11Switch() AccessSwitch {
	return AccessSwitch{
		Key: "x11", Label: "X11", Group: GroupDisplay, Kind: SwitchChoice, Values: x11Words,
		Risks: map[string]Risk{
			x11OffWord:           {"No windows at all: for command-line and background tools.", false},
			string(X11Proxy):     {"Its own windows, at full speed, through lxcage's filtering proxy: it cannot see, read or drive other windows, log keys, or read your clipboard unless you paste.", false},
			string(X11Nested):    {"A private X server in a window of its own: cut off from your other windows.", false},
			string(X11Trusted):   {TrustedX11Risk, true},
			string(X11Untrusted): {"An untrusted cookie on your own X server: most extensions missing, and an X server that admits you by uid (as GNOME's does) ignores it — full access then.", true},
		},
		Get: func(a *Access) string {
			if a.X11 == X11Off {
				return x11OffWord
			}
			return string(a.X11)
		},
		Set: func(a *Access, v string) {
			if v == x11OffWord {
				v = ""
			}
			a.X11 = X11Mode(v)
		},
		Check:   x11Readiness,
		compile: compileX11,
	}
}

func x11Readiness(h *Host, pr Probe) []Readiness {
	r := Readiness{Name: "X display", Detail: "DISPLAY is not set", Fix: "run lxcage from your desktop session (DISPLAY=:0)"}
	if h.Display != "" {
		if h.XSocket == "" {
			r.Detail = fmt.Sprintf("DISPLAY=%s is not a local socket (remote displays cannot be bound into a container)", h.Display)
		} else if err := pr.Dial(h.XSocket); err != nil {
			r.Detail, r.Fix = fmt.Sprintf("DISPLAY=%s: %v", h.Display, err), "start your X server, or check DISPLAY"
		} else {
			r.OK, r.Detail, r.Fix = true, fmt.Sprintf("DISPLAY=%s, socket %s", h.Display, h.XSocket), ""
		}
	}
	trusted := Readiness{Name: `x11 = "trusted"`, OK: true, Detail: TrustedX11Risk}
	return []Readiness{r, trusted}
}

func compileX11(c *compiler) error {
	mode := c.p.Access.X11
	if !mode.On() {
		return nil
	}
	if c.h.XSocket == "" {
		return c.fail("access.x11", "DISPLAY %q is not a local X server socket; run lxcage inside a graphical session, or set x11 = false", c.h.Display)
	}
	if mode == X11Proxy {
		c.resource("x11", "windows", c.h.XSocket, "start your X server, or check DISPLAY")
		c.plan.Resources[len(c.plan.Resources)-1].Required = true
		c.use(&x11.Proxy{
			// Short: a socket path (DIR/X0) must fit in 107 bytes, and
			// the proxy binds SOCKET.PID before renaming it.
			Dir:     path.Join(path.Dir(c.plan.StateDir), "x11-"+shortHash(c.plan.StateDir)),
			Display: 0, Upstream: c.h.Display, Xauthority: c.h.XAuthority,
			Clipboard: orDefault(c.p.Access.Clipboard, ClipboardOnInput), GPU: c.p.Access.GPU,
			Log: path.Join(c.h.CacheDir, "lxcage", c.p.Name+"-x11.log"),
		})
		return nil
	}
	cookie, inside := path.Join(c.plan.ServiceDir, "Xauthority"), path.Join(c.runInside, "Xauthority")
	if mode == X11Nested {
		// The container's own X server (Xephyr, a window on the user's
		// display) gets a display number derived from the container, so
		// the config stays the same from start to start.
		title := c.p.Desktop.Name
		if title == "" {
			title = c.p.Name + " (lxcage)"
		}
		c.use(&nested.Xephyr{Display: NestedDisplay(c.h.LXCPath, c.p.Name), Title: title,
			ServerAuth: path.Join(c.plan.StateDir, "xephyr.auth"), CookieFile: cookie, InsideFile: inside})
		return nil
	}
	c.use(&x11.Cookie{Display: c.h.Display, Socket: c.h.XSocket, Trusted: mode == X11Trusted,
		File: cookie, InsideFile: inside})
	return nil
}

// shortHash is 8 hex digits naming s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

func clipboardSwitch() AccessSwitch {
	return AccessSwitch{
		Key: "clipboard", Label: "Clipboard", Group: GroupDisplay, Kind: SwitchChoice,
		Values: []string{ClipboardOnInput, ClipboardNone, ClipboardFull},
		Risks: map[string]Risk{
			ClipboardOnInput: {"It can copy out; it reads what you copied elsewhere only right after you press a key or click in its window (a paste).", false},
			ClipboardNone:    {"No clipboard either way: it cannot read yours, and you cannot paste what it copies.", false},
			ClipboardFull:    {"It reads your clipboard whenever it likes: passwords you copy from a password manager included.", true},
		},
		Get: func(a *Access) string { return orDefault(a.Clipboard, ClipboardOnInput) },
		Set: func(a *Access, v string) {
			if v == ClipboardOnInput {
				v = ""
			}
			a.Clipboard = v
		},
	}
}

func dbusSwitch() AccessSwitch {
	return AccessSwitch{
		Key: "dbus", Label: "D-Bus", Group: GroupDBusNet, Kind: SwitchChoice, Values: []string{DBusNone, DBusFiltered, DBusFull},
		Risks: map[string]Risk{
			DBusNone:     {"No session bus: no notifications, tray icons or portals.", false},
			DBusFiltered: {"Only the bus names listed below, through xdg-dbus-proxy.", false},
			DBusFull:     {"Your whole session bus: it can talk to any desktop service, the keyring included.", true},
		},
		Get:     func(a *Access) string { return orDefault(a.DBus, DBusNone) },
		Set:     func(a *Access, v string) { a.DBus = v },
		compile: compileDBus,
	}
}

func compileDBus(c *compiler) error {
	bus, inside := c.h.SessionBus, path.Join(c.runInside, "bus")
	switch c.p.Access.DBus {
	case DBusNone:
		// No session bus inside. Without an address, libdbus would
		// autolaunch a private bus through X11 (dbus-launch), a daemon
		// that outlives the app and keeps the container up; GTK's
		// accessibility bridge would look for a bus and warn.
		c.env["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"
		c.env["NO_AT_BRIDGE"] = "1"
		return nil
	case DBusFull, DBusFiltered:
		if !strings.HasPrefix(bus, "unix:") {
			c.env["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"
			return c.without("dbus", "a session bus", fmt.Sprintf("there is no session bus to share (DBUS_SESSION_BUS_ADDRESS is %q)", bus),
				"run lxcage from your desktop session")
		}
	}
	switch c.p.Access.DBus {
	case DBusFull:
		sock := busSocketPath(bus)
		if sock == "" {
			return c.fail("access.dbus", "the session bus %q is not a socket file that can be bound in; use dbus = \"filtered\"", bus)
		}
		c.resource("dbus", "a session bus", sock, "run lxcage from your desktop session")
		c.bind(sock, inside, "optional", "create=file")
		c.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + inside
	case DBusFiltered:
		c.useOptional("dbus", "a session bus", &dbus.Proxy{Address: bus, Socket: path.Join(c.plan.ServiceDir, "bus"), Inside: inside, InsideAddress: "unix:path=" + inside,
			Talk: append([]string(nil), c.p.Access.DBusTalk...)})
	}
	return nil
}

func dbusTalkSwitch() AccessSwitch {
	return AccessSwitch{
		Key: "dbus_talk", Label: "Bus names", Group: GroupDBusNet, Kind: SwitchList,
		Doc:     "With filtered D-Bus: the names the app may talk to, one per line.",
		GetList: func(a *Access) *[]string { return &a.DBusTalk },
	}
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

// required reports whether the profile lists key in [access] require.
func (c *compiler) required(key string) bool { return slices.Contains(c.p.Access.Require, key) }

// without handles a switch the host cannot serve now: an error when the
// profile requires it, else a warning of the plan and nothing given.
func (c *compiler) without(key, what, why, fix string) error {
	if c.required(key) {
		return &Error{File: c.file, Key: "access." + key, Msg: why, Fix: fix}
	}
	c.plan.Warnings = append(c.plan.Warnings, Warning{Without: what, Cause: why, Fix: fmt.Sprintf("%s; or list %q in [access] require to refuse to start instead", fix, key)})
	return nil
}

// resource records a host path a switch hands over, checked at launch.
func (c *compiler) resource(key, what, path, fix string) {
	c.plan.Resources = append(c.plan.Resources, Resource{Switch: key, What: what, Path: path, Required: c.required(key), Fix: fix})
}

// useOptional adds a service the app can run without, unless the
// profile requires the switch.
func (c *compiler) useOptional(key, what string, s services.Service) {
	if c.required(key) {
		c.use(s)
		return
	}
	c.use(services.Optional(s, what))
}

func socketReadiness(name, sock, fix string) func(h *Host, pr Probe) []Readiness {
	return func(h *Host, pr Probe) []Readiness {
		p := path.Join(h.XDGRuntimeDir, sock)
		return []Readiness{{Name: name, OK: pr.Socket(p), Detail: p, Fix: fix}}
	}
}

func waylandSwitch() AccessSwitch {
	s := boolSwitch("wayland", "Wayland", GroupDevices, func(a *Access) *bool { return &a.Wayland },
		Risk{"Shows windows through your Wayland compositor, which keeps other apps' windows and keys from it.", false})
	s.Check = func(h *Host, pr Probe) []Readiness {
		if h.WaylandDisplay == "" {
			return []Readiness{{Name: "Wayland (wayland = true)", OK: true, Detail: "not a Wayland session (WAYLAND_DISPLAY unset); x11 works"}}
		}
		return []Readiness{{Name: "Wayland (wayland = true)", OK: pr.Socket(waylandSocket(h)), Detail: waylandSocket(h), Fix: "run lxcage from your Wayland session"}}
	}
	s.compile = compileWayland
	return s
}

func waylandSocket(h *Host) string {
	if path.IsAbs(h.WaylandDisplay) {
		return h.WaylandDisplay
	}
	return path.Join(h.XDGRuntimeDir, h.WaylandDisplay)
}

func compileWayland(c *compiler) error {
	if !c.p.Access.Wayland {
		return nil
	}
	if c.h.WaylandDisplay == "" || c.h.XDGRuntimeDir == "" {
		return c.without("wayland", "Wayland", "WAYLAND_DISPLAY or XDG_RUNTIME_DIR is not set: this is not a Wayland session",
			"set wayland = false (x11 = true works on XWayland too)")
	}
	sock := waylandSocket(c.h)
	name := path.Base(sock)
	c.resource("wayland", "Wayland", sock, "run lxcage from your Wayland session")
	c.bind(sock, path.Join(c.runInside, name), "optional", "create=file")
	c.env["WAYLAND_DISPLAY"] = name
	c.env["XDG_SESSION_TYPE"] = "wayland"
	c.env["MOZ_ENABLE_WAYLAND"] = "1"
	// Toolkits try Wayland first, then X11 when the profile allows it.
	backends := map[string][2]string{"GDK_BACKEND": {"wayland,x11", "wayland"}, "QT_QPA_PLATFORM": {"wayland;xcb", "wayland"}, "SDL_VIDEODRIVER": {"wayland,x11", "wayland"}}
	for k, v := range backends {
		if c.p.Access.X11.On() {
			c.env[k] = v[0]
		} else {
			c.env[k] = v[1]
		}
	}
	return nil
}

func pulseSwitch() AccessSwitch {
	s := boolSwitch("pulseaudio", "Sound (PulseAudio)", GroupDevices, func(a *Access) *bool { return &a.PulseAudio },
		Risk{"Sound through a server of its own, shown in your mixer under the app's name; it records nothing of yours unless Microphone is on.", false})
	s.Check = func(h *Host, pr Probe) []Readiness {
		return []Readiness{
			{Name: "sound server (pulseaudio = true)", OK: pr.Socket(h.PulseSocket), Detail: h.PulseSocket, Fix: "start PulseAudio or pipewire-pulse (pactl info must answer)"},
			{Name: "pulseaudio daemon for the sound mediator", OK: pr.Installed("pulseaudio"), Detail: "each container gets a PulseAudio of its own, tunnelling to yours", Fix: "apt-get install pulseaudio (on a PipeWire desktop, mask its user units: systemctl --user mask pulseaudio.service pulseaudio.socket)"},
		}
	}
	s.compile = func(c *compiler) error {
		if !c.p.Access.PulseAudio {
			return nil
		}
		// A PulseAudio of the container's own, run as the user on the
		// host: module loading off, a tunnel to the user's server, the
		// microphone only when asked. Its directory has a short name: a
		// socket path must fit in 107 bytes.
		c.useOptional("pulseaudio", "sound", &sound.Service{
			Dir:    path.Join(path.Dir(c.plan.StateDir), "snd-"+shortHash(c.plan.StateDir)),
			Server: c.h.PulseSocket, RuntimeDir: c.runInside,
			App: appTitle(c.p), Icon: c.p.Desktop.Icon, Microphone: c.p.Access.Microphone, Bwrap: c.h.Bwrap,
		})
		return nil
	}
	return s
}

// appTitle is the app's name for the user: the menu entry's, or the
// profile's.
func appTitle(p *Profile) string { return orDefault(p.Desktop.Name, p.Name) }

func microphoneSwitch() AccessSwitch {
	return boolSwitch("microphone", "Microphone", GroupDevices, func(a *Access) *bool { return &a.Microphone },
		Risk{"Records your default microphone while the app records (with Sound).", true})
}

func pipewireSwitch() AccessSwitch {
	s := boolSwitch("pipewire", "PipeWire", GroupDevices, func(a *Access) *bool { return &a.PipeWire },
		Risk{PipeWireRisk, true})
	s.Check = socketReadiness("PipeWire (pipewire = true)", "pipewire-0", "start PipeWire (pipewire-0 in XDG_RUNTIME_DIR)")
	s.compile = func(c *compiler) error {
		if !c.p.Access.PipeWire {
			return nil
		}
		if c.h.XDGRuntimeDir == "" {
			return c.without("pipewire", "PipeWire", "XDG_RUNTIME_DIR is not set, so there is no PipeWire socket to share", "run lxcage from your desktop session")
		}
		sock := path.Join(c.h.XDGRuntimeDir, "pipewire-0")
		c.resource("pipewire", "PipeWire", sock, "start PipeWire (pipewire-0 in XDG_RUNTIME_DIR)")
		c.bind(sock, path.Join(c.runInside, "pipewire-0"), "optional", "create=file")
		return nil
	}
	return s
}

func networkSwitch() AccessSwitch {
	return AccessSwitch{
		Key: "network", Label: "Network", Group: GroupDBusNet, Kind: SwitchChoice, Values: []string{NetworkOff, NetworkNat, NetworkHost, NetworkBridge},
		Risks: map[string]Risk{
			NetworkOff:    {"No network at all.", false},
			NetworkNat:    {"The internet and your LAN through a network of its own (user-mode NAT): not your localhost, nor the host's own services and sockets.", false},
			NetworkHost:   {HostNetworkRisk, true},
			NetworkBridge: {"An address of its own on a bridge (lxcbr0): the internet and your LAN behind it, and the host's services that listen on all addresses; not those on localhost.", false},
		},
		Get:     func(a *Access) string { return orDefault(a.Network, NetworkOff) },
		Set:     func(a *Access, v string) { a.Network = v },
		Check:   bridgeReadiness,
		compile: compileNetwork,
	}
}

// compileNetwork: "off" is a namespace with only loopback: it also keeps
// the host's abstract X socket (@/tmp/.X11-unix/X0) out of reach.
func compileNetwork(c *compiler) error {
	cfg := &c.plan.Config
	switch c.p.Access.Network {
	case NetworkOff:
		cfg.Add("lxc.net.0.type", "empty")
	case NetworkNat:
		// A network namespace of its own with only loopback; after the
		// start, user-mode networking run as the user gives it a tap
		// interface to the host's networks (services/net), and the
		// resolver config names that network's DNS relay.
		cfg.Add("lxc.net.0.type", "empty")
		dir := path.Join(c.plan.ServiceDir, "net")
		t, _ := ImageTypeNamed(c.p.Image.Type)
		c.use(&net.ResolvConf{File: path.Join(dir, "resolv.conf"), Inside: net.ResolvInside, NoBind: c.build && !t.HostRoot})
		c.use(&net.Service{Dir: dir, ForwardTCP: append([]int(nil), c.p.Access.ForwardHostPorts...)})
	case NetworkHost:
		// Sharing the host's network namespace makes a fresh sysfs mount
		// fail with EPERM; bind the host's /sys instead.
		cfg.Add("lxc.net.0.type", "none")
		c.sysBind = true
	case NetworkBridge:
		cfg.Add("lxc.net.0.type", "veth")
		cfg.Add("lxc.net.0.link", orDefault(c.h.LXCBridge, "lxcbr0"))
		cfg.Add("lxc.net.0.flags", "up")
		cfg.Add("lxc.net.0.name", "eth0")
		if c.p.Mode == ModeApp {
			// An app container runs no DHCP client of its own: lxcage
			// runs one for it, in its namespaces, after the start.
			dir := path.Join(c.plan.ServiceDir, "dhcp")
			resolv := path.Join(dir, "resolv.conf")
			c.use(&dhcp.Resolv{File: resolv, Inside: net.ResolvInside})
			c.use(&dhcp.Client{Dir: dir, Interface: "eth0", ResolvFile: resolv})
		}
	}
	return nil
}

// HostNetworkRisk says in one line what network = "host" gives away.
const HostNetworkRisk = "Your own network namespace: the internet, your LAN, every service on localhost, and every abstract socket of the host — the X server's, a session bus, LXC's own — reachable as you."

func bridgeReadiness(h *Host, pr Probe) []Readiness {
	usernet := pr.ReadFile("/etc/lxc/lxc-usernet")
	ok := false
	for _, line := range strings.Split(usernet, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == h.UserName && f[1] == "veth" && f[2] == h.LXCBridge && f[3][0] >= '1' && f[3][0] <= '9' {
			ok = true
		}
	}
	return []Readiness{
		{Name: `network = "host"`, OK: true, Detail: HostNetworkRisk},
		{Name: `lxc-usernet (network = "bridge")`, OK: ok, Detail: "/etc/lxc/lxc-usernet entry for " + h.UserName,
			Fix: fmt.Sprintf("echo '%s veth %s 10' >> /etc/lxc/lxc-usernet (as root)", h.UserName, h.LXCBridge)},
		{Name: "bridge " + h.LXCBridge + ` (network = "bridge")`, OK: pr.Exists("/sys/class/net/" + h.LXCBridge), Detail: "the bridge LXC's lxc-net sets up",
			Fix: `as root: systemctl enable --now lxc-net (or set network = "host")`},
	}
}
