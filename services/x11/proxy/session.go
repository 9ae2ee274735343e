package proxy

import (
	"fmt"

	"github.com/lxcage/lxcage/services/x11/proxy/xproto"
)

// session is one client connection through the proxy: what its client
// side reads (framing, sequence count, file descriptors not yet claimed)
// and what its server side needs (expectations, the last sequence number
// seen). Its decide step is pure — bytes in, decision out — so that the
// fuzzer can drive it without sockets.
type session struct {
	w *world
	framer
	id uint64
	// base is the connection's resource-id base.
	base uint32
	// seq is the sequence number of the last request read.
	seq uint64
	// fdq holds file descriptors the client sent that no request has
	// claimed yet, in order.
	fdq []int
	exp expectations
	// lastSeq is the full sequence number of the last packet the server
	// sent (server side only).
	lastSeq uint64
	// cur is the request being decided.
	cur request
}

// maxFDQueue bounds the descriptors a client may send ahead of the
// requests that use them.
const maxFDQueue = 64

// maxExpected bounds the answers a connection may owe its client: one
// that never reads them would have the proxy keep notes without end.
const maxExpected = 1 << 16

// decision is what to do with the request at the start of the unread
// bytes.
type decision struct {
	// need > 0: read until at least need bytes are there, then ask again.
	need int
	// fatal ends the connection.
	fatal error
	// size is the request's size on the wire.
	size int
	// pass: send it upstream (possibly edited in place) with fds.
	pass bool
	fds  []int
	// subst, for a refused request: send this upstream instead, and
	// drop the request's size bytes.
	subst []byte
	// rule is the rule applied (nil for a request without one).
	rule *rule
}

func newSession(w *world, o order) *session {
	return &session{w: w, framer: framer{o: o, maxBig: w.maxBig}, id: w.nextID.Add(1)}
}

// next decides on the request at the start of b, the bytes read and not
// yet handled. maxWhole is the largest request the caller can hold whole.
func (s *session) next(b []byte, maxWhole int) decision {
	size, shift, err := s.frame(b)
	if err != nil {
		return decision{fatal: err}
	}
	if size == 0 {
		return decision{need: len(b) + 1}
	}
	rl, ext := s.w.pol.lookup(b[0], b[1])
	need := size
	if rl != nil && (!rl.full || size > maxWhole) {
		need = min(size, shift+max(int(rl.spec.Fixed), 4))
	} else if rl == nil {
		need = min(size, 8)
	}
	if len(b) < need {
		return decision{need: need}
	}
	// One request value per session, reused: checks are called through
	// function values, which would make a fresh one escape every time.
	s.cur = request{o: s.o, b: b[:min(size, len(b))], size: size, shift: shift, major: b[0], minor: b[1], seq: s.seq + 1}
	r := &s.cur
	s.seq++
	fds, ferr := s.claimFDs(rl, r)
	if ferr != nil {
		return decision{fatal: ferr}
	}
	r.fds = fds
	var o outcome
	switch {
	case rl != nil && rl.full && size > maxWhole:
		o = refuseErr(errLength, 0, fmt.Sprintf("%d bytes is too long to check", size))
	default:
		o = s.decide(rl, ext, r)
	}
	if o.refused {
		closeFDs(fds)
		if s.exp.n.Load() >= maxExpected {
			return decision{fatal: fmt.Errorf("%d answers owed to a client that does not read them", maxExpected)}
		}
		return decision{size: size, subst: s.answer(rl, ext, r, o), rule: rl}
	}
	if o.rewrite != nil {
		s.exp.push(expectation{seq: r.seq, rewrite: o.rewrite})
	}
	if rl.bigEnable {
		s.big = true
	}
	return decision{size: size, pass: true, fds: fds, rule: rl}
}

// decide applies a rule to a request.
func (s *session) decide(rl *rule, ext *extRules, r *request) outcome {
	if rl == nil {
		if ext != nil && !ext.hidden {
			return refuseErr(errRequest, 0, "not on the allow list")
		}
		return refuseErr(errRequest, 0, "no such request")
	}
	if rl.refused != nil {
		return *rl.refused
	}
	if r.n() < int(rl.spec.Fixed) {
		return refuseErr(errLength, 0, "shorter than its fixed part")
	}
	for _, c := range rl.ids {
		if v := r.u32(c.off); !s.w.allowed(v, c.p) {
			return s.refuseID(c.kind, v, c.name)
		}
	}
	if rl.maskSz > 0 {
		if o := s.checkValues(rl, r); o.refused {
			return o
		}
	}
	if rl.check != nil {
		return rl.check(s, r)
	}
	return pass
}

