//go:build integration

package integration

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// xconn connects to the test display. The connection also keeps Xvfb from
// resetting between clients.
func xconn(t testing.TB) *xgb.Conn {
	t.Helper()
	need(t, os.Getenv("DISPLAY") != "", "DISPLAY (an X server, e.g. Xvfb)")
	c, err := xgb.NewConn()
	need(t, err == nil, "an X server on DISPLAY: "+errString(err))
	t.Cleanup(c.Close)
	return c
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// topWindows returns the root's children with their names: WM_NAME in
// whatever encoding, or _NET_WM_NAME (UTF-8), which Chromium and GTK set.
func topWindows(c *xgb.Conn) map[xproto.Window]string {
	root := xproto.Setup(c).DefaultScreen(c).Root
	tree, err := xproto.QueryTree(c, root).Reply()
	if err != nil {
		return nil
	}
	netName := internAtom(c, "_NET_WM_NAME")
	out := map[xproto.Window]string{}
	for _, w := range tree.Children {
		for _, atom := range []xproto.Atom{xproto.AtomWmName, netName} {
			if atom == 0 {
				continue
			}
			p, err := xproto.GetProperty(c, false, w, atom, xproto.GetPropertyTypeAny, 0, 1024).Reply()
			if err == nil && p.ValueLen > 0 {
				out[w] += string(p.Value) + "\n"
			}
		}
	}
	return out
}

func internAtom(c *xgb.Conn, name string) xproto.Atom {
	r, err := xproto.InternAtom(c, true, uint16(len(name)), name).Reply()
	if err != nil {
		return 0
	}
	return r.Atom
}

// waitWindow polls (every 20 ms) for a top-level window whose name
// contains name.
func waitWindow(t testing.TB, c *xgb.Conn, name string, timeout time.Duration) (xproto.Window, bool) {
	deadline := time.Now().Add(timeout)
	for {
		for w, n := range topWindows(c) {
			if strings.Contains(n, name) {
				return w, true
			}
		}
		if time.Now().After(deadline) {
			return 0, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// windowGone reports whether no window named name is left.
func windowGone(c *xgb.Conn, name string) bool {
	for _, n := range topWindows(c) {
		if strings.Contains(n, name) {
			return false
		}
	}
	return true
}

// killClient closes the X connection of the window's owner, as a window
// manager's "force close" does.
func killClient(t testing.TB, c *xgb.Conn, w xproto.Window) {
	t.Helper()
	if err := xproto.KillClientChecked(c, uint32(w)).Check(); err != nil {
		t.Fatalf("kill client: %v", err)
	}
}

// closeWindow asks a window's client to close it, as a window manager's
// close button does (WM_DELETE_WINDOW), so the app shuts down cleanly.
func closeWindow(t testing.TB, c *xgb.Conn, w xproto.Window) {
	t.Helper()
	protocols, del := internAtom(c, "WM_PROTOCOLS"), internAtom(c, "WM_DELETE_WINDOW")
	if protocols == 0 || del == 0 {
		t.Fatal("no WM_PROTOCOLS atom")
	}
	ev := xproto.ClientMessageEvent{
		Format: 32, Window: w, Type: protocols,
		Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(del), uint32(xproto.TimeCurrentTime), 0, 0, 0}),
	}
	if err := xproto.SendEventChecked(c, false, w, xproto.EventMaskNoEvent, string(ev.Bytes())).Check(); err != nil {
		t.Fatalf("close window: %v", err)
	}
}
