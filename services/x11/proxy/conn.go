package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// conn is one client of the container, connected through the proxy.
type conn struct {
	s      *session
	client *sock
	server *sock
	once   sync.Once
	done   chan struct{}
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
	tuneSocket(up)
	tuneSocket(cl)
	return &conn{s: s, client: newSock(cl), server: newSock(up), done: make(chan struct{})}, nil
}

// tuneSocket gives a socket large kernel buffers: fewer wake-ups for
// bulk drawing.
func tuneSocket(c *net.UnixConn) {
	c.SetWriteBuffer(1 << 20)
	c.SetReadBuffer(1 << 20)
}

// run passes the connection's traffic until either end closes, then
// closes both: first the container's hold on its id range, then the
// server end, so the server destroys all the client made.
func (c *conn) run(p *Proxy) {
	errs := make(chan error, 2)
	go func() { errs <- c.clientSide() }()
	go func() { errs <- c.serverSide() }()
	err := <-errs
	c.close(p)
	<-errs
	closeFDs(c.s.fdq)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, syscall.ECONNRESET) {
		p.w.log.printf("connection %d ended: %v", c.s.id, err)
	}
}

func (c *conn) close(p *Proxy) {
	c.once.Do(func() {
		p.w.own.remove(c.s.base)
		c.server.c.Close()
		c.client.c.Close()
		close(c.done)
	})
}
