package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// The upstream side: the user's display, reached with the user's cookie.

// display is where the user's X server listens.
type display struct {
	socket string // Unix socket path
	number string // display number, for the cookie
}

// parseDisplay reads DISPLAY values of local displays: ":0", ":0.0",
// "unix:0". Remote displays are not for a per-container proxy.
func parseDisplay(d string) (display, error) {
	rest, ok := strings.CutPrefix(d, "unix")
	if !ok {
		rest = d
	}
	if !strings.HasPrefix(rest, ":") {
		return display{}, fmt.Errorf("display %q: only local displays (:N) are supported", d)
	}
	num := rest[1:]
	if i := strings.IndexByte(num, '.'); i >= 0 {
		num = num[:i]
	}
	if _, err := strconv.ParseUint(num, 10, 16); err != nil {
		return display{}, fmt.Errorf("display %q: bad display number", d)
	}
	return display{socket: "/tmp/.X11-unix/X" + num, number: num}, nil
}

// cookie is an authorization for the setup request.
type cookie struct {
	name string
	data []byte
}

// setupRequest is a connection setup in byte order o with cookie c.
func setupRequest(o order, c cookie) []byte {
	n, d := len(c.name), len(c.data)
	b := make([]byte, 12+pad4(n)+pad4(d))
	b[0] = 'l'
	if o == msb {
		b[0] = 'B'
	}
	o.put16(b[2:], 11)
	o.put16(b[6:], uint16(n))
	o.put16(b[8:], uint16(d))
	copy(b[12:], c.name)
	copy(b[12+pad4(n):], c.data)
	return b
}

// readSetupReply reads the server's answer to a setup request.
func readSetupReply(r io.Reader, o order) ([]byte, error) {
	h := make([]byte, 8)
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, fmt.Errorf("setup reply: %w", err)
	}
	b := make([]byte, 8+4*int(o.u16(h[6:])))
	copy(b, h)
	if _, err := io.ReadFull(r, b[8:]); err != nil {
		return nil, fmt.Errorf("setup reply: %w", err)
	}
	return b, nil
}

// setupInfo is what the proxy reads from a successful setup reply.
type setupInfo struct {
	base, mask uint32
	roots      []uint32
}

func parseSetup(b []byte, o order) (setupInfo, error) {
	if len(b) < 40 {
		return setupInfo{}, errors.New("setup reply too short")
	}
	if b[0] != 1 {
		reason := b[8:]
		if n := int(b[1]); b[0] == 0 && n <= len(reason) {
			reason = reason[:n]
		}
		return setupInfo{}, fmt.Errorf("the X server refused the connection: %s", strings.TrimRight(string(reason), "\x00\n"))
	}
	si := setupInfo{base: o.u32(b[12:]), mask: o.u32(b[16:])}
	vlen, nroots, nfmt := int(o.u16(b[24:])), int(b[28]), int(b[29])
	p := 40 + pad4(vlen) + 8*nfmt
	for i := 0; i < nroots; i++ {
		if p+40 > len(b) {
			return setupInfo{}, errors.New("setup reply: screens past the end")
		}
		si.roots = append(si.roots, o.u32(b[p:]))
		ndepths := int(b[p+39])
		p += 40
		for j := 0; j < ndepths; j++ {
			if p+8 > len(b) {
				return setupInfo{}, errors.New("setup reply: depths past the end")
			}
			p += 8 + 24*int(o.u16(b[p+2:]))
		}
	}
	return si, nil
}

// dialer connects to the user's display.
type dialer struct {
	disp   display
	cookie cookie
}

// dial opens a connection in byte order o and sets it up; it returns the
// connection and the server's setup reply (which may be a refusal).
func (d *dialer) dial(o order) (*net.UnixConn, []byte, error) {
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: d.disp.socket, Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the X server: %w", err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(setupRequest(o, d.cookie)); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("X setup: %w", err)
	}
	reply, err := readSetupReply(c, o)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	c.SetDeadline(time.Time{})
	return c, reply, nil
}
