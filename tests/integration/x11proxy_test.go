//go:build integration

package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/lxcage/lxcage/services/x11/proxy/probe"
)

// The X11 proxy from inside a container: a hostile client with no cookie
// attacks the display, and apps work through it.

// x11AttackMain runs inside a container (the test binary shared in): it
// runs every attack of services/x11/proxy/probe against the window
// LXCAGE_X11_ATTACK names and prints one line each; exit 1 on a leak.
func x11AttackMain() {
	w, _ := strconv.ParseUint(os.Getenv("LXCAGE_X11_ATTACK"), 0, 32)
	status := 0
	for _, n := range probe.Names() {
		r, err := probe.Run(n, probe.Target{Display: os.Getenv("DISPLAY"), Window: uint32(w), Listen: 3 * time.Second})
		if err != nil {
			fmt.Printf("ERROR %s: %v\n", n, err)
			status = 2
			continue
		}
		fmt.Println(r)
		if !r.Refused {
			status = 1
		}
	}
	os.Exit(status)
}

// selfShare is the profile text that shares this test binary's directory
// read-only at /mnt/probe.
func selfShare(t *testing.T) (bin, share string) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return "/mnt/probe/" + filepath.Base(self), fmt.Sprintf("[[share]]\nhost = %q\npath = \"/mnt/probe\"\nreadonly = true\n", filepath.Dir(self))
}

// hostTitledWindow makes a mapped window of a host client with a title and a
// secret property, and returns it.
func hostTitledWindow(t *testing.T, x *xgb.Conn, title string) xproto.Window {
	screen := xproto.Setup(x).DefaultScreen(x)
	w, _ := xproto.NewWindowId(x)
	xproto.CreateWindow(x, screen.RootDepth, w, screen.Root, 10, 10, 200, 100, 0, xproto.WindowClassInputOutput,
		screen.RootVisual, xproto.CwBackPixel|xproto.CwEventMask, []uint32{0x336699, xproto.EventMaskKeyPress})
	xproto.ChangeProperty(x, xproto.PropModeReplace, w, xproto.AtomWmName, xproto.AtomString, 8, uint32(len(title)), []byte(title))
	xproto.MapWindow(x, w)
	x.Sync()
	t.Cleanup(func() { xproto.DestroyWindow(x, w); x.Sync() })
	return w
}

// hostClipboard makes a host client own CLIPBOARD and PRIMARY with text
// (xclip stays until another owner takes them).
func hostClipboard(t *testing.T, text string) {
	_, err := exec.LookPath("xclip")
	need(t, err == nil, "xclip (hack/setup-host.sh installs it)")
	for _, sel := range []string{"clipboard", "primary"} {
		cmd := exec.Command("xclip", "-selection", sel, "-i", "-quiet")
		cmd.Stdin = strings.NewReader(text)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	time.Sleep(200 * time.Millisecond)
}

// TestX11ProxyAttacksFromInside: x11 = true, no cookie inside. XTEST,
// RECORD, a root screenshot, another client's title and properties, the
// host's clipboard without input, KillClient of a host window, driving
// or grabbing it, an XInput2 raw-key listener while keys are typed into
// another window, a window retained past the app: every attack refused.
func TestX11ProxyAttacksFromInside(t *testing.T) {
	_, err := exec.LookPath("xdotool")
	need(t, err == nil, "xdotool")
	e := newEnv(t)
	x := xconn(t)
	victim := hostTitledWindow(t, x, "host-secret-title")
	hostClipboard(t, "host-clipboard-secret")
	bin, share := selfShare(t)
	e.profile("attack", fmt.Sprintf("command = [%q]\n[access]\nx11 = true\n[env]\nLXCAGE_X11_ATTACK = \"%d\"\n%s", bin, victim, share))
	l := e.start("launch", "attack")
	// Keys typed into the host window while the keylogger listens.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
				exec.Command("xdotool", "type", "--window", strconv.Itoa(int(victim)), "pw").Run()
			}
		}
	}()
	code := l.wait(t, 90*time.Second)
	close(stop)
	out := l.out.String()
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "LEAK") || strings.HasPrefix(line, "ERROR") || strings.Contains(line, "secret") {
			t.Errorf("%s", line)
		}
	}
	if code != 0 || strings.Count(out, "refused ") != len(probe.Names()) {
		t.Errorf("status %d, %d of %d attacks refused:\n%s", code, strings.Count(out, "refused "), len(probe.Names()), out)
	}
}

