package sandbox

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

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

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
