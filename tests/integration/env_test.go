//go:build integration

// Package integration runs the real lxcage binary against real LXC
// containers, a real X server and the user's real session services. It is
// built with `go test -c -tags integration` and run as a normal user that
// has subordinate ids and owns its cgroups (see hack/setup-host.sh).
package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/services/net/nettest"
)

// lxcageBin is the binary under test: $LXCAGE_BIN, or one built for the
// test run.
var lxcageBin string

func TestMain(m *testing.M) {
	if os.Getenv("LXCAGE_X11_PROBE") != "" {
		x11ProbeMain() // this binary, run inside a container as a probe
	}
	nettest.Main() // the network probes, when LXCAGE_NET_PROBE asks
	if os.Getenv("LXCAGE_X11_ATTACK") != "" {
		x11AttackMain()
	}
	if os.Getenv("LXCAGE_X11_PASTE") != "" {
		x11PasteMain()
	}
	// Temporary directories (t.TempDir) outside /tmp: lxcage refuses to
	// share anything under /tmp, where host sockets live.
	if home, err := os.UserHomeDir(); err == nil && strings.HasPrefix(os.TempDir(), "/tmp") {
		tmp := filepath.Join(home, "lxcage-tests")
		if os.MkdirAll(tmp, 0o755) == nil {
			os.Setenv("TMPDIR", tmp)
		}
	}
	if os.Getenv("LXCAGE_DRM_PROBE") != "" {
		drmProbeMain()
	}
	lxcageBin = os.Getenv("LXCAGE_BIN")
	if lxcageBin == "" {
		dir, err := os.MkdirTemp("", "lxcage-bin-")
		if err == nil {
			os.Chmod(dir, 0o755)
			lxcageBin = filepath.Join(dir, "lxcage")
			cmd := exec.Command("go", "build", "-o", lxcageBin, "github.com/lxcage/lxcage/cmd/lxcage")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "build lxcage: %v\n%s", err, out)
				os.Exit(1)
			}
			defer os.RemoveAll(dir)
		}
	}
	os.Exit(m.Run())
}

// inCI is true under CI, where a missing prerequisite is a failure.
func inCI() bool { return os.Getenv("CI") != "" }

// need skips (or, in CI, fails) when a prerequisite is missing.
func need(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if inCI() {
		t.Fatalf("prerequisite missing in CI: %s", what)
	}
	t.Skipf("prerequisite missing: %s", what)
}

// tenv is one test's world: its own LXC path, profile directory and
// caches, with the user's real runtime dir and display.
type tenv struct {
	t       testing.TB
	lxcpath string
	config  string
	cache   string
	home    string
	extra   []string
}

func newEnv(t testing.TB) *tenv {
	t.Helper()
	need(t, os.Getuid() != 0, "a non-root user (run hack/test.sh as root; it switches to the test user)")
	_, err := exec.LookPath("lxc-start")
	need(t, err == nil, "lxc-start")
	need(t, os.Getenv("XDG_RUNTIME_DIR") != "", "XDG_RUNTIME_DIR")
	base := t.TempDir()
	// The container's root must reach the rootfs: every directory on the
	// way has to be searchable by others.
	for d := base; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	e := &tenv{t: t, lxcpath: filepath.Join(base, "lxc"), config: filepath.Join(base, "config"), cache: filepath.Join(base, "cache")}
	e.home, _ = os.UserHomeDir()
	for _, d := range []string{e.lxcpath, e.config, e.cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(e.destroyAll)
	return e
}

// destroyAll stops and destroys every container of the test, so that
// t.TempDir can remove files the containers own.
func (e *tenv) destroyAll() {
	// Clones first: LXC refuses to destroy a base that has clones.
	for pass := 0; pass < 2; pass++ {
		e.destroyPass(pass == 1)
	}
	e.forgetState()
}

// forgetState removes lxcage's runtime state of the test's LXC path
// ($XDG_RUNTIME_DIR/lxcage/<hash>): a new directory for every test, it
// would otherwise pile up in the test user's tmpfs run after run. Not
// while a container's marker is left: a watchdog may still be ending that
// container's services, which the marker lists.
func (e *tenv) forgetState() {
	dir := profiles.StateDir(os.Getenv("XDG_RUNTIME_DIR"), e.lxcpath)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		markers, _ := filepath.Glob(filepath.Join(dir, "*", "started"))
		if len(markers) == 0 {
			break
		}
		if time.Now().After(deadline) {
			e.t.Logf("runtime state kept: %v still there", markers)
			return
		}
	}
	os.RemoveAll(dir)
}

