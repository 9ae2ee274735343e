package profiles

import (
	"strings"

	"github.com/lxcage/lxcage/sandbox"
)

// Host holds every fact about the machine and the calling user that
// Compile needs. hostfacts.Detect fills it from the running system; tests set it
// by hand so that compiling is reproducible anywhere.
type Host struct {
	// UID, GID, UserName and Home describe the calling user.
	UID      int
	GID      int
	UserName string
	Home     string

	// SubUIDs and SubGIDs are the user's subordinate ranges from
	// /etc/subuid and /etc/subgid.
	SubUIDs []sandbox.IDRange
	SubGIDs []sandbox.IDRange

	// LXCPath is the directory holding containers (lxc-config lxc.lxcpath
	// or the -P flag).
	LXCPath string
	// StateDir holds lxcage's runtime state for the containers of LXCPath:
	// $XDG_RUNTIME_DIR/lxcage/<hash of LXCPath>. StateDir/NAME/run becomes
	// the container's XDG_RUNTIME_DIR.
	StateDir string
	// CacheDir is $XDG_CACHE_HOME (default logs go under it) and
	// ConfigHome $XDG_CONFIG_HOME.
	CacheDir   string
	ConfigHome string
	// Lang is the caller's $LANG, passed to the app.
	Lang string

	// Display is $DISPLAY and XSocket the X server's Unix socket for it
	// ("" when the display is not a local socket); XAuthority is
	// $XAUTHORITY ("": ~/.Xauthority).
	Display    string
	XSocket    string
	XAuthority string

	// Cgroup2 is true when the resource controllers live in the unified
	// hierarchy (cgroup v2); false on v1 or hybrid hosts.
	Cgroup2 bool
	// OverlayOK is true when an unprivileged user may mount overlayfs
	// (Linux 5.11 and later), so clones can be snapshots.
	OverlayOK bool
	// SwapAccounting is true when memory cgroups account swap, so a
	// memory limit can cover swap too.
	SwapAccounting bool
	// AppArmor is true when the kernel has AppArmor enabled.
	AppArmor bool
	// AppArmorShipped is true when LXC's own AppArmor profiles are on the
	// system (loaded at boot by the apparmor service), so a container can
	// switch into one: see defaultAppArmor.
	AppArmorShipped bool
	// UsrLinks are the top-level names that are symlinks into /usr on a
	// merged-/usr host ("bin", "lib64", …); a host-image rootfs gets the
	// same links. RootDirs are those that are real directories on an
	// older host; they are bound in read-only.
	UsrLinks []string
	RootDirs []string
	// HostEtc has an entry for each /etc entry a host-image container of
	// EtcCommand binds (hostfacts.HostEtc): true for a directory, false
	// for a file.
	HostEtc map[string]bool
	// EtcCommand is the command whose packages' /etc entries HostEtc
	// holds ("": HostEtcFiles only).
	EtcCommand string
	// InitPath is LXC's static init on the host (init.lxc.static).
	InitPath string
	// SeccompDefault is LXC's shipped default seccomp policy.
	SeccompDefault string
	// LXCBridge is the bridge that bridged networking attaches to.
	LXCBridge string

	// XDGRuntimeDir is the user's own runtime dir, where the session's
	// sockets live (wayland-0, pipewire-0, pulse/native).
	XDGRuntimeDir string
	// PulseSocket is the user's sound server's socket ($PULSE_SERVER's
	// path, else XDGRuntimeDir/pulse/native): PulseAudio or
	// pipewire-pulse.
	PulseSocket string
	// Bwrap is bubblewrap, which confines a container's sound server
	// ("" when not installed: the server then runs unconfined).
	Bwrap string
	// SessionBus is $DBUS_SESSION_BUS_ADDRESS.
	SessionBus string
	// WaylandDisplay is $WAYLAND_DISPLAY: a socket name in XDGRuntimeDir
	// or an absolute path.
	WaylandDisplay string
	// Devices are the device nodes present at launch.
	Devices Devices
	// Lxcage is the lxcage binary, which LXC runs as the mount hook of
	// containers with read-only recursive binds.
	Lxcage string
	// MemTotal is the machine's RAM in bytes (0 when unknown): the
	// default memory limit is half of it.
	MemTotal int64
}

