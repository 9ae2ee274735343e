package proxy

import (
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
	"github.com/lxcage/lxcage/services/x11/proxy/xvfb"
)

// paste converts CLIPBOARD into a property of w and returns what arrived
// ("" when the owner, or the proxy, said there is nothing).
func paste(t *testing.T, c *xclient.Conn, w uint32) string {
	t.Helper()
	clip, _ := c.Intern("CLIPBOARD")
	utf, _ := c.Intern("UTF8_STRING")
	prop, _ := c.Intern("LXCAGE_PASTE")
	c.Send(24, 0, w, clip, utf, prop, 0)
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err := c.NextEvent(time.Until(deadline))
		if err != nil {
			t.Fatalf("no SelectionNotify: %v", err)
		}
		if p[0]&0x7f != evSelectionNote {
			continue
		}
		if c.Order().Uint32(p[20:]) == 0 {
			return ""
		}
		_, v, err := c.GetProperty(w, prop)
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
}

// appWindow is a mapped window of the container's that hears keys.
func appWindow(t *testing.T, c *xclient.Conn) uint32 {
	t.Helper()
	w, _ := c.CreateWindow(c.Root(), 0, 0, 200, 100, 1|1<<22) // KeyPress, PropertyChange
	c.MapWindow(w)
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	return w
}

// on-input: the host's clipboard is readable right after the user typed
// into the app's window, and not before or long after.
func TestPasteOnInput(t *testing.T) {
	x := startXvfb(t)
	v := newVictim(t, x)
	p := startProxy(t, x, Config{Clipboard: ClipboardOnInput})
	var skew atomic.Int64
	p.w.act.now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	c := p.client(t)
	w := appWindow(t, c)
	if got := paste(t, c, w); got != "" {
		t.Fatalf("read the host's clipboard without input: %q", got)
	}
	if !strings.Contains(p.log.String(), "refused ConvertSelection") {
		t.Errorf("the refusal is not in the debug log:\n%s", p.log)
	}
	v.typeInto(t, w, "v")
	if got := paste(t, c, w); got != v.secret {
		t.Fatalf("paste right after a key press in the app's window: %q, want %q", got, v.secret)
	}
	skew.Store(int64(3 * time.Second))
	if got := paste(t, c, w); got != "" {
		t.Fatalf("read the host's clipboard 3 s after the key press: %q", got)
	}
	// A key typed into another window is no paste for the app.
	v.typeInto(t, v.window, "v")
	if got := paste(t, c, w); got != "" {
		t.Fatalf("read the host's clipboard after a key press elsewhere: %q", got)
	}
}

func TestPasteModes(t *testing.T) {
	x := startXvfb(t)
	v := newVictim(t, x)
	for _, tc := range []struct {
		mode  string
		input bool
		want  string
	}{
		{ClipboardNone, true, ""},
		{ClipboardFull, false, v.secret},
	} {
		p := startProxy(t, x, Config{Clipboard: tc.mode})
		c := p.client(t)
		w := appWindow(t, c)
		if tc.input {
			v.typeInto(t, w, "v")
		}
		if got := paste(t, c, w); got != tc.want {
			t.Errorf("clipboard %s: pasted %q, want %q", tc.mode, got, tc.want)
		}
	}
}

// Copy out: the host reads the app's clipboard — answered by the app
// writing into the host requestor's window — except with "none".
func TestCopyOut(t *testing.T) {
	x := startXvfb(t)
	xclip := xvfb.NeedTool(t, "xclip")
	for _, tc := range []struct {
		mode string
		want string
	}{
		{ClipboardOnInput, "copied from the app"},
		{ClipboardNone, ""},
	} {
		p := startProxy(t, x, Config{Clipboard: tc.mode})
		c := p.client(t)
		w := appWindow(t, c)
		clip, _ := c.Intern("CLIPBOARD")
		c.Send(22, 0, w, clip, 0) // SetSelectionOwner
		c.Sync()
		done := make(chan struct{})
		go serveSelection(c, tc.want, done)
		cmd := exec.Command(xclip, "-o", "-selection", "clipboard")
		cmd.Env = x.Env()
		out, _ := cmd.Output()
		close(done)
		if string(out) != tc.want {
			t.Errorf("clipboard %s: the host read %q, want %q", tc.mode, out, tc.want)
		}
	}
}

// serveSelection answers SelectionRequests as a selection owner does.
func serveSelection(c *xclient.Conn, data string, done chan struct{}) {
	o := c.Order()
	utf, _ := c.Intern("UTF8_STRING")
	targets, _ := c.Intern("TARGETS")
	for {
		select {
		case <-done:
			return
		default:
		}
		p, err := c.NextEvent(100 * time.Millisecond)
		if err != nil || p[0] != evSelectionReq {
			continue
		}
		req, sel, target, prop := o.Uint32(p[12:]), o.Uint32(p[16:]), o.Uint32(p[20:]), o.Uint32(p[24:])
		switch target {
		case targets:
			c.SendData(18, 0, []uint32{req, prop, 4, c.Bytes(32, 0, 0, 0), 1}, le32(o, utf)) // ATOM list
		default:
			c.ChangeProperty(req, prop, utf, []byte(data))
		}
		ev := make([]byte, 32)
		ev[0] = evSelectionNote
		o.PutUint32(ev[4:], o.Uint32(p[4:]))
		o.PutUint32(ev[8:], req)
		o.PutUint32(ev[12:], sel)
		o.PutUint32(ev[16:], target)
		o.PutUint32(ev[20:], prop)
		c.SendData(25, 0, []uint32{req, 0}, ev)
		c.Sync()
	}
}

func le32(o interface{ PutUint32([]byte, uint32) }, v uint32) []byte {
	b := make([]byte, 4)
	o.PutUint32(b, v)
	return b
}
