//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// editorBin is the lxcage-editor under test: $LXCAGE_EDITOR_BIN (built
// by hack/test.sh), or one built on first use.
var (
	editorOnce sync.Once
	editorPath string
	editorErr  error
)

func editorBinary(t testing.TB) string {
	t.Helper()
	editorOnce.Do(func() {
		if p := os.Getenv("LXCAGE_EDITOR_BIN"); p != "" {
			if _, err := os.Stat(p); err == nil {
				editorPath = p
				return
			}
		}
		dir, err := os.MkdirTemp("", "lxcage-editor-bin-")
		if err != nil {
			editorErr = err
			return
		}
		os.Chmod(dir, 0o755)
		editorPath = filepath.Join(dir, "lxcage-editor")
		out, err := exec.Command("go", "build", "-o", editorPath, "github.com/lxcage/lxcage/cmd/lxcage-editor").CombinedOutput()
		if err != nil {
			editorErr = fmt.Errorf("build lxcage-editor: %v\n%s", err, out)
		}
	})
	need(t, editorErr == nil, "lxcage-editor: "+errString(editorErr))
	return editorPath
}

// editor is a running lxcage-editor.
type editor struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

// startEditor runs the editor on the test's profiles and LXC path, with
// the lxcage under test for its commands.
func (e *tenv) startEditor(args ...string) *editor {
	e.t.Helper()
	bin := editorBinary(e.t)
	cmd := exec.Command(bin, append([]string{"-P", e.lxcpath}, args...)...)
	cmd.Env = append(e.environ(), "LXCAGE_BIN="+lxcageBin)
	ed := &editor{cmd: cmd, out: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = ed.out, ed.out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { cmd.Wait(); close(ed.done) }()
	e.t.Cleanup(func() { ed.quit(e.t) })
	return ed
}

// quit ends the editor the way a session logout does.
func (ed *editor) quit(t testing.TB) {
	select {
	case <-ed.done:
		return
	default:
	}
	ed.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-ed.done:
	case <-time.After(5 * time.Second):
		ed.cmd.Process.Kill()
		<-ed.done
	}
}

// waitMapped waits for a viewable top-level window whose name contains
// name: the moment the user can see it.
func waitMapped(c *xgb.Conn, name string, timeout time.Duration) (xproto.Window, bool) {
	deadline := time.Now().Add(timeout)
	for {
		for w, n := range topWindows(c) {
			if !strings.Contains(n, name) {
				continue
			}
			if a, err := xproto.GetWindowAttributes(c, w).Reply(); err == nil && a.MapState == xproto.MapStateViewable {
				return w, true
			}
		}
		if time.Now().After(deadline) {
			return 0, false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// windowNames lists the top-level window names, for failure messages.
func windowNames(c *xgb.Conn) string {
	var names []string
	for _, n := range topWindows(c) {
		names = append(names, fmt.Sprintf("%q", n))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// xdotool drives the editor's window with real (XTEST) key events.
func xdotool(t testing.TB, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "xdotool", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// pressKey focuses the window and presses a key combination in it.
func pressKey(t testing.TB, w xproto.Window, keys string) {
	t.Helper()
	xdotool(t, "windowfocus", "--sync", fmt.Sprint(w))
	xdotool(t, "key", "--clearmodifiers", keys)
}

const editorEyes = `description = "xeyes from the editor test"
command = ["xeyes", "-geometry", "120x90"]
[access]
x11 = true
`

const editorClock = `description = "a clock that is listed first"
command = ["xclock"]
[access]
x11 = true
`

// TestEditorLaunchesApp is the editor end to end on a real X server: it
// lists the test's profiles (the first is selected, the title says
// which), moves to the next with the keyboard, launches it with Ctrl+L,
// and the app's window appears from its container. The launch outlives
// the editor: closing the editor leaves the app running, and the
// container stops only when the app's window goes.
func TestEditorLaunchesApp(t *testing.T) {
	e := newEnv(t)
	x := xconn(t)
	_, err := exec.LookPath("xdotool")
	need(t, err == nil, "xdotool")
	e.profile("aclock", editorClock)
	e.profile("eyes", editorEyes)

	ed := e.startEditor()
	w, ok := waitMapped(x, "lxcage editor: aclock", 20*time.Second)
	if !ok {
		t.Fatalf("no editor window showing aclock; windows: %s\neditor output:\n%s", windowNames(x), ed.out)
	}
	pressKey(t, w, "ctrl+Next")
	if _, ok := waitMapped(x, "lxcage editor: eyes", 5*time.Second); !ok {
		t.Fatalf("Ctrl+PageDown did not select eyes; windows: %s", windowNames(x))
	}
	pressKey(t, w, "ctrl+l")
	app, ok := waitWindow(t, x, "xeyes", 30*time.Second)
	if !ok {
		t.Fatalf("no xeyes window after Ctrl+L; windows: %s\neditor output:\n%s", windowNames(x), ed.out)
	}
	if st := e.state("eyes"); st != "RUNNING" {
		t.Errorf("container %s while xeyes shows", st)
	}

	ed.quit(t)
	time.Sleep(time.Second)
	if windowGone(x, "xeyes") {
		t.Fatalf("closing the editor closed the app")
	}
	if st := e.state("eyes"); st != "RUNNING" {
		t.Fatalf("container %s after the editor closed", st)
	}
	killClient(t, x, app)
	if !e.waitState("eyes", "STOPPED", 15*time.Second) {
		t.Errorf("container %s after the app's window was killed", e.state("eyes"))
	}
}

// TestEditorShowsProfileGiven: a profile named on the command line is
// the one shown, and a broken profile does not keep the editor from
// starting.
func TestEditorShowsProfileGiven(t *testing.T) {
	e := newEnv(t)
	x := xconn(t)
	e.profile("aclock", editorClock)
	e.profile("broken", "command = \"not a list\"\n")
	e.profile("eyes", editorEyes)
	ed := e.startEditor("eyes")
	if _, ok := waitMapped(x, "lxcage editor: eyes", 20*time.Second); !ok {
		t.Fatalf("no editor window showing eyes; windows: %s\neditor output:\n%s", windowNames(x), ed.out)
	}
}

// startupTime starts the editor and returns how long its window took to
// be mapped.
func startupTime(t testing.TB, e *tenv, x *xgb.Conn) time.Duration {
	t.Helper()
	start := time.Now()
	ed := e.startEditor("eyes")
	if _, ok := waitMapped(x, "lxcage editor: eyes", 20*time.Second); !ok {
		t.Fatalf("editor window not mapped; output:\n%s", ed.out)
	}
	took := time.Since(start)
	ed.quit(t)
	return took
}

// TestEditorStartupTime: the window is mapped within 1.5 s of starting
// the built binary (the median of three starts, after one to warm the
// page cache).
func TestEditorStartupTime(t *testing.T) {
	e := newEnv(t)
	x := xconn(t)
	e.profile("eyes", editorEyes)
	startupTime(t, e, x)
	var times []time.Duration
	for i := 0; i < 3; i++ {
		times = append(times, startupTime(t, e, x))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	t.Logf("editor window mapped after %v (median of %v)", times[1], times)
	if times[1] > 1500*time.Millisecond {
		t.Errorf("editor start-up %v, want < 1.5s", times[1])
	}
}

// BenchmarkEditorStartup measures the time from starting lxcage-editor
// to its window being mapped (make bench).
func BenchmarkEditorStartup(b *testing.B) {
	e := newEnv(b)
	x := xconn(b)
	e.profile("eyes", editorEyes)
	startupTime(b, e, x) // warm the page cache
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		total += startupTime(b, e, x)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/window")
}
