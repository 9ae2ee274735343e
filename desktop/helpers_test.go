package desktop

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/profiles"
)

// needTool returns the path of a tool the test needs; without it the test
// is skipped, or fails under CI (CI=true), where every tool must be there.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("prerequisite missing in CI: %s (hack/setup-host.sh installs it)", name)
		}
		t.Skipf("prerequisite missing: %s", name)
	}
	return p
}

// testEnv is an Env writing under a temporary directory.
func testEnv(t *testing.T) Env {
	t.Helper()
	base := t.TempDir()
	return Env{
		DataHome:   filepath.Join(base, "data"),
		ConfigHome: filepath.Join(base, "config"),
		DataDirs:   []string{"/usr/local/share", "/usr/share"},
		Bin:        "/usr/local/bin/lxcage",
		LXCPath:    filepath.Join(base, "lxc"),
		Runner:     &fakeRunner{},
	}
}

// parseProfile parses profile text for name, failing the test on error.
func parseProfile(t *testing.T, name, text string) *profiles.Profile {
	t.Helper()
	p, err := profiles.Parse(name, name+".toml", []byte(text))
	if err != nil {
		t.Fatalf("profile %s: %v", name, err)
	}
	return p
}

// startBus starts a private session dbus-daemon for one test and returns
// its address. The daemon prints its address once it listens: waiting
// for the socket file alone raced with listen() (connection refused).
func startBus(t *testing.T) string {
	t.Helper()
	daemon := needTool(t, "dbus-daemon")
	sock := filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command(daemon, "--session", "--nofork", "--nopidfile", "--print-address", "--address=unix:path="+sock)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- strings.TrimSpace(line)
	}()
	select {
	case addr := <-ready:
		if addr == "" {
			t.Fatal("dbus-daemon exited before it listened")
		}
		return addr
	case <-time.After(5 * time.Second):
		t.Fatal("dbus-daemon did not start listening")
	}
	return ""
}
