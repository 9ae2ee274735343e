package proxy

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/services/x11/proxy/probe"
	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
	"github.com/lxcage/lxcage/services/x11/proxy/xvfb"
)

// victim is a host app: a window titled like a password manager that
// owns the clipboard with a password in it.
type victim struct {
	x      *xserver
	conn   *xclient.Conn
	window uint32
	secret string
}

func newVictim(t *testing.T, x *xserver) *victim {
	t.Helper()
	v := &victim{x: x, conn: x.Host(t), secret: "hunter2-correct-horse"}
	c := v.conn
	v.window, _ = c.CreateWindow(c.Root(), 300, 300, 200, 100, 1) // KeyPress
	name, _ := c.Intern("WM_NAME")
	c.ChangeProperty(v.window, name, 31, []byte("Password Manager"))
	c.MapWindow(v.window)
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	xclip := xvfb.NeedTool(t, "xclip")
	cmd := exec.Command(xclip, "-selection", "clipboard", "-quiet")
	cmd.Env = x.Env()
	cmd.Stdin = strings.NewReader(v.secret)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Wait until xclip owns the clipboard.
	clip, _ := c.Intern("CLIPBOARD")
	for i := 0; ; i++ {
		r, err := c.Call(23, 0, clip)
		if err == nil && c.Order().Uint32(r[8:]) != 0 {
			break
		}
		if i == 200 {
			t.Fatal("xclip did not take the clipboard")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return v
}

// typeInto focuses a window and types text with XTEST, as the user would.
func (v *victim) typeInto(t testing.TB, w uint32, text string) {
	t.Helper()
	xdotool := xvfb.NeedTool(t, "xdotool")
	cmd := exec.Command(xdotool, "windowfocus", fmt.Sprint(w), "type", "--delay", "10", text)
	cmd.Env = v.x.Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("xdotool: %v\n%s", err, out)
	}
}

// Every attack of package probe is refused through the proxy — and the
// same attacks succeed on the display directly, so the probes can fail.
func TestAttacksRefused(t *testing.T) {
	x := startXvfb(t)
	v := newVictim(t, x)
	p := startProxy(t, x, Config{})
	target := func(display string) probe.Target {
		return probe.Target{Display: display, Window: v.window, Listen: time.Second,
			Ready: func() { v.typeInto(t, v.window, "secret") }}
	}
	var retained uint32
	for _, name := range probe.Names() {
		r, err := probe.Run(name, target(p.display))
		if err != nil {
			t.Errorf("probe %s: %v", name, err)
			continue
		}
		if !r.Refused {
			t.Errorf("through the proxy: %s", r)
		}
		if name == "retain" {
			retained = parseWindow(r.Detail)
		}
	}
	// Directly (as the app would be with the user's display), the
	// harmless ones of the same attacks work.
	direct := x.Display
	for _, name := range []string{"xtest", "record", "screenshot", "title", "clipboard", "keylogger", "roles"} {
		tg := target(direct)
		r, err := runDirect(name, tg, x)
		if err != nil {
			t.Errorf("direct probe %s: %v", name, err)
			continue
		}
		if r.Refused {
			t.Errorf("directly the attack %s should work, but: %s", name, r)
		}
	}
	// Nothing of the container outlives its proxy.
	p.Close()
	if retained == 0 {
		t.Fatal("the retain probe made no window")
	}
	for i := 0; ; i++ {
		var xe *xclient.Error
		_, err := v.conn.Call(3, 0, retained)
		if errors.As(err, &xe) && xe.Code == errWindow {
			break
		}
		if i == 500 {
			t.Fatalf("window %#x made with RetainPermanent is still there after the proxy stopped: %v", retained, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := v.conn.Call(3, 0, v.window); err != nil {
		t.Errorf("the host window is gone: %v", err)
	}
}

// runDirect runs a probe with the user's cookie, as an app given the
// display would.
func runDirect(name string, t probe.Target, x *xserver) (probe.Result, error) {
	return probe.RunWith(name, t, x.Options())
}

func parseWindow(detail string) uint32 {
	for _, f := range strings.Fields(detail) {
		if w, err := strconv.ParseUint(f, 0, 32); err == nil && strings.HasPrefix(f, "0x") {
			return uint32(w)
		}
	}
	return 0
}
