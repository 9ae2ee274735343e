package proxy

import (
	"errors"

	"golang.org/x/sys/unix"
)

// A pump moves one direction of a connection, client to server or back:
// it reads a chunk from its source, has its side parse it (the requests
// or the server's packets), and sends the batch that results to its
// destination. Bodies too large for the buffer stream through the pipe.
// When the destination cannot take more, the pump stops reading until
// it can: a client that does not read makes the server wait, as it would
// directly.

// Buffer sizes: a pump starts small and grows up to maxWhole, the
// largest request it checks whole and the largest reply it edits whole.
// It grows when a packet needs it, and when a read fills the buffer: a
// client that draws many images of some tens of kilobytes then has
// several passed on per read (with 16 KiB reads, 100×100 images went at
// 0.4 of the direct throughput; up to 128 KiB, 0.57). The body of a
// request larger than the buffer moves by splice. Requests start at 16
// KiB, as much as a client library writes in one go; the server's
// packets, small but many, at 64 KiB.
const (
	requestBuf = 16 << 10
	packetBuf  = 64 << 10
	maxWhole   = 256 << 10
	// maxRead bounds growth for reads that fill the buffer: 128 KiB
	// gave the throughput of 256 KiB with less memory.
	maxRead = 128 << 10
)

// endp is one socket of a connection.
type endp struct {
	fd int
	c  *conn
	// in is the pump reading from it, out the one writing to it.
	in, out *pump
	// q holds what the socket did not take yet (owned copies), qfds the
	// descriptors to send with q's first byte.
	q    [][]byte
	qfds []int
	// events are the epoll events asked for.
	events uint32
	// iov is scratch space for sendmsg.
	iov []unix.Iovec
}

type pump struct {
	src, dst *endp
	buf      []byte
	have     int
	oob      []byte
	out      batch
	// rest is the part of the current request or reply not yet read
	// that passes unexamined (or, with discard, is dropped).
	rest    int
	discard bool
	pipe    *pipe
	// grow says the last read filled the buffer: it doubles.
	grow bool
	// piped is what the pipe holds that dst has not taken.
	piped int
	// parse handles buf[:have]: it fills out and returns how much it
	// consumed, or how many bytes the next packet needs in the buffer.
	parse func(p *pump) (consumed, need int, err error)
	// fds takes descriptors that came with the source's bytes.
	fds func(p *pump, fds []int) error
	// fdq holds the server's descriptors until the batch that carries
	// their packet.
	fdq []int
}

func newPump(src, dst *endp, size int, parse func(*pump) (int, int, error), fds func(*pump, []int) error) *pump {
	p := &pump{src: src, dst: dst, buf: make([]byte, size), oob: make([]byte, unix.CmsgSpace(4*maxFDsPerRead)), parse: parse, fds: fds}
	src.in, dst.out = p, p
	return p
}

// blocked says the pump waits for its destination.
func (p *pump) blocked() bool { return len(p.dst.q) > 0 || p.piped > 0 }

// pull reads what the source has and passes it on.
func (p *pump) pull(l *loop) error {
	if p.blocked() {
		return nil
	}
	if p.rest > 0 {
		return p.stream(l)
	}
	if p.have == len(p.buf) {
		return errors.New("buffer full with an incomplete packet") // parse always makes room
	}
	n, fds, err := recv(p.src.fd, p.buf[p.have:], p.oob)
	if len(fds) > 0 {
		if ferr := p.fds(p, fds); ferr != nil {
			return ferr
		}
	}
	if err == unix.EAGAIN {
		return nil
	}
	if err != nil {
		return err
	}
	// A read that fills the buffer says the source writes faster than
	// chunks this size carry: larger ones take fewer system calls and
	// wake the destination less often.
	p.grow = p.have == 0 && n == len(p.buf) && len(p.buf) < maxRead
	p.have += n
	return p.drain(l)
}

// drain parses what the buffer holds and sends the batch.
func (p *pump) drain(l *loop) error {
	p.out.reset(p.buf)
	consumed, need, err := p.parse(p)
	if err != nil {
		return err
	}
	if len(p.fdq) > 0 && len(p.out.bufs) > 0 {
		p.out.fds = append(p.out.fds, p.fdq...)
		p.fdq = nil
	}
	if err := l.send(p.dst, p.out.bufs, p.out.fds); err != nil {
		return err
	}
	p.out.reset(p.buf)
	p.have = copy(p.buf, p.buf[consumed:p.have])
	if need > maxWhole {
		return errors.New("a packet to examine outgrew the buffer")
	}
	if p.grow {
		need = max(need, 2*len(p.buf))
		p.grow = false
	}
	if need > len(p.buf) {
		nb := make([]byte, need)
		copy(nb, p.buf[:p.have])
		p.buf = nb
	}
	if p.rest > 0 {
		return p.stream(l)
	}
	return nil
}

// stream moves the rest of a large request or reply: source to pipe to
// destination, without copies. Descriptors a client attached in the
// middle of a body belong to no request; splicing drops them.
func (p *pump) stream(l *loop) error {
	if len(p.dst.q) > 0 {
		return nil // what came before the body goes first
	}
	if p.discard {
		return p.dropRest()
	}
	if p.pipe == nil {
		pp, err := newPipe()
		if err != nil {
			return err
		}
		p.pipe = pp
	}
	for p.rest > 0 || p.piped > 0 {
		if p.piped > 0 {
			m, err := p.pipe.spliceOut(p.dst.fd, p.piped)
			if err == unix.EAGAIN {
				l.want(p.dst, unix.EPOLLOUT)
				l.pause(p)
				return nil
			}
			if err != nil {
				return err
			}
			p.piped -= m
			continue
		}
		k, err := p.pipe.spliceIn(p.src.fd, p.rest)
		if err == unix.EAGAIN {
			return nil // the source has not sent it yet
		}
		if err != nil {
			return err
		}
		p.rest -= k
		p.piped += k
	}
	l.resume(p)
	return nil
}

// dropRest reads and drops the rest of a refused request.
func (p *pump) dropRest() error {
	for p.rest > 0 {
		n, fds, err := recv(p.src.fd, p.buf[:min(p.rest, len(p.buf))], p.oob)
		if len(fds) > 0 {
			if ferr := p.fds(p, fds); ferr != nil {
				return ferr
			}
		}
		if err == unix.EAGAIN {
			return nil
		}
		if err != nil {
			return err
		}
		p.rest -= n
	}
	p.discard = false
	return nil
}

// batch collects what one chunk sends on: runs of the read buffer that
// pass (contiguous ones merged) and the proxy's own requests or answers.
type batch struct {
	bufs [][]byte
	fds  []int
	// end is where the last run taken from the buffer ends, to merge
	// the next run into it.
	end int
	buf []byte
}

func (b *batch) reset(buf []byte) {
	b.bufs, b.fds, b.end, b.buf = b.bufs[:0], nil, -1, buf
}

// run adds buf[from:to].
func (b *batch) run(from, to int) {
	if from == b.end && len(b.bufs) > 0 {
		last := b.bufs[len(b.bufs)-1]
		b.bufs[len(b.bufs)-1] = last[:len(last)+to-from]
	} else {
		b.bufs = append(b.bufs, b.buf[from:to])
	}
	b.end = to
}

// add adds bytes of the proxy's own.
func (b *batch) add(p []byte) {
	b.bufs = append(b.bufs, p)
	b.end = -1
}