// Devices lists the host's device nodes the access switches hand out.
type Devices struct {
	// Video are the webcam nodes (/dev/video*).
	Video []string
	// Joysticks are game controllers: /dev/input/js* and the event nodes
	// of joysticks.
	Joysticks []string
	// HidRaw are the raw HID nodes of game controllers (/dev/hidraw*):
	// Steam talks to its controllers, DualShocks and Switch pads there.
	// Other HID devices (keyboards, security keys) are left out.
	HidRaw []string
	// Udev is true when the host has udev's device database (/run/udev),
	// which SDL and Steam read to tell controllers apart.
	Udev bool
	// NVIDIA are the proprietary driver's nodes (/dev/nvidia*), bound
	// with /dev/dri for gpu = true.
	NVIDIA []string
}

// HostEtcFiles are the host /etc entries every host-image container
// binds read-only: what GUI programs need to find fonts, libraries,
// themes, certificates, the time zone and the system's tables of
// services and protocols. Nothing here holds secrets. A container also
// gets the /etc entries of its command's packages (hostfacts.HostEtc).
var HostEtcFiles = []string{
	"alternatives",
	"ca-certificates",
	"dconf",
	"fonts",
	"gai.conf",
	"gtk-2.0",
	"gtk-3.0",
	"host.conf",
	"ld.so.cache",
	"ld.so.conf",
	"ld.so.conf.d",
	"locale.alias",
	"localtime",
	"mailcap",
	"mime.types",
	"networks",
	"os-release",
	"pki",
	"protocols",
	"pulse",
	"services",
	"ssl",
	"timezone",
	"vulkan",
	"X11",
	"xdg",
}

// NeverEtc are the host /etc entries no container gets, whatever package
// claims them: secrets and the files that say who and where the host is
// (password hashes, host keys, sudo rules, network and Wi-Fi
// credentials, keytabs, disk layout), and the files the container has of
// its own (passwd, hosts, machine-id…, from the skeleton).
var NeverEtc = map[string]bool{
	// Accounts and privilege.
	"shadow": true, "shadow-": true, "gshadow": true, "gshadow-": true, "passwd-": true, "group-": true,
	"subuid": true, "subuid-": true, "subgid": true, "subgid-": true,
	"sudoers": true, "sudoers.d": true, "sudo.conf": true, "security": true, "pam.d": true, "polkit-1": true,
	// Host identity and remote access.
	"ssh": true, "krb5.keytab": true, "ldap.secret": true, "sssd": true,
	// Networks and their credentials.
	"NetworkManager": true, "wpa_supplicant": true, "ppp": true, "wireguard": true, "openvpn": true,
	"ipsec.secrets": true, "ipsec.d": true, "netplan": true, "iwd": true, "network": true,
	// Disks, containers, package sources and their credentials.
	"fstab": true, "crypttab": true, "lxc": true, "docker": true, "libvirt": true, "apt": true, "cups": true,
	// The container's own (the skeleton writes them).
	"passwd": true, "group": true, "hostname": true, "hosts": true, "nsswitch.conf": true,
	"machine-id": true, "resolv.conf": true, "shells": true,
}

// EtcBindable reports whether a top-level /etc entry name may be bound
// into a host-image container: a plain name, not in NeverEtc.
func EtcBindable(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00\n") && !NeverEtc[name]
}

// IDRange is one line of /etc/subuid or /etc/subgid (the sandbox's word,
// so that callers that build a Host need not import the mechanism).
type IDRange = sandbox.IDRange
