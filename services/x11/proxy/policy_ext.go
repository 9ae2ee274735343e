package proxy

import (
	"github.com/lxcage/lxcage/services/x11/proxy/xproto"
)

// Extension rules. An extension is visible to the container only when
// it is shown here; of a visible extension only the requests listed pass.

// check is a rule's own check; all runs several.
type check = func(s *session, r *request) outcome

func all(cs ...check) check {
	return func(s *session, r *request) outcome {
		for _, c := range cs {
			if o := c(s, r); o.refused {
				return o
			}
		}
		return pass
	}
}

// idAt checks an id the tables do not type (a CARD32 in the XML).
func idAt(off int, p perm, k xproto.Kind, name string) check {
	return func(s *session, r *request) outcome {
		if id := r.u32(off); !s.w.allowed(id, p) {
			return s.refuseID(k, id, name)
		}
		return pass
	}
}

// noDelete clears a "delete after reading" flag: reading is fine,
// deleting what is not the container's is not.
func noDelete(off int) check {
	return func(s *session, r *request) outcome {
		r.put8(off, 0)
		return pass
	}
}

func extensionRules(b *builder) {
	b.show("bigreq")
	b.allow("bigreq", "Enable", func(rl *rule) { rl.bigEnable = true })
	b.show("xc_misc")
	for _, n := range []string{"GetVersion", "GetXIDRange", "GetXIDList"} {
		b.allow("xc_misc", n)
	}
	b.show("ge")
	b.allow("ge", "QueryVersion")
	b.show("xinerama")
	for _, n := range []string{"QueryVersion", "GetState", "GetScreenCount", "GetScreenSize", "IsActive", "QueryScreens"} {
		b.allow("xinerama", n, func(rl *rule) {
			for i := range rl.ids {
				rl.ids[i].p |= permAny
			}
		})
	}
	xkbRules(b)
	renderRules(b)
	shapeRules(b)
	syncRules(b)
	randrRules(b)
	xfixesRules(b)
	presentRules(b)
	shmRules(b)
	glxRules(b)
	if b.cfg.GPU {
		dri3Rules(b)
	}
	xinputRules(b)
}

func xkbRules(b *builder) {
	const x = "xkb"
	b.show(x)
	for _, n := range []string{"UseExtension", "SelectEvents", "GetState", "GetControls", "GetMap", "GetCompatMap",
		"GetIndicatorState", "GetIndicatorMap", "GetNamedIndicator", "GetNames", "PerClientFlags", "ListComponents", "GetDeviceInfo"} {
		b.allow(x, n)
	}
	b.allow(x, "Bell", may("window", permAny))
	b.allow(x, "GetKbdByName", checked(func(s *session, r *request) outcome {
		if r.u8(10) != 0 {
			return refuseErr(errAccess, 0, "loading a keymap changes the display's keyboard")
		}
		return pass
	}))
	for _, n := range []string{"LatchLockState", "SetControls", "SetMap", "SetCompatMap", "SetIndicatorMap", "SetNamedIndicator", "SetNames", "SetDeviceInfo"} {
		b.deny(x, n, refuseSilently("the keyboard is the display's"))
	}
	b.deny(x, "SetDebuggingFlags", refuseErr(errAccess, 0, "the server's debugging is the display's"))
}

func renderRules(b *builder) {
	const x = "render"
	b.show(x)
	for _, n := range []string{"QueryVersion", "QueryPictFormats", "QueryPictIndexValues", "CreatePicture", "ChangePicture",
		"SetPictureClipRectangles", "FreePicture", "Composite", "Trapezoids", "Triangles", "TriStrip", "TriFan",
		"CreateGlyphSet", "ReferenceGlyphSet", "FreeGlyphSet", "AddGlyphs", "FreeGlyphs", "FillRectangles", "CreateCursor",
		"SetPictureTransform", "SetPictureFilter", "AddTraps", "CreateSolidFill", "CreateLinearGradient",
		"CreateRadialGradient", "CreateConicalGradient"} {
		b.allow(x, n)
	}
	b.allow(x, "QueryFilters", may("drawable", permRoot))
	b.allow(x, "CompositeGlyphs8", whole(), checked(glyphSets(1)))
	b.allow(x, "CompositeGlyphs16", whole(), checked(glyphSets(2)))
	b.allow(x, "CompositeGlyphs32", whole(), checked(glyphSets(4)))
	b.allow(x, "CreateAnimCursor", whole(), checked(listIDs(8, 8, 0, xproto.Cursor, "cursor")))
}

