package proxy

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Polls that catch their event buy tolerance for short preemptions; a
// preemption longer than that pauses polling, and pauses that come
// back soon grow longer.
func TestSpinGovernorPausesWhenPreempted(t *testing.T) {
	g := spinGovernor{pressure: -1}
	t0 := time.Unix(1000, 0)
	if !g.ok(t0) {
		t.Fatal("a fresh governor does not poll")
	}
	for i := 0; i < 3; i++ {
		g.caught()
	}
	if !g.lost(25*time.Microsecond, t0) {
		t.Fatal("a preemption shorter than what polling saved paused it")
	}
	if g.lost(time.Millisecond, t0) {
		t.Fatal("a preemption of a time slice did not pause polling")
	}
	if g.ok(t0.Add(minBackoff - time.Millisecond)) {
		t.Fatal("polling resumed before its pause ended")
	}
	t1 := t0.Add(minBackoff)
	if !g.ok(t1) {
		t.Fatal("polling did not resume after its pause")
	}
	if g.lost(time.Millisecond, t1) {
		t.Fatal("a second long preemption did not pause polling")
	}
	if g.ok(t1.Add(2*minBackoff-time.Millisecond)) || !g.ok(t1.Add(2*minBackoff)) {
		t.Fatalf("a pause soon after the last one lasts %v, want %v", g.backoff, 2*minBackoff)
	}
	later := t1.Add(time.Minute)
	g.lost(time.Millisecond, later)
	if g.backoff != minBackoff {
		t.Fatalf("a pause long after the last one lasts %v, want %v", g.backoff, minBackoff)
	}
	for i := 0; i < 1000; i++ {
		g.caught()
	}
	if g.balance != maxCredit {
		t.Fatalf("balance %v, want it capped at %v", g.balance, maxCredit)
	}
}

// Polling pauses when the kernel says threads waited for a CPU, and
// not when they barely did.
func TestSpinGovernorPressure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu")
	write := func(total int) {
		t.Helper()
		s := fmt.Sprintf("some avg10=1.00 avg60=0.50 avg300=0.10 total=%d\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", total)
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(1_000_000)
	fd, err := unix.Open(path, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	g := spinGovernor{pressure: fd}
	defer g.close()
	if got := cpuStall(fd); got != 1_000_000 {
		t.Fatalf("cpuStall = %d, want 1000000", got)
	}
	t0 := time.Unix(1000, 0)
	if !g.ok(t0) {
		t.Fatal("the first look at the pressure paused polling")
	}
	write(1_000_050) // 50 µs of waiting in 2 ms
	t1 := t0.Add(pressureEvery)
	if !g.ok(t1) {
		t.Fatal("a wait of 50 µs in 2 ms paused polling")
	}
	write(1_001_050) // 1 ms in 2 ms
	t2 := t1.Add(pressureEvery)
	if g.ok(t2) {
		t.Fatal("a machine where threads waited half the time for a CPU did not pause polling")
	}
	if g.ok(t2.Add(minBackoff - time.Millisecond)) {
		t.Fatal("polling resumed before its pause ended")
	}
	// The wait during the pause is not held against the polling after it.
	write(1_050_000)
	t3 := t2.Add(minBackoff)
	if !g.ok(t3) || !g.ok(t3.Add(pressureEvery)) {
		t.Fatal("waits during a pause kept polling paused")
	}
}
