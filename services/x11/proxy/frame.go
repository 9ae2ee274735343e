package proxy

import (
	"errors"
	"fmt"
)

// Framing: where one request ends and the next begins. The proxy must cut
// the client's stream exactly where the server will, or a request it
// checked would not be the request the server runs; so a stream that the
// server might read differently is cut off rather than guessed at.

// errFraming ends a connection whose byte stream cannot be framed.
var errFraming = errors.New("malformed request stream")

// maxRequest is the largest request without BIG-REQUESTS: the 16-bit
// length counts 4-byte units.
const maxRequest = 0xffff * 4

// framer knows what the server uses to frame a client's requests.
type framer struct {
	o order
	// big is set once the client's BigReqEnable has been passed on: from
	// that request on, the server reads a zero length as "the length
	// follows in the next four bytes", and so does the framer.
	big bool
	// maxBig is the server's largest request with BIG-REQUESTS, in
	// bytes; longer ones make the server drop the client.
	maxBig int
}

// frame reads the size of the request at the start of b. It returns 0
// when b does not hold the length yet. shift is 4 for a request with an
// extended length: its fields after the header sit 4 bytes further on.
func (f *framer) frame(b []byte) (size, shift int, err error) {
	if len(b) < 4 {
		return 0, 0, nil
	}
	n := int(f.o.u16(b[2:]))
	if n != 0 {
		return n * 4, 0, nil
	}
	if !f.big {
		return 0, 0, fmt.Errorf("%w: zero length without BIG-REQUESTS", errFraming)
	}
	if len(b) < 8 {
		return 0, 0, nil
	}
	n32 := f.o.u32(b[4:])
	if n32 < 2 {
		return 0, 0, fmt.Errorf("%w: extended length %d", errFraming, n32)
	}
	if uint64(n32)*4 > uint64(f.maxBig) {
		return 0, 0, fmt.Errorf("%w: request of %d bytes exceeds the server's %d", errFraming, uint64(n32)*4, f.maxBig)
	}
	return int(n32) * 4, 4, nil
}

// request is one client request as the policy sees it. Offsets given to
// its accessors are those of the protocol's layout (a 4-byte header);
// for a request with an extended length they are moved past it.
type request struct {
	o order
	// b holds the bytes read so far: all of the request, or a prefix of
	// a large one whose rule needs only its fixed part.
	b     []byte
	size  int // its size on the wire
	shift int
	major uint8
	minor uint8 // byte 1: the minor opcode of extension requests
	seq   uint64
	// fds are the file descriptors it carries.
	fds []int
}

// n is the request's length in the protocol's layout.
func (r *request) n() int { return r.size - r.shift }

func (r *request) wire(off int) int {
	if off < 4 {
		return off
	}
	return off + r.shift
}

// has reports whether the n bytes at off are part of the request and
// have been read.
func (r *request) has(off, n int) bool {
	return off >= 0 && n >= 0 && off+n <= r.n() && r.wire(off)+n <= len(r.b)
}

func (r *request) u8(off int) uint8 {
	if !r.has(off, 1) {
		return 0
	}
	return r.b[r.wire(off)]
}

func (r *request) u16(off int) uint16 {
	if !r.has(off, 2) {
		return 0
	}
	return r.o.u16(r.b[r.wire(off):])
}

func (r *request) u32(off int) uint32 {
	if !r.has(off, 4) {
		return 0
	}
	return r.o.u32(r.b[r.wire(off):])
}

func (r *request) put8(off int, v uint8) {
	if r.has(off, 1) {
		r.b[r.wire(off)] = v
	}
}

func (r *request) put32(off int, v uint32) {
	if r.has(off, 4) {
		r.o.put32(r.b[r.wire(off):], v)
	}
}

// bytes is the part [off, off+n) of the request, or nil.
func (r *request) bytes(off, n int) []byte {
	if !r.has(off, n) {
		return nil
	}
	w := r.wire(off)
	return r.b[w : w+n]
}

// complete reports whether all of the request has been read.
func (r *request) complete() bool { return len(r.b) >= r.size }