// glyphSets checks the glyph sets among CompositeGlyphs' items: an item
// of length 255 is a change of glyph set. The walk is the server's.
func glyphSets(width int) check {
	return func(s *session, r *request) outcome {
		end := r.n()
		for p := 28; p+8 < end; {
			n := int(r.u8(p))
			p += 8
			if n != 255 {
				p += pad4(n * width)
				continue
			}
			if p+4 <= end {
				if id := r.u32(p); !s.w.isOwn(id) {
					return s.refuseID(xproto.RenderGlyphset, id, "glyph set")
				}
				p += 4
			}
		}
		return pass
	}
}

// listIDs checks the ids in a list of fixed-size entries from start to
// the end of the request: entry size step, the id at off in each.
func listIDs(start, step, off int, k xproto.Kind, name string) check {
	return func(s *session, r *request) outcome {
		for p := start; p+step <= r.n(); p += step {
			if id := r.u32(p + off); !s.w.isOwn(id) {
				return s.refuseID(k, id, name)
			}
		}
		return pass
	}
}

func shapeRules(b *builder) {
	const x = "shape"
	b.show(x)
	for _, n := range []string{"QueryVersion", "Rectangles", "Mask", "Combine", "Offset", "QueryExtents", "SelectInput", "InputSelected", "GetRectangles"} {
		b.allow(x, n)
	}
}

func syncRules(b *builder) {
	const x = "sync"
	b.show(x)
	for _, n := range []string{"Initialize", "ListSystemCounters", "CreateCounter", "SetCounter", "ChangeCounter", "DestroyCounter",
		"QueryAlarm", "DestroyAlarm", "TriggerFence", "ResetFence", "DestroyFence", "QueryFence"} {
		b.allow(x, n)
	}
	b.allow(x, "QueryCounter", may("counter", permServer))
	b.allow(x, "CreateAlarm", may("counter", permServer))
	b.allow(x, "ChangeAlarm", may("counter", permServer))
	b.allow(x, "CreateFence", may("drawable", permRoot))
	// An Await condition is 28 bytes with the counter first.
	b.allow(x, "Await", whole(), checked(func(s *session, r *request) outcome {
		for p := 4; p+28 <= r.n(); p += 28 {
			if id := r.u32(p); !s.w.allowed(id, permServer) {
				return s.refuseID(xproto.SyncCounter, id, "counter")
			}
		}
		return pass
	}))
	b.allow(x, "AwaitFence", whole(), checked(listIDs(4, 4, 0, xproto.SyncFence, "fence")))
	b.allow(x, "SetPriority", checked(idAt(4, 0, xproto.NoKind, "client")))
	b.allow(x, "GetPriority", checked(idAt(4, 0, xproto.NoKind, "client")))
}

func randrRules(b *builder) {
	const x = "randr"
	b.show(x)
	for _, n := range []string{"QueryVersion", "GetOutputInfo", "ListOutputProperties", "QueryOutputProperty", "GetCrtcInfo",
		"GetCrtcGammaSize", "GetCrtcGamma", "GetCrtcTransform", "GetPanning", "GetProviderInfo", "ListProviderProperties",
		"QueryProviderProperty"} {
		b.allow(x, n)
	}
	for _, n := range []string{"SelectInput", "GetScreenInfo", "GetScreenSizeRange", "GetScreenResources", "GetScreenResourcesCurrent",
		"GetOutputPrimary", "GetProviders", "GetMonitors"} {
		b.allow(x, n, may("window", permRoot))
	}
	b.allow(x, "GetOutputProperty", checked(noDelete(24)))
	b.allow(x, "GetProviderProperty", checked(noDelete(24)))
	const why = "screen configuration is the display's"
	for _, n := range []string{"SetScreenSize", "ConfigureOutputProperty", "ChangeOutputProperty", "DeleteOutputProperty", "DestroyMode",
		"AddOutputMode", "DeleteOutputMode", "SetCrtcGamma", "SetCrtcTransform", "SetOutputPrimary", "SetProviderOffloadSink",
		"SetProviderOutputSource", "ConfigureProviderProperty", "ChangeProviderProperty", "DeleteProviderProperty",
		"SetMonitor", "DeleteMonitor", "FreeLease"} {
		b.deny(x, n, refuseSilently(why))
	}
	for _, n := range []string{"SetScreenConfig", "CreateMode", "SetCrtcConfig", "SetPanning", "CreateLease"} {
		b.deny(x, n, refuseErr(errAccess, 0, why))
	}
}

