package proxy

import "github.com/lxcage/lxcage/services/x11/proxy/xproto"

// The core protocol's rules. Requests that only touch the container's own
// resources pass with the default checks; the rest is spelled out here.

// Event masks (core protocol).
const (
	maskKeyPress             = 1 << 0
	maskStructureNotify      = 1 << 17
	maskSubstructureNotify   = 1 << 19
	maskSubstructureRedirect = 1 << 20
	maskPropertyChange       = 1 << 22
	maskColormapChange       = 1 << 23

	// maskForeign is what the container may select on the root window
	// and other clients' windows: that they changed size or properties.
	// Input events there (keys, buttons, motion: they propagate up to
	// the root) and the window manager's redirects are not for it.
	maskForeign = maskStructureNotify | maskPropertyChange | maskColormapChange
)

const cwEventMask = 1 << 11

func coreRules(b *builder) {
	windowRules(b)
	inputRules(b)
	graphicsRules(b)
	settingsRules(b)
}

// windowRules: windows, properties and selections.
func windowRules(b *builder) {
	const x = "xproto"
	b.allow(x, "CreateWindow", may("parent", permRoot), may("background_pixmap", permServer), may("colormap", permServer))
	b.allow(x, "ChangeWindowAttributes", may("window", permAny), may("background_pixmap", permServer), may("colormap", permServer), checked(changeWindowAttributes))
	b.allow(x, "GetWindowAttributes", may("window", permRoot))
	b.allow(x, "DestroyWindow")
	b.allow(x, "DestroySubwindows")
	b.deny(x, "ChangeSaveSet", refuseSilently("the save-set keeps other clients' windows alive"))
	b.allow(x, "ReparentWindow", may("parent", permRoot))
	b.allow(x, "MapWindow")
	b.allow(x, "MapSubwindows")
	b.allow(x, "UnmapWindow")
	b.allow(x, "UnmapSubwindows")
	b.allow(x, "ConfigureWindow", may("sibling", permAny))
	b.allow(x, "CirculateWindow")
	b.allow(x, "GetGeometry", may("drawable", permAny))
	b.allow(x, "QueryTree", may("window", permAny), checked(queryTree))
	b.allow(x, "InternAtom")
	b.allow(x, "GetAtomName")
	b.allow(x, "ChangeProperty", may("window", permAny), checked(changeProperty))
	b.allow(x, "DeleteProperty", may("window", permAny), checked(deleteProperty))
	b.allow(x, "GetProperty", may("window", permAny), checked(getProperty))
	b.allow(x, "ListProperties", may("window", permAny), checked(listProperties))
	b.allow(x, "SetSelectionOwner", may("owner", permAny), checked(setSelectionOwner))
	b.allow(x, "GetSelectionOwner")
	b.allow(x, "ConvertSelection", may("requestor", permAny), checked(convertSelection))
	b.allow(x, "SendEvent", may("destination", permAny), checked(sendEvent))
}

// inputRules: grabs, the pointer and the focus.
func inputRules(b *builder) {
	const x = "xproto"
	b.allow(x, "GrabPointer", checked(activeGrab))
	b.allow(x, "UngrabPointer")
	b.allow(x, "GrabButton")
	b.allow(x, "UngrabButton", may("grab_window", permAny))
	b.allow(x, "ChangeActivePointerGrab")
	b.allow(x, "GrabKeyboard", checked(activeGrab))
	b.allow(x, "UngrabKeyboard")
	b.allow(x, "GrabKey")
	b.allow(x, "UngrabKey", may("grab_window", permAny))
	b.allow(x, "AllowEvents")
	b.deny(x, "GrabServer", refuseSilently("a grab of the server stops every other client"))
	b.deny(x, "UngrabServer", refuseSilently("the server is never grabbed for the container"))
	b.allow(x, "QueryPointer", may("window", permRoot))
	b.allow(x, "GetMotionEvents")
	b.allow(x, "TranslateCoordinates", may("src_window", permAny), may("dst_window", permAny))
	b.allow(x, "WarpPointer", may("src_window", permAny), may("dst_window", permAny), checked(warpPointer))
	b.allow(x, "SetInputFocus", may("focus", permAny), checked(setInputFocus))
	b.allow(x, "GetInputFocus")
	b.deny(x, "QueryKeymap", outcome{kind: ansBuild, fn: zeroKeymap, why: "the keys held down anywhere on the display"})
}

