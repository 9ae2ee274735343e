package profiles

import (
	"fmt"
	"strings"
	"time"

	"github.com/lxcage/lxcage/sandbox"
	"github.com/lxcage/lxcage/services"
)

// Plan is everything a profile compiles to and everything a launch does:
// the container's LXC config and rootfs source, the build that provisions
// it, the ordered host operations around it (services), and how the app
// runs inside. It is data: the launcher carries it out without reading
// the profile again or deciding anything the profile decides.
type Plan struct {
	// Name is the profile's and the container's name.
	Name string
	// Config is the container's LXC config.
	Config sandbox.Config
	// ContainerDir is LXCPath/Name. Rootfs is the directory there the
	// container's own files live in (its rootfs, or the upper layer of an
	// overlay snapshot over RootfsLower).
	ContainerDir string
	Rootfs       string
	RootfsLower  string
	// Source says where the rootfs comes from when the container is
	// created.
	Source sandbox.RootfsSource
	// Files are written next to the config (name → content; "" removes),
	// such as the seccomp policy the config refers to.
	Files map[string]string
	// Build provisions the container when it is created (Provision) and
	// upgrades it (Upgradable); nil when neither applies.
	Build      *Build
	Provision  bool
	Upgradable bool
	// Services are the host operations of a launch, in the order they
	// start; they are undone in reverse.
	Services []services.Service
	// Resources are the host paths access switches hand over, checked at
	// launch: a missing one stops the launch when required, else the app
	// runs without it (Warnings say what a compile already left out).
	Resources []Resource
	Warnings  []Warning
	// Attach says how to run the app inside.
	Attach Attach
	// StateDir is the launcher-owned directory of this container's
	// runtime state. ServiceDir (in it) holds what services make for the
	// container (sockets, the X cookie, client configs): bound in file by
	// file, read-only where possible, never as a directory the container
	// could write. The container's XDG_RUNTIME_DIR is a tmpfs of its own.
	StateDir, ServiceDir string
	// LogFile and LogLevel are LXC's log for this container.
	LogFile, LogLevel string
	// Shares are the share sources, resolved.
	Shares []ResolvedShare
	// IDMap is the container's id map (uid entries, then gid entries).
	IDMap []sandbox.IDMapEntry
	// StopTimeout is how long the container gets to shut down cleanly
	// before it is killed; 0 kills at once (an app container's init only
	// waits).
	StopTimeout time.Duration
}

// Resource is a host path an access switch hands over.
type Resource struct {
	// Switch is the access key that asked for it; What says in a few
	// words what the app goes without ("sound", "Wayland").
	Switch, What string
	// Path is the host path that must exist.
	Path string
	// Required makes a missing Path stop the launch.
	Required bool
	// Fix says how to get it.
	Fix string
}

// ResolvedShare is a share with its paths made absolute.
type ResolvedShare struct {
	Host, Path string
	Readonly   bool
	Optional   bool
	// AllowSockets lets a share hold Unix sockets (allow_sensitive):
	// otherwise a launch refuses one whose first levels hold a socket,
	// which the app could connect to whatever the share's mode.
	AllowSockets bool
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

// Build is how a container is provisioned: the config it runs with while
// being built (the build profile: none of the app's access) and the
// setup or upgrade steps, which depend on the image's package manager.
type Build struct {
	// Config is the build container's config, for ContainerDir.
	Config       sandbox.Config
	ContainerDir string
	// ServiceDir and LogFile are the build container's.
	ServiceDir, LogFile string
	// DetectPM prints the image's package manager (apt, dnf, apk or
	// nothing).
	DetectPM []string
	// Rootfs is where, relative to the container's directory, the files
	// a step writes appear on the host (a download's progress).
	Rootfs string
	// Services are the build container's host operations (its network).
	Services []services.Service

	setup, upgrade map[string]stepList
}

type stepList struct {
	steps []sandbox.SetupStep
	err   error
}

// ConfigAt renders the build config for the container living in dir
// instead of ContainerDir: how a container is built under a temporary
// name and then renamed into place.
func (b *Build) ConfigAt(dir string) string { return configAt(b.Config, b.ContainerDir, dir) }

// SetupSteps are the steps that provision a new container whose image
// has package manager pm ("" for none).
func (b *Build) SetupSteps(pm string) ([]sandbox.SetupStep, error) {
	l := b.setup[pm]
	return l.steps, l.err
}

// UpgradeSteps are `lxcage upgrade` for package manager pm.
func (b *Build) UpgradeSteps(pm string) ([]sandbox.SetupStep, error) {
	l := b.upgrade[pm]
	return l.steps, l.err
}

func configAt(c sandbox.Config, from, to string) string {
	out := sandbox.Config{Lines: append([]sandbox.Line(nil), c.Lines...)}
	for i, l := range out.Lines {
		if l.Key == "lxc.rootfs.path" || l.Key == "lxc.seccomp.profile" {
			out.Lines[i].Value = strings.ReplaceAll(l.Value, from+"/", to+"/")
		}
	}
	return out.String()
}

// HostRoot reports whether the app's files are the host's own (a host
// image): its icons and .desktop files are read from "/".
func (p *Plan) HostRoot() bool {
	_, ok := p.Source.(sandbox.SkeletonDir)
	return ok
}

// RootfsLayers are the directories the container's files are read from
// on the host, top layer first.
func (p *Plan) RootfsLayers() []string {
	if p.RootfsLower != "" {
		return []string{p.Rootfs, p.RootfsLower}
	}
	return []string{p.Rootfs}
}

// Warning says what a launch goes on without, why, and how to get it
// back: kept apart so that a terminal prints one line and a notification
// shows the cause and the fix on lines of their own.
type Warning struct {
	// Without names what is left out: "sound", "Wayland".
	Without string
	// Cause says why in a few words; Fix what gives it back.
	Cause, Fix string
}

// String is the warning in one line.
func (w Warning) String() string {
	return fmt.Sprintf("running without %s: %s (%s)", w.Without, w.Cause, w.Fix)
}
