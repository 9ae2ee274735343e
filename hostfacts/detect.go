// Package hostfacts gathers the facts about this machine and the calling
// user that profiles.Compile needs (profiles.Host). Compile stays pure;
// this is where lxcage looks at the running system.
package hostfacts

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
	"github.com/lxcage/lxcage/services/sound"
)

// Detect gathers the facts Compile needs from the running system, those
// need asks for and the cheap ones: a launch runs it on every click, and
// device nodes, host /etc entries and swap accounting are most of its
// system calls. lxcpath is where containers live; runtimeDir is
// $XDG_RUNTIME_DIR (or the fallback the caller chose).
func Detect(lxcpath, runtimeDir string, need profiles.Needs) (*profiles.Host, error) {
	h := &profiles.Host{
		UID:        os.Getuid(),
		GID:        os.Getgid(),
		LXCPath:    filepath.Clean(lxcpath),
		StateDir:   profiles.StateDir(runtimeDir, lxcpath),
		Display:    os.Getenv("DISPLAY"),
		Lang:       os.Getenv("LANG"),
		HostEtc:    map[string]bool{},
		InitPath:   firstExisting("/usr/sbin/init.lxc.static", "/sbin/init.lxc.static", "/usr/lib/x86_64-linux-gnu/lxc/init.lxc.static", "/usr/libexec/lxc/init.lxc.static"),
		AppArmor:   readTrim("/sys/module/apparmor/parameters/enabled") == "Y",
		Cgroup2:    !isDir("/sys/fs/cgroup/memory") && exists("/sys/fs/cgroup/cgroup.controllers"),
		ConfigHome: xdgDir("XDG_CONFIG_HOME", ".config"),
		CacheDir:   xdgDir("XDG_CACHE_HOME", ".cache"),
	}
	// LXC puts limits in the hierarchy of the cgroups the user owns.
	if cg, err := sandbox.ReadCgroups(); err == nil && cg.Delegated() {
		h.Cgroup2 = cg.UseCgroup2()
	}
	h.SeccompDefault = firstExisting("/usr/share/lxc/config/common.seccomp")
	h.AppArmorShipped = h.AppArmor && exists(profiles.AppArmorShippedFile)
	h.OverlayOK = kernelAtLeast(5, 11)
	h.MemTotal = memTotal()
	if need.Swap {
		swap, _ := filepath.Glob("/sys/fs/cgroup/*/memory.swap.max")
		h.SwapAccounting = exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") || len(swap) > 0
	}
	u, err := user.LookupId(strconv.Itoa(h.UID))
	if err != nil {
		return nil, fmt.Errorf("look up user %d: %w", h.UID, err)
	}
	h.UserName = u.Username
	h.LXCBridge = userBridge("/etc/lxc/lxc-usernet", h.UserName)
	h.Home = u.HomeDir
	if home := os.Getenv("HOME"); filepath.IsAbs(home) {
		h.Home = filepath.Clean(home)
	}
	if h.SubUIDs, err = readSubIDs("/etc/subuid", h.UserName, h.UID); err != nil {
		return nil, err
	}
	if h.SubGIDs, err = readSubIDs("/etc/subgid", h.UserName, h.UID); err != nil {
		return nil, err
	}
	h.XSocket = profiles.XSocket(h.Display)
	h.XAuthority = os.Getenv("XAUTHORITY")
	h.Bwrap, _ = exec.LookPath("bwrap")
	h.XDGRuntimeDir = os.Getenv("XDG_RUNTIME_DIR")
	h.PulseSocket, _ = sound.ServerSocket(os.Getenv("PULSE_SERVER"), h.XDGRuntimeDir)
	h.WaylandDisplay = os.Getenv("WAYLAND_DISPLAY")
	h.SessionBus = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if h.SessionBus == "" && h.XDGRuntimeDir != "" && exists(filepath.Join(h.XDGRuntimeDir, "bus")) {
		h.SessionBus = "unix:path=" + filepath.Join(h.XDGRuntimeDir, "bus")
	}
	if need.Devices {
		h.Devices = detectDevices()
	}
	if !need.HostRoot {
		return h, nil
	}
	for _, d := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		fi, err := os.Lstat("/" + d)
		if err != nil {
			continue
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			if t, _ := os.Readlink("/" + d); strings.TrimPrefix(t, "/") == "usr/"+d {
				h.UsrLinks = append(h.UsrLinks, d)
			}
		} else if fi.IsDir() {
			h.RootDirs = append(h.RootDirs, d)
		}
	}
	h.HostEtc, h.EtcCommand = HostEtc(need.Command, h.CacheDir), need.Command
	return h, nil
}