// graphicsRules: fonts, pixmaps, graphics contexts, drawing, colormaps,
// cursors.
func graphicsRules(b *builder) {
	const x = "xproto"
	b.allow(x, "OpenFont")
	b.allow(x, "CloseFont")
	b.allow(x, "QueryFont")
	b.allow(x, "QueryTextExtents")
	b.allow(x, "ListFonts")
	b.allow(x, "ListFontsWithInfo")
	b.deny(x, "SetFontPath", refuseSilently("the font path is the display's"))
	b.allow(x, "GetFontPath")
	b.allow(x, "CreatePixmap", may("drawable", permRoot))
	b.allow(x, "FreePixmap")
	b.allow(x, "CreateGC", may("drawable", permRoot))
	b.allow(x, "ChangeGC")
	b.allow(x, "CopyGC")
	b.allow(x, "SetDashes")
	b.allow(x, "SetClipRectangles")
	b.allow(x, "FreeGC")
	b.allow(x, "ClearArea")
	b.allow(x, "CopyArea")
	b.allow(x, "CopyPlane")
	for _, n := range []string{"PolyPoint", "PolyLine", "PolySegment", "PolyRectangle", "PolyArc", "FillPoly", "PolyFillRectangle", "PolyFillArc", "PutImage", "GetImage", "ImageText8", "ImageText16"} {
		b.allow(x, n)
	}
	b.allow(x, "PolyText8", whole(), checked(polyText(1)))
	b.allow(x, "PolyText16", whole(), checked(polyText(2)))
	b.allow(x, "CreateColormap", may("window", permRoot))
	b.allow(x, "FreeColormap")
	b.allow(x, "CopyColormapAndFree", may("src_cmap", permServer))
	b.deny(x, "InstallColormap", refuseSilently("installed colormaps are the display's"))
	b.deny(x, "UninstallColormap", refuseSilently("installed colormaps are the display's"))
	b.allow(x, "ListInstalledColormaps", may("window", permRoot))
	for _, n := range []string{"AllocColor", "AllocNamedColor", "AllocColorCells", "AllocColorPlanes", "FreeColors", "QueryColors", "LookupColor"} {
		b.allow(x, n, may("cmap", permServer))
	}
	b.allow(x, "StoreColors")
	b.allow(x, "StoreNamedColor")
	b.allow(x, "CreateCursor")
	b.allow(x, "CreateGlyphCursor")
	b.allow(x, "FreeCursor")
	b.allow(x, "RecolorCursor")
	b.allow(x, "QueryBestSize", may("drawable", permRoot))
}

// settingsRules: extensions, and the display's settings, which are the
// user's.
func settingsRules(b *builder) {
	const x = "xproto"
	b.allow(x, "QueryExtension", whole(), checked(queryExtension))
	b.deny(x, "ListExtensions", outcome{kind: ansBuild, fn: extensionList, quiet: true})
	b.deny(x, "ChangeKeyboardMapping", refuseSilently("the keyboard mapping is the display's"))
	b.allow(x, "GetKeyboardMapping")
	b.deny(x, "ChangeKeyboardControl", refuseSilently("keyboard settings are the display's"))
	b.allow(x, "GetKeyboardControl")
	b.allow(x, "Bell")
	b.deny(x, "ChangePointerControl", refuseSilently("pointer settings are the display's"))
	b.allow(x, "GetPointerControl")
	b.deny(x, "SetScreenSaver", refuseSilently("screen saver settings are the display's"))
	b.allow(x, "GetScreenSaver")
	b.deny(x, "ChangeHosts", refuseErr(errAccess, 0, "access control is the user's"))
	b.deny(x, "ListHosts", outcome{kind: ansBuild, fn: noHosts, why: "access control is the user's"})
	b.deny(x, "SetAccessControl", refuseErr(errAccess, 0, "access control is the user's"))
	b.allow(x, "SetCloseDownMode", checked(setCloseDownMode))
	b.allow(x, "KillClient", checked(killClient))
	b.allow(x, "RotateProperties", may("window", permAny), checked(rotateProperties))
	b.allow(x, "ForceScreenSaver", checked(forceScreenSaver))
	b.deny(x, "SetPointerMapping", outcome{kind: ansBuild, fn: status(statusBusy), why: "the pointer mapping is the display's"})
	b.allow(x, "GetPointerMapping")
	b.deny(x, "SetModifierMapping", outcome{kind: ansBuild, fn: status(statusFailed), why: "the modifier mapping is the display's"})
	b.allow(x, "GetModifierMapping")
	b.allow(x, "NoOperation")
}

// changeWindowAttributes: on the container's windows anything; on the
// root and other clients' windows only the event mask, and of that only
// what maskForeign allows.
func changeWindowAttributes(s *session, r *request) outcome {
	w := r.u32(4)
	if s.w.isOwn(w) {
		return pass
	}
	if r.u32(8) != cwEventMask {
		return refuseErr(errAccess, w, "only an event mask may be set on a window not the container's")
	}
	m := r.u32(12)
	if m&^maskForeign != 0 {
		r.put32(12, m&maskForeign)
		s.w.log.refused(s.id, "ChangeWindowAttributes", sprintf("event mask %#x on window %#x cut to %#x", m, w, m&maskForeign))
	}
	return pass
}

func queryTree(s *session, r *request) outcome {
	return outcome{rewrite: ownChildren}
}

