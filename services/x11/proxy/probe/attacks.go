package probe

import (
	"fmt"
	"slices"
	"time"

	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
)

// visibleMajors are the major opcodes of the extensions the display
// admits to.
func visibleMajors(c *xclient.Conn) (map[uint8]string, error) {
	names, err := c.ListExtensions()
	if err != nil {
		return nil, err
	}
	out := map[uint8]string{}
	for _, n := range names {
		e, err := c.QueryExtension(n)
		if err != nil {
			return nil, err
		}
		if e.Present {
			out[e.Major] = n
		}
	}
	return out, nil
}

// hiddenExtension checks that an extension is absent, by name and by
// trying its request on every opcode not admitted to (a client need not
// ask QueryExtension to know where the server keeps it).
func hiddenExtension(c *xclient.Conn, name string, req func(major uint8) []byte) (string, string, error) {
	e, err := c.QueryExtension(name)
	if err != nil {
		return "", "", err
	}
	if e.Present {
		return fmt.Sprintf("QueryExtension %s: present at opcode %d", name, e.Major), "", nil
	}
	names, err := c.ListExtensions()
	if err != nil {
		return "", "", err
	}
	if slices.Contains(names, name) {
		return fmt.Sprintf("ListExtensions lists %s", name), "", nil
	}
	vis, err := visibleMajors(c)
	if err != nil {
		return "", "", err
	}
	var reqs [][]byte
	var majors []uint8
	for m := 128; m < 256; m++ {
		if _, ok := vis[uint8(m)]; !ok {
			reqs = append(reqs, req(uint8(m)))
			majors = append(majors, uint8(m))
		}
	}
	passed, err := expectErrors(c, reqs)
	if err != nil {
		return "", "", err
	}
	if len(passed) > 0 {
		return fmt.Sprintf("%s request on hidden opcode %d passed", name, majors[passed[0]]), "", nil
	}
	return "", fmt.Sprintf("absent; its requests failed on all %d opcodes not admitted to", len(reqs)), nil
}

// xtest tries to type a key into whatever has the focus.
func xtest(c *xclient.Conn, t Target) (string, string, error) {
	return hiddenExtension(c, "XTEST", func(m uint8) []byte {
		// FakeInput: KeyPress of keycode 38, now, on the root.
		return c.Encode(m, 2, []uint32{c.Bytes(2, 38, 0, 0), 0, c.Root(), 0, 0, 0, 0, 0}, nil)
	})
}

// record tries to create a recording context of all clients.
func record(c *xclient.Conn, t Target) (string, string, error) {
	return hiddenExtension(c, "RECORD", func(m uint8) []byte {
		// CreateContext(id, no header, all clients, one range of
		// device events KeyPress..MotionNotify).
		return c.Encode(m, 1, []uint32{c.NewID(), 0, 1, 1, 3, 0, 0, 0, 0, c.Bytes(0, 0, 2, 6), 0}, nil)
	})
}

// hiddenOpcodes sends a short request on every opcode the display does
// not admit to: none may be answered with a reply.
func hiddenOpcodes(c *xclient.Conn, t Target) (string, string, error) {
	vis, err := visibleMajors(c)
	if err != nil {
		return "", "", err
	}
	var reqs [][]byte
	for m := 128; m < 256; m++ {
		if _, ok := vis[uint8(m)]; !ok {
			for minor := uint8(0); minor < 4; minor++ {
				reqs = append(reqs, c.Encode(uint8(m), minor, []uint32{0, 0}, nil))
			}
		}
	}
	passed, err := expectErrors(c, reqs)
	if err != nil {
		return "", "", err
	}
	if len(passed) > 0 {
		r := reqs[passed[0]]
		return fmt.Sprintf("request %d/%d on a hidden opcode passed", r[0], r[1]), "", nil
	}
	return "", fmt.Sprintf("%d requests on %d hidden opcodes all failed", len(reqs), len(reqs)/4), nil
}

