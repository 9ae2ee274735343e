package proxy

// Answers the proxy makes up for refused requests: what the server would
// say if the thing asked for were not there or the change not possible.
// Each builder gets the refused request's sequence number.

// emptyProperty is GetProperty's reply for a property that does not exist.
func emptyProperty(s *session, seq uint16) []byte {
	return replyPacket(s.o, seq, 0)
}

// noProperties is ListProperties' reply listing none.
func noProperties(s *session, seq uint16) []byte {
	return replyPacket(s.o, seq, 0)
}

// zeroKeymap is QueryKeymap's reply with no key down.
func zeroKeymap(s *session, seq uint16) []byte {
	return replyPacket(s.o, seq, 8) // 32 bytes of keys from byte 8
}

// noHosts is ListHosts' reply: access control on, no host listed.
func noHosts(s *session, seq uint16) []byte {
	b := replyPacket(s.o, seq, 0)
	b[1] = 1
	return b
}

// status returns a builder of a reply whose only news is a status byte
// (grab requests, SetPointerMapping, SetModifierMapping).
func status(v uint8) func(*session, uint16) []byte {
	return func(s *session, seq uint16) []byte {
		b := replyPacket(s.o, seq, 0)
		b[1] = v
		return b
	}
}

// Status values.
const (
	statusAlreadyGrabbed = 1 // GrabPointer, GrabKeyboard, XI grabs
	statusBusy           = 1 // SetPointerMapping, SetModifierMapping
	statusFailed         = 2 // SetModifierMapping
)

// absentExtension is QueryExtension's reply for an extension the server
// does not have.
func absentExtension(s *session, seq uint16) []byte {
	return replyPacket(s.o, seq, 0)
}

// extensionList is ListExtensions' reply naming the extensions the
// container may see.
func extensionList(s *session, seq uint16) []byte {
	var names []string
	for _, e := range s.w.pol.ext {
		if e != nil && !e.hidden {
			names = append(names, e.spec.XName)
		}
	}
	n := 0
	for _, x := range names {
		n += 1 + len(x)
	}
	b := replyPacket(s.o, seq, pad4(n))
	b[1] = uint8(len(names))
	p := b[32:]
	for _, x := range names {
		p[0] = uint8(len(x))
		copy(p[1:], x)
		p = p[1+len(x):]
	}
	return b
}

// selectionRefused is the SelectionNotify an owner sends when it cannot
// convert the selection: property None.
func selectionRefused(requestor, selection, target, time uint32) func(*session, uint16) []byte {
	return func(s *session, seq uint16) []byte {
		b := make([]byte, 32)
		b[0] = evSelectionNote
		s.o.put16(b[2:], seq)
		s.o.put32(b[4:], time)
		s.o.put32(b[8:], requestor)
		s.o.put32(b[12:], selection)
		s.o.put32(b[16:], target)
		return b
	}
}
