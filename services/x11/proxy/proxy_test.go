package proxy

import (
	"errors"
	"fmt"
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

// Several clients at once mix passed, refused and streamed requests;
// every answer arrives, in order, with its own sequence number.
func TestStress(t *testing.T) {
	x := startXvfb(t)
	host := x.Host(t)
	foreign, _ := host.CreateWindow(host.Root(), 0, 0, 10, 10, 0)
	host.Sync()
	p := startProxy(t, x, Config{})
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		c := p.client(t)
		if i%2 == 1 {
			c.Close()
			var err error
			if c, err = xclient.Dial(p.display, xclient.Options{BigEndian: true}); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
		}
		go func(c *xclient.Conn) { errs <- stress(c, foreign, 150) }(c)
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func stress(c *xclient.Conn, foreign uint32, rounds int) error {
	big, err := c.QueryExtension("BIG-REQUESTS")
	if err != nil {
		return err
	}
	if _, err := c.Call(big.Major, 0); err != nil {
		return err
	}
	w, _ := c.CreateWindow(c.Root(), 0, 0, 300, 300, 0)
	gc := c.NewID()
	c.Send(55, 0, gc, w, 0)
	o := c.Order()
	img := make([]byte, 28+300*300*4)
	img[0], img[1] = 72, 2
	o.PutUint32(img[4:], uint32(len(img)/4))
	o.PutUint32(img[8:], w)
	o.PutUint32(img[12:], gc)
	o.PutUint32(img[16:], c.Pair(300, 300))
	img[25] = 24
	root := c.Root()
	for i := 0; i < rounds; i++ {
		a, _ := c.Send(43, 0)
		b, _ := c.Send(73, 2, root, 0, c.Pair(4, 4), ^uint32(0))
		c.Raw(img, 1)
		d, _ := c.Send(44, 0)
		c.Send(36, 0)
		e, _ := c.Send(20, 0, foreign, atomWMName, 0, 0, 10)
		if _, err := c.Reply(a); err != nil {
			return fmt.Errorf("round %d GetInputFocus: %v", i, err)
		}
		var xe *xclient.Error
		if _, err := c.Reply(b); !errors.As(err, &xe) || xe.Seq != b {
			return fmt.Errorf("round %d GetImage of the root: %v", i, err)
		}
		if r, err := c.Reply(d); err != nil || len(r) != 40 {
			return fmt.Errorf("round %d QueryKeymap: %v", i, err)
		}
		if r, err := c.Reply(e); err != nil || o.Uint32(r[8:]) != 0 {
			return fmt.Errorf("round %d GetProperty of another client: %v", i, err)
		}
	}
	return c.Sync()
}