// x11PasteMain runs inside a container: a window that waits for a key
// press, then reads the CLIPBOARD; it prints "before: …" (a read with no
// input, which must get nothing) and "after: …".
func x11PasteMain() {
	c, err := xgb.NewConn()
	if err != nil {
		fmt.Println("connect-failed", err)
		os.Exit(2)
	}
	screen := xproto.Setup(c).DefaultScreen(c)
	w, _ := xproto.NewWindowId(c)
	xproto.CreateWindow(c, screen.RootDepth, w, screen.Root, 0, 0, 100, 100, 0, xproto.WindowClassInputOutput,
		screen.RootVisual, xproto.CwEventMask, []uint32{xproto.EventMaskKeyPress | xproto.EventMaskPropertyChange})
	title := "paste-in-lxcage"
	xproto.ChangeProperty(c, xproto.PropModeReplace, w, xproto.AtomWmName, xproto.AtomString, 8, uint32(len(title)), []byte(title))
	xproto.MapWindow(c, w)
	fmt.Println("before:", readClipboard(c, w))
	for {
		ev, err := c.WaitForEvent()
		if ev == nil && err == nil {
			os.Exit(2)
		}
		if _, ok := ev.(xproto.KeyPressEvent); ok {
			break
		}
	}
	fmt.Println("after:", readClipboard(c, w))
	os.Exit(0)
}

// readClipboard converts CLIPBOARD to UTF8_STRING into a property of w
// and returns it ("" when refused).
func readClipboard(c *xgb.Conn, w xproto.Window) string {
	atom := func(name string) xproto.Atom {
		r, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
		if err != nil {
			return 0
		}
		return r.Atom
	}
	clip, utf8, prop := atom("CLIPBOARD"), atom("UTF8_STRING"), atom("LXCAGE_PASTE")
	xproto.ConvertSelection(c, w, clip, utf8, prop, xproto.TimeCurrentTime)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		ev, err := c.PollForEvent()
		if ev == nil && err == nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if sn, ok := ev.(xproto.SelectionNotifyEvent); ok {
			if sn.Property == xproto.AtomNone {
				return ""
			}
			p, err := xproto.GetProperty(c, true, w, prop, xproto.GetPropertyTypeAny, 0, 1024).Reply()
			if err != nil {
				return ""
			}
			return string(p.Value)
		}
	}
	return "timeout"
}

// TestX11ProxyPasteAfterInput: with clipboard = "on-input" (the default)
// the app cannot read what a host app copied, until the user presses a
// key in the app's own window: then the paste works.
func TestX11ProxyPasteAfterInput(t *testing.T) {
	_, err := exec.LookPath("xdotool")
	need(t, err == nil, "xdotool")
	e := newEnv(t)
	x := xconn(t)
	hostClipboard(t, "copied-on-the-host")
	bin, share := selfShare(t)
	e.profile("paste", fmt.Sprintf("command = [%q]\n[access]\nx11 = true\n[env]\nLXCAGE_X11_PASTE = \"1\"\n%s", bin, share))
	l := e.start("launch", "paste")
	w, ok := waitWindow(t, x, "paste-in-lxcage", 30*time.Second)
	if !ok {
		t.Fatalf("no window; output:\n%s", l.out)
	}
	time.Sleep(500 * time.Millisecond)
	// A real key press (XTEST on the focused window), not a SendEvent:
	// the proxy counts only what the server delivered from the keyboard.
	focus := exec.Command("timeout", "10", "xdotool", "windowfocus", strconv.Itoa(int(w)), "sleep", "0.3", "key", "ctrl+v")
	if out, err := focus.CombinedOutput(); err != nil {
		t.Errorf("xdotool: %v %s", err, out)
	}
	l.wait(t, 30*time.Second)
	out := l.out.String()
	if lineOf(out, "before:") != "before:" {
		t.Errorf("the app read the host's clipboard without input:\n%s", out)
	}
	if !strings.Contains(out, "after: copied-on-the-host") {
		t.Errorf("no paste after a key press in the app's window:\n%s", out)
	}
}

// lineOf is the first line of s starting with prefix.
func lineOf(s, prefix string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			return strings.TrimSpace(sc.Text())
		}
	}
	return ""
}

// TestX11ProxyGL: GLX through the proxy (Mesa's software renderer):
// glxinfo reports direct rendering, glxgears draws a window.
func TestX11ProxyGL(t *testing.T) {
	_, err := exec.LookPath("glxinfo")
	need(t, err == nil, "glxinfo (mesa-utils)")
	e := newEnv(t)
	x := xconn(t)
	r := inside(t, e, "glx", "glxinfo -B", "[access]\nx11 = true\n")
	if r.code != 0 || !strings.Contains(r.stdout, "direct rendering: Yes") {
		t.Errorf("glxinfo: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	e.profile("gears", "command = [\"glxgears\"]\n[access]\nx11 = true\n")
	l := e.start("launch", "gears")
	w, ok := waitWindow(t, x, "glxgears", 30*time.Second)
	if !ok {
		t.Fatalf("no glxgears window:\n%s", l.out)
	}
	killClient(t, x, w)
	l.wait(t, 15*time.Second)
}
