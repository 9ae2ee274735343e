package proxy

import (
	"sync"
	"sync/atomic"
)

// Sequence numbers. The server numbers a client's requests 1, 2, 3… and
// stamps each reply, error and event with the number of the last request
// it handled. A refused request still takes its number: a request that
// advances the server's count goes upstream in its place (NoOperation
// when the client hears nothing, GetInputFocus when it must hear an
// answer). The reply to that GetInputFocus arrives exactly where the
// refused request's answer belongs, after everything the server sent for
// earlier requests and before anything for later ones; the proxy
// replaces it with the answer. An expectation is such a note from the
// client side to the server side of a connection.

type expectation struct {
	seq uint64
	// sync marks a GetInputFocus of the proxy's: its reply is replaced by
	// the answer below.
	sync bool
	// The answer: an error (code != 0) or what fn builds.
	code  uint8
	bad   uint32
	major uint8
	minor uint16
	fn    func(s *session, seq uint16) []byte
	// rewrite, for a request passed on, edits the server's reply.
	rewrite func(s *session, reply []byte) []byte
}

// expectations is a connection's queue of them, in sequence order.
type expectations struct {
	mu sync.Mutex
	q  []expectation
	// n lets the server side skip the lock while nothing is expected,
	// which is almost always.
	n atomic.Int32
}

func (e *expectations) push(x expectation) {
	e.mu.Lock()
	e.q = append(e.q, x)
	e.n.Add(1)
	e.mu.Unlock()
}

// take removes the expectations up to seq and returns the one for seq.
// Older ones are stale: a rewrite of a reply that came as an error.
func (e *expectations) take(seq uint64) (expectation, bool) {
	if e.n.Load() == 0 {
		return expectation{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	i := 0
	for i < len(e.q) && e.q[i].seq < seq {
		i++
	}
	var x expectation
	found := i < len(e.q) && e.q[i].seq == seq
	if found {
		x = e.q[i]
		i++
	}
	if i > 0 {
		e.q = append(e.q[:0], e.q[i:]...)
		e.n.Add(int32(-i))
	}
	return x, found
}

// rewrites reports whether the reply to seq is to be edited.
func (e *expectations) rewrites(seq uint64) bool {
	if e.n.Load() == 0 {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range e.q {
		if x.seq == seq {
			return x.rewrite != nil
		}
	}
	return false
}

// widen turns the 16-bit sequence number of a packet into the full count,
// given the last full one seen (the way libxcb does it). Clients never
// leave more than 65535 requests without an answer (libxcb and Xlib sync
// before that), so the nearest count above last is the right one.
func widen(last uint64, seq16 uint16) uint64 {
	s := last&^0xffff | uint64(seq16)
	if s < last {
		s += 0x10000
	}
	return s
}
