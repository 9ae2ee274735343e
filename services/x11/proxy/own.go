package proxy

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Resource tracking. The server hands each client a range of resource ids
// (a base and a mask in the setup reply; every id the client creates is
// base|n with n inside the mask). The container's connections together
// are "own": an id is own when it lies in the range of a connection that
// is open now. Ids of the server itself (client 0: root windows, default
// colormaps, system counters, picture formats) have a base of 0. Anything
// else belongs to another client of the user's display: foreign.

// owners is the set of open connections' bases; reads are lock-free
// because every request of every connection asks.
type owners struct {
	mask  uint32
	mu    sync.Mutex // serializes writers
	bases atomic.Pointer[[]uint32]
}

func newOwners(mask uint32) *owners {
	o := &owners{mask: mask}
	o.bases.Store(&[]uint32{})
	return o
}

// has reports whether id belongs to an open connection of the container.
func (o *owners) has(id uint32) bool {
	if id == 0 {
		return false
	}
	b := id &^ o.mask
	if b == 0 {
		return false
	}
	for _, x := range *o.bases.Load() {
		if x == b {
			return true
		}
	}
	return false
}

func (o *owners) add(base uint32) {
	o.mu.Lock()
	defer o.mu.Unlock()
	next := append(slices.Clone(*o.bases.Load()), base)
	o.bases.Store(&next)
}

// remove forgets a connection's range. It must run before the
// connection's upstream end is closed: the server may give the range to
// another client as soon as it sees the close.
func (o *owners) remove(base uint32) {
	o.mu.Lock()
	defer o.mu.Unlock()
	cur := *o.bases.Load()
	next := make([]uint32, 0, len(cur))
	removed := false
	for _, x := range cur {
		if x == base && !removed {
			removed = true
			continue
		}
		next = append(next, x)
	}
	o.bases.Store(&next)
}

// perm says which ids a resource field may hold besides own ones and None.
type perm uint8

const (
	// permRoot: a root window.
	permRoot perm = 1 << iota
	// permServer: any resource of the server itself (client 0), roots
	// included.
	permServer
	// permAny: any id at all (a global namespace, or a use that reads
	// nothing of the resource).
	permAny
	// permNotNone: 0 (None) is not a valid "nothing" here.
	permNotNone
)

// idClass is what an id is to the container.
type idClass uint8

const (
	idNone idClass = iota
	idOwn
	idRoot
	idServer
	idForeign
)

func (w *world) class(id uint32) idClass {
	switch {
	case id == 0:
		return idNone
	case w.own.has(id):
		return idOwn
	case slices.Contains(w.roots, id):
		return idRoot
	case id&^w.own.mask == 0:
		return idServer
	}
	return idForeign
}

// allowed applies a field's permission to an id.
func (w *world) allowed(id uint32, p perm) bool {
	if p&permAny != 0 {
		return true
	}
	switch w.class(id) {
	case idNone:
		return p&permNotNone == 0
	case idOwn:
		return true
	case idRoot:
		return p&(permRoot|permServer) != 0
	case idServer:
		return p&permServer != 0
	}
	return false
}

func (w *world) isOwn(id uint32) bool  { return w.own.has(id) }
func (w *world) isRoot(id uint32) bool { return id != 0 && slices.Contains(w.roots, id) }
