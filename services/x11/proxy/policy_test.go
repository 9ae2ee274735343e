package proxy

import (
	"testing"
)

// The policy builds for every setting: no rule names a field or request
// the tables lack, no request with a reply is refused without an answer,
// and no request with ids in its variable part goes unchecked.
func TestPolicyBuilds(t *testing.T) {
	for _, cfg := range []Config{{Clipboard: ClipboardNone}, {Clipboard: ClipboardOnInput, GPU: true}, {Clipboard: ClipboardFull}} {
		w := testWorld(t, cfg)
		shown := map[string]bool{}
		for _, e := range w.pol.ext {
			if e != nil && !e.hidden {
				shown[e.spec.XName] = true
			}
		}
		for _, hidden := range []string{"XTEST", "RECORD", "SECURITY", "Composite", "DAMAGE", "X-Resource", "XVideo", "MIT-SCREEN-SAVER", "DRI2", "XFree86-VidModeExtension"} {
			if shown[hidden] {
				t.Errorf("%s is visible", hidden)
			}
		}
		for _, want := range []string{"BIG-REQUESTS", "XKEYBOARD", "RENDER", "SHAPE", "SYNC", "RANDR", "XFIXES", "Present", "GLX", "MIT-SHM", "XInputExtension", "XC-MISC", "Generic Event Extension"} {
			if !shown[want] {
				t.Errorf("%s is hidden", want)
			}
		}
		if shown["DRI3"] != cfg.GPU {
			t.Errorf("DRI3 visible = %v with GPU = %v", shown["DRI3"], cfg.GPU)
		}
	}
}

type decideCase struct {
	name string
	req  []byte
	// pass, or the error code / answer kind expected.
	pass bool
	code uint8
	kind answerKind
}

func runDecide(t *testing.T, w *world, cases []decideCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSession(w, lsb)
			d := s.next(c.req, 1<<16)
			if d.fatal != nil || d.need > 0 {
				t.Fatalf("decision %+v", d)
			}
			if d.pass != c.pass {
				t.Fatalf("pass = %v, want %v", d.pass, c.pass)
			}
			if c.pass {
				return
			}
			x, ok := s.exp.take(1)
			switch {
			case c.kind == ansNone:
				if ok || d.subst[0] != opNoOperation {
					t.Fatalf("expected a silent refusal, got %x / %+v", d.subst, x)
				}
			case c.kind == ansError:
				if !ok || x.code != c.code {
					t.Fatalf("expected error %d, got %+v", c.code, x)
				}
			case c.kind == ansBuild:
				if !ok || x.fn == nil {
					t.Fatalf("expected a built answer, got %+v", x)
				}
			}
		})
	}
}

