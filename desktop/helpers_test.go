package desktop

import (
	"os"
	"os/exec"
	"path/filepath"
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
// its address.
func startBus(t *testing.T) string {
	t.Helper()
	daemon := needTool(t, "dbus-daemon")
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	cmd := exec.Command(daemon, "--session", "--nofork", "--nopidfile", "--address=unix:path="+sock)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(sock); err == nil {
			return "unix:path=" + sock
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("dbus-daemon did not create its socket")
	return ""
}
