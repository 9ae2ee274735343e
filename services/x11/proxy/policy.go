package proxy

import (
	"fmt"

	"github.com/lxcage/lxcage/services/x11/proxy/xproto"
)

// The policy is a table: one rule per request the container may send.
// A request without a rule is refused, so a request the proxy does not
// know never reaches the server. Each rule checks the resource ids in the
// request's fixed part and value list (from the generated tables: own
// ones pass, the rule's permissions say what else may), then runs its own
// check for what the tables cannot say.

// rule is what the proxy does with one kind of request.
type rule struct {
	// name is the request's name for the log ("RENDER CreatePicture").
	name string
	spec *xproto.Request
	ids  []idCheck
	// vals are the permissions of a value list's id entries by bit.
	vals    []valCheck
	maskOff int
	maskSz  int
	// full says the check reads the variable part: the whole request
	// must be read before deciding.
	full bool
	// check decides what the tables cannot; nil passes.
	check func(s *session, r *request) outcome
	// refused, when set, is the answer to every such request.
	refused *outcome
	// bigEnable marks BIG-REQUESTS' Enable: once it is passed on, the
	// server frames the connection's requests differently.
	bigEnable bool
}

type idCheck struct {
	name string
	off  int
	kind xproto.Kind
	p    perm
}

type valCheck struct {
	name string
	bit  uint8
	size int
	kind xproto.Kind
	p    perm
}

// answerKind is what a client hears about a refused request.
type answerKind uint8

const (
	// ansNone: nothing; the request had no reply and the client is not
	// told (settings that apps change in passing, like GrabServer).
	ansNone answerKind = iota
	// ansError: an X error, as the server gives for a resource that does
	// not exist or an access it refuses.
	ansError
	// ansBuild: a reply or event built by fn.
	ansBuild
)

// outcome is a rule's decision on one request.
type outcome struct {
	refused bool
	// why is said in the debug log.
	why  string
	kind answerKind
	code uint8  // ansError: the error code
	bad  uint32 // ansError: the bad value
	// fn builds the answer (ansBuild) with the refused request's
	// sequence number. It runs when the sync point's reply arrives, so
	// it may look at what the server did with earlier requests.
	fn func(s *session, seq uint16) []byte
	// rewrite, for a passed request, edits the server's reply to it.
	rewrite func(s *session, reply []byte) []byte
	// quiet refusals are not logged: answers the proxy gives in the
	// server's place as a matter of course (ListExtensions), or whose
	// builder logs what it decides later.
	quiet bool
}

var pass = outcome{}

func refuseErr(code uint8, bad uint32, why string) outcome {
	return outcome{refused: true, why: why, kind: ansError, code: code, bad: bad}
}

func refuseSilently(why string) outcome {
	return outcome{refused: true, why: why, kind: ansNone}
}

func refuseWith(why string, fn func(s *session, seq uint16) []byte) outcome {
	return outcome{refused: true, why: why, kind: ansBuild, fn: fn}
}

// serverExt is an extension as the upstream server has it.
type serverExt struct {
	spec       *xproto.Extension
	major      uint8
	firstEvent uint8
	firstError uint8
}

// extRules are the rules of one extension by minor opcode.
type extRules struct {
	serverExt
	// hidden extensions are absent for the container: QueryExtension
	// says so and their requests get BadRequest.
	hidden bool
	rules  []*rule
}

// policy is the whole table, built once per proxy for its server and its
// settings.
type policy struct {
	core [128]*rule
	ext  [256]*extRules
	// byHeader finds the server's extensions by xcb's module name.
	byHeader map[string]*extRules
}

// lookup finds the rule of a request: nil when there is none. ext is the
// request's extension (nil for the core protocol and for opcodes that
// name no extension of the server).
func (p *policy) lookup(major, minor uint8) (*rule, *extRules) {
	if major < 128 {
		return p.core[major], nil
	}
	e := p.ext[major]
	if e == nil {
		return nil, nil
	}
	if e.hidden || int(minor) >= len(e.rules) {
		return nil, e
	}
	return e.rules[minor], e
}

// byXName finds an extension of the server by the name QueryExtension
// knows it by.
func (p *policy) byXName(name string) *extRules {
	for _, e := range p.ext {
		if e != nil && e.spec.XName == name {
			return e
		}
	}
	return nil
}

// extError is the code of an extension's error (by its name in the XML),
// or BadAccess when the server lacks the extension or the error.
func (p *policy) extError(header, name string) uint8 {
	e := p.byHeader[header]
	if e == nil {
		return errAccess
	}
	n, ok := e.spec.Error(name)
	if !ok {
		return errAccess
	}
	return e.firstError + n
}

// builder assembles a policy; its methods panic on a name the tables do
// not know, which the package's tests catch.
type builder struct {
	p   *policy
	cfg *Config
}

