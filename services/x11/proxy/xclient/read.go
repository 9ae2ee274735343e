package xclient

import (
	"errors"
	"io"
	"os"
	"time"
)

// ReplyTimeout bounds the wait for a reply: a test or probe must not
// hang on a proxy that swallowed one.
var ReplyTimeout = 10 * time.Second

// ErrTimeout is returned when nothing arrived in time.
var ErrTimeout = errors.New("timed out")

func pad(n int) int { return (n + 3) &^ 3 }

// read reads one packet: 32 bytes, more for replies and generic events.
func (c *Conn) read(deadline time.Time) ([]byte, error) {
	c.c.SetReadDeadline(deadline)
	h := make([]byte, 32)
	if _, err := io.ReadFull(c.c, h); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, ErrTimeout
		}
		return nil, err
	}
	if h[0] != 1 && h[0]&0x7f != 35 {
		return h, nil
	}
	b := make([]byte, 32+4*int(c.o.Uint32(h[4:])))
	copy(b, h)
	if _, err := io.ReadFull(c.c, b[32:]); err != nil {
		return nil, err
	}
	return b, nil
}

func (c *Conn) asError(p []byte) *Error {
	return &Error{Code: p[1], Seq: c.o.Uint16(p[2:]), Bad: c.o.Uint32(p[4:]), Minor: c.o.Uint16(p[8:]), Major: p[10]}
}

// Reply waits for the reply to request seq; an error for it comes back
// as *Error. Events that arrive meanwhile are kept for NextEvent.
func (c *Conn) Reply(seq uint16) ([]byte, error) {
	return c.replyFrom(seq, seq)
}

// replyFrom waits for the reply or error of request last; an error of a
// request from first on is returned instead.
func (c *Conn) replyFrom(first, last uint16) ([]byte, error) {
	deadline := time.Now().Add(ReplyTimeout)
	var firstErr error
	for {
		p, err := c.read(deadline)
		if err != nil {
			return nil, err
		}
		s := c.o.Uint16(p[2:])
		switch p[0] {
		case 1:
			if s == last {
				return p, firstErr
			}
		case 0:
			e := c.asError(p)
			if s == last {
				if firstErr != nil {
					return nil, firstErr
				}
				return nil, e
			}
			if s-first <= last-first {
				if firstErr == nil {
					firstErr = e
				}
				continue
			}
			c.events = append(c.events, p)
		default:
			c.events = append(c.events, p)
		}
	}
}

// NextEvent returns the next event (or error of a request nobody waited
// for), waiting up to d.
func (c *Conn) NextEvent(d time.Duration) ([]byte, error) {
	if len(c.events) > 0 {
		p := c.events[0]
		c.events = c.events[1:]
		return p, nil
	}
	p, err := c.read(time.Now().Add(d))
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Ext is an extension as QueryExtension reports it.
type Ext struct {
	Present                       bool
	Major, FirstEvent, FirstError uint8
}

// QueryExtension asks for an extension by name.
func (c *Conn) QueryExtension(name string) (Ext, error) {
	seq, err := c.SendData(98, 0, []uint32{c.Pair(uint16(len(name)), 0)}, []byte(name))
	if err != nil {
		return Ext{}, err
	}
	r, err := c.Reply(seq)
	if err != nil {
		return Ext{}, err
	}
	return Ext{Present: r[8] != 0, Major: r[9], FirstEvent: r[10], FirstError: r[11]}, nil
}

// ListExtensions returns the names of the extensions the server lists.
func (c *Conn) ListExtensions() ([]string, error) {
	r, err := c.Call(99, 0)
	if err != nil {
		return nil, err
	}
	var out []string
	p := r[32:]
	for i := 0; i < int(r[1]) && len(p) > 0; i++ {
		n := int(p[0])
		if 1+n > len(p) {
			break
		}
		out = append(out, string(p[1:1+n]))
		p = p[1+n:]
	}
	return out, nil
}

// Intern returns the atom of name, creating it.
func (c *Conn) Intern(name string) (uint32, error) {
	seq, err := c.SendData(16, 0, []uint32{c.Pair(uint16(len(name)), 0)}, []byte(name))
	if err != nil {
		return 0, err
	}
	r, err := c.Reply(seq)
	if err != nil {
		return 0, err
	}
	return c.o.Uint32(r[8:]), nil
}

// GetProperty reads a property: its type and value.
func (c *Conn) GetProperty(win, prop uint32) (uint32, []byte, error) {
	r, err := c.Call(20, 0, win, prop, 0, 0, 1<<20)
	if err != nil {
		return 0, nil, err
	}
	n := int(c.o.Uint32(r[16:])) * int(r[1]) / 8
	return c.o.Uint32(r[8:]), r[32 : 32+n], nil
}

// ChangeProperty replaces a property with 8-bit data.
func (c *Conn) ChangeProperty(win, prop, typ uint32, data []byte) error {
	_, err := c.SendData(18, 0, []uint32{win, prop, typ, c.Bytes(8, 0, 0, 0), uint32(len(data))}, data)
	return err
}

// CreateWindow makes a mapped-later InputOutput child of parent with a
// white background and the event mask given.
func (c *Conn) CreateWindow(parent uint32, x, y int16, w, h uint16, eventMask uint32) (uint32, error) {
	id := c.NewID()
	_, err := c.Send(1, 0, id, parent, c.Pair(uint16(x), uint16(y)), c.Pair(w, h), c.Pair(0, 1), 0,
		0x802, 0xffffff, eventMask) // border 0, InputOutput, CopyFromParent visual; BackPixel | EventMask
	return id, err
}

// MapWindow maps a window.
func (c *Conn) MapWindow(w uint32) error {
	_, err := c.Send(8, 0, w)
	return err
}

// Pair packs two 16-bit fields that share a word, first one first.
func (c *Conn) Pair(a, b uint16) uint32 {
	var w [4]byte
	c.o.PutUint16(w[:], a)
	c.o.PutUint16(w[2:], b)
	return c.o.Uint32(w[:])
}

// Bytes packs four bytes into a word, in wire order.
func (c *Conn) Bytes(a, b, d, e byte) uint32 {
	return c.o.Uint32([]byte{a, b, d, e})
}

// BigReqMajor enables nothing: it returns BIG-REQUESTS' major opcode for
// the caller to send Enable with, failing tb when the server lacks it.
func (c *Conn) BigReqMajor(tb interface{ Fatal(...any) }) uint8 {
	e, err := c.QueryExtension("BIG-REQUESTS")
	if err != nil || !e.Present {
		tb.Fatal("no BIG-REQUESTS", err)
	}
	return e.Major
}