func (e *tenv) destroyPass(last bool) {
	ents, _ := os.ReadDir(e.lxcpath)
	for _, d := range ents {
		if !d.IsDir() {
			continue
		}
		name := d.Name()
		// lxcage's own stop first: it ends the container's services and
		// clears its marker at once.
		e.cmd("stop", name).Run()
		exec.Command("lxc-stop", "-P", e.lxcpath, "-n", name, "-k").Run()
		if out, err := exec.Command("lxc-destroy", "-P", e.lxcpath, "-n", name).CombinedOutput(); err != nil && last {
			e.t.Logf("destroy %s: %v %s", name, err, out)
		}
		if last {
			// Debris of a failed create is owned by the container's ids.
			exec.Command("lxc-usernsexec", "--", "rm", "-rf", filepath.Join(e.lxcpath, name)).Run()
		}
	}
}

// profile writes a profile file.
func (e *tenv) profile(name, text string) string {
	e.t.Helper()
	dir := filepath.Join(e.config, "lxcage", "profiles")
	os.MkdirAll(dir, 0o700)
	p := filepath.Join(dir, name+".toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *tenv) environ() []string {
	env := []string{
		"HOME=" + e.home,
		"PATH=" + os.Getenv("PATH"),
		"XDG_CONFIG_HOME=" + e.config,
		"XDG_CACHE_HOME=" + e.cache,
		"LANG=C.UTF-8",
	}
	for _, k := range []string{"XDG_RUNTIME_DIR", "DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS", "USER", "LOGNAME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, e.extra...)
}

// cmd prepares `lxcage -P LXCPATH args…`.
func (e *tenv) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(lxcageBin, append([]string{"-P", e.lxcpath}, args...)...)
	cmd.Env = e.environ()
	return cmd
}

// result of a finished lxcage run.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

func (e *tenv) run(args ...string) result {
	e.t.Helper()
	cmd := e.cmd(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run lxcage %v: %v", args, err)
	}
	return r
}

// mustRun runs lxcage and fails the test on a non-zero status.
func (e *tenv) mustRun(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("lxcage %s: status %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// started is a launch running in the background.
type started struct {
	cmd    *exec.Cmd
	out    *bytes.Buffer
	done   chan struct{}
	code   int
	err    error
	ended  time.Time
	starts time.Time
}

func (e *tenv) start(args ...string) *started {
	e.t.Helper()
	s := &started{cmd: e.cmd(args...), out: &bytes.Buffer{}, done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	// A launch killed by the cleanup below leaves its app running until
	// the container is stopped, and the app holds the output pipe: Wait
	// must not wait for that.
	s.cmd.WaitDelay = 5 * time.Second
	s.starts = time.Now()
	if err := s.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		err := s.cmd.Wait()
		s.ended = time.Now()
		if ee, ok := err.(*exec.ExitError); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				s.code = 128 + int(ws.Signal())
			} else {
				s.code = ee.ExitCode()
			}
		} else {
			s.err = err
		}
		close(s.done)
	}()
	e.t.Cleanup(func() {
		select {
		case <-s.done:
			return
		default:
		}
		// As a user's Ctrl-C would: the launch ends the app and stops
		// the container; killed only if it does not.
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// wait waits for a background launch to end.
func (s *started) wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-s.done:
		if s.err != nil {
			t.Fatalf("launch: %v\n%s", s.err, s.out)
		}
		return s.code
	case <-time.After(timeout):
		t.Fatalf("launch still running after %v; output:\n%s", timeout, s.out)
	}
	return -1
}

// state asks LXC for a container's state.
func (e *tenv) state(name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "lxc-info", "-P", e.lxcpath, "-n", name, "-s", "-H").CombinedOutput()
	if err != nil {
		return "ERROR: " + strings.TrimSpace(string(out))
	}
	return strings.TrimSpace(string(out))
}

// waitState polls for a state (50 ms steps) and reports whether it came.
func (e *tenv) waitState(name, want string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if e.state(name) == want {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
