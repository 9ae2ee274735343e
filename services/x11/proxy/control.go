package proxy

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/lxcage/lxcage/services/x11/proxy/xproto"
)

// control is the proxy's own connection to the display: at start it
// learns the server's extensions, its largest request and the atoms the
// policy names; afterwards it converts selections for the container.
// It is a small synchronous client, byte order LSB.
type control struct {
	c     *net.UnixConn
	setup setupInfo
	seq   uint16
	buf   []byte
}

func dialControl(d *dialer) (*control, error) {
	c, reply, err := d.dial(lsb)
	if err != nil {
		return nil, err
	}
	si, err := parseSetup(reply, lsb)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &control{c: c, setup: si, buf: make([]byte, 4096)}, nil
}

func (x *control) Close() error { return x.c.Close() }

// send writes requests and returns the sequence number of the last.
func (x *control) send(reqs ...[]byte) (uint16, error) {
	var all []byte
	for _, r := range reqs {
		all = append(all, r...)
		x.seq++
	}
	x.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := x.c.Write(all)
	return x.seq, err
}

// reply reads packets until the reply or error to request seq; others
// (errors of earlier conversions) are dropped.
func (x *control) reply(seq uint16) ([]byte, error) {
	x.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		h := make([]byte, 32)
		if _, err := io.ReadFull(x.c, h); err != nil {
			return nil, err
		}
		n := 0
		if h[0] == pktReply || h[0]&^synthetic == evGeneric {
			n = 4 * int(lsb.u32(h[4:]))
		}
		b := make([]byte, 32+n)
		copy(b, h)
		if _, err := io.ReadFull(x.c, b[32:]); err != nil {
			return nil, err
		}
		if (h[0] == pktReply || h[0] == pktError) && lsb.u16(h[2:]) == seq {
			if h[0] == pktError {
				return nil, fmt.Errorf("X error %d", h[1])
			}
			return b, nil
		}
	}
}

// req encodes a core or extension request in LSB order: opcode, byte 1,
// then the words of its body.
func req(op, b1 uint8, body ...uint32) []byte {
	b := make([]byte, 4+4*len(body))
	b[0], b[1] = op, b1
	lsb.put16(b[2:], uint16(1+len(body)))
	for i, v := range body {
		lsb.put32(b[4+4*i:], v)
	}
	return b
}

func strReq(op, b1 uint8, head []uint32, s string) []byte {
	r := req(op, b1, head...)
	r = append(r, s...)
	for len(r)%4 != 0 {
		r = append(r, 0)
	}
	lsb.put16(r[2:], uint16(len(r)/4))
	return r
}

// extensions asks the server which extensions it has and where.
func (x *control) extensions() ([]serverExt, error) {
	seq, err := x.send(req(99, 0))
	if err != nil {
		return nil, err
	}
	b, err := x.reply(seq)
	if err != nil {
		return nil, fmt.Errorf("ListExtensions: %w", err)
	}
	var names []string
	p := b[32:]
	for i := 0; i < int(b[1]) && len(p) > 0; i++ {
		n := int(p[0])
		if 1+n > len(p) {
			break
		}
		names = append(names, string(p[1:1+n]))
		p = p[1+n:]
	}
	var reqs [][]byte
	for _, n := range names {
		reqs = append(reqs, strReq(98, 0, []uint32{uint32(len(n))}, n))
	}
	last, err := x.send(reqs...)
	if err != nil {
		return nil, err
	}
	var out []serverExt
	for i, n := range names {
		r, err := x.reply(last - uint16(len(names)-1-i))
		if err != nil {
			return nil, fmt.Errorf("QueryExtension %s: %w", n, err)
		}
		spec := xproto.ByXName(n)
		if r[8] == 0 || spec == nil {
			continue // no tables for it: it stays hidden
		}
		out = append(out, serverExt{spec: spec, major: r[9], firstEvent: r[10], firstError: r[11]})
	}
	return out, nil
}

// bigRequests enables BIG-REQUESTS on this connection to learn the
// server's largest request; 0 when the server lacks it.
func (x *control) bigRequests(exts []serverExt) (int, error) {
	for _, e := range exts {
		if e.spec.Header != "bigreq" {
			continue
		}
		seq, err := x.send(req(e.major, 0))
		if err != nil {
			return 0, err
		}
		b, err := x.reply(seq)
		if err != nil {
			return 0, fmt.Errorf("BigReqEnable: %w", err)
		}
		return 4 * int(lsb.u32(b[8:])), nil
	}
	return 0, nil
}

// intern returns the atoms of names, creating them.
func (x *control) intern(names []string) ([]uint32, error) {
	var reqs [][]byte
	for _, n := range names {
		reqs = append(reqs, strReq(16, 0, []uint32{uint32(len(n))}, n))
	}
	last, err := x.send(reqs...)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, len(names))
	for i := range names {
		b, err := x.reply(last - uint16(len(names)-1-i))
		if err != nil {
			return nil, fmt.Errorf("InternAtom %s: %w", names[i], err)
		}
		out[i] = lsb.u32(b[8:])
	}
	return out, nil
}

// broker converts selections for the container on the proxy's own
// connection, one at a time.
type broker struct {
	mu  sync.Mutex
	ctl *control
}

// convert grabs the server, asks who owns the selection, converts it to
// the requestor's property when allow says the container may read what
// that owner holds, and lets the server go.
func (b *broker) convert(c conversion, allow func(owner uint32) bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	x := b.ctl
	seq, err := x.send(req(36, 0), req(23, 0, c.selection))
	if err != nil {
		return err
	}
	r, err := x.reply(seq)
	if err != nil {
		x.send(req(37, 0))
		return err
	}
	ungrab := req(37, 0)
	if allow(lsb.u32(r[8:])) {
		_, err = x.send(req(24, 0, c.requestor, c.selection, c.target, c.property, c.time), ungrab)
	} else {
		_, err = x.send(ungrab)
	}
	return err
}
