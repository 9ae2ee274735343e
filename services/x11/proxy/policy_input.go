package proxy

// Rules about input and other clients' windows: grabs, focus, the
// pointer, and events sent to windows.

const evClientMessage = 33

// activeGrab: the container may grab the pointer or keyboard (a menu, a
// drag) while the user works with it. Grabbing them at any other moment
// would take the keys typed into other apps.
func activeGrab(s *session, r *request) outcome {
	if !s.w.act.engaged() {
		return refuseWith("an active grab while the user is not working with the container", status(statusAlreadyGrabbed))
	}
	return pass
}

// setInputFocus: to one of the container's windows while the user works
// with it; never away to another client's window or to nowhere.
func setInputFocus(s *session, r *request) outcome {
	f := r.u32(4)
	if s.w.isOwn(f) && s.w.act.engaged() {
		return pass
	}
	return refuseSilently(sprintf("focus to %#x while the user works elsewhere", f))
}

// warpPointer: into the container's windows, or relative while the
// pointer is in one.
func warpPointer(s *session, r *request) outcome {
	src, dst := r.u32(4), r.u32(8)
	if s.w.isOwn(dst) || dst == 0 && s.w.isOwn(src) {
		return pass
	}
	return refuseSilently("the pointer is moved only within the container's windows")
}

// sendEvent: to the container's own windows anything; to the root window
// only the window manager requests of EWMH about the container's own
// windows (and its answer to the window manager's ping); to another
// client's window only the answer to a paste of the container's
// selection and a request to dock in a system tray. Events never
// propagate up to other clients' windows.
func sendEvent(s *session, r *request) outcome {
	r.put8(1, 0) // propagate = False
	dst := r.u32(4)
	mask := r.u32(8)
	ev := r.bytes(12, 32)
	if ev == nil {
		return refuseErr(errLength, 0, "short event")
	}
	typ := ev[0] &^ synthetic
	switch s.w.class(dst) {
	case idOwn:
		return pass
	case idRoot:
		if s.rootEventOK(typ, mask, ev) {
			return pass
		}
		return refuseSilently(sprintf("an event of type %d to the root window, not about the container's windows", typ))
	case idForeign:
		if typ == evSelectionNote && s.w.sel.notifying(dst, s.w.act.clock()) {
			if s.w.cfg.Clipboard == ClipboardNone {
				s.o.put32(ev[20:], 0) // property None: nothing to paste
			}
			return pass
		}
		if typ == evClientMessage && mask == 0 && s.o.u32(ev[8:]) == s.w.atoms.trayOpcode && s.w.atoms.trayOpcode != 0 {
			return pass
		}
	}
	return refuseSilently(sprintf("an event of type %d to window %#x, not the container's", typ, dst))
}

const evUnmapNotify = 18

// rootEventOK: what clients send to the root window about their own
// windows. A ClientMessage (EWMH requests to the window manager,
// startup notification) names its window in ev[4:8] — EWMH's
// _NET_WM_PING reply names the root there and the pinged window in
// data.l[2]; a synthetic UnmapNotify (ICCCM's withdrawal) in ev[8:12].
func (s *session) rootEventOK(typ uint8, mask uint32, ev []byte) bool {
	const wm = maskSubstructureNotify | maskSubstructureRedirect
	switch typ {
	case evClientMessage:
		// Whoever selected the mask on the root hears it: window
		// managers, panels. What matters is that it is about the
		// container's own window.
		if s.w.isOwn(s.o.u32(ev[4:])) {
			return true
		}
		a := s.w.atoms
		return a.wmProtocols != 0 && s.o.u32(ev[8:]) == a.wmProtocols &&
			s.o.u32(ev[12:]) == a.netWMPing && s.w.isOwn(s.o.u32(ev[20:]))
	case evUnmapNotify:
		return mask != 0 && mask&^wm == 0 && s.w.isOwn(s.o.u32(ev[8:]))
	}
	return false
}