// checkValues walks a value list: the entries present are those whose bit
// is set in the mask, in ascending bit order.
func (s *session) checkValues(rl *rule, r *request) outcome {
	var mask uint32
	if rl.maskSz == 2 {
		mask = uint32(r.u16(rl.maskOff))
	} else {
		mask = r.u32(rl.maskOff)
	}
	var known uint32
	for _, v := range rl.vals {
		known |= 1 << v.bit
	}
	if mask&^known != 0 {
		return refuseErr(errValue, mask, "unknown bits in the value mask")
	}
	off := int(rl.spec.Fixed)
	for _, v := range rl.vals {
		if mask&(1<<v.bit) == 0 {
			continue
		}
		if !r.has(off, v.size) {
			return refuseErr(errLength, 0, "value list shorter than its mask")
		}
		if v.kind != xproto.NoKind && v.size == 4 {
			if id := r.u32(off); !s.w.allowed(id, v.p) {
				return s.refuseID(v.kind, id, v.name)
			}
		}
		off += v.size
	}
	return pass
}

// kindErrors are the errors the server gives for an id of a kind that
// does not exist: the container is told the same of ids it may not use.
var kindErrors = map[xproto.Kind]uint8{
	xproto.Window: errWindow, xproto.Pixmap: errPixmap, xproto.Cursor: errCursor,
	xproto.Font: errFont, xproto.Gcontext: errGContext, xproto.Colormap: errColormap,
	xproto.Drawable: errDrawable, xproto.Fontable: errFont, xproto.Atom: errAtom,
}

var kindExtErrors = map[xproto.Kind][2]string{
	xproto.RenderPicture:  {"render", "Picture"},
	xproto.RenderGlyphset: {"render", "GlyphSet"},
	xproto.XfixesRegion:   {"xfixes", "BadRegion"},
	xproto.SyncCounter:    {"sync", "Counter"},
	xproto.SyncAlarm:      {"sync", "Alarm"},
	xproto.GlxContext:     {"glx", "BadContext"},
	xproto.GlxPixmap:      {"glx", "BadPixmap"},
	xproto.GlxWindow:      {"glx", "BadWindow"},
	xproto.GlxPbuffer:     {"glx", "BadPbuffer"},
	xproto.GlxDrawable:    {"glx", "BadDrawable"},
	xproto.DamageDamage:   {"damage", "BadDamage"},
}

func (s *session) refuseID(k xproto.Kind, id uint32, field string) outcome {
	why := fmt.Sprintf("%s %#x is not the container's", field, id)
	if c, ok := kindErrors[k]; ok {
		return refuseErr(c, id, why)
	}
	if e, ok := kindExtErrors[k]; ok {
		return refuseErr(s.w.pol.extError(e[0], e[1]), id, why)
	}
	return refuseErr(errAccess, id, why)
}

// answer logs a refusal and returns what goes upstream in its place,
// noting what the client hears.
func (s *session) answer(rl *rule, ext *extRules, r *request, o outcome) []byte {
	if !o.quiet {
		s.w.log.refused(s.id, requestName(rl, ext, r), o.why)
	}
	if o.kind == ansNone {
		return noOp(s.o)
	}
	x := expectation{seq: r.seq, sync: true, fn: o.fn}
	if o.kind == ansError {
		x.code, x.bad, x.major = o.code, o.bad, r.major
		if r.major >= 128 {
			x.minor = uint16(r.minor)
		}
	}
	s.exp.push(x)
	return syncReq(s.o)
}

// requestName names a request for the log, rules or not.
func requestName(rl *rule, ext *extRules, r *request) string {
	switch {
	case rl != nil:
		return rl.name
	case ext != nil:
		if q := ext.spec.Request(r.minor); q != nil {
			return ext.spec.XName + " " + q.Name
		}
		return fmt.Sprintf("%s minor %d", ext.spec.XName, r.minor)
	case r.major < 128:
		if q := xproto.Core().Request(r.major); q != nil {
			return q.Name
		}
	}
	return fmt.Sprintf("opcode %d", r.major)
}

// claimFDs takes the descriptors a request carries from the queue.
func (s *session) claimFDs(rl *rule, r *request) ([]int, error) {
	if rl == nil {
		return nil, nil
	}
	n := int(rl.spec.FDs)
	if rl.spec.FDList != "" {
		f, _ := rl.spec.Field(rl.spec.FDList)
		n += int(r.u8(int(f.Off)))
	}
	if n == 0 {
		return nil, nil
	}
	if len(s.fdq) < n {
		return nil, fmt.Errorf("%s carries %d file descriptors, %d arrived", rl.name, n, len(s.fdq))
	}
	fds := append([]int(nil), s.fdq[:n]...)
	s.fdq = append(s.fdq[:0], s.fdq[n:]...)
	return fds, nil
}

// addFDs queues descriptors that came with the client's bytes.
func (s *session) addFDs(fds []int) error {
	s.fdq = append(s.fdq, fds...)
	if len(s.fdq) > maxFDQueue {
		return fmt.Errorf("%d file descriptors sent ahead of their requests", len(s.fdq))
	}
	return nil
}
