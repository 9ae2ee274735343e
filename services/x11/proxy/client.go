package proxy

import "fmt"

// The client side of a connection: read the client's requests in large
// chunks, decide on each, and send what passes upstream in one write per
// chunk.

// bufSize is each side's buffer: the largest request checked whole and
// the largest reply edited whole. Larger ones stream through.
const bufSize = 256 << 10

// batch collects what one chunk sends on: runs of the read buffer that
// pass (contiguous ones merged) and the proxy's own requests or answers.
type batch struct {
	bufs [][]byte
	fds  []int
	// end is where the last run taken from the buffer ends, to merge
	// the next run into it.
	end int
	buf []byte
}

func (b *batch) reset(buf []byte) {
	b.bufs, b.fds, b.end, b.buf = b.bufs[:0], nil, -1, buf
}

// run adds buf[from:to].
func (b *batch) run(from, to int) {
	if from == b.end && len(b.bufs) > 0 {
		last := b.bufs[len(b.bufs)-1]
		b.bufs[len(b.bufs)-1] = last[:len(last)+to-from]
	} else {
		b.bufs = append(b.bufs, b.buf[from:to])
	}
	b.end = to
}

// add adds bytes of the proxy's own.
func (b *batch) add(p []byte) {
	b.bufs = append(b.bufs, p)
	b.end = -1
}

func (b *batch) flush(dst *sock) error {
	if len(b.bufs) == 0 && len(b.fds) == 0 {
		return nil
	}
	err := dst.write(b.bufs, b.fds)
	b.reset(b.buf)
	return err
}

// clientSide runs until the client closes or breaks the protocol.
func (c *conn) clientSide() error {
	s := c.s
	buf := make([]byte, bufSize)
	var out batch
	have := 0
	for {
		n, fds, err := c.client.read(buf[have:])
		if len(fds) > 0 {
			if ferr := s.addFDs(fds); ferr != nil {
				closeFDs(fds)
				return ferr
			}
		}
		if err != nil {
			return err
		}
		have += n
		out.reset(buf)
		off := 0
		for off < have {
			d := s.next(buf[off:have], len(buf))
			if d.fatal != nil {
				return d.fatal
			}
			if d.need > 0 {
				break
			}
			out.fds = append(out.fds, d.fds...)
			if d.pass {
				if d.size <= have-off {
					out.run(off, off+d.size)
					off += d.size
					continue
				}
				// Too large for the buffer: what is here, then the rest
				// straight through.
				out.run(off, have)
				if err := out.flush(c.server); err != nil {
					return err
				}
				if err := copyN(c.server, c.client, buf, d.size-(have-off), s.addFDs); err != nil {
					return err
				}
				off = have
				continue
			}
			out.add(d.subst)
			if d.size <= have-off {
				off += d.size
				continue
			}
			if err := discardN(c.client, buf, d.size-(have-off), s.addFDs); err != nil {
				return err
			}
			off = have
		}
		if err := out.flush(c.server); err != nil {
			return err
		}
		have = copy(buf, buf[off:have])
	}
}

// discardN drops the rest of a refused request too large for the buffer.
func discardN(src *sock, buf []byte, n int, keep func([]int) error) error {
	for n > 0 {
		k, fds, err := src.read(buf[:min(n, len(buf))])
		if len(fds) > 0 {
			if err := keep(fds); err != nil {
				return err
			}
		}
		if err != nil {
			return fmt.Errorf("discarding a refused request: %w", err)
		}
		n -= k
	}
	return nil
}
