package profiles

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DetectHost gathers the facts Compile needs from the running system.
// lxcpath is where containers live; runtimeDir is $XDG_RUNTIME_DIR (or
// the fallback the caller chose).
func DetectHost(lxcpath, runtimeDir string) (*Host, error) {
	return DetectHostFor(lxcpath, runtimeDir, nil)
}

// DetectHostFor is DetectHost for compiling p only: it skips the facts p
// cannot use (device nodes, host /etc entries, swap accounting), which
// are most of DetectHost's system calls — a launch runs it on every
// click. A nil p gathers everything.
func DetectHostFor(lxcpath, runtimeDir string, p *Profile) (*Host, error) {
	all := p == nil
	needDevices := all || p.Access.GPU || p.Access.Webcam || p.Access.Input
	needHostImage := all || p.Image.Type == "" || p.Image.Type == ImageHost
	needSwap := all || p.Limits.Memory != ""
	h := &Host{
		UID:        os.Getuid(),
		GID:        os.Getgid(),
		LXCPath:    filepath.Clean(lxcpath),
		StateDir:   StateDir(runtimeDir, lxcpath),
		Display:    os.Getenv("DISPLAY"),
		Lang:       os.Getenv("LANG"),
		LXCBridge:  "lxcbr0",
		HostEtc:    map[string]bool{},
		InitPath:   firstExisting("/usr/sbin/init.lxc.static", "/sbin/init.lxc.static", "/usr/lib/x86_64-linux-gnu/lxc/init.lxc.static", "/usr/libexec/lxc/init.lxc.static"),
		AppArmor:   readTrim("/sys/module/apparmor/parameters/enabled") == "Y",
		Cgroup2:    !isDir("/sys/fs/cgroup/memory") && exists("/sys/fs/cgroup/cgroup.controllers"),
		ConfigHome: xdgDir("XDG_CONFIG_HOME", ".config"),
		CacheDir:   xdgDir("XDG_CACHE_HOME", ".cache"),
	}
	h.SeccompDefault = firstExisting("/usr/share/lxc/config/common.seccomp")
	h.AppArmorShipped = h.AppArmor && exists(appArmorShippedFile)
	h.OverlayOK = kernelAtLeast(5, 11)
	if needSwap {
		swap, _ := filepath.Glob("/sys/fs/cgroup/*/memory.swap.max")
		h.SwapAccounting = exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") || len(swap) > 0
	}
	u, err := user.LookupId(strconv.Itoa(h.UID))
	if err != nil {
		return nil, fmt.Errorf("look up user %d: %w", h.UID, err)
	}
	h.UserName = u.Username
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
	h.XSocket = XSocket(h.Display)
	h.XDGRuntimeDir = os.Getenv("XDG_RUNTIME_DIR")
	h.WaylandDisplay = os.Getenv("WAYLAND_DISPLAY")
	h.SessionBus = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if h.SessionBus == "" && h.XDGRuntimeDir != "" && exists(filepath.Join(h.XDGRuntimeDir, "bus")) {
		h.SessionBus = "unix:path=" + filepath.Join(h.XDGRuntimeDir, "bus")
	}
	if needDevices {
		h.Devices = detectDevices()
	}
	if !needHostImage {
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
	for _, e := range HostEtcFiles {
		if fi, err := os.Stat("/etc/" + e); err == nil {
			h.HostEtc[e] = fi.IsDir()
		}
	}
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
func detectDevices() Devices {
	var d Devices
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
	return d
}

// StateDir is where lxcage keeps runtime state for the containers of
// lxcpath: one directory per LXC path, so two paths never share locks.
func StateDir(runtimeDir, lxcpath string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(lxcpath)))
	return filepath.Join(runtimeDir, "lxcage", hex.EncodeToString(sum[:4]))
}

// HostPathKind answers Compile's question about a host path.
func HostPathKind(p string) PathKind {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return PathMissing
	case fi.IsDir():
		return PathDir
	}
	return PathFile
}

// XSocket returns the Unix socket of a local X display such as ":0",
// ":1.0" or "unix:2", or "" when display is remote or unset.
func XSocket(display string) string {
	d := strings.TrimPrefix(display, "unix")
	if !strings.HasPrefix(d, ":") {
		return ""
	}
	num, _, _ := strings.Cut(d[1:], ".")
	if _, err := strconv.Atoi(num); err != nil {
		return ""
	}
	return "/tmp/.X11-unix/X" + num
}

func readSubIDs(file, name string, id int) ([]IDRange, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	defer f.Close()
	return ParseSubIDs(f, name, id)
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