// screenshot tries to read the screen: GetImage of the root and of the
// other client's window, CopyArea from them, a RENDER picture of the root.
func screenshot(c *xclient.Conn, t Target) (string, string, error) {
	root := c.Root()
	pix := c.NewID()
	c.Send(53, 24, pix, root, c.Pair(64, 64)) // CreatePixmap
	gc := c.NewID()
	c.Send(55, 0, gc, pix, 0)
	reqs := [][]byte{
		c.Encode(73, 2, []uint32{root, 0, c.Pair(64, 64), ^uint32(0)}, nil),
		c.Encode(62, 0, []uint32{root, pix, gc, 0, 0, c.Pair(64, 64)}, nil),
	}
	if t.Window != 0 {
		reqs = append(reqs, c.Encode(73, 2, []uint32{t.Window, 0, c.Pair(16, 16), ^uint32(0)}, nil),
			c.Encode(62, 0, []uint32{t.Window, pix, gc, 0, 0, c.Pair(16, 16)}, nil))
	}
	if r, err := c.QueryExtension("RENDER"); err == nil && r.Present {
		f, err := pictFormat(c, r.Major, c.Setup.Roots[0].Depth)
		if err != nil {
			return "", "", err
		}
		reqs = append(reqs, c.Encode(r.Major, 4, []uint32{c.NewID(), root, f, 0}, nil)) // CreatePicture
	}
	passed, err := expectErrors(c, reqs)
	if err != nil {
		return "", "", err
	}
	names := []string{"GetImage of the root", "CopyArea from the root", "GetImage of the other window", "CopyArea from the other window", "RENDER picture of the root"}
	if t.Window == 0 {
		names = append(names[:2], names[4])
	}
	if len(passed) > 0 {
		return names[passed[0]] + " passed", "", nil
	}
	return "", fmt.Sprintf("%d ways to read other pixels all failed", len(reqs)), nil
}

// title tries to read the other client's title and properties and to
// find windows through the tree.
func title(c *xclient.Conn, t Target) (string, string, error) {
	if t.Window != 0 {
		for _, name := range []string{"WM_NAME", "_NET_WM_NAME", "WM_CLASS"} {
			a, err := c.Intern(name)
			if err != nil {
				return "", "", err
			}
			_, v, err := c.GetProperty(t.Window, a)
			if err == nil && len(v) > 0 {
				return fmt.Sprintf("%s of window %#x: %q", name, t.Window, v), "", nil
			}
		}
		r, err := c.Call(21, 0, t.Window)
		if err == nil && c.Order().Uint16(r[8:]) > 0 {
			return fmt.Sprintf("ListProperties of window %#x: %d properties", t.Window, c.Order().Uint16(r[8:])), "", nil
		}
	}
	r, err := c.Call(15, 0, c.Root())
	if err != nil {
		return "", "", err
	}
	n := int(c.Order().Uint16(r[16:]))
	for i := 0; i < n; i++ {
		if w := c.Order().Uint32(r[32+4*i:]); w == t.Window {
			return fmt.Sprintf("QueryTree of the root lists the other window %#x", w), "", nil
		}
	}
	return "", "the other window's title, class and properties read empty; QueryTree does not list it", nil
}

// killClient tries to kill the other client, and all clients that
// retained their resources.
func killClient(c *xclient.Conn, t Target) (string, string, error) {
	reqs := [][]byte{c.Encode(113, 0, []uint32{0}, nil)}
	if t.Window != 0 {
		reqs = append(reqs, c.Encode(113, 0, []uint32{t.Window}, nil))
	}
	passed, err := expectErrors(c, reqs)
	if err != nil {
		return "", "", err
	}
	if len(passed) > 0 {
		return fmt.Sprintf("KillClient %d passed", passed[0]), "", nil
	}
	return "", "KillClient of AllTemporary and of the other window failed", nil
}

// drive tries to change, hide, move or destroy the other client's window.
func drive(c *xclient.Conn, t Target) (string, string, error) {
	if t.Window == 0 {
		return "", "no other window given", nil
	}
	w := t.Window
	own, _ := c.CreateWindow(c.Root(), 0, 0, 10, 10, 0)
	reqs := [][]byte{
		c.Encode(10, 0, []uint32{w}, nil),                     // UnmapWindow
		c.Encode(12, 0, []uint32{w, c.Pair(3, 0), 0, 0}, nil), // ConfigureWindow x, y
		c.Encode(7, 0, []uint32{w, own, 0}, nil),              // ReparentWindow into ours
		c.Encode(7, 0, []uint32{own, w, 0}, nil),              // ReparentWindow ours into it
		c.Encode(2, 0, []uint32{w, 0x2, 0xff0000}, nil),       // ChangeWindowAttributes: background
		c.Encode(4, 0, []uint32{w}, nil),                      // DestroyWindow
	}
	passed, err := expectErrors(c, reqs)
	if err != nil {
		return "", "", err
	}
	names := []string{"UnmapWindow", "ConfigureWindow", "ReparentWindow into the container's", "ReparentWindow into it", "ChangeWindowAttributes", "DestroyWindow"}
	if len(passed) > 0 {
		return names[passed[0]] + " of the other window passed", "", nil
	}
	return "", "unmapping, moving, reparenting, repainting and destroying the other window all failed", nil
}

