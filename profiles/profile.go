// Package profiles loads, validates, saves and compiles lxcage profiles.
//
// A profile is a small TOML file that says which program to run, in which
// image, and what it may reach on the host. Compile translates a validated
// profile plus the facts of a host (Host, gathered by package hostfacts)
// into a Plan: the unprivileged LXC container config in the sandbox's
// words, the rootfs source and build, and the ordered host operations
// (services) of a launch. Compile is pure: the same profile and host always
// give the same plan, which the golden files under testdata pin down. This
// package is the policy; sandbox and services are the mechanism.
//
// Every value in a profile is treated as hostile input: it ends up in LXC
// config lines, mount entries and desktop Exec lines, so validation refuses
// anything that could add a line, escape the rootfs or smuggle a flag.
package profiles

// Profile is one sandboxed application. The zero value of every field
// means "unset"; Defaults fills in what an unset field means.
type Profile struct {
	// Name is the profile's name, taken from its file name (NAME.toml).
	// It names the container too.
	Name string `toml:"-"`
	// Description is one line for humans (menus, `lxcage list`).
	Description string `toml:"description,omitempty"`
	// Command is the program and its arguments, as an argv list.
	Command []string `toml:"command"`
	// User is the account inside the container that runs the app. It has
	// the caller's own uid and gid.
	User string `toml:"user,omitempty"`
	// Mode is "app" (a tiny waiting init) or "system" (the image's init).
	Mode string `toml:"mode,omitempty"`

	Image    Image             `toml:"image,omitempty"`
	Setup    Setup             `toml:"setup,omitempty"`
	Access   Access            `toml:"access,omitempty"`
	Env      map[string]string `toml:"env,omitempty"`
	Shares   []Share           `toml:"share,omitempty"`
	Limits   Limits            `toml:"limits,omitempty"`
	Security Security          `toml:"security,omitempty"`
	Desktop  Desktop           `toml:"desktop,omitempty"`
	Log      Log               `toml:"log,omitempty"`
}

// Image says where the container's root filesystem comes from.
type Image struct {
	// Type is host, download, local, debootstrap or clone.
	Type string `toml:"type,omitempty"`

	// download
	Dist    string `toml:"dist,omitempty"`
	Release string `toml:"release,omitempty"`
	Arch    string `toml:"arch,omitempty"`
	Variant string `toml:"variant,omitempty"`
	Server  string `toml:"server,omitempty"`

	// local
	Rootfs   string `toml:"rootfs,omitempty"`
	Metadata string `toml:"metadata,omitempty"`

	// debootstrap (Variant is shared with download)
	Suite      string   `toml:"suite,omitempty"`
	Mirror     string   `toml:"mirror,omitempty"`
	Components []string `toml:"components,omitempty"`
	// Updates "none" builds without the distribution's update and
	// security archives (a pinned snapshot mirror, a mirror without
	// them); by default they are added and their fixes installed.
	Updates string `toml:"updates,omitempty"`

	// clone
	Base string `toml:"base,omitempty"`
}

// Setup runs once, as root inside the container, after it is created.
type Setup struct {
	Packages []string   `toml:"packages,omitempty"`
	Debs     []string   `toml:"debs,omitempty"`
	URLs     []URL      `toml:"urls,omitempty"`
	Run      [][]string `toml:"run,omitempty"`
}

// URL is a file downloaded inside the container during setup; the
// checksum is required so a compromised server cannot swap it.
type URL struct {
	URL    string `toml:"url"`
	SHA256 string `toml:"sha256"`
}

// Access lists what the app may reach on the host. Everything is off
// unless switched on.
type Access struct {
	// X11 is "" (none), "proxy" (true in a file: lxcage's filtering
	// proxy), "nested", "trusted" or "untrusted".
	X11 X11Mode `toml:"x11,omitempty"`
	// Clipboard is what the proxy lets through: "on-input" (default: the
	// app reads your selections only right after input to its own
	// windows), "none" or "full".
	Clipboard  string `toml:"clipboard,omitempty"`
	Wayland    bool   `toml:"wayland,omitempty"`
	PulseAudio bool   `toml:"pulseaudio,omitempty"`
	// Microphone lets the app record the user's default source through
	// its sound server (pulseaudio = true); without it a recording inside
	// captures silence.
	Microphone bool `toml:"microphone,omitempty"`
	PipeWire   bool `toml:"pipewire,omitempty"`
	GPU        bool `toml:"gpu,omitempty"`
	Sound      bool `toml:"sound,omitempty"`
	Webcam     bool `toml:"webcam,omitempty"`
	Input      bool `toml:"input,omitempty"`
	// UInput lets the app create virtual input devices (/dev/uinput),
	// which Steam needs for controller remapping; it can also type into
	// any window, so it is separate from Input.
	UInput   bool     `toml:"uinput,omitempty"`
	DBus     string   `toml:"dbus,omitempty"`
	DBusTalk []string `toml:"dbus_talk,omitempty"`
	Network  string   `toml:"network,omitempty"`
	// ForwardHostPorts are TCP ports of the host's loopback the app may
	// reach at 127.0.0.1 with network = "nat" (631 for CUPS); no other
	// host service is reachable.
	ForwardHostPorts []int `toml:"forward_host_ports,omitempty"`
	// Require lists the switches the app cannot do without: when the host
	// lacks one at launch (no sound server, no Wayland socket), the launch
	// fails instead of running the app without it, with a warning.
	Require []string `toml:"require,omitempty"`
}

