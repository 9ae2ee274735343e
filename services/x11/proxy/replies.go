package proxy

import "errors"

// The server side of a connection: pass the server's replies, errors and
// events on in one batch; put the answers to refused requests in the
// place of the proxy's sync replies; edit the replies the policy asked
// to; and watch the user's input to the container's windows.

var errHugeRewrite = errors.New("a reply to edit is too large")

func (c *conn) parsePackets(p *pump) (int, int, error) {
	s := c.s
	off := 0
	for p.have-off >= 32 {
		b := p.buf[off:p.have]
		size := packetSize(b, s.o)
		if size > len(b) {
			if size <= len(p.buf) {
				return off, 0, nil // read the rest of it first
			}
			if b[0] == pktReply && s.exp.rewrites(widen(s.lastSeq, s.o.u16(b[2:]))) {
				return off, size, nil // to be edited: a larger buffer
			}
		}
		if b[0]&^synthetic != evKeymapNotify {
			s.lastSeq = widen(s.lastSeq, s.o.u16(b[2:]))
		}
		if b[0] == pktReply || b[0] == pktError {
			c.answered = true
			if x, ok := s.exp.take(s.lastSeq); ok {
				done, err := s.expected(x, b, size, &p.out)
				if err != nil {
					return off, 0, err
				}
				if done {
					off += size
					continue
				}
			}
		} else {
			s.watch(b)
		}
		if size > len(b) {
			// Larger than the buffer: what is here, then the rest
			// straight through.
			p.out.run(off, p.have)
			p.rest = size - len(b)
			return p.have, 0, nil
		}
		p.out.run(off, off+size)
		off += size
	}
	return off, 0, nil
}

// serverFDs passes the server's descriptors on with the bytes they came
// with (a reply's first byte is the first the read returns): with the
// next batch that carries anything.
func (c *conn) serverFDs(p *pump, fds []int) error {
	p.fdq = append(p.fdq, fds...)
	if len(p.fdq) > maxFDQueue {
		return errTooManyFDs
	}
	return nil
}

// packetSize is the size of the server's packet at the start of b (at
// least 32 bytes there): replies and generic events say how much follows.
func packetSize(b []byte, o order) int {
	if b[0] == pktReply || b[0]&^synthetic == evGeneric {
		return 32 + 4*int(o.u32(b[4:]))
	}
	return 32
}

// expected handles a reply or error the client side left a note about.
// done says the packet was handled (replaced, edited or swallowed).
func (s *session) expected(x expectation, b []byte, size int, out *batch) (bool, error) {
	if x.sync {
		// The reply to the proxy's GetInputFocus: in its place the
		// answer to the refused request.
		if ans := s.build(x); ans != nil {
			out.add(ans)
		}
		return true, nil
	}
	if x.rewrite == nil || b[0] != pktReply {
		return false, nil
	}
	if size > len(b) {
		return false, errHugeRewrite
	}
	out.add(x.rewrite(s, append([]byte(nil), b[:size]...)))
	return true, nil
}

// build makes the answer to a refused request.
func (s *session) build(x expectation) []byte {
	seq := uint16(x.seq)
	if x.code != 0 {
		return errorPacket(s.o, x.code, seq, x.bad, x.minor, x.major)
	}
	if x.fn != nil {
		return x.fn(s, seq)
	}
	return nil
}
