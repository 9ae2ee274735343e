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
		{name: "ChangeHosts", req: reqBytes(lsb, 109, 0, 0), code: errAccess, kind: ansError},
		{name: "unknown opcode", req: reqBytes(lsb, 121, 0), code: errRequest, kind: ansError},
		{name: "too short", req: reqBytes(lsb, 73, 2, own), code: errLength, kind: ansError},
	})
}
