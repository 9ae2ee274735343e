package proxy

import (
	"sync"
	"sync/atomic"
	"time"
)

// Predefined atoms of the core protocol.
const (
	atomPrimary     = 1
	atomSecondary   = 2
	atomCutBuffer0  = 9
	atomCutBuffer7  = 16
	atomWMName      = 39
	atomWMClass     = 67
	atomLastDefined = 68
)

// atoms are the values of the atoms the policy names beyond the
// predefined ones, interned on the proxy's own connection at start.
type atoms struct {
	clipboard        uint32
	clipboardManager uint32
	wmProtocols      uint32
	netWMPing        uint32
	xsettings        uint32 // _XSETTINGS_SETTINGS
	trayOpcode       uint32 // _NET_SYSTEM_TRAY_OPCODE
}

// atomNames are interned at start, in the order of the fields of atoms.
var atomNames = []string{"CLIPBOARD", "CLIPBOARD_MANAGER", "WM_PROTOCOLS", "_NET_WM_PING", "_XSETTINGS_SETTINGS", "_NET_SYSTEM_TRAY_OPCODE"}

func (a *atoms) set(vals []uint32) {
	p := []*uint32{&a.clipboard, &a.clipboardManager, &a.wmProtocols, &a.netWMPing, &a.xsettings, &a.trayOpcode}
	for i := range p {
		if i < len(vals) {
			*p[i] = vals[i]
		}
	}
}

// inputWindow is how long after the user pressed a key or button in one
// of the container's windows that window counts as what the user is
// working with: the container may then read the user's selections (a
// paste), grab the pointer or keyboard (a menu) and move the focus.
const inputWindow = 2 * time.Second

// activity is what the proxy saw of the user's input to the container:
// the server's own KeyPress and ButtonPress events on its windows (not
// the ones a client sends with SendEvent, which any client can fake) and
// whether one of its windows has the focus.
type activity struct {
	lastInput atomic.Int64 // UnixNano
	focused   atomic.Bool
	now       func() time.Time // tests set it
}

func (a *activity) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

func (a *activity) input() { a.lastInput.Store(a.clock().UnixNano()) }

// recent reports whether the user gave the container input just now.
func (a *activity) recent() bool {
	t := a.lastInput.Load()
	return t != 0 && a.clock().UnixNano()-t < int64(inputWindow)
}

// engaged reports whether the user is working with the container: its
// window has the focus or had input just now.
func (a *activity) engaged() bool { return a.focused.Load() || a.recent() }

// selections tracks requests of other clients for the container's
// selections (copy out): the owner answers by writing the data into a
// property of the requestor's window and sending it a SelectionNotify,
// both of which the proxy otherwise refuses for a foreign window. An
// entry lives while the transfer goes on (INCR transfers write chunk
// after chunk).
type selections struct {
	mu      sync.Mutex
	pending map[selKey]time.Time // expiry
}

type selKey struct{ window, property uint32 }

// selectionTTL is how long after the request or the last chunk written
// the owner may still write to the requestor.
const selectionTTL = 10 * time.Second

// requested notes a SelectionRequest the server delivered to the container.
func (s *selections) requested(window, property uint32, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = map[selKey]time.Time{}
	}
	for k, exp := range s.pending {
		if now.After(exp) {
			delete(s.pending, k)
		}
	}
	if len(s.pending) < 256 {
		s.pending[selKey{window, property}] = now.Add(selectionTTL)
	}
}

// answering reports whether the container may write property on window
// as a selection owner answering a request, and extends the entry.
func (s *selections) answering(window, property uint32, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := selKey{window, property}
	exp, ok := s.pending[k]
	if !ok || now.After(exp) {
		return false
	}
	s.pending[k] = now.Add(selectionTTL)
	return true
}

// notifying reports whether a SelectionNotify to window answers a
// request (any property of it).
func (s *selections) notifying(window uint32, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, exp := range s.pending {
		if k.window == window && !now.After(exp) {
			return true
		}
	}
	return false
}
