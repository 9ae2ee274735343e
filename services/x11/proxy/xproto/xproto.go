// Package xproto holds tables of the X11 protocol generated from
// xcb-proto's XML descriptions: for every request of the core protocol
// and of each extension its opcode, whether it has a reply, the layout of
// its fixed part with the resource-id fields in it, its value list, and
// the file descriptors it carries. The filtering proxy reads requests
// with them; the tables are committed, so building needs no XML.
package xproto

//go:generate go run ./gen -o tables.go /usr/share/xcb

// Kind is the type of a resource-id field (WINDOW, render's PICTURE…).
type Kind uint8

// String is the kind's qualified protocol name ("xproto:WINDOW").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "?"
}

// Field is one field of a request's fixed part.
type Field struct {
	Name string
	// Off is its byte offset from the start of the request.
	Off uint16
	// Size is its size in bytes.
	Size uint8
	// Kind is its resource-id kind; NoKind for plain data.
	Kind Kind
}

// Value is one entry of a value list (CreateWindow's, CreateGC's…): it is
// present when Bit is set in the mask, in ascending bit order.
type Value struct {
	Name string
	Bit  uint8
	Size uint8
	Kind Kind
}

// Request describes one request.
type Request struct {
	Name   string
	Opcode uint8
	// Reply says the server answers it with a reply.
	Reply bool
	// Fixed is the size of its fixed part in bytes: the shortest valid
	// request, and all of the request when nothing variable follows.
	Fixed uint16
	// Fields are the fields of the fixed part (pads left out).
	Fields []Field
	// Mask names the mask field of a value list that follows the fixed
	// part, with the list's entries in Values.
	Mask   string
	Values []Value
	// VarIDs says the variable part (lists, switches) holds resource ids
	// that Values does not describe: a policy must read them itself.
	VarIDs bool
	// FDs is the number of file descriptors the request carries.
	FDs uint8
	// FDList, when set, names the field that counts a list of file
	// descriptors it carries.
	FDList string
}

// Field finds a field of the fixed part by name.
func (r *Request) Field(name string) (Field, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Error is one error of an extension, numbered from its first error.
type Error struct {
	Name   string
	Number uint8
}

// Extension is the core protocol or one extension.
type Extension struct {
	// Header is xcb's module name ("render"; "xproto" for the core).
	Header string
	// XName is the name QueryExtension knows it by ("RENDER"); empty
	// for the core protocol.
	XName string
	// Name is xcb's name for it ("Render").
	Name string
	// Requests are indexed by opcode (minor opcode for extensions);
	// nil where no request is defined.
	Requests []*Request
	Errors   []Error
}

// Request is the request with opcode op, or nil.
func (e *Extension) Request(op uint8) *Request {
	if int(op) < len(e.Requests) {
		return e.Requests[op]
	}
	return nil
}

// RequestByName finds a request by name, or nil.
func (e *Extension) RequestByName(name string) *Request {
	for _, r := range e.Requests {
		if r != nil && r.Name == name {
			return r
		}
	}
	return nil
}

// Error finds an error number by name.
func (e *Extension) Error(name string) (uint8, bool) {
	for _, x := range e.Errors {
		if x.Name == name {
			return x.Number, true
		}
	}
	return 0, false
}

// Core is the core protocol.
func Core() *Extension { return All[0] }

// ByXName finds an extension by the name QueryExtension knows it by.
func ByXName(name string) *Extension {
	for _, e := range All[1:] {
		if e.XName == name {
			return e
		}
	}
	return nil
}

// ByHeader finds a module by xcb's name ("render").
func ByHeader(h string) *Extension {
	for _, e := range All {
		if e.Header == h {
			return e
		}
	}
	return nil
}
