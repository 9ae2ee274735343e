package proxy

import (
	"errors"
	"slices"
	"testing"

	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
)

// A client of the container without any cookie works through the proxy:
// it creates and draws its own windows and reads its own properties.
func TestOwnWindowWorks(t *testing.T) {
	x := startXvfb(t)
	p := startProxy(t, x, Config{})
	for _, msb := range []bool{false, true} {
		c, err := xclient.Dial(p.display, xclient.Options{BigEndian: msb})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		w, _ := c.CreateWindow(c.Root(), 10, 10, 100, 80, 0)
		c.MapWindow(w)
		name, _ := c.Intern("WM_NAME")
		utf, _ := c.Intern("UTF8_STRING")
		c.ChangeProperty(w, name, utf, []byte("own window"))
		typ, val, err := c.GetProperty(w, name)
		if err != nil || typ != utf || string(val) != "own window" {
			t.Fatalf("msb=%v: own property: %d %q %v", msb, typ, val, err)
		}
		// GetImage of its own window.
		r, err := c.Call(73, 2, w, 0, c.Pair(10, 10), 0xffffffff)
		if err != nil || len(r) != 32+10*10*4 {
			t.Fatalf("msb=%v: GetImage of own window: %d bytes, %v", msb, len(r), err)
		}
		if err := c.Sync(); err != nil {
			t.Fatalf("msb=%v: %v", msb, err)
		}
	}
}

// Sequence numbers stay in step: refused requests with replies are
// answered in order among the server's own replies, so a client never
// waits forever and never takes one answer for another.
func TestRefusedInOrder(t *testing.T) {
	x := startXvfb(t)
	p := startProxy(t, x, Config{})
	c := p.client(t)
	root := c.Root()
	var seqs []uint16
	for i := 0; i < 50; i++ {
		a, _ := c.Send(43, 0)                                      // GetInputFocus: passes
		b, _ := c.Send(73, 2, root, 0, c.Pair(10, 10), ^uint32(0)) // GetImage of the root: refused
		d, _ := c.Send(44, 0)                                      // QueryKeymap: answered by the proxy
		e, _ := c.Send(36, 0)                                      // GrabServer: swallowed
		seqs = append(seqs, a, b, d, e)
	}
	for i := 0; i < len(seqs); i += 4 {
		if _, err := c.Reply(seqs[i]); err != nil {
			t.Fatalf("GetInputFocus %d: %v", seqs[i], err)
		}
		_, err := c.Reply(seqs[i+1])
		var xe *xclient.Error
		if !errors.As(err, &xe) || xe.Seq != seqs[i+1] || xe.Major != 73 {
			t.Fatalf("GetImage of the root: %v", err)
		}
		r, err := c.Reply(seqs[i+2])
		if err != nil || len(r) != 40 || slices.ContainsFunc(r[8:], func(b byte) bool { return b != 0 }) {
			t.Fatalf("QueryKeymap: %x %v", r, err)
		}
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
}

// QueryTree lists only the container's windows: other clients' ids are
// how one finds their titles and contents.
func TestQueryTreeFiltered(t *testing.T) {
	x := startXvfb(t)
	host := x.Host(t)
	hw, _ := host.CreateWindow(host.Root(), 0, 0, 10, 10, 0)
	host.MapWindow(hw)
	host.Sync()
	p := startProxy(t, x, Config{})
	c := p.client(t)
	own, _ := c.CreateWindow(c.Root(), 0, 0, 10, 10, 0)
	r, err := c.Call(15, 0, c.Root())
	if err != nil {
		t.Fatal(err)
	}
	n := int(c.Order().Uint16(r[16:]))
	var kids []uint32
	for i := 0; i < n; i++ {
		kids = append(kids, c.Order().Uint32(r[32+4*i:]))
	}
	if !slices.Equal(kids, []uint32{own}) {
		t.Errorf("QueryTree of the root lists %x, want only %x (host window %x)", kids, own, hw)
	}
}

// The container cannot take all of the display's client slots: past
// maxConns connections the proxy turns clients away.
func TestConnectionLimit(t *testing.T) {
	x := startXvfb(t)
	p := startProxy(t, x, Config{})
	for i := 0; i < maxConns; i++ {
		p.client(t)
	}
	if c, err := xclient.Dial(p.display, xclient.Options{}); err == nil {
		c.Close()
		t.Fatalf("connection %d accepted", maxConns+1)
	}
	// The user's own clients still connect.
	x.Host(t)
}
