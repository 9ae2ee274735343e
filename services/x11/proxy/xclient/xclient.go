// Package xclient is a minimal raw X11 client: requests as words, replies,
// errors and events (generic events included) as bytes. The proxy's tests,
// benchmarks and attacker probes use it where a full binding would hide
// what goes over the wire: malformed requests, big-endian connections,
// XInput2 and GLX requests, no cookie at all.
package xclient

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// Conn is a connection to an X server (or the proxy).
type Conn struct {
	c    net.Conn
	o    binary.ByteOrder
	seq  uint16
	next uint32
	// Setup is what the server said at setup.
	Setup Setup
	// events read while waiting for replies, oldest first.
	events [][]byte
	// synced is the last request of the last Sync.
	synced uint16
	rbuf   []byte
}

// Setup holds the fields of the setup reply clients need.
type Setup struct {
	Base, Mask uint32
	MaxRequest int // bytes
	Roots      []Screen
}

// Screen is one screen of the display.
type Screen struct {
	Root, Colormap, Visual uint32
	Depth                  uint8
	Width, Height          uint16
}

// Options are how to connect.
type Options struct {
	// BigEndian speaks MSB first ('B').
	BigEndian bool
	// AuthName and AuthData are sent as authorization (none if empty).
	AuthName string
	AuthData []byte
}

// Error is an X error.
type Error struct {
	Code  uint8
	Major uint8
	Minor uint16
	Bad   uint32
	Seq   uint16
}

func (e *Error) Error() string {
	return fmt.Sprintf("X error %d (request %d/%d, value %#x)", e.Code, e.Major, e.Minor, e.Bad)
}

// SocketPath is the Unix socket of display ":N" or a path.
func SocketPath(display string) (string, error) {
	if strings.HasPrefix(display, "/") {
		return display, nil
	}
	d, _ := strings.CutPrefix(display, "unix")
	if !strings.HasPrefix(d, ":") {
		return "", fmt.Errorf("display %q is not local", display)
	}
	n := d[1:]
	if i := strings.IndexByte(n, '.'); i >= 0 {
		n = n[:i]
	}
	return "/tmp/.X11-unix/X" + n, nil
}