// kernelAtLeast compares the running kernel's version.
func kernelAtLeast(major, minor int) bool {
	f := strings.FieldsFunc(readTrim("/proc/sys/kernel/osrelease"), func(r rune) bool { return r == '.' || r == '-' })
	if len(f) < 2 {
		return false
	}
	ma, _ := strconv.Atoi(f[0])
	mi, _ := strconv.Atoi(f[1])
	return ma > major || ma == major && mi >= minor
}

// detectDevices lists the device nodes present now.
func detectDevices() profiles.Devices {
	var d profiles.Devices
	d.Video, _ = filepath.Glob("/dev/video[0-9]*")
	nv, _ := filepath.Glob("/dev/nvidia*")
	caps, _ := filepath.Glob("/dev/nvidia-caps/nvidia-cap[0-9]*")
	for _, n := range append(nv, caps...) {
		if fi, err := os.Stat(n); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			d.NVIDIA = append(d.NVIDIA, n)
		}
	}
	js, _ := filepath.Glob("/dev/input/js[0-9]*")
	d.Joysticks = append(d.Joysticks, js...)
	// Joystick event nodes: udev names them *-event-joystick.
	links, _ := filepath.Glob("/dev/input/by-id/*-event-joystick")
	for _, l := range links {
		if t, err := filepath.EvalSymlinks(l); err == nil && strings.HasPrefix(t, "/dev/input/event") {
			d.Joysticks = append(d.Joysticks, t)
		}
	}
	sort.Strings(d.Joysticks)
	d.HidRaw = gamepadHidraw("/sys")
	d.Udev = isDir("/run/udev/data")
	return d
}

// PathKind answers Compile's question about a host path.
func PathKind(p string) profiles.PathKind {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return profiles.PathMissing
	case fi.IsDir():
		return profiles.PathDir
	}
	return profiles.PathFile
}

func readSubIDs(file, name string, id int) ([]sandbox.IDRange, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	defer f.Close()
	return sandbox.ParseSubIDs(f, name, id)
}

func xdgDir(env, fallback string) string {
	if v := os.Getenv(env); filepath.IsAbs(v) {
		return filepath.Clean(v)
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, fallback)
}

func firstExisting(paths ...string) string {
	for _, p := range paths {
		if exists(p) {
			return p
		}
	}
	return ""
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func isDir(p string) bool { fi, err := os.Stat(p); return err == nil && fi.IsDir() }

func readTrim(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}

// memTotal is MemTotal of /proc/meminfo in bytes (0 when unreadable).
func memTotal() int64 {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// userBridge is the bridge the user may attach containers to: among the
// user's veth entries of lxc-usernet, lxcbr0 (LXC's own) if it is there
// and exists, else the first that exists, else lxcbr0.
func userBridge(usernet, user string) string {
	b, _ := os.ReadFile(usernet)
	var listed []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == user && f[1] == "veth" {
			listed = append(listed, f[2])
		}
	}
	exists := func(br string) bool { return isDir("/sys/class/net/" + br) }
	for _, br := range listed {
		if br == "lxcbr0" && exists(br) {
			return br
		}
	}
	for _, br := range listed {
		if exists(br) {
			return br
		}
	}
	return "lxcbr0"
}
