package services

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// startProc starts a helper process as a service would and returns it as
// an undo step names it.
func startProc(t *testing.T, name string, args ...string) (Proc, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	start, err := ProcStartTime(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return Proc{Name: name, PID: cmd.Process.Pid, Start: start}, cmd
}

// exited reports whether cmd ended, reaping it.
func exited(cmd *exec.Cmd, within time.Duration) bool {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(within):
		return false
	}
}

func TestStopEndsHelper(t *testing.T) {
	p, cmd := startProc(t, "sleep", "100")
	t0 := time.Now()
	p.Stop()
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Stop of a helper that ends on SIGTERM took %v", d)
	}
	if !exited(cmd, 2*time.Second) {
		t.Fatal("the helper still runs after Stop")
	}
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("helper ended by %v, want SIGTERM", ws)
	}
}

// A helper that ignores SIGTERM is killed after the grace time.
func TestStopKillsStubbornHelper(t *testing.T) {
	p, cmd := startProc(t, "sh", "-c", `trap "" TERM; while :; do sleep 0.05; done`)
	time.Sleep(100 * time.Millisecond) // the trap is set
	p.Stop()
	if !exited(cmd, 2*time.Second) {
		t.Fatal("a helper that ignores SIGTERM still runs after Stop")
	}
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("helper ended by %v, want SIGKILL", ws)
	}
}

// A helper that is already exiting (here a zombie nobody reaped yet) is
// done: Stop does not wait for it to be reaped.
func TestStopReturnsForExitingHelper(t *testing.T) {
	p, cmd := startProc(t, "true")
	p.ExitSuffices = true
	for i := 0; !p.exiting(); i++ {
		if i > 200 {
			t.Fatal("true did not exit")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !p.Alive() {
		t.Fatal("the zombie should still be the process started")
	}
	t0 := time.Now()
	p.Stop()
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Errorf("Stop of an exiting helper took %v", d)
	}
	_ = cmd
}

// A PID taken by another process since is left alone.
func TestStopSparesRecycledPID(t *testing.T) {
	p, cmd := startProc(t, "sleep", "100")
	p.Start++ // as if the helper had ended and its PID been reused
	p.Stop()
	if exited(cmd, 300*time.Millisecond) {
		t.Fatal("Stop killed a process that is not the helper it names")
	}
}
