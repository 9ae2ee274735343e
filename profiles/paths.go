package profiles

import (
	"path/filepath"
	"strconv"
	"strings"
)

// StateDir is where lxcage keeps runtime state for the containers of
// lxcpath: one directory per LXC path, so two paths never share locks.
func StateDir(runtimeDir, lxcpath string) string {
	return filepath.Join(runtimeDir, "lxcage", shortHash(filepath.Clean(lxcpath)))
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
