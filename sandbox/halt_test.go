package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHaltSignal: an init is known by its executable's name, whatever its
// command line says; an unknown program or a gone process has none.
func TestHaltSignal(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	prog, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, want := range map[string]unix.Signal{"busybox": unix.SIGUSR2, "systemd": SigRTMin3, "sleep": 0} {
		exe := filepath.Join(dir, name)
		if err := os.WriteFile(exe, prog, 0o755); err != nil {
			t.Fatal(err)
		}
		// argv[0] "init", as an image's /sbin/init link gives it.
		cmd := &exec.Cmd{Path: exe, Args: []string{"init", "30"}}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sig, ok := HaltSignal(cmd.Process.Pid)
		if ok != (want != 0) || sig != want {
			t.Errorf("%s: HaltSignal = %v, %v; want %v", name, sig, ok, want)
		}
		cmd.Process.Kill()
		cmd.Wait()
		if sig, ok := HaltSignal(cmd.Process.Pid); ok {
			t.Errorf("%s, gone: HaltSignal = %v", name, sig)
		}
	}
}