func xfixesRules(b *builder) {
	const x = "xfixes"
	b.show(x)
	for _, n := range []string{"QueryVersion", "CreateRegion", "CreateRegionFromBitmap", "CreateRegionFromWindow",
		"CreateRegionFromGC", "CreateRegionFromPicture", "DestroyRegion", "SetRegion", "CopyRegion", "UnionRegion",
		"IntersectRegion", "SubtractRegion", "InvertRegion", "TranslateRegion", "RegionExtents", "FetchRegion",
		"SetGCClipRegion", "SetWindowShapeRegion", "SetPictureClipRegion", "SetCursorName", "GetCursorName", "ChangeCursor",
		"ExpandRegion", "HideCursor", "ShowCursor", "DeletePointerBarrier", "GetClientDisconnectMode"} {
		b.allow(x, n)
	}
	// Selection notifications only for the container's windows: who
	// owns what, when, is the user's business.
	b.allow(x, "SelectSelectionInput", may("window", permAny), checked(func(s *session, r *request) outcome {
		if !s.w.isOwn(r.u32(4)) {
			return refuseSilently("selection notifications on a window not the container's")
		}
		return pass
	}))
	// A barrier holds the pointer anywhere on the screen: only while
	// the user works with the container (a game confining the pointer).
	b.allow(x, "CreatePointerBarrier", whole(), checked(func(s *session, r *request) outcome {
		if !s.w.act.engaged() {
			return refuseSilently("a pointer barrier while the user works elsewhere")
		}
		return pass
	}))
	b.deny(x, "ChangeSaveSet", refuseSilently("the save-set keeps other clients' windows alive"))
	// Cursor notifications report every change of the cursor, over any
	// client's window (a text field under the pointer): not for the app.
	b.deny(x, "SelectCursorInput", refuseSilently("the cursor changes over other clients' windows"))
	b.deny(x, "GetCursorImage", refuseErr(errAccess, 0, "the cursor shows what other clients do"))
	b.deny(x, "GetCursorImageAndName", refuseErr(errAccess, 0, "the cursor shows what other clients do"))
	b.deny(x, "ChangeCursorByName", refuseSilently("it changes other clients' cursors"))
	b.deny(x, "SetClientDisconnectMode", refuseSilently("the server's lifetime is the display's"))
}

func presentRules(b *builder) {
	const x = "present"
	b.show(x)
	b.allow(x, "QueryVersion")
	// The notify list after the fixed part: window, serial.
	b.allow(x, "Pixmap", whole(), checked(listIDs(72, 8, 0, xproto.Window, "notify window")))
	b.allow(x, "NotifyMSC")
	b.allow(x, "SelectInput")
	b.allow(x, "QueryCapabilities", checked(idAt(4, permServer, xproto.Window, "target")))
}

func shmRules(b *builder) {
	const x = "shm"
	b.show(x)
	for _, n := range []string{"QueryVersion", "Detach", "PutImage", "GetImage", "CreateSegment"} {
		b.allow(x, n)
	}
	b.allow(x, "CreatePixmap", may("drawable", permRoot))
	// System V segments are named by ids of the server's IPC namespace,
	// not the container's: the server would attach a segment of some
	// other process of the user's. Toolkits fall back to AttachFd or to
	// plain PutImage.
	b.deny(x, "Attach", refuseErr(errAccess, 0, "System V segments are the host's"))
	b.allow(x, "AttachFd", checked(fdsOn("shared memory", fsTmpfs, fsHugetlbfs)))
}

func dri3Rules(b *builder) {
	const x = "dri3"
	b.show(x)
	b.allow(x, "QueryVersion")
	b.allow(x, "Open", may("drawable", permRoot))
	b.allow(x, "BufferFromPixmap")
	b.allow(x, "BuffersFromPixmap")
	b.allow(x, "SetDRMDeviceInUse", may("window", permRoot))
	b.allow(x, "GetSupportedModifiers", checked(idAt(4, permRoot, xproto.Window, "window")))
	b.allow(x, "PixmapFromBuffer", may("drawable", permRoot), checked(fdsOn("buffer", fsDmaBuf)))
	b.allow(x, "PixmapFromBuffers", may("window", permRoot), checked(fdsOn("buffer", fsDmaBuf)))
	b.allow(x, "FenceFromFD", may("drawable", permRoot), checked(all(idAt(8, 0, xproto.SyncFence, "fence"), fdsOn("fence", fsTmpfs))))
	b.allow(x, "FDFromFence", may("drawable", permRoot), checked(idAt(8, 0, xproto.SyncFence, "fence")))
}