// opt adjusts a rule while it is built.
type opt func(*rule)

// may lets the named id field or value-list entry also hold what p says.
func may(name string, p perm) opt {
	return func(rl *rule) {
		for i := range rl.ids {
			if rl.ids[i].name == name {
				rl.ids[i].p |= p
				return
			}
		}
		for i := range rl.vals {
			if rl.vals[i].name == name {
				rl.vals[i].p |= p
				return
			}
		}
		panic(fmt.Sprintf("%s: no resource field %q", rl.name, name))
	}
}

// checked adds a check of the rule's own.
func checked(fn func(s *session, r *request) outcome) opt {
	return func(rl *rule) { rl.check = fn }
}

// whole makes the rule read the whole request before deciding.
func whole() opt { return func(rl *rule) { rl.full = true } }

// globalKinds are resource-id kinds whose ids name things every client
// shares and may use: the server's picture formats, CRTCs, outputs,
// modes, providers and GLX framebuffer configurations. Atoms are names,
// not resources.
var globalKinds = map[xproto.Kind]bool{
	xproto.Atom:             true,
	xproto.RenderPictformat: true,
	xproto.RandrCrtc:        true,
	xproto.RandrOutput:      true,
	xproto.RandrMode:        true,
	xproto.RandrProvider:    true,
	xproto.GlxFbconfig:      true,
}

// newRule makes the rule of the request name of module header, with the
// default checks: every resource id in the fixed part and value list own
// or None, except global kinds.
func (b *builder) newRule(header, name string) *rule {
	m := xproto.ByHeader(header)
	if m == nil {
		panic("no protocol module " + header)
	}
	spec := m.RequestByName(name)
	if spec == nil {
		panic(fmt.Sprintf("%s has no request %s", header, name))
	}
	title := name
	if m.XName != "" {
		title = m.XName + " " + name
	}
	rl := &rule{name: title, spec: spec}
	for _, f := range spec.Fields {
		if f.Kind == xproto.NoKind || f.Size != 4 {
			continue
		}
		p := perm(0)
		if globalKinds[f.Kind] {
			p = permAny
		}
		rl.ids = append(rl.ids, idCheck{name: f.Name, off: int(f.Off), kind: f.Kind, p: p})
	}
	if spec.Mask != "" {
		mf, _ := spec.Field(spec.Mask)
		rl.maskOff, rl.maskSz = int(mf.Off), int(mf.Size)
		rl.full = true
		for _, v := range spec.Values {
			p := perm(0)
			if globalKinds[v.Kind] {
				p = permAny
			}
			rl.vals = append(rl.vals, valCheck{name: v.Name, bit: v.Bit, size: int(v.Size), kind: v.Kind, p: p})
		}
	}
	return rl
}

// allow puts the rule for a request the container may send.
func (b *builder) allow(header, name string, opts ...opt) {
	rl := b.newRule(header, name)
	for _, o := range opts {
		o(rl)
	}
	if rl.spec.VarIDs && rl.check == nil {
		panic(rl.name + " carries resource ids in its variable part: it needs a check")
	}
	b.put(header, rl)
}

// deny puts the rule for a request that is always refused.
func (b *builder) deny(header, name string, o outcome) {
	rl := b.newRule(header, name)
	if rl.spec.Reply && o.kind == ansNone {
		panic(rl.name + " has a reply: refusing it silently would leave the client waiting")
	}
	o.refused = true
	rl.refused = &o
	b.put(header, rl)
}

func (b *builder) put(header string, rl *rule) {
	if header == "xproto" {
		if b.p.core[rl.spec.Opcode] != nil {
			panic("two rules for " + rl.name)
		}
		b.p.core[rl.spec.Opcode] = rl
		return
	}
	e := b.p.byHeader[header]
	if e == nil {
		return // the server lacks the extension
	}
	for len(e.rules) <= int(rl.spec.Opcode) {
		e.rules = append(e.rules, nil)
	}
	if e.rules[rl.spec.Opcode] != nil {
		panic("two rules for " + rl.name)
	}
	e.rules[rl.spec.Opcode] = rl
}

// show makes an extension of the server visible to the container; every
// other one stays hidden.
func (b *builder) show(header string) {
	if e := b.p.byHeader[header]; e != nil {
		e.hidden = false
	}
}

// buildPolicy makes the table for a server with extensions exts.
func buildPolicy(cfg *Config, exts []serverExt) *policy {
	p := &policy{byHeader: map[string]*extRules{}}
	for _, x := range exts {
		e := &extRules{serverExt: x, hidden: true}
		p.ext[x.major] = e
		p.byHeader[x.spec.Header] = e
	}
	b := &builder{p: p, cfg: cfg}
	coreRules(b)
	extensionRules(b)
	return p
}
