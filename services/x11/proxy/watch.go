package proxy

// Watching the server's events to the container: the user's key and
// button presses in its windows and the focus (what makes a paste, a
// grab or a focus change the user's doing), and other clients' requests
// for its selections (what lets it answer them). Only the server's own
// events count: any client can send a fake KeyPress with SendEvent, and
// the server marks those.

// Focus details (core and XI2).
const (
	notifyInferior = 2
)

func (s *session) watch(b []byte) {
	t := b[0]
	if t&synthetic != 0 {
		return
	}
	switch t {
	case evKeyPress, evButtonPress:
		if s.w.isOwn(s.o.u32(b[12:])) {
			s.w.act.input()
		}
	case evFocusIn:
		if s.w.isOwn(s.o.u32(b[4:])) {
			s.w.act.focused.Store(true)
		}
	case evFocusOut:
		if b[1] != notifyInferior && s.w.isOwn(s.o.u32(b[4:])) {
			s.w.act.focused.Store(false)
		}
	case evSelectionReq:
		s.selectionRequest(b)
	case evGeneric:
		s.watchGeneric(b)
	}
}

// watchGeneric looks at XI2 events: type at byte 8, the event window at
// byte 24 for device, enter and focus events alike.
func (s *session) watchGeneric(b []byte) {
	xi := s.w.pol.byHeader["xinput"]
	if xi == nil || b[1] != xi.major || len(b) < 28 {
		return
	}
	win := s.o.u32(b[24:])
	if !s.w.isOwn(win) {
		return
	}
	switch s.o.u16(b[8:]) {
	case xiKeyPress, xiButtonPress, xiTouchBegin:
		s.w.act.input()
	case xiFocusIn:
		s.w.act.focused.Store(true)
	case xiFocusOut:
		if b[19] != notifyInferior {
			s.w.act.focused.Store(false)
		}
	}
}

// selectionRequest notes another client's request for a selection the
// container owns: time, owner, requestor, selection, target, property.
func (s *session) selectionRequest(b []byte) {
	owner, requestor := s.o.u32(b[8:]), s.o.u32(b[12:])
	if !s.w.isOwn(owner) || s.w.isOwn(requestor) {
		return
	}
	prop := s.o.u32(b[24:])
	if prop == 0 {
		prop = s.o.u32(b[20:]) // obsolete requestors: the target names the property
	}
	s.w.sel.requested(requestor, prop, s.w.act.clock())
}
