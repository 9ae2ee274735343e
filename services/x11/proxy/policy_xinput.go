package proxy

import "github.com/lxcage/lxcage/services/x11/proxy/xproto"

// XInput (1.x and 2). Events of the container's windows only: XI events
// selected on the root window would deliver keys typed anywhere (they
// propagate up to the root), and raw events (XI 2.1) are reported for
// every key and button regardless of windows — a keylogger. Device
// settings and properties are the display's.

// XI2 event types.
const (
	xiDeviceChanged    = 1
	xiKeyPress         = 2
	xiButtonPress      = 4
	xiFocusIn          = 9
	xiFocusOut         = 10
	xiHierarchyChanged = 11
	xiPropertyEvent    = 12
	xiTouchBegin       = 18
)

// xiRaw are the raw event types: RawKeyPress … RawMotion, RawTouch*.
var xiRaw = []int{13, 14, 15, 16, 17, 22, 23, 24}

// xiForeign are what the container may select on windows not its own:
// device changes, no input.
var xiForeign = []int{xiDeviceChanged, xiHierarchyChanged, xiPropertyEvent}

func xinputRules(b *builder) {
	const x = "xinput"
	b.show(x)
	for _, n := range []string{"GetExtensionVersion", "ListInputDevices", "OpenDevice", "CloseDevice", "ChangeDeviceDontPropagateList",
		"UngrabDevice", "GrabDeviceKey", "GrabDeviceButton", "AllowDeviceEvents", "GetDeviceFocus", "GetFeedbackControl",
		"GetDeviceKeyMapping", "GetDeviceModifierMapping", "GetDeviceButtonMapping", "DeviceBell", "GetDeviceControl",
		"ListDeviceProperties", "XIChangeCursor", "XISetClientPointer", "XIQueryVersion", "XIQueryDevice", "XIGetFocus",
		"XIUngrabDevice", "XIAllowEvents", "XIPassiveGrabDevice", "XIListProperties"} {
		b.allow(x, n)
	}
	for _, n := range []string{"GetSelectedExtensionEvents", "GetDeviceDontPropagateList", "XIQueryPointer", "XIGetSelectedEvents"} {
		b.allow(x, n, may("window", permRoot))
	}
	b.allow(x, "UngrabDeviceKey", may("grabWindow", permAny))
	b.allow(x, "UngrabDeviceButton", may("grab_window", permAny))
	b.allow(x, "XIPassiveUngrabDevice", may("grab_window", permAny))
	b.allow(x, "XIGetClientPointer", may("window", permAny))
	b.allow(x, "SelectExtensionEvent", may("window", permAny), checked(func(s *session, r *request) outcome {
		if !s.w.isOwn(r.u32(4)) {
			return refuseSilently("XI events of a window not the container's")
		}
		return pass
	}))
	b.allow(x, "XISelectEvents", may("window", permAny), whole(), checked(xiSelectEvents))
	b.allow(x, "GetDeviceProperty", checked(noDelete(21)))
	b.allow(x, "XIGetProperty", checked(noDelete(6)))
	b.allow(x, "GrabDevice", checked(xiActiveGrab(8)))
	b.allow(x, "XIGrabDevice", checked(xiActiveGrab(8)))
	b.allow(x, "SetDeviceFocus", may("focus", permAny), checked(setInputFocus))
	b.allow(x, "XISetFocus", may("window", permAny), checked(setInputFocus))
	b.allow(x, "XIWarpPointer", may("src_win", permAny), may("dst_win", permAny), checked(warpPointer))
	b.allow(x, "SendExtensionEvent", may("destination", permAny), checked(func(s *session, r *request) outcome {
		if !s.w.isOwn(r.u32(4)) {
			return refuseSilently("an XI event to a window not the container's")
		}
		r.put8(9, 0) // propagate = False
		return pass
	}))
	// Entries: deviceid, pad, barrier, eventid.
	b.allow(x, "XIBarrierReleasePointer", whole(), checked(listIDs(8, 12, 4, xproto.XfixesBarrier, "barrier")))
	b.deny(x, "GetDeviceMotionEvents", outcome{kind: ansBuild, fn: func(s *session, seq uint16) []byte {
		return replyPacket(s.o, seq, 0)
	}, why: "the pointer's history is the display's"})
	const why = "input devices are the display's"
	for _, n := range []string{"ChangeFeedbackControl", "ChangeDeviceKeyMapping", "ChangeDeviceProperty", "DeleteDeviceProperty",
		"XIChangeHierarchy", "XIChangeProperty", "XIDeleteProperty"} {
		b.deny(x, n, refuseSilently(why))
	}
	for _, n := range []string{"SetDeviceMode", "ChangeKeyboardDevice", "ChangePointerDevice", "SetDeviceModifierMapping",
		"SetDeviceButtonMapping", "SetDeviceValuators", "ChangeDeviceControl"} {
		b.deny(x, n, refuseErr(errAccess, 0, why))
	}
	b.deny(x, "QueryDeviceState", refuseErr(errAccess, 0, "the keys held down anywhere on the display"))
}

// xiActiveGrab: like the core grabs, with the status of XI replies in
// byte 8.
func xiActiveGrab(statusOff int) check {
	return func(s *session, r *request) outcome {
		if !s.w.act.engaged() {
			return refuseWith("an active grab while the user is not working with the container", func(s *session, seq uint16) []byte {
				b := replyPacket(s.o, seq, 0)
				b[statusOff] = statusAlreadyGrabbed
				return b
			})
		}
		return pass
	}
}

// xiSelectEvents edits the event masks in place: raw events never, and
// on windows not the container's only device changes. A mask is bytes,
// event type N in bit N%8 of byte N/8, whatever the byte order.
func xiSelectEvents(s *session, r *request) outcome {
	w := r.u32(4)
	own := s.w.isOwn(w)
	n := int(r.u16(8))
	p := 12
	for i := 0; i < n; i++ {
		if !r.has(p, 4) {
			return refuseErr(errLength, 0, "event masks past the end")
		}
		ml := 4 * int(r.u16(p+2))
		mask := r.bytes(p+4, ml)
		if mask == nil {
			return refuseErr(errLength, 0, "event masks past the end")
		}
		before := string(mask)
		for _, t := range xiRaw {
			clearBit(mask, t)
		}
		if !own {
			keep := make([]byte, len(mask))
			for _, t := range xiForeign {
				if t/8 < len(mask) && mask[t/8]&(1<<(t%8)) != 0 {
					keep[t/8] |= 1 << (t % 8)
				}
			}
			copy(mask, keep)
		}
		if string(mask) != before {
			s.w.log.refused(s.id, "XInputExtension XISelectEvents", sprintf("events on window %#x cut to what the container may see", w))
		}
		p += 4 + ml
	}
	return pass
}

func clearBit(mask []byte, t int) {
	if t/8 < len(mask) {
		mask[t/8] &^= 1 << (t % 8)
	}
}
