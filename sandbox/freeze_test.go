package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// ticker is a shell that prints a line every 10 ms, in the cgroup dir;
// it starts ticking only once there.
type ticker struct {
	cmd   *exec.Cmd
	lines chan string
}

func startTicker(t *testing.T, dir string) *ticker {
	t.Helper()
	cmd := exec.Command("sh", "-c", "read go; while :; do echo tick; sleep 0.01; done")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tk := &ticker{cmd: cmd, lines: make(chan string, 1000)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			tk.lines <- sc.Text()
		}
		close(tk.lines)
	}()
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	fmt.Fprintln(in, "go")
	return tk
}

// ticks drains the ticker's lines for d and counts them.
func (tk *ticker) ticks(d time.Duration) int {
	n := 0
	deadline := time.After(d)
	for {
		select {
		case _, ok := <-tk.lines:
			if !ok {
				return n
			}
			n++
		case <-deadline:
			return n
		}
	}
}

// freezerDir makes a cgroup of the test's own below a freezer it may
// write (v1 freezer, else the unified hierarchy), or skips.
func freezerDir(t *testing.T) string {
	cg, err := ReadCgroups()
	if err != nil {
		t.Skip(err)
	}
	var parent string
	for _, h := range cg.Hierarchies {
		if h.Writable && (hasController(h.Controllers, "freezer") || (h.V2() && cg.UnifiedOnly())) {
			parent = h.Dir
		}
	}
	if parent == "" {
		t.Skip("no freezer hierarchy this user may write")
	}
	dir := filepath.Join(parent, fmt.Sprintf("lxcage-freeze-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skip("cannot make a cgroup:", err)
	}
	t.Cleanup(func() {
		for i := 0; i < 50 && os.Remove(dir) != nil; i++ {
			time.Sleep(20 * time.Millisecond)
		}
	})
	return dir
}

// TestFreezeHoldsNewcomers: a frozen cgroup's process stops, and so does
// one moved into it meanwhile (what lets lxc-attach set the app up while
// the network comes up); both run again once thawed.
func TestFreezeHoldsNewcomers(t *testing.T) {
	dir := freezerDir(t)
	first := startTicker(t, dir)
	if first.ticks(100*time.Millisecond) == 0 {
		t.Fatal("the ticker does not tick")
	}
	f, err := Freeze(first.cmd.Process.Pid)
	if err != nil {
		t.Fatalf("freeze: %v", err)
	}
	first.ticks(50 * time.Millisecond) // what was under way
	later := startTicker(t, dir)
	if n, m := first.ticks(300*time.Millisecond), later.ticks(10*time.Millisecond); n+m > 0 {
		t.Errorf("frozen: %d ticks of the first process, %d of the one that joined", n, m)
	}
	if err := f.Thaw(); err != nil {
		t.Fatal(err)
	}
	if n, m := first.ticks(200*time.Millisecond), later.ticks(50*time.Millisecond); n == 0 || m == 0 {
		t.Errorf("thawed: %d ticks of the first process, %d of the other", n, m)
	}
}

// TestKillAndThaw: a start that fails while frozen ends the processes
// before they run again.
func TestKillAndThaw(t *testing.T) {
	dir := freezerDir(t)
	tk := startTicker(t, dir)
	f, err := Freeze(tk.cmd.Process.Pid)
	if err != nil {
		t.Fatalf("freeze: %v", err)
	}
	tk.ticks(50 * time.Millisecond)
	if err := f.KillAndThaw(); err != nil {
		t.Fatal(err)
	}
	if n := tk.ticks(300 * time.Millisecond); n > 0 {
		t.Errorf("%d ticks after KillAndThaw", n)
	}
	done := make(chan error, 1)
	go func() { done <- tk.cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("the shell exited cleanly instead of being killed")
		}
	case <-time.After(5 * time.Second):
		t.Error("the shell still runs after KillAndThaw")
	}
}

// TestFreezeRefusesOwnCgroup: a process in the caller's own cgroup (a
// container LXC left there in some hierarchy) is not frozen: that would
// freeze the caller.
func TestFreezeRefusesOwnCgroup(t *testing.T) {
	dir := freezerDir(t)
	tk := startTicker(t, dir)
	// The caller's own cgroup is dir's parent: ask for the caller's.
	if f, err := Freeze(os.Getpid()); err == nil {
		f.Thaw()
		t.Fatal("Freeze froze the caller's own cgroup")
	}
	if f, err := Freeze(tk.cmd.Process.Pid); err != nil {
		t.Fatalf("a cgroup below the caller's: %v", err)
	} else {
		f.Thaw()
	}
}
