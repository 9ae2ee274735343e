//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"
)

// TestTopAndStopUnderALaunch: lxcage top shows a running container's
// limits and the app's processes (read from its real cgroup), and a
// foreground launch whose container is stopped by lxcage stop says so
// instead of ending with a bare 137.
func TestTopAndStopUnderALaunch(t *testing.T) {
	e := newEnv(t)
	e.profile("busy", "command = [\"sh\", \"-c\", \"sleep 300 & exec sleep 301\"]\n[limits]\nmemory = \"256M\"\npids = 64\n")
	s := e.start("launch", "busy")
	if !e.waitState("busy", "RUNNING", 20*time.Second) {
		t.Fatalf("container %s; launch output:\n%s", e.state("busy"), s.out)
	}
	var top result
	deadline := time.Now().Add(10 * time.Second)
	for {
		top = e.mustRun("top", "--count", "1", "busy")
		if strings.Contains(top.stdout, "sleep 301") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{"busy", "/ 256 MiB", "/ 64", "sleep 300", "sleep 301"} {
		if !strings.Contains(top.stdout, want) {
			t.Errorf("top lacks %q:\n%s", want, top.stdout)
		}
	}
	if strings.Contains(top.stdout, "init") {
		t.Errorf("top lists the container's init among the app's processes:\n%s", top.stdout)
	}
	e.mustRun("stop", "busy")
	if code := s.wait(t, 10*time.Second); code != 137 {
		t.Errorf("launch ended with %d, want 137", code)
	}
	if !strings.Contains(s.out.String(), "its container was stopped (lxcage stop busy") {
		t.Errorf("the launch does not say why the app was killed:\n%s", s.out)
	}
	if r := e.mustRun("top", "--count", "1"); !strings.Contains(r.stdout, "no container is running") {
		t.Errorf("top after the stop:\n%s", r.stdout)
	}
}
