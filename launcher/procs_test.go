package launcher

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// waitPidGone with no time left answers "has it exited?": the watchdog
// asks it of a container init that has exited but that LXC's monitor
// may not have reaped yet (cleanupAfter), and of one still running.
func TestWaitPidGoneWithoutTime(t *testing.T) {
	done := exec.Command("true")
	if err := done.Start(); err != nil {
		t.Fatal(err)
	}
	defer done.Wait()
	if !waitPidGone(context.Background(), done.Process.Pid, time.Second) {
		t.Fatal("true did not exit within a second")
	}
	// Exited, not reaped yet.
	if !waitPidGone(context.Background(), done.Process.Pid, 0) {
		t.Error("an exited process (not yet reaped) counts as running with no time left")
	}
	live := exec.Command("sleep", "10")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	if waitPidGone(context.Background(), live.Process.Pid, 0) {
		t.Error("a running process counts as gone with no time left")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if waitPidGone(ctx, live.Process.Pid, time.Minute) {
		t.Error("a running process counts as gone once ctx ended")
	}
}