// grabs tries to take keys and buttons from everyone: passive grabs on
// the root, and an active keyboard grab with no input to the app.
func grabs(c *xclient.Conn, t Target) (string, string, error) {
	root := c.Root()
	passed, err := expectErrors(c, [][]byte{
		c.Encode(33, 1, []uint32{root, c.Pair(0x8000, 0), c.Bytes(1, 1, 0, 0)}, nil),     // GrabKey AnyKey AnyModifier
		c.Encode(28, 1, []uint32{root, c.Pair(4, 0x0101), 0, 0, c.Pair(0, 0x8000)}, nil), // GrabButton AnyButton AnyModifier
	})
	if err != nil {
		return "", "", err
	}
	if len(passed) > 0 {
		return []string{"GrabKey", "GrabButton"}[passed[0]] + " on the root passed", "", nil
	}
	w, _ := c.CreateWindow(root, 0, 0, 10, 10, 0)
	c.MapWindow(w)
	r, err := c.Call(31, 1, w, 0, c.Bytes(1, 1, 0, 0)) // GrabKeyboard
	if err == nil && r[1] == 0 {
		return "GrabKeyboard without input to the app's window succeeded", "", nil
	}
	return "", "GrabKey and GrabButton on the root failed; GrabKeyboard without input was refused", nil
}

// retain asks for the app's windows to outlive its connection and
// creates one; the harness checks after the proxy stopped.
func retain(c *xclient.Conn, t Target) (string, string, error) {
	c.Send(112, 1) // SetCloseDownMode(RetainPermanent)
	w, _ := c.CreateWindow(c.Root(), 100, 100, 200, 100, 0)
	c.MapWindow(w)
	if err := c.Sync(); err != nil {
		return "", "", err
	}
	return "", fmt.Sprintf("created window %#x with RetainPermanent; it must be gone once the proxy stopped", w), nil
}

// keylogger listens to keys typed anywhere: XInput2 raw key events and
// key presses on the root (core and XI2) for t.Listen.
func keylogger(c *xclient.Conn, t Target) (string, string, error) {
	root := c.Root()
	xi, err := c.QueryExtension("XInputExtension")
	if err != nil {
		return "", "", err
	}
	// Core: KeyPress, KeyRelease on the root.
	c.Send(2, 0, root, 1<<11, 3)
	if xi.Present {
		c.Call(xi.Major, 47, c.Pair(2, 2)) // XIQueryVersion 2.2
		// XISelectEvents on the root, all devices: KeyPress, KeyRelease,
		// RawKeyPress, RawKeyRelease, RawButtonPress.
		mask := uint32(1<<2 | 1<<3 | 1<<13 | 1<<14 | 1<<15)
		c.Send(xi.Major, 46, root, c.Pair(1, 0), c.Pair(0, 1), c.Order().Uint32([]byte{byte(mask), byte(mask >> 8), byte(mask >> 16), 0}))
	}
	if err := c.Sync(); err != nil {
		return "", "", err
	}
	if t.Ready != nil {
		t.Ready()
	}
	deadline := time.Now().Add(t.Listen)
	heard := 0
	for time.Now().Before(deadline) {
		p, err := c.NextEvent(time.Until(deadline))
		if err == xclient.ErrTimeout {
			break
		}
		if err != nil {
			return "", "", err
		}
		switch {
		case p[0]&0x7f == 2 || p[0]&0x7f == 3:
			heard++
		case p[0]&0x7f == 35 && xi.Present && p[1] == xi.Major:
			if et := c.Order().Uint16(p[8:]); et == 2 || et == 3 || (et >= 13 && et <= 15) {
				heard++
			}
		}
	}
	if heard > 0 {
		return fmt.Sprintf("heard %d key events typed elsewhere", heard), "", nil
	}
	return "", fmt.Sprintf("heard no key of others in %v (core and XI2 on the root, raw events)", t.Listen), nil
}

