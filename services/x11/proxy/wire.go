package proxy

// order is a client's byte order: the setup request's first byte picks it
// for the whole connection, and the proxy speaks it upstream too, so bytes
// pass through unchanged.
type order bool

const (
	lsb order = false // 'l': least significant byte first
	msb order = true  // 'B'
)

func (o order) u16(b []byte) uint16 {
	if o == msb {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}

func (o order) u32(b []byte) uint32 {
	if o == msb {
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	return uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
}

func (o order) put16(b []byte, v uint16) {
	if o == msb {
		b[0], b[1] = byte(v>>8), byte(v)
		return
	}
	b[0], b[1] = byte(v), byte(v>>8)
}

func (o order) put32(b []byte, v uint32) {
	if o == msb {
		b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		return
	}
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// Core error codes (X11 protocol, section "Errors").
const (
	errRequest        = 1
	errValue          = 2
	errWindow         = 3
	errPixmap         = 4
	errAtom           = 5
	errCursor         = 6
	errFont           = 7
	errMatch          = 8
	errDrawable       = 9
	errAccess         = 10
	errColormap       = 12
	errGContext       = 13
	errLength         = 16
	errImplementation = 17
)

// Packet types the server sends.
const (
	pktError        = 0
	pktReply        = 1
	evKeyPress      = 2
	evButtonPress   = 4
	evFocusIn       = 9
	evFocusOut      = 10
	evKeymapNotify  = 11
	evSelectionReq  = 30
	evSelectionNote = 31
	evGeneric       = 35
	synthetic       = 0x80 // set in the type of events sent with SendEvent
)

// Core opcodes the proxy itself uses.
const (
	opGetInputFocus = 43
	opNoOperation   = 127
)

// noOp is the NoOperation request: it advances the server's sequence
// number and has no reply.
func noOp(o order) []byte {
	b := []byte{opNoOperation, 0, 0, 0}
	o.put16(b[2:], 1)
	return b
}

// syncReq is GetInputFocus: cheap, and its reply marks the point in the
// server's stream where the refused request's answer belongs.
func syncReq(o order) []byte {
	b := []byte{opGetInputFocus, 0, 0, 0}
	o.put16(b[2:], 1)
	return b
}

// errorPacket is an X error as the server would send it.
func errorPacket(o order, code uint8, seq uint16, bad uint32, minor uint16, major uint8) []byte {
	b := make([]byte, 32)
	b[0] = pktError
	b[1] = code
	o.put16(b[2:], seq)
	o.put32(b[4:], bad)
	o.put16(b[8:], minor)
	b[10] = major
	return b
}

// replyPacket is a reply with body words of extra data (zeroed); the
// caller fills in the fields.
func replyPacket(o order, seq uint16, extra int) []byte {
	b := make([]byte, 32+extra)
	b[0] = pktReply
	o.put16(b[2:], seq)
	o.put32(b[4:], uint32(extra/4))
	return b
}

// pad4 rounds n up to a multiple of four.
func pad4(n int) int { return (n + 3) &^ 3 }
