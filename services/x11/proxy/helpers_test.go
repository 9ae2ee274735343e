package proxy

import (
	"testing"

	"github.com/lxcage/lxcage/services/x11/proxy/xproto"
)

// A display as the unit tests imagine it: every extension of the tables
// present, the container owning one connection's range.
const (
	testMask  = 0x001fffff
	testBase  = 0x00400000 // the container's connection
	testOther = 0x00600000 // another client of the display
	testRoot  = 0x000003b6
)

func testExts() []serverExt {
	var out []serverExt
	for i, e := range xproto.All[1:] {
		if e.XName == "" {
			continue
		}
		out = append(out, serverExt{spec: e, major: uint8(128 + i), firstEvent: uint8(64 + i), firstError: uint8(128 + i)})
	}
	return out
}

func testWorld(tb testing.TB, cfg Config) *world {
	tb.Helper()
	if cfg.Clipboard == "" {
		cfg.Clipboard = ClipboardOnInput
	}
	w := &world{cfg: cfg, own: newOwners(testMask), roots: []uint32{testRoot}, maxBig: 16 << 20, log: &refusalLog{}}
	w.own.add(testBase)
	w.pol = buildPolicy(&w.cfg, testExts())
	w.atoms.set([]uint32{300, 301, 302, 303, 304, 305})
	w.atoms.setRoles([]uint32{310, 311, 312, 313, 301})
	return w
}

// reqBytes encodes a request: opcode, byte 1, then 32-bit words (LSB).
func reqBytes(o order, op, b1 uint8, words ...uint32) []byte {
	b := make([]byte, 4+4*len(words))
	b[0], b[1] = op, b1
	o.put16(b[2:], uint16(1+len(words)))
	for i, v := range words {
		o.put32(b[4+4*i:], v)
	}
	return b
}

func (w *world) major(header string) uint8 {
	return w.pol.byHeader[header].major
}

func minorOf(header, name string) uint8 {
	return xproto.ByHeader(header).RequestByName(name).Opcode
}
