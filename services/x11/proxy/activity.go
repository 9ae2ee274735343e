package proxy

import (
	"sync/atomic"
	"time"
)

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
