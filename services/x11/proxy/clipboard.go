package proxy

import (
	"sync"
	"time"
)

// The clipboard. Reading a selection is ConvertSelection: the server
// passes the request to the selection's owner, which writes the data into
// a property of the requestor's window. Whether the container may read
// depends on who owns the selection at that moment, so the proxy does not
// pass the request on: at its place in the stream (every earlier request
// of the client handled, so the requestor window exists) the proxy grabs
// the server on its own connection, asks for the owner, converts on the
// container's behalf if it may, and lets go. Under the grab no other
// client can take the selection in between. A refusal is the
// SelectionNotify with property None that an owner sends when it cannot
// convert.

func convertSelection(s *session, r *request) outcome {
	c := conversion{requestor: r.u32(4), selection: r.u32(8), target: r.u32(12), property: r.u32(16), time: r.u32(20)}
	if !s.w.isOwn(c.requestor) {
		return refuseErr(errWindow, c.requestor, "the requestor window is not the container's")
	}
	if c.property == 0 {
		// ICCCM's obsolete "property None": owners such as xclip answer it
		// with ChangeProperty of atom 0 and die of the BadAtom (seen in a
		// container test), so a paste could crash the host's owner.
		return refuseWith("a conversion into property None (obsolete; host owners crash on it)", selectionRefused(c.requestor, c.selection, c.target, c.time))
	}
	if s.w.cfg.Clipboard == ClipboardFull {
		return pass
	}
	o := refuseWith("", func(s *session, seq uint16) []byte { return s.convert(c, seq) })
	o.quiet = true
	return o
}

// conversion is a ConvertSelection's fields.
type conversion struct {
	requestor, selection, target, property, time uint32
}

// convert runs a conversion for the container, or answers that there is
// nothing to paste. It returns the answer to send the client, nil when
// the owner will answer.
func (s *session) convert(c conversion, seq uint16) []byte {
	refused := selectionRefused(c.requestor, c.selection, c.target, c.time)
	if s.w.broker == nil {
		s.w.log.refused(s.id, "ConvertSelection", "no connection of the proxy's own to convert with")
		return refused(s, seq)
	}
	var ok bool
	var why string
	allow := func(owner uint32) bool {
		ok, why = s.mayRead(c, owner)
		return ok
	}
	if err := s.w.broker.convert(c, allow); err != nil {
		s.w.log.refused(s.id, "ConvertSelection", "proxy connection: "+err.Error())
		return refused(s, seq)
	}
	if ok {
		return nil
	}
	if why != "" {
		s.w.log.refused(s.id, "ConvertSelection", why)
	}
	return refused(s, seq)
}

// mayRead says whether the container may read the selection owned by
// owner, and why not (empty when there is nothing to say).
func (s *session) mayRead(c conversion, owner uint32) (bool, string) {
	switch {
	case owner == 0:
		// Nobody's: the server would answer the connection that
		// converts (the proxy's), so the proxy answers instead.
		return false, ""
	case s.w.isOwn(owner):
		return true, "" // the container's own: nothing leaks
	case c.selection == s.w.atoms.clipboardManager && s.w.cfg.Clipboard != ClipboardNone:
		return true, "" // asks the clipboard manager to keep the container's clipboard
	case s.w.cfg.Clipboard == ClipboardOnInput && s.w.act.recent():
		return true, ""
	case s.w.cfg.Clipboard == ClipboardOnInput:
		return false, sprintf("selection %d of window %#x without a key or button press in the container's windows just before", c.selection, owner)
	}
	return false, sprintf("selection %d of window %#x: the container reads no other client's selections", c.selection, owner)
}

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