// ownChildren edits QueryTree's reply to list only the container's
// windows among the children: the others' ids are how one finds their
// titles and contents.
func ownChildren(s *session, b []byte) []byte {
	if len(b) < 32 {
		return b
	}
	n := int(s.o.u16(b[16:]))
	if 32+4*n > len(b) {
		return b
	}
	kept := 0
	for i := 0; i < n; i++ {
		id := s.o.u32(b[32+4*i:])
		if s.w.isOwn(id) {
			s.o.put32(b[32+4*kept:], id)
			kept++
		}
	}
	s.o.put16(b[16:], uint16(kept))
	s.o.put32(b[4:], uint32(kept))
	return b[:32+4*kept]
}

func changeProperty(s *session, r *request) outcome {
	w, prop := r.u32(4), r.u32(8)
	switch s.w.class(w) {
	case idOwn:
		return pass
	case idRoot:
		return refuseSilently("root window properties are the display's (cut buffers, resources)")
	case idForeign:
		if s.w.cfg.Clipboard != ClipboardNone && s.w.sel.answering(w, prop, s.w.act.clock()) {
			return pass // the container answers a paste of its selection
		}
	}
	return refuseErr(errWindow, w, "the window is not the container's")
}

func deleteProperty(s *session, r *request) outcome {
	w := r.u32(4)
	switch s.w.class(w) {
	case idOwn:
		return pass
	case idRoot:
		return refuseSilently("root window properties are the display's")
	}
	return refuseErr(errWindow, w, "the window is not the container's")
}

func rotateProperties(s *session, r *request) outcome {
	return deleteProperty(s, r)
}

// getProperty: the container's windows, and the root window's properties
// that toolkits read (resources, EWMH) but not its cut buffers (old
// clipboard text); of another client's window only its XSETTINGS (theme
// settings). Nobody else's properties are deleted by reading them.
func getProperty(s *session, r *request) outcome {
	w, prop := r.u32(4), r.u32(8)
	switch s.w.class(w) {
	case idOwn:
		return pass
	case idRoot:
		if prop >= atomCutBuffer0 && prop <= atomCutBuffer7 {
			return refuseWith("cut buffers hold other clients' copied text", emptyProperty)
		}
	case idForeign:
		if prop == 0 || prop != s.w.atoms.xsettings {
			return refuseWith(sprintf("a property of window %#x, not the container's", w), emptyProperty)
		}
	default:
		return pass // None or a server id: the server answers BadWindow
	}
	r.put8(1, 0) // delete = False
	return pass
}

func listProperties(s *session, r *request) outcome {
	w := r.u32(4)
	if s.w.class(w) == idForeign {
		return refuseWith(sprintf("the properties of window %#x, not the container's", w), noProperties)
	}
	return pass
}

func setSelectionOwner(s *session, r *request) outcome {
	w, sel := r.u32(4), r.u32(8)
	if s.w.atoms.roles[sel] {
		return refuseSilently(sprintf("selection %d is a role for the whole display (window manager, tray, settings, clipboard manager)", sel))
	}
	switch s.w.class(w) {
	case idOwn:
		return pass
	case idNone:
		return refuseSilently("clearing a selection the container may not own")
	}
	return refuseErr(errWindow, w, "the owner window is not the container's")
}

func setCloseDownMode(s *session, r *request) outcome {
	if m := r.u8(1); m != 0 {
		r.put8(1, 0)
		s.w.log.refused(s.id, "SetCloseDownMode", sprintf("mode %d would keep resources after the container ends: DestroyAll", m))
	}
	return pass
}

func killClient(s *session, r *request) outcome {
	if id := r.u32(4); !s.w.isOwn(id) {
		return refuseErr(errValue, id, "the resource is not the container's")
	}
	return pass
}

func forceScreenSaver(s *session, r *request) outcome {
	if r.u8(1) != 0 {
		return refuseSilently("only resetting the screen saver (activity) is the container's")
	}
	return pass
}

// polyText checks the font changes among PolyText's items: an item of
// length 255 is followed by a font id, always most significant byte
// first. The walk is the server's (doPolyText).
func polyText(width int) func(*session, *request) outcome {
	return func(s *session, r *request) outcome {
		end := r.n()
		for p := 16; end-p > 2; {
			n := int(r.u8(p))
			if n != 255 {
				p += 2 + n*width
				continue
			}
			if end-p < 5 {
				return refuseErr(errLength, 0, "font change past the end")
			}
			f := r.bytes(p+1, 4)
			if f == nil {
				return refuseErr(errLength, 0, "font change past the end")
			}
			id := msb.u32(f)
			if !s.w.isOwn(id) {
				return s.refuseID(xproto.Font, id, "font")
			}
			p += 5
		}
		return pass
	}
}

func queryExtension(s *session, r *request) outcome {
	n := int(r.u16(4))
	name := r.bytes(8, n)
	if name == nil {
		return refuseErr(errLength, 0, "name past the end")
	}
	if e := s.w.pol.byXName(string(name)); e != nil {
		if !e.hidden {
			return pass
		}
		return refuseWith(sprintf("extension %s is hidden", name), absentExtension)
	}
	o := refuseWith("", absentExtension)
	o.quiet = true
	return o
}
