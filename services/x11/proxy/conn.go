package proxy

import (
	"fmt"
	"io"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// conn is one client of the container, connected through the proxy.
type conn struct {
	s              *session
	client, server *endp
	// up carries requests, down the server's packets.
	up, down *pump
	// owed is the last request passed on that the server answers: while
	// it is not answered, the loop polls before it sleeps.
	owed uint64
	// answered says a reply went to the client: the loop polls a little,
	// as the next request usually follows.
	answered bool
}

// setupTimeout bounds a client's connection setup.
const setupTimeout = 10 * time.Second

// readClientSetup reads the setup request of a client: its byte order;
// the authorization it sends is read and ignored.
func readClientSetup(c *net.UnixConn) (order, error) {
	h := make([]byte, 12)
	if _, err := io.ReadFull(c, h); err != nil {
		return lsb, fmt.Errorf("setup: %w", err)
	}
	var o order
	switch h[0] {
	case 'l':
		o = lsb
	case 'B':
		o = msb
	default:
		return lsb, fmt.Errorf("setup: byte order %#x", h[0])
	}
	if o.u16(h[2:]) != 11 {
		return o, fmt.Errorf("setup: protocol version %d", o.u16(h[2:]))
	}
	n := pad4(int(o.u16(h[6:]))) + pad4(int(o.u16(h[8:])))
	if _, err := io.CopyN(io.Discard, c, int64(n)); err != nil {
		return o, fmt.Errorf("setup: %w", err)
	}
	return o, nil
}

// setupFailed is the setup reply that refuses a client with reason.
func setupFailed(o order, reason string) []byte {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	b := make([]byte, 8+pad4(len(reason)))
	b[1] = uint8(len(reason))
	o.put16(b[2:], 11)
	o.put16(b[6:], uint16(pad4(len(reason))/4))
	copy(b[8:], reason)
	return b
}

// open sets up a client's connection: upstream with the user's cookie in
// the client's byte order, the server's setup reply passed back.
func (p *Proxy) open(cl *net.UnixConn) (*conn, error) {
	cl.SetDeadline(time.Now().Add(setupTimeout))
	o, err := readClientSetup(cl)
	if err != nil {
		return nil, err
	}
	up, reply, err := p.dialer.dial(o)
	if err != nil {
		cl.Write(setupFailed(o, "lxcage X11 proxy: "+err.Error()))
		return nil, err
	}
	si, err := parseSetup(reply, o)
	if err == nil && si.mask != p.w.own.mask {
		err = fmt.Errorf("resource-id mask %#x differs from %#x", si.mask, p.w.own.mask)
	}
	if err != nil {
		cl.Write(reply)
		up.Close()
		return nil, err
	}
	s := newSession(p.w, o)
	s.base = si.base
	p.w.own.add(si.base)
	if _, err := cl.Write(reply); err != nil {
		p.w.own.remove(si.base)
		up.Close()
		return nil, err
	}
	cl.SetDeadline(time.Time{})
	return newConn(s, cl, up)
}

// newConn takes the two sockets out of Go's poller into the loop's.
func newConn(s *session, cl, up *net.UnixConn) (*conn, error) {
	cfd, err := rawFD(cl)
	if err != nil {
		up.Close()
		s.w.own.remove(s.base)
		return nil, err
	}
	sfd, err := rawFD(up)
	if err != nil {
		unix.Close(cfd)
		s.w.own.remove(s.base)
		return nil, err
	}
	c := &conn{s: s}
	c.client = &endp{fd: cfd, c: c, iov: make([]unix.Iovec, 0, 16)}
	c.server = &endp{fd: sfd, c: c, iov: make([]unix.Iovec, 0, 16)}
	c.up = newPump(c.client, c.server, requestBuf, c.parseRequests, c.clientFDs)
	c.down = newPump(c.server, c.client, packetBuf, c.parsePackets, c.serverFDs)
	return c, nil
}

// abandon closes a connection the loop never took.
func (c *conn) abandon() {
	c.s.w.own.remove(c.s.base)
	unix.Close(c.server.fd)
	unix.Close(c.client.fd)
}
