//go:build integration

package integration

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stubborn is an app whose main process exits at once, leaving a child
// that ignores SIGTERM, SIGINT and SIGHUP: the launch waits for that
// leftover, and only the container's stop can end it.
const stubborn = `command = ["sh", "-c", "(trap '' TERM INT HUP; exec sleep 60) & exit 0"]`

// containerPidNS is the PID namespace of a running container (its
// init's), as /proc shows namespace links.
func containerPidNS(t *testing.T, e *tenv, name string) string {
	t.Helper()
	out, err := exec.Command("lxc-info", "-P", e.lxcpath, "-n", name, "-p", "-H").Output()
	if err != nil {
		t.Fatalf("lxc-info: %v", err)
	}
	ns, err := os.Readlink("/proc/" + strings.TrimSpace(string(out)) + "/ns/pid")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// procsInNS counts the processes named comm (any name when "") in the
// PID namespace ns, other than its init.
func procsInNS(ns, comm string) int {
	n := 0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err != nil || l != ns {
			continue
		}
		b, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
		c := strings.TrimSpace(string(b))
		if c != "init.lxc.static" && c != "init" && (comm == "" || c == comm) {
			n++
		}
	}
	return n
}

// TestTimeoutEndsLeftovers: `timeout 5 lxcage launch …` of an app that
// left a child ignoring SIGTERM ends within two seconds of timeout's
// signal, with the container stopped and the child gone (it used to run
// for the child's whole life: the signal was swallowed while the launch
// waited for leftovers).
func TestTimeoutEndsLeftovers(t *testing.T) {
	e := newEnv(t)
	e.profile("stubborn", stubborn)
	cmd := exec.Command("timeout", "5", lxcageBin, "-P", e.lxcpath, "launch", "stubborn")
	cmd.Env = e.environ()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !e.waitState("stubborn", "RUNNING", 4*time.Second) {
		cmd.Wait()
		t.Fatalf("never running:\n%s", out.String())
	}
	ns := containerPidNS(t, e, "stubborn")
	waited := make(chan struct{})
	go func() { cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(12 * time.Second):
		cmd.Process.Kill()
		<-waited
		t.Fatalf("timeout 5 lxcage launch still ran after 12 s: the signal was swallowed\n%s", out.String())
	}
	took := time.Since(start)
	if took > 7*time.Second {
		t.Errorf("timeout 5 lxcage launch took %v: the SIGTERM at 5 s did not end it within 2 s\n%s", took.Round(time.Millisecond), out.String())
	}
	if took < 5900*time.Millisecond {
		// The leftover ignores SIGTERM: it gets a second to go, then the
		// container is stopped. Ending sooner means timeout's signal,
		// which reaches the launch twice (the child, then the process
		// group), was taken for the user's second Ctrl-C.
		t.Errorf("the launch ended after %v, before the leftover's grace ended\n%s", took, out.String())
	}
	if took < 5*time.Second {
		t.Errorf("the launch ended after %v, before timeout's signal: the leftover was not waited for\n%s", took, out.String())
	}
	t.Logf("ended %v after timeout's SIGTERM", (took - 5*time.Second).Round(time.Millisecond))
	if s := e.state("stubborn"); s != "STOPPED" {
		t.Errorf("container %s after the launch ended", s)
	}
	if n := procsInNS(ns, ""); n != 0 {
		t.Errorf("%d leftover process(es) survived the launch", n)
	}
}

// TestSecondSignalKillsAtOnce: a second signal while the launch waits
// for leftovers does not wait out the grace period.
func TestSecondSignalKillsAtOnce(t *testing.T) {
	e := newEnv(t)
	e.profile("stubborn", stubborn)
	l := e.start("launch", "stubborn")
	waitLeftoverOnly(t, e, "stubborn", l)
	l.cmd.Process.Signal(syscall.SIGTERM)
	// A second Ctrl-C comes a moment later (a signal delivered twice at
	// once, as timeout(1) does, counts as one).
	time.Sleep(400 * time.Millisecond)
	second := time.Now()
	l.cmd.Process.Signal(syscall.SIGINT)
	l.wait(t, 5*time.Second)
	if d := l.ended.Sub(second); d > 300*time.Millisecond {
		t.Errorf("launch ended %v after the second signal, want at once (the grace is %v)", d, time.Second)
	}
	if s := e.state("stubborn"); s != "STOPPED" {
		t.Errorf("container %s", s)
	}
}

// TestSignalToAppThatIgnoresIt: while the app's main process runs and
// ignores SIGTERM, the first signal is its to handle; a second one kills
// it, and the launch ends with the container stopped.
func TestSignalToAppThatIgnoresIt(t *testing.T) {
	e := newEnv(t)
	e.profile("deaf", `command = ["sh", "-c", "trap '' TERM INT HUP; while :; do sleep 1; done"]`)
	l := e.start("launch", "deaf")
	if !e.waitState("deaf", "RUNNING", 10*time.Second) {
		t.Fatalf("never running:\n%s", l.out)
	}
	// The app ignores the signals once its loop runs (a sleep of its own
	// beside init's): RUNNING alone may come while the launch still
	// starts (a v2 cgroup's freeze does not show in LXC's state), and a
	// signal then ends the start, not the app.
	ns := containerPidNS(t, e, "deaf")
	deadline := time.Now().Add(20 * time.Second)
	for procsInNS(ns, "sh") == 0 || procsInNS(ns, "sleep") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the app's loop never ran:\n%s", l.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the launch now forwards signals
	l.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(700 * time.Millisecond)
	select {
	case <-l.done:
		t.Fatalf("the launch ended on the first signal, which the app ignores (status %d)", l.code)
	default:
	}
	second := time.Now()
	l.cmd.Process.Signal(syscall.SIGTERM)
	code := l.wait(t, 5*time.Second)
	if d := l.ended.Sub(second); d > 2*time.Second {
		t.Errorf("launch ended %v after the second signal, want ≤ 2 s", d)
	}
	if code != 128+int(syscall.SIGKILL) {
		t.Errorf("status %d, want %d (killed)\n%s", code, 128+int(syscall.SIGKILL), l.out)
	}
	if s := e.state("deaf"); s != "STOPPED" {
		t.Errorf("container %s", s)
	}
}

// waitLeftoverOnly waits until the stubborn app's main process has
// exited and only its leftover child runs.
func waitLeftoverOnly(t *testing.T, e *tenv, name string, l *started) {
	t.Helper()
	if !e.waitState(name, "RUNNING", 10*time.Second) {
		t.Fatalf("never running:\n%s", l.out)
	}
	ns := containerPidNS(t, e, name)
	deadline := time.Now().Add(10 * time.Second)
	for procsInNS(ns, "sh") > 0 || procsInNS(ns, "sleep") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the leftover never ran alone:\n%s", l.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the launch is now waiting for it
}
