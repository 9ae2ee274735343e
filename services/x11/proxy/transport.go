package proxy

import (
	"errors"
	"io"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Transport: the system calls on the proxy's non-blocking Unix sockets.
// Reads take large chunks with the file descriptors that come along
// (SCM_RIGHTS: MIT-SHM segments, DRI3 buffers and fences, the GPU
// device); writes send a batch in one sendmsg; large bodies move without
// copies (splice through a pipe).

// maxFDsPerRead bounds the descriptors one read takes in.
const maxFDsPerRead = 32

var errTooManyFDs = errors.New("too many file descriptors at once")

// rawFD takes a connected socket out of Go's poller: a non-blocking
// descriptor of the proxy's I/O thread. c is closed.
func rawFD(c *net.UnixConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	rc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) })
	c.Close()
	if derr != nil {
		return -1, derr
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	// Large kernel buffers: fewer wake-ups for bulk drawing.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 1<<20)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	return fd, nil
}

// recvmsg is the system call without the peer's address (which
// x/sys/unix would allocate for on every read).
func recvmsg(fd int, b, oob []byte) (n, oobn, flags int, err error) {
	var iov unix.Iovec
	iov.Base = &b[0]
	iov.SetLen(len(b))
	var msg unix.Msghdr
	msg.Iov = &iov
	msg.SetIovlen(1)
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_CMSG_CLOEXEC)
	if e != 0 {
		return 0, 0, 0, e
	}
	return int(r), int(msg.Controllen), int(msg.Flags), nil
}

// sendmsg writes bufs (at most maxIov of them) with oob; *scratch keeps
// its iovec array from call to call.
func sendmsg(fd int, scratch *[]unix.Iovec, bufs [][]byte, oob []byte) (int, error) {
	iov := (*scratch)[:0]
	defer func() { *scratch = iov[:0] }()
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	if len(iov) == 0 {
		return 0, nil
	}
	var msg unix.Msghdr
	msg.Iov = &iov[0]
	msg.SetIovlen(len(iov))
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	r, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_NOSIGNAL)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// recv reads into b; fds came with the bytes. It returns io.EOF when the
// peer closed and unix.EAGAIN when there is nothing to read.
func recv(fd int, b, oob []byte) (int, []int, error) {
	for {
		n, oobn, flags, err := recvmsg(fd, b, oob)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, nil, err
		}
		var fds []int
		if oobn > 0 {
			fds = parseRights(oob[:oobn])
		}
		if flags&unix.MSG_CTRUNC != 0 {
			closeFDs(fds)
			return 0, nil, errTooManyFDs
		}
		if n == 0 {
			closeFDs(fds)
			return 0, nil, io.EOF
		}
		return n, fds, nil
	}
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

// maxIov bounds the buffers one sendmsg takes (the kernel's IOV_MAX).
const maxIov = 1024

// send writes as much of bufs as the socket takes now, the descriptors
// with the first byte, and returns what is left. fdsSent says the
// descriptors went (they go with the first byte or not at all).
func send(fd int, iov *[]unix.Iovec, bufs [][]byte, fds []int) (rest [][]byte, fdsSent bool, err error) {
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	fdsSent = len(fds) == 0
	for len(bufs) > 0 {
		k, err := sendmsg(fd, iov, bufs[:min(len(bufs), maxIov)], oob)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return bufs, fdsSent, nil
		}
		if err != nil {
			return bufs, fdsSent, err
		}
		if k > 0 {
			fdsSent, oob = true, nil
		}
		for k > 0 {
			if k < len(bufs[0]) {
				bufs[0] = bufs[0][k:]
				return bufs, fdsSent, nil // the socket is full
			}
			k -= len(bufs[0])
			bufs = bufs[1:]
		}
	}
	return nil, fdsSent, nil
}

// pipe carries spliced bytes between two sockets.
type pipe struct {
	r, w int
	size int
}

func newPipe() (*pipe, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, err
	}
	size, err := unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, 1<<20)
	if err != nil {
		size = 64 << 10 // the default
	}
	return &pipe{r: p[0], w: p[1], size: size}, nil
}

func (p *pipe) Close() {
	if p != nil {
		unix.Close(p.r)
		unix.Close(p.w)
	}
}

// spliceIn moves up to n bytes from a socket into the pipe.
func (p *pipe) spliceIn(fd, n int) (int, error) {
	for {
		k, err := unix.Splice(fd, nil, p.w, nil, min(n, p.size), unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		if err == unix.EINTR {
			continue
		}
		if err == nil && k == 0 {
			return 0, io.EOF
		}
		return int(k), err
	}
}

// spliceOut moves up to n bytes from the pipe to a socket.
func (p *pipe) spliceOut(fd, n int) (int, error) {
	for {
		k, err := unix.Splice(p.r, nil, fd, nil, n, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		if err == unix.EINTR {
			continue
		}
		return int(k), err
	}
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
