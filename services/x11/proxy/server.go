package proxy

import "errors"

// The server side of a connection: pass the server's replies, errors and
// events on in large chunks; put the answers to refused requests in the
// place of the proxy's sync replies; edit the replies the policy asked
// to; and watch the user's input to the container's windows.

// serverSide runs until the server closes the connection.
func (c *conn) serverSide() error {
	s := c.s
	buf := make([]byte, bufSize)
	var out batch
	have := 0
	for {
		n, fds, err := c.server.read(buf[have:])
		if err != nil {
			closeFDs(fds)
			return err
		}
		have += n
		out.reset(buf)
		out.fds = fds
		off := 0
		for have-off >= 32 {
			b := buf[off:have]
			size := packetSize(b, s.o)
			if size <= len(buf) && size > len(b) {
				break // read the rest of it first
			}
			if b[0]&^synthetic != evKeymapNotify {
				s.lastSeq = widen(s.lastSeq, s.o.u16(b[2:]))
			}
			if b[0] == pktReply || b[0] == pktError {
				if x, ok := s.exp.take(s.lastSeq); ok {
					done, err := s.expected(x, b, size, &out)
					if err != nil {
						return err
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
				// A reply too large for the buffer: what is here, then
				// the rest straight through.
				out.run(off, have)
				if err := out.flush(c.client); err != nil {
					return err
				}
				if err := copyN(c.client, c.server, buf, size-len(b), func(f []int) error { out.fds = append(out.fds, f...); return nil }); err != nil {
					return err
				}
				off = have
				break
			}
			out.run(off, off+size)
			off += size
		}
		if err := out.flush(c.client); err != nil {
			return err
		}
		have = copy(buf, buf[off:have])
	}
}

// packetSize is the size of the server's packet at the start of b (at
// least 32 bytes there): replies and generic events say how much follows.
func packetSize(b []byte, o order) int {
	if b[0] == pktReply || b[0]&^synthetic == evGeneric {
		return 32 + 4*int(o.u32(b[4:]))
	}
	return 32
}

var errHugeRewrite = errors.New("a reply to edit is too large")

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