// Share is a host path bind-mounted into the container.
type Share struct {
	// Host is the path on the host; "~" means the caller's home.
	Host string `toml:"host"`
	// Path is where it appears inside; default: Host with the home
	// directory moved to the container user's home.
	Path     string `toml:"path,omitempty"`
	Readonly bool   `toml:"readonly,omitempty"`
	// Optional lets the container start when Host does not exist.
	Optional bool `toml:"optional,omitempty"`
	// AllowSensitive must be set to share the home itself, ~/.ssh,
	// ~/.config and the like.
	AllowSensitive bool `toml:"allow_sensitive,omitempty"`
}

// Limits are cgroup limits for the whole container.
type Limits struct {
	// Memory is a size such as "512M" or "4G".
	Memory string `toml:"memory,omitempty"`
	// Pids caps the number of processes and threads.
	Pids int64 `toml:"pids,omitempty"`
	// CPUWeight is the relative CPU share, 1–10000 (100 is the default).
	CPUWeight int64 `toml:"cpu_weight,omitempty"`
}

// Security holds the confinement knobs beyond the user namespace.
type Security struct {
	// DropCaps are capability names without the cap_ prefix.
	DropCaps []string `toml:"drop_caps,omitempty"`
	// AppArmor is "generated", "unconfined" or a profile name.
	AppArmor string `toml:"apparmor,omitempty"`
	// Seccomp is "default", "none" or an absolute path to an LXC policy.
	Seccomp string `toml:"seccomp,omitempty"`
	// NoNewPrivs (default true) stops setuid binaries from gaining
	// privileges inside; false lets them (sudo inside a system container).
	NoNewPrivs *bool `toml:"no_new_privs,omitempty"`
	// UserNS lets the app create user namespaces, as Chromium's and
	// Chrome's own sandbox do (they never mount); off by default, since
	// nested namespaces widen the kernel's attack surface.
	UserNS bool `toml:"userns,omitempty"`
	// NestedSandbox lets the app build a sandbox of its own as bwrap,
	// Flatpak and Steam's pressure-vessel do: user namespaces (it implies
	// UserNS) and mounts inside them, with a procfs they may mount. See
	// docs/security.md for what that gives away.
	NestedSandbox bool `toml:"nested_sandbox,omitempty"`
}

// Desktop describes the generated menu entry.
type Desktop struct {
	Name       string   `toml:"name,omitempty"`
	Comment    string   `toml:"comment,omitempty"`
	Icon       string   `toml:"icon,omitempty"`
	Categories []string `toml:"categories,omitempty"`
	MimeTypes  []string `toml:"mime_types,omitempty"`
	Keywords   []string `toml:"keywords,omitempty"`
	WMClass    string   `toml:"wm_class,omitempty"`
}

// Log is LXC's own log for the container.
type Log struct {
	File  string `toml:"file,omitempty"`
	Level string `toml:"level,omitempty"`
}

// Values of the enumerated keys.
const (
	ModeApp    = "app"
	ModeSystem = "system"

	ImageHost        = "host"
	ImageDownload    = "download"
	ImageLocal       = "local"
	ImageDebootstrap = "debootstrap"
	ImageClone       = "clone"

	NetworkOff    = "off"
	NetworkNat    = "nat"
	NetworkHost   = "host"
	NetworkBridge = "bridge"

	ClipboardOnInput = "on-input"
	ClipboardNone    = "none"
	ClipboardFull    = "full"

	DBusNone     = "none"
	DBusFiltered = "filtered"
	DBusFull     = "full"

	DefaultUser = "user"
)

// Defaults fills unset fields with what they mean, so later stages never
// have to know the defaults. It does not touch fields that are set.
func (p *Profile) Defaults() {
	if p.User == "" {
		p.User = DefaultUser
	}
	if p.Mode == "" {
		p.Mode = ModeApp
	}
	if p.Image.Type == "" {
		p.Image.Type = ImageHost
	}
	if p.Access.Network == "" {
		p.Access.Network = NetworkOff
	}
	if p.Access.DBus == "" {
		p.Access.DBus = DBusNone
	}
	if p.Security.Seccomp == "" {
		p.Security.Seccomp = "default"
	}
	if p.Log.Level == "" {
		p.Log.Level = "ERROR"
	}
}

// Home is the app user's home directory inside the container.
func (p *Profile) Home() string { return "/home/" + p.userOrDefault() }

func (p *Profile) userOrDefault() string {
	if p.User == "" {
		return DefaultUser
	}
	return p.User
}