func TestCoreDecisions(t *testing.T) {
	w := testWorld(t, Config{})
	own, other := uint32(testBase+7), uint32(testOther+7)
	const none = ansNone
	runDecide(t, w, []decideCase{
		{name: "GetImage of own window", req: reqBytes(lsb, 73, 2, own, 0, 0x00100010, 0xffffffff), pass: true},
		{name: "GetImage of the root window", req: reqBytes(lsb, 73, 2, testRoot, 0, 0x00100010, 0xffffffff), code: errDrawable, kind: ansError},
		{name: "GetImage of another client's window", req: reqBytes(lsb, 73, 2, other, 0, 0x00100010, 0xffffffff), code: errDrawable, kind: ansError},
		{name: "CopyArea from the root window", req: reqBytes(lsb, 62, 0, testRoot, own, own+1, 0, 0, 0x00100010), code: errDrawable, kind: ansError},
		{name: "GetProperty WM_NAME of another client", req: reqBytes(lsb, 20, 0, other, atomWMName, 0, 0, 100), kind: ansBuild},
		{name: "GetProperty CUT_BUFFER0 of the root", req: reqBytes(lsb, 20, 0, testRoot, atomCutBuffer0, 0, 0, 100), kind: ansBuild},
		{name: "GetProperty of the root", req: reqBytes(lsb, 20, 0, testRoot, 23, 0, 0, 100), pass: true},
		{name: "ChangeProperty on the root", req: reqBytes(lsb, 18, 0, testRoot, atomCutBuffer0, 31, 8, 0), kind: none},
		{name: "KillClient of another client", req: reqBytes(lsb, 113, 0, other), code: errValue, kind: ansError},
		{name: "KillClient AllTemporary", req: reqBytes(lsb, 113, 0, 0), code: errValue, kind: ansError},
		{name: "GrabServer", req: reqBytes(lsb, 36, 0), kind: none},
		{name: "QueryKeymap", req: reqBytes(lsb, 44, 0), kind: ansBuild},
		{name: "GrabKey on the root", req: reqBytes(lsb, 33, 1, testRoot, 0x8000, 0x0101), code: errWindow, kind: ansError},
		{name: "GrabKeyboard while the user works elsewhere", req: reqBytes(lsb, 31, 0, own, 0, 0x0101), kind: ansBuild},
		{name: "ChangeSaveSet", req: reqBytes(lsb, 6, 0, other), kind: none},
		{name: "ConfigureWindow of another client", req: reqBytes(lsb, 12, 0, other, 1, 10), code: errWindow, kind: ansError},
		{name: "ReparentWindow into another client's", req: reqBytes(lsb, 7, 0, own, other, 0), code: errWindow, kind: ansError},
		{name: "CreateWindow in another client's", req: reqBytes(lsb, 1, 24, own, other, 0, 0x00100010, 0, 0, 0), code: errWindow, kind: ansError},
		{name: "SendEvent KeyPress to another client", req: reqBytes(lsb, 25, 0, other, 0, 2, own, 0, 0, 0, 0, 0, 0), kind: none},
		{name: "SetSelectionOwner of the window manager's selection", req: reqBytes(lsb, 22, 0, own, 310, 0), kind: none},
		{name: "SetSelectionOwner of the clipboard manager's", req: reqBytes(lsb, 22, 0, own, 301, 0), kind: none},
		{name: "SetSelectionOwner of the clipboard", req: reqBytes(lsb, 22, 0, own, 300, 0), pass: true},
		{name: "ChangeHosts", req: reqBytes(lsb, 109, 0, 0), code: errAccess, kind: ansError},
		{name: "unknown opcode", req: reqBytes(lsb, 121, 0), code: errRequest, kind: ansError},
		{name: "too short", req: reqBytes(lsb, 73, 2, own), code: errLength, kind: ansError},
	})
}

