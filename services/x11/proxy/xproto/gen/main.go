// Command gen writes the X11 protocol tables of package xproto from the
// XML protocol descriptions of xcb-proto (Debian's xcb-proto package puts
// them in /usr/share/xcb): for each request its opcode, whether it has a
// reply, the layout of its fixed part with the resource-id fields in it,
// its value list, and the file descriptors it carries; for each
// extension its errors.
//
// Usage: go run ./gen -o tables.go /usr/share/xcb
package main

import (
	"encoding/xml"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// node is one element of an XML description, kept generic: the schema
// has many element kinds and we need a few attributes of each.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []*node    `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *node) children(name string) []*node {
	var out []*node
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
	}
	return out
}

// module is one XML file: the core protocol or an extension.
type module struct {
	header  string
	xname   string // extension-xname; "" for xproto
	name    string // extension-name
	root    *node
	imports []string
	types   map[string]*typ // by unqualified name
	enums   map[string]map[string]int
}

// typ is what the generator knows of a type.
type typ struct {
	size   int    // bytes on the wire; -1 when variable
	kind   string // resource-id kind ("xproto:WINDOW"), "" for plain data
	fields []field
}

// field is a fixed field at an offset, flattened out of structs.
type field struct {
	name string
	off  int
	size int
	kind string
}

type value struct {
	name string
	bit  int
	size int
	kind string
}

type request struct {
	name        string
	opcode      int
	reply       bool
	fixed       int
	fields      []field
	mask        string
	values      []value
	varIDs      bool
	fds         int
	fdList      string
	fdListCount string
}

type gen struct {
	mods  map[string]*module
	kinds []string // every resource-id kind, qualified
}