// Dial connects to display (":N" or a socket path).
func Dial(display string, opt Options) (*Conn, error) {
	p, err := SocketPath(display)
	if err != nil {
		return nil, err
	}
	nc, err := net.Dial("unix", p)
	if err != nil {
		return nil, err
	}
	c, err := NewConn(nc, opt)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// NewConn sets up an X connection over nc.
func NewConn(nc net.Conn, opt Options) (*Conn, error) {
	c := &Conn{c: nc, o: binary.LittleEndian}
	first := byte('l')
	if opt.BigEndian {
		c.o, first = binary.BigEndian, 'B'
	}
	n, d := len(opt.AuthName), len(opt.AuthData)
	b := make([]byte, 12+pad(n)+pad(d))
	b[0] = first
	c.o.PutUint16(b[2:], 11)
	c.o.PutUint16(b[6:], uint16(n))
	c.o.PutUint16(b[8:], uint16(d))
	copy(b[12:], opt.AuthName)
	copy(b[12+pad(n):], opt.AuthData)
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	defer nc.SetDeadline(time.Time{})
	if _, err := nc.Write(b); err != nil {
		return nil, err
	}
	h := make([]byte, 8)
	if _, err := io.ReadFull(nc, h); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	r := make([]byte, 4*int(c.o.Uint16(h[6:])))
	if _, err := io.ReadFull(nc, r); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	if h[0] != 1 {
		return nil, fmt.Errorf("setup refused: %s", strings.TrimRight(string(r[:min(int(h[1]), len(r))]), "\x00"))
	}
	return c, c.parseSetup(append(h, r...))
}

func (c *Conn) parseSetup(b []byte) error {
	if len(b) < 40 {
		return errors.New("setup reply too short")
	}
	s := &c.Setup
	s.Base, s.Mask = c.o.Uint32(b[12:]), c.o.Uint32(b[16:])
	s.MaxRequest = 4 * int(c.o.Uint16(b[26:]))
	vlen, nroots, nfmt := int(c.o.Uint16(b[24:])), int(b[28]), int(b[29])
	p := 40 + pad(vlen) + 8*nfmt
	for i := 0; i < nroots && p+40 <= len(b); i++ {
		s.Roots = append(s.Roots, Screen{Root: c.o.Uint32(b[p:]), Colormap: c.o.Uint32(b[p+4:]), Visual: c.o.Uint32(b[p+32:]),
			Depth: b[p+38], Width: c.o.Uint16(b[p+20:]), Height: c.o.Uint16(b[p+22:])})
		nd := int(b[p+39])
		p += 40
		for j := 0; j < nd && p+8 <= len(b); j++ {
			p += 8 + 24*int(c.o.Uint16(b[p+2:]))
		}
	}
	return nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Order is the connection's byte order.
func (c *Conn) Order() binary.ByteOrder { return c.o }

// Root is the first screen's root window.
func (c *Conn) Root() uint32 { return c.Setup.Roots[0].Root }

// NewID returns a fresh resource id of this connection.
func (c *Conn) NewID() uint32 {
	c.next++
	return c.Setup.Base | c.next&c.Setup.Mask
}

// Raw sends bytes as they are, counting nreq requests.
func (c *Conn) Raw(b []byte, nreq int) (uint16, error) {
	c.seq += uint16(nreq)
	_, err := c.c.Write(b)
	return c.seq, err
}

// Encode builds a request: opcode, byte 1, 32-bit words, then data
// padded to four bytes.
func (c *Conn) Encode(op, b1 uint8, words []uint32, data []byte) []byte {
	n := 4 + 4*len(words) + pad(len(data))
	b := make([]byte, n)
	b[0], b[1] = op, b1
	c.o.PutUint16(b[2:], uint16(n/4))
	for i, w := range words {
		c.o.PutUint32(b[4+4*i:], w)
	}
	copy(b[4+4*len(words):], data)
	return b
}

// Send sends a request and returns its sequence number.
func (c *Conn) Send(op, b1 uint8, words ...uint32) (uint16, error) {
	return c.Raw(c.Encode(op, b1, words, nil), 1)
}

// SendData sends a request with trailing data.
func (c *Conn) SendData(op, b1 uint8, words []uint32, data []byte) (uint16, error) {
	return c.Raw(c.Encode(op, b1, words, data), 1)
}

// Call sends a request with a reply and waits for it.
func (c *Conn) Call(op, b1 uint8, words ...uint32) ([]byte, error) {
	seq, err := c.Send(op, b1, words...)
	if err != nil {
		return nil, err
	}
	return c.Reply(seq)
}

// Sync waits until the server handled every request sent, and returns
// the first error of a request sent since the last Sync (GetInputFocus
// as the round trip).
func (c *Conn) Sync() error {
	first := c.synced + 1
	seq, err := c.Send(43, 0)
	if err != nil {
		return err
	}
	c.synced = seq
	for i, p := range c.events {
		if p[0] == 0 && c.o.Uint16(p[2:])-first <= seq-first {
			c.events = append(c.events[:i:i], c.events[i+1:]...)
			c.replyFrom(seq, seq)
			return c.asError(p)
		}
	}
	_, err = c.replyFrom(first, seq)
	return err
}

// NetConn is the underlying connection, for benchmarks that drive the
// wire themselves.
func (c *Conn) NetConn() net.Conn { return c.c }

// SendFD sends a request that carries a file descriptor (MIT-SHM
// AttachFd, DRI3): the descriptor goes along with the request's bytes.
func (c *Conn) SendFD(req []byte, fd int) error {
	uc, ok := c.c.(*net.UnixConn)
	if !ok {
		return errors.New("file descriptors need a Unix socket")
	}
	c.seq++
	_, _, err := uc.WriteMsgUnix(req, syscall.UnixRights(fd), nil)
	return err
}
