package proxy

import (
	"testing"

	"github.com/lxcage/lxcage/services/x11/proxy/xproto"
)

// FuzzRequests feeds arbitrary client byte streams to a connection's
// request side: it must never panic, never ask for bytes it already has,
// and never pass on a request it could not classify — every request it
// forwards has a rule that allows it, is at least as long as its fixed
// part, and ends where the server's framing ends it.
func FuzzRequests(f *testing.F) {
	w := testWorld(f, Config{})
	l := lsb
	f.Add(reqBytes(l, 1, 24, testBase+1, testRoot, 0x00640064, 0x00640064, 0, 0, 0x800, 0x00ff00ff))
	f.Add(reqBytes(l, 72, 2, testBase+1, testBase+2, 0x00020002, 0, 0x1800, 1, 2, 3, 4))
	f.Add(reqBytes(l, 73, 2, testRoot, 0, 0x00640064, 0xffffffff))
	f.Add(append(reqBytes(l, w.major("bigreq"), 0), 72, 2, 0, 0, 8, 0, 0, 0, 1, 0, 0x40, 0, 2, 0, 0x40, 0))
	f.Add(reqBytes(l, w.major("xinput"), minorOf("xinput", "XISelectEvents"), testRoot, 1, 0x00010000, 0xffffffff))
	f.Add(reqBytes(l, w.major("render"), minorOf("render", "CompositeGlyphs8"), 3, testBase+3, testBase+4, 0, testBase+5, 0, 0xff, 0, testOther+1))
	f.Add(reqBytes(l, 74, 0, testBase+1, testBase+2, 0, 0x000000ff|(0x60<<8), 0x01000000))
	f.Add(reqBytes(l, 98, 0, 5, 0x53455458, 0x54))
	f.Add(reqBytes(l, 25, 1, 1, 0, 33, testBase+1, 0, 0, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		o := lsb
		if len(data) > 0 && data[0]&1 == 1 {
			o = msb
			data = data[1:]
		}
		s := newSession(w, o)
		const maxWhole = 1 << 16
		buf := data
		for len(buf) > 0 {
			big := s.big
			d := s.next(buf, maxWhole)
			if d.fatal != nil {
				return
			}
			if d.need > 0 {
				if d.need <= len(buf) {
					t.Fatalf("asks for %d bytes with %d there", d.need, len(buf))
				}
				return
			}
			checkDecision(t, w, o, big, buf, d)
			if d.size >= len(buf) {
				return
			}
			buf = buf[d.size:]
		}
	})
}

func checkDecision(t *testing.T, w *world, o order, big bool, buf []byte, d decision) {
	t.Helper()
	f := framer{o: o, big: big, maxBig: w.maxBig}
	size, shift, err := f.frame(buf)
	if err != nil || size != d.size {
		t.Fatalf("framed %d bytes (%v), the server frames %d", d.size, err, size)
	}
	if !d.pass {
		if len(d.subst) != 4 || (d.subst[0] != opNoOperation && d.subst[0] != opGetInputFocus) {
			t.Fatalf("refused request replaced by %x", d.subst)
		}
		return
	}
	rl := d.rule
	if rl == nil || rl.refused != nil {
		t.Fatalf("forwarded opcode %d/%d without a rule allowing it", buf[0], buf[1])
	}
	if size-shift < int(rl.spec.Fixed) {
		t.Fatalf("forwarded %s of %d bytes, shorter than its fixed part %d", rl.name, size-shift, rl.spec.Fixed)
	}
	want, ext := w.pol.lookup(buf[0], buf[1])
	if want != rl || (ext != nil && ext.hidden) {
		t.Fatalf("forwarded %s for opcode %d/%d", rl.name, buf[0], buf[1])
	}
	if buf[0] < 128 && xproto.Core().Request(buf[0]) != rl.spec {
		t.Fatalf("core opcode %d classified as %s", buf[0], rl.name)
	}
}
