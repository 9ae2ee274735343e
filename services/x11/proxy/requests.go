package proxy

// The client side of a connection: the requests in the buffer, decided
// one by one; what passes goes upstream in one batch.

func (c *conn) parseRequests(p *pump) (int, int, error) {
	s := c.s
	off := 0
	for off < p.have {
		d := s.next(p.buf[off:p.have], maxWhole)
		if d.fatal != nil {
			return off, 0, d.fatal
		}
		if d.need > 0 {
			return off, d.need, nil
		}
		p.out.fds = append(p.out.fds, d.fds...)
		if d.pass && d.rule.spec.Reply || !d.pass && d.subst[0] == opGetInputFocus {
			c.owed = s.seq // the server owes an answer: worth a spin
		}
		avail := p.have - off
		if d.pass {
			if d.size <= avail {
				p.out.run(off, off+d.size)
				off += d.size
				continue
			}
			// Too large for the buffer: what is here, then the rest
			// straight through.
			p.out.run(off, p.have)
			p.rest = d.size - avail
			return p.have, 0, nil
		}
		p.out.add(d.subst)
		if d.size <= avail {
			off += d.size
			continue
		}
		p.rest, p.discard = d.size-avail, true
		return p.have, 0, nil
	}
	return off, 0, nil
}

// clientFDs queues descriptors the client sent for the requests that
// carry them.
func (c *conn) clientFDs(p *pump, fds []int) error {
	if err := c.s.addFDs(fds); err != nil {
		closeFDs(fds)
		return err
	}
	return nil
}