func TestExtensionDecisions(t *testing.T) {
	w := testWorld(t, Config{})
	own, other := uint32(testBase+7), uint32(testOther+7)
	rnd := w.major("render")
	xi := w.major("xinput")
	shm := w.major("shm")
	runDecide(t, w, []decideCase{
		{name: "RENDER picture of the root", req: reqBytes(lsb, rnd, minorOf("render", "CreatePicture"), own, testRoot, 0x25, 0), code: errDrawable, kind: ansError},
		{name: "RENDER Composite from another client's picture", req: reqBytes(lsb, rnd, minorOf("render", "Composite"), 3, other, 0, own, 0, 0, 0, 0x00100010), code: w.pol.extError("render", "Picture"), kind: ansError},
		{name: "RENDER glyphs switching to another client's glyph set", req: reqBytes(lsb, rnd, minorOf("render", "CompositeGlyphs8"), 3, own, own+1, 0, own+2, 0, 0xff, 0, other), code: w.pol.extError("render", "GlyphSet"), kind: ansError},
		{name: "RENDER glyphs in its own glyph sets", req: reqBytes(lsb, rnd, minorOf("render", "CompositeGlyphs8"), 3, own, own+1, 0, own+2, 0, 0xff, 0, own+3), pass: true},
		{name: "XTEST", req: reqBytes(lsb, w.major("xtest"), 2, 0x2602, 0, testRoot, 0, 0, 0, 0, 0), code: errRequest, kind: ansError},
		{name: "RECORD", req: reqBytes(lsb, w.major("record"), 1, own, 0, 1, 0), code: errRequest, kind: ansError},
		{name: "MIT-SHM System V attach", req: reqBytes(lsb, shm, minorOf("shm", "Attach"), own, 42, 0), code: errAccess, kind: ansError},
		{name: "XI QueryDeviceState", req: reqBytes(lsb, xi, minorOf("xinput", "QueryDeviceState"), 3), code: errAccess, kind: ansError},
		{name: "XI passive grab on the root", req: reqBytes(lsb, xi, minorOf("xinput", "XIPassiveGrabDevice"), 0, testRoot, 0, 0, 0x00010003, 0x00010100, 0, 0), code: errWindow, kind: ansError},
		{name: "XI grab while the user works elsewhere", req: reqBytes(lsb, xi, minorOf("xinput", "XIGrabDevice"), own, 0, 0, 0x00000003, 0), kind: ansBuild},
		{name: "XFIXES cursor image", req: reqBytes(lsb, w.major("xfixes"), minorOf("xfixes", "GetCursorImage")), code: errAccess, kind: ansError},
		{name: "XKB loading a keymap", req: reqBytes(lsb, w.major("xkb"), minorOf("xkb", "GetKbdByName"), 0x00000100, 0x00010000), code: errAccess, kind: ansError},
		{name: "XKB changing the keymap", req: reqBytes(lsb, w.major("xkb"), minorOf("xkb", "SetMap"), 0x100, 0, 0, 0, 0, 0, 0, 0), kind: ansNone},
		{name: "RANDR changing the screen", req: reqBytes(lsb, w.major("randr"), minorOf("randr", "SetScreenConfig"), testRoot, 0, 0, 0, 0), code: errAccess, kind: ansError},
		{name: "GLX current on the root", req: reqBytes(lsb, w.major("glx"), minorOf("glx", "MakeCurrent"), testRoot, own, 0), code: w.pol.extError("glx", "BadDrawable"), kind: ansError},
		{name: "GLX context sharing another client's lists", req: reqBytes(lsb, w.major("glx"), minorOf("glx", "CreateContext"), own, 0x21, 0, other, 0), code: w.pol.extError("glx", "BadContext"), kind: ansError},
		{name: "DRI3 without the GPU", req: reqBytes(lsb, w.major("dri3"), minorOf("dri3", "Open"), testRoot, 0), code: errRequest, kind: ansError},
	})
}

// Requests edited in place: what passes is what the policy allows.
func TestRewrites(t *testing.T) {
	w := testWorld(t, Config{})
	own := uint32(testBase + 7)
	decide := func(req []byte) ([]byte, bool) {
		s := newSession(w, lsb)
		d := s.next(req, 1<<16)
		return req, d.pass
	}
	// Input events on the root are cut out of the event mask.
	req, ok := decide(reqBytes(lsb, 2, 0, testRoot, cwEventMask, maskKeyPress|maskPropertyChange|1<<6))
	if !ok || lsb.u32(req[12:]) != maskPropertyChange {
		t.Errorf("root event mask: pass %v, mask %#x", ok, lsb.u32(req[12:]))
	}
	// XI2: raw events nowhere, key events not on the root.
	xi := w.major("xinput")
	mask := uint32(1<<xiKeyPress | 1<<13 | 1<<xiHierarchyChanged)
	req, ok = decide(reqBytes(lsb, xi, minorOf("xinput", "XISelectEvents"), testRoot, 1, 0x00010000, mask))
	if got := lsb.u32(req[16:]); !ok || got != 1<<xiHierarchyChanged {
		t.Errorf("XI2 mask on the root: pass %v, %#x", ok, got)
	}
	req, ok = decide(reqBytes(lsb, xi, minorOf("xinput", "XISelectEvents"), own, 1, 0x00010000, mask))
	if got := lsb.u32(req[16:]); !ok || got != 1<<xiKeyPress|1<<xiHierarchyChanged {
		t.Errorf("XI2 mask on its own window: pass %v, %#x", ok, got)
	}
	// Retained resources become DestroyAll.
	req, ok = decide(reqBytes(lsb, 112, 1))
	if !ok || req[1] != 0 {
		t.Errorf("SetCloseDownMode: pass %v, mode %d", ok, req[1])
	}
	// Reading the root's properties never deletes them.
	req, ok = decide(reqBytes(lsb, 20, 1, testRoot, 23, 0, 0, 10))
	if !ok || req[1] != 0 {
		t.Errorf("GetProperty of the root with delete: pass %v, delete %d", ok, req[1])
	}
	// Events sent never propagate to other clients' windows.
	req, ok = decide(reqBytes(lsb, 25, 1, own, 4, 4, own, 0, 0, 0, 0, 0, 0))
	if !ok || req[1] != 0 {
		t.Errorf("SendEvent: pass %v, propagate %d", ok, req[1])
	}
}