// pictFormat finds a RENDER picture format of a depth.
func pictFormat(c *xclient.Conn, major, depth uint8) (uint32, error) {
	r, err := c.Call(major, 1) // QueryPictFormats
	if err != nil {
		return 0, err
	}
	n := int(c.Order().Uint32(r[8:]))
	for i := 0; i < n && 32+28*(i+1) <= len(r); i++ {
		f := r[32+28*i:]
		if f[5] == depth {
			return c.Order().Uint32(f), nil
		}
	}
	return 0, fmt.Errorf("no picture format of depth %d", depth)
}

// clipboard tries to read the other clients' selections without the
// user's input to the app: CLIPBOARD and PRIMARY, converted into its own
// window and into the root window (whose properties it may read), and
// the cut buffers.
func clipboard(c *xclient.Conn, t Target) (string, string, error) {
	root := c.Root()
	if _, v, err := c.GetProperty(root, 9); err == nil && len(v) > 0 { // CUT_BUFFER0
		return fmt.Sprintf("CUT_BUFFER0: %q", v), "", nil
	}
	atoms := map[string]uint32{}
	for _, n := range []string{"CLIPBOARD", "UTF8_STRING", "LXCAGE_PROBE"} {
		a, err := c.Intern(n)
		if err != nil {
			return "", "", err
		}
		atoms[n] = a
	}
	utf, prop := atoms["UTF8_STRING"], atoms["LXCAGE_PROBE"]
	passed, err := expectErrors(c, [][]byte{c.Encode(24, 0, []uint32{root, atoms["CLIPBOARD"], utf, prop, 0}, nil)})
	if err != nil {
		return "", "", err
	}
	if len(passed) > 0 {
		time.Sleep(200 * time.Millisecond)
		if _, v, err := c.GetProperty(root, prop); err == nil && len(v) > 0 {
			return fmt.Sprintf("CLIPBOARD converted into the root window: %q", v), "", nil
		}
	}
	w, _ := c.CreateWindow(root, 0, 0, 10, 10, 1<<22)
	for _, sel := range []uint32{atoms["CLIPBOARD"], 1} {
		c.Send(24, 0, w, sel, utf, prop, 0) // ConvertSelection
		deadline := time.Now().Add(3 * time.Second)
		for {
			p, err := c.NextEvent(time.Until(deadline))
			if err == xclient.ErrTimeout {
				return fmt.Sprintf("no SelectionNotify for selection %d: a client could wait forever", sel), "", nil
			}
			if err != nil {
				return "", "", err
			}
			if p[0]&0x7f != 31 {
				continue
			}
			if c.Order().Uint32(p[20:]) != 0 {
				if _, v, err := c.GetProperty(w, prop); err == nil && len(v) > 0 {
					return fmt.Sprintf("selection %d read: %q", sel, v), "", nil
				}
			}
			break
		}
	}
	return "", "CLIPBOARD and PRIMARY answered with nothing; conversion into the root and CUT_BUFFER0 refused", nil
}

// roles tries to take over roles other clients trust: the window manager
// (the running one hands over and exits), the XSETTINGS manager (themes
// and input method of every GTK app), the clipboard manager (handed every
// app's clipboard when it exits).
func roles(c *xclient.Conn, t Target) (string, string, error) {
	w, _ := c.CreateWindow(c.Root(), 0, 0, 10, 10, 0)
	for _, name := range []string{"WM_S0", "_XSETTINGS_S0", "CLIPBOARD_MANAGER", "_NET_SYSTEM_TRAY_S0"} {
		a, err := c.Intern(name)
		if err != nil {
			return "", "", err
		}
		c.Send(22, 0, w, a, 0) // SetSelectionOwner
		r, err := c.Call(23, 0, a)
		if err != nil {
			return "", "", err
		}
		if c.Order().Uint32(r[8:]) == w {
			return "took the selection " + name, "", nil
		}
	}
	return "", "the window manager's, XSETTINGS', clipboard manager's and tray's selections stay with their owners", nil
}
