package sound

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Just enough of PulseAudio's native protocol to ask the daemon whether
// its devices are there: its tunnels make their sink and source only once
// they have reached the user's server, a moment after its socket answers,
// and a client that came earlier would find no output.

// Commands and tags of the native protocol (pulsecore/native-common.h,
// pulsecore/tagstruct.h).
const (
	cmdError        = 0
	cmdReply        = 2
	cmdAuth         = 8
	cmdLookupSink   = 10
	cmdLookupSource = 11

	tagU32       = 'L'
	tagString    = 't'
	tagArbitrary = 'x'

	protocolVersion = 32         // any version ≥ 13 does; the daemon answers with the lower one
	controlChannel  = ^uint32(0) // packets (as opposed to audio) go on this channel
	cookieLength    = 256
	errNoEntity     = 5
)

// hasDevices reports whether the daemon at path has every named sink and
// source. A daemon that answers "no such entity" has not made them yet:
// false and no error.
func hasDevices(path string, sinks, sources []string) (bool, error) {
	c, err := dial(path, 100*time.Millisecond)
	if err != nil {
		return false, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return false, errors.New("not a Unix socket")
	}
	// The daemon admits a client of its own uid by the credentials that
	// come with the first packet; the cookie is not checked.
	creds := unix.UnixCredentials(&unix.Ucred{Pid: int32(os.Getpid()), Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())})
	auth := packet(cmdAuth, 0, u32(protocolVersion), arbitrary(make([]byte, cookieLength)))
	if _, _, err := uc.WriteMsgUnix(auth, creds, nil); err != nil {
		return false, err
	}
	if _, err := reply(uc, 0); err != nil {
		return false, fmt.Errorf("auth: %w", err)
	}
	tag := uint32(1)
	for _, q := range []struct {
		cmd   uint32
		names []string
	}{{cmdLookupSink, sinks}, {cmdLookupSource, sources}} {
		for _, name := range q.names {
			if _, err := uc.Write(packet(q.cmd, tag, str(name))); err != nil {
				return false, err
			}
			code, err := reply(uc, tag)
			if err != nil {
				return false, err
			}
			if code == errNoEntity {
				return false, nil
			}
			tag++
		}
	}
	return true, nil
}

// reply reads the answer to tag: 0 for a reply, the error code for an
// error.
func reply(r io.Reader, tag uint32) (uint32, error) {
	var desc [20]byte
	if _, err := io.ReadFull(r, desc[:]); err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(desc[0:])
	if binary.BigEndian.Uint32(desc[4:]) != controlChannel || n > 1<<16 {
		return 0, errors.New("unexpected frame")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, err
	}
	if len(body) < 10 || body[0] != tagU32 || body[5] != tagU32 {
		return 0, errors.New("malformed packet")
	}
	cmd, got := binary.BigEndian.Uint32(body[1:]), binary.BigEndian.Uint32(body[6:])
	switch {
	case got != tag:
		return 0, fmt.Errorf("answer to tag %d, want %d", got, tag)
	case cmd == cmdReply:
		return 0, nil
	case cmd == cmdError && len(body) >= 15 && body[10] == tagU32:
		return binary.BigEndian.Uint32(body[11:]), nil
	}
	return 0, fmt.Errorf("unexpected command %d", cmd)
}

// packet frames a command: a descriptor (payload length, channel,
// offset, flags) and the tagged command, tag and arguments.
func packet(cmd, tag uint32, args ...[]byte) []byte {
	body := append(u32(cmd), u32(tag)...)
	for _, a := range args {
		body = append(body, a...)
	}
	desc := make([]byte, 20)
	binary.BigEndian.PutUint32(desc[0:], uint32(len(body)))
	binary.BigEndian.PutUint32(desc[4:], controlChannel)
	return append(desc, body...)
}

func u32(v uint32) []byte {
	b := []byte{tagU32, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], v)
	return b
}

func str(s string) []byte {
	return append(append([]byte{tagString}, s...), 0)
}

func arbitrary(p []byte) []byte {
	b := []byte{tagArbitrary, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(p)))
	return append(b, p...)
}