// The root window hears only what clients say about their own windows.
func TestSendEventToRoot(t *testing.T) {
	w := testWorld(t, Config{})
	own := uint32(testBase + 7)
	const wm = maskSubstructureNotify | maskSubstructureRedirect
	runDecide(t, w, []decideCase{
		{name: "EWMH request about its window", req: reqBytes(lsb, 25, 0, testRoot, wm, 33|32<<8, own, 300, 1, 0, 0, 0, 0), pass: true},
		{name: "EWMH request about another window", req: reqBytes(lsb, 25, 0, testRoot, wm, 33|32<<8, testOther+1, 300, 1, 0, 0, 0, 0), kind: ansNone},
		{name: "ping answered", req: reqBytes(lsb, 25, 0, testRoot, wm, 33|32<<8, testRoot, w.atoms.wmProtocols, w.atoms.netWMPing, 0, own, 0, 0), pass: true},
		{name: "withdrawal", req: reqBytes(lsb, 25, 0, testRoot, wm, 18, testRoot, own, 0, 0, 0, 0, 0), pass: true},
		{name: "a fake key press", req: reqBytes(lsb, 25, 0, testRoot, 1, 2, 0, testRoot, testRoot, 0, 0, 0, 0), kind: ansNone},
		{name: "to the focus", req: reqBytes(lsb, 25, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0), kind: ansNone},
	})
}

// BIG-REQUESTS framing follows the server: a zero length is an error
// until Enable passed, then it means the length follows.
func TestBigRequestFraming(t *testing.T) {
	w := testWorld(t, Config{})
	s := newSession(w, lsb)
	zero := []byte{72, 2, 0, 0, 7, 0, 0, 0}
	if d := s.next(zero, 1<<16); d.fatal == nil {
		t.Fatalf("zero length before Enable: %+v", d)
	}
	s = newSession(w, lsb)
	if d := s.next(reqBytes(lsb, w.major("bigreq"), 0), 1<<16); !d.pass {
		t.Fatal("Enable refused")
	}
	own := uint32(testBase + 1)
	big := reqBytes(lsb, 72, 2, 0, own, own+1, 0x00010001, 0, 0x1800, 0x11223344)
	lsb.put16(big[2:], 0)
	lsb.put32(big[4:], uint32(len(big)/4))
	if d := s.next(big, 1<<16); !d.pass || d.size != len(big) {
		t.Fatalf("big PutImage: %+v", d)
	}
	big[8] = 0xb6 // the drawable: the root
	big[9], big[10], big[11] = 3, 0, 0
	if d := s.next(big, 1<<16); d.pass {
		t.Fatal("big PutImage on the root passed")
	}
	huge := []byte{72, 2, 0, 0, 0xff, 0xff, 0xff, 0x7f}
	if d := s.next(huge, 1<<16); d.fatal == nil {
		t.Fatalf("a request beyond the server's largest: %+v", d)
	}
}
