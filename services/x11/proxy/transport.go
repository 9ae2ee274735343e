package proxy

import (
	"errors"
	"io"
	"net"

	"golang.org/x/sys/unix"
)

// Transport: Unix stream sockets read in large chunks with the file
// descriptors that come along (SCM_RIGHTS: MIT-SHM segments, DRI3
// buffers and fences, the GPU device), and written with as few system
// calls as possible (one writev per batch of requests or events).

// maxFDsPerRead bounds the descriptors one read takes in.
const maxFDsPerRead = 32

type sock struct {
	c   *net.UnixConn
	oob []byte
}

func newSock(c *net.UnixConn) *sock {
	return &sock{c: c, oob: make([]byte, unix.CmsgSpace(4*maxFDsPerRead))}
}

// read reads into b; fds are the descriptors that came with the bytes.
// It returns io.EOF when the peer closed.
func (s *sock) read(b []byte) (n int, fds []int, err error) {
	n, oobn, flags, _, err := s.c.ReadMsgUnix(b, s.oob)
	if oobn > 0 {
		fds = parseRights(s.oob[:oobn])
	}
	if flags&unix.MSG_CTRUNC != 0 {
		closeFDs(fds)
		return 0, nil, errors.New("too many file descriptors at once")
	}
	if err == nil && n == 0 {
		err = io.EOF
	}
	return n, fds, err
}

func parseRights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for _, m := range msgs {
		if f, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, f...)
		}
	}
	return fds
}

// write writes the buffers in order, the descriptors with the first
// bytes (the peer's server or client takes them in order as requests
// and replies need them, and they must not arrive after their bytes).
// The descriptors are closed once sent: the peer holds its own copies.
func (s *sock) write(bufs [][]byte, fds []int) error {
	defer closeFDs(fds)
	if len(fds) > 0 {
		for len(bufs) > 0 && len(bufs[0]) == 0 {
			bufs = bufs[1:]
		}
		if len(bufs) == 0 {
			return nil
		}
		n, _, err := s.c.WriteMsgUnix(bufs[0], unix.UnixRights(fds...), nil)
		if err != nil {
			return err
		}
		bufs[0] = bufs[0][n:]
	}
	nb := net.Buffers(bufs)
	_, err := nb.WriteTo(s.c)
	return err
}

// copyN passes n bytes from src to dst: the rest of a request or reply
// too large for the buffer. Descriptors arriving meanwhile belong to
// later packets and are kept.
func copyN(dst, src *sock, buf []byte, n int, keep func([]int) error) error {
	for n > 0 {
		k, fds, err := src.read(buf[:min(n, len(buf))])
		if len(fds) > 0 {
			if err := keep(fds); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
		if _, err := dst.c.Write(buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