func main() {
	out := flag.String("o", "tables.go", "output file")
	flag.Parse()
	dir := "/usr/share/xcb"
	if flag.NArg() > 0 {
		dir = flag.Arg(0)
	}
	g := &gen{mods: map[string]*module{}}
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(files) == 0 {
		log.Fatalf("no XML protocol descriptions in %s (install xcb-proto)", dir)
	}
	for _, f := range files {
		if err := g.load(f); err != nil {
			log.Fatal(err)
		}
	}
	var names []string
	for h := range g.mods {
		names = append(names, h)
	}
	sort.Strings(names)
	for _, h := range names {
		g.declareTypes(g.mods[h], map[string]bool{})
	}
	src, err := g.emit(names)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

func (g *gen) load(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var root node
	if err := xml.Unmarshal(b, &root); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	m := &module{
		header: root.attr("header"),
		xname:  root.attr("extension-xname"),
		name:   root.attr("extension-name"),
		root:   &root,
		types:  map[string]*typ{},
		enums:  map[string]map[string]int{},
	}
	for _, imp := range root.children("import") {
		m.imports = append(m.imports, strings.TrimSpace(imp.Text))
	}
	g.mods[m.header] = m
	return nil
}

var basic = map[string]int{
	"CARD8": 1, "INT8": 1, "BYTE": 1, "BOOL": 1, "char": 1, "void": 1,
	"CARD16": 2, "INT16": 2,
	"CARD32": 4, "INT32": 4, "float": 4, "fd": 0,
	"CARD64": 8, "INT64": 8, "double": 8,
}

// declareTypes fills m.types, imports first.
func (g *gen) declareTypes(m *module, done map[string]bool) {
	if done[m.header] {
		return
	}
	done[m.header] = true
	for _, imp := range m.imports {
		if im := g.mods[imp]; im != nil {
			g.declareTypes(im, done)
		}
	}
	if len(m.types) > 0 {
		return
	}
	for _, n := range m.root.Nodes {
		name := n.attr("name")
		switch n.XMLName.Local {
		case "xidtype", "xidunion":
			k := m.header + ":" + name
			m.types[name] = &typ{size: 4, kind: k}
			g.kinds = append(g.kinds, k)
		case "eventstruct":
			m.types[name] = &typ{size: 32} // an event as sent by SendEvent
		case "typedef":
			m.types[n.attr("newname")] = g.resolve(m, n.attr("oldname"))
		case "struct", "union":
			m.types[name] = g.structType(m, n, n.XMLName.Local == "union")
		case "enum":
			items := map[string]int{}
			for _, it := range n.children("item") {
				for _, v := range it.Nodes {
					x, _ := strconv.Atoi(strings.TrimSpace(v.Text))
					if v.XMLName.Local == "bit" {
						items[it.attr("name")] = x
					}
				}
			}
			m.enums[name] = items
		}
	}
}

// resolve finds a type by name as xcbgen does: qualified names directly,
// else the module itself, then its imports.
func (g *gen) resolve(m *module, name string) *typ {
	if sz, ok := basic[name]; ok {
		return &typ{size: sz}
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		if om := g.mods[name[:i]]; om != nil {
			if t := om.types[name[i+1:]]; t != nil {
				return t
			}
		}
		log.Fatalf("%s: unknown type %s", m.header, name)
	}
	if t := m.types[name]; t != nil {
		return t
	}
	for _, imp := range m.imports {
		if im := g.mods[imp]; im != nil {
			if t := im.types[name]; t != nil {
				return t
			}
		}
	}
	log.Fatalf("%s: unknown type %s", m.header, name)
	return nil
}

func (g *gen) structType(m *module, n *node, union bool) *typ {
	t := &typ{}
	off := 0
	for _, c := range n.Nodes {
		sz, fs := g.member(m, c, off)
		if sz < 0 {
			return &typ{size: -1}
		}
		if union {
			if sz > t.size {
				t.size = sz
			}
			continue
		}
		t.fields = append(t.fields, fs...)
		off += sz
	}
	if !union {
		t.size = off
	}
	return t
}

// member is the wire size of one element of a struct or request at off
// (-1: variable) and the resource-id fields it holds.
func (g *gen) member(m *module, c *node, off int) (int, []field) {
	switch c.XMLName.Local {
	case "field", "exprfield":
		t := g.resolve(m, c.attr("type"))
		if t.size < 0 {
			return -1, nil
		}
		fs := []field{{name: c.attr("name"), off: off, size: t.size, kind: t.kind}}
		for _, f := range t.fields {
			if f.kind != "" {
				fs = append(fs, field{name: c.attr("name") + "." + f.name, off: off + f.off, size: f.size, kind: f.kind})
			}
		}
		return t.size, fs
	case "pad":
		if b := c.attr("bytes"); b != "" {
			x, _ := strconv.Atoi(b)
			return x, nil
		}
		a, _ := strconv.Atoi(c.attr("align"))
		if a > 0 && off%a != 0 {
			return -1, nil
		}
		return 0, nil
	case "list":
		t := g.resolve(m, c.attr("type"))
		if len(c.Nodes) == 1 && c.Nodes[0].XMLName.Local == "value" && t.size >= 0 {
			x, _ := strconv.Atoi(strings.TrimSpace(c.Nodes[0].Text))
			return x * t.size, nil
		}
		return -1, nil
	case "switch":
		return -1, nil
	case "fd", "doc", "reply", "required_start_align":
		return 0, nil
	}
	return 0, nil
}

// hasIDs reports whether a list or switch element can hold resource ids.
func (g *gen) hasIDs(m *module, c *node) bool {
	if ty := c.attr("type"); ty != "" && ty != "fd" {
		t := g.resolve(m, ty)
		if t.kind == "xproto:ATOM" {
			return false // atoms name, they own nothing
		}
		if t.kind != "" {
			return true
		}
		if t.size < 0 {
			return g.structHasIDs(m, ty)
		}
		for _, f := range t.fields {
			if f.kind != "" && f.kind != "xproto:ATOM" {
				return true
			}
		}
	}
	for _, cc := range c.Nodes {
		if g.hasIDs(m, cc) {
			return true
		}
	}
	return false
}

// structHasIDs looks into a variable-size struct's declaration.
func (g *gen) structHasIDs(m *module, name string) bool {
	mod, short := m, name
	if i := strings.IndexByte(name, ':'); i >= 0 {
		mod, short = g.mods[name[:i]], name[i+1:]
	}
	for _, cand := range append([]*module{mod}, g.importsOf(mod)...) {
		for _, n := range cand.root.Nodes {
			if (n.XMLName.Local == "struct" || n.XMLName.Local == "union") && n.attr("name") == short {
				return g.hasIDs(cand, n)
			}
		}
	}
	return false
}

func (g *gen) importsOf(m *module) []*module {
	var out []*module
	for _, imp := range m.imports {
		if im := g.mods[imp]; im != nil {
			out = append(out, im)
		}
	}
	return out
}

func (g *gen) request(m *module, n *node) *request {
	op, _ := strconv.Atoi(n.attr("opcode"))
	r := &request{name: n.attr("name"), opcode: op}
	var body []*node
	for _, c := range n.Nodes {
		switch c.XMLName.Local {
		case "reply":
			r.reply = true
		case "doc":
		default:
			body = append(body, c)
		}
	}
	off := 4
	if m.xname == "" {
		// Core requests put a first one-byte field in byte 1.
		off = 1
		if len(body) == 0 || !g.oneByte(m, body[0]) {
			off = 4
		}
	}
	fixed := true
	for i, c := range body {
		if c.XMLName.Local == "fd" {
			r.fds++
			continue
		}
		if c.XMLName.Local == "list" && c.attr("type") == "fd" {
			r.fdList = c.attr("name")
			if fr := c.children("fieldref"); len(fr) == 1 {
				r.fdListCount = strings.TrimSpace(fr[0].Text)
			}
			continue
		}
		if !fixed {
			if g.hasIDs(m, c) {
				r.varIDs = true
			}
			continue
		}
		if c.XMLName.Local == "switch" && g.valueList(m, r, c) {
			fixed = false
			continue
		}
		sz, fs := g.member(m, c, off)
		if sz < 0 {
			fixed = false
			if g.hasIDs(m, c) {
				r.varIDs = true
			}
			continue
		}
		r.fields = append(r.fields, fs...)
		off += sz
		if i == 0 && off == 2 {
			off = 4 // the length field follows byte 1
		}
	}
	r.fixed = off
	return r
}

func (g *gen) oneByte(m *module, c *node) bool {
	if c.XMLName.Local != "field" && c.XMLName.Local != "exprfield" && c.XMLName.Local != "pad" {
		return false
	}
	sz, _ := g.member(m, c, 1)
	return sz == 1
}

// valueList records a switch on a mask field whose bitcases each hold one
// fixed field: the value lists of CreateWindow, CreateGC and the like.
func (g *gen) valueList(m *module, r *request, sw *node) bool {
	refs := sw.children("fieldref")
	if len(refs) != 1 {
		return false
	}
	var vals []value
	for _, bc := range sw.Nodes {
		switch bc.XMLName.Local {
		case "fieldref":
			continue
		case "bitcase":
		default:
			return false
		}
		var er *node
		var fs []*node
		for _, c := range bc.Nodes {
			switch c.XMLName.Local {
			case "enumref":
				er = c
			case "field":
				fs = append(fs, c)
			}
		}
		if er == nil || len(fs) != 1 {
			return false
		}
		bit, ok := g.enumBit(m, er.attr("ref"), strings.TrimSpace(er.Text))
		if !ok {
			return false
		}
		t := g.resolve(m, fs[0].attr("type"))
		if t.size <= 0 {
			return false
		}
		vals = append(vals, value{name: fs[0].attr("name"), bit: bit, size: t.size, kind: t.kind})
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i].bit < vals[j].bit })
	r.mask = strings.TrimSpace(refs[0].Text)
	r.values = vals
	return true
}

func (g *gen) enumBit(m *module, enum, item string) (int, bool) {
	for _, cand := range append([]*module{m}, g.importsOf(m)...) {
		if e, ok := cand.enums[enum]; ok {
			b, ok := e[item]
			return b, ok
		}
	}
	return 0, false
}
