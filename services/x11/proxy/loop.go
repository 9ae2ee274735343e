package proxy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The proxy's I/O thread. Every socket of every connection of the
// container is non-blocking and in one epoll set, served by one locked OS
// thread: data that arrives wakes exactly that thread, which passes it on
// at once. (With a goroutine per direction, the runtime's poller wakes
// one thread and runs the goroutine on another: on a small machine most
// of what a proxy adds to a round trip is such wake-ups.)
//
// When an answer is due — a reply the server owes a client, or the next
// request of a client that just got its reply — the thread polls for a
// few microseconds before it sleeps, which saves its own wake-up.

// How long the loop polls before it sleeps when an answer is due: a
// little more than a fast reply takes, far less than a time slice.
// LXCAGE_X11_SPIN=SERVER,CLIENT (microseconds) sets them for
// measurements; 0,0 turns polling off.
var (
	serverSpin = 50 * time.Microsecond
	clientSpin = 30 * time.Microsecond
)

func init() {
	if v := os.Getenv("LXCAGE_X11_SPIN"); v != "" {
		var a, b int
		fmt.Sscanf(v, "%d,%d", &a, &b)
		serverSpin, clientSpin = time.Duration(a)*time.Microsecond, time.Duration(b)*time.Microsecond
	}
}

type loop struct {
	ep int
	// wake is an eventfd that tells the loop to look at its inbox.
	wake  int
	mu    sync.Mutex
	inbox []*conn
	stop  bool
	done  chan struct{}
	// eps are the endpoints by descriptor.
	eps   []*endp
	conns map[*conn]struct{}
	// spinUntil is when the loop stops polling and sleeps.
	spinUntil time.Time
	spin      spinGovernor
	// closing is called for each connection that ends.
	closing func(c *conn, err error)
}

func newLoop(closing func(*conn, error)) (*loop, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(ep)
		return nil, err
	}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, wake, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)}); err != nil {
		unix.Close(ep)
		unix.Close(wake)
		return nil, err
	}
	l := &loop{ep: ep, wake: wake, done: make(chan struct{}), conns: map[*conn]struct{}{}, closing: closing}
	go l.run()
	return l, nil
}

// add hands a set-up connection to the loop.
func (l *loop) add(c *conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop {
		return false
	}
	l.inbox = append(l.inbox, c)
	l.poke()
	return true
}

// shutdown ends every connection and the loop.
func (l *loop) shutdown() {
	l.mu.Lock()
	l.stop = true
	l.poke()
	l.mu.Unlock()
	<-l.done
}

func (l *loop) poke() {
	var one = [8]byte{1}
	unix.Write(l.wake, one[:])
}

func (l *loop) run() {
	runtime.LockOSThread()
	defer close(l.done)
	events := make([]unix.EpollEvent, 64)
	for {
		timeout := -1
		if time.Now().Before(l.spinUntil) {
			timeout = 0
		}
		n, err := unix.EpollWait(l.ep, events, timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			break
		}
		for _, ev := range events[:n] {
			if int(ev.Fd) == l.wake {
				if l.inboxes() {
					l.closeAll()
					unix.Close(l.ep)
					unix.Close(l.wake)
					return
				}
				continue
			}
			l.handle(ev)
		}
		if n > 0 {
			l.planSpin()
		}
	}
}

// inboxes registers new connections; it reports whether to stop.
func (l *loop) inboxes() bool {
	var b [8]byte
	unix.Read(l.wake, b[:])
	l.mu.Lock()
	in, stop := l.inbox, l.stop
	l.inbox = nil
	l.mu.Unlock()
	for _, c := range in {
		if err := l.register(c); err != nil {
			l.end(c, err)
		}
	}
	return stop
}

func (l *loop) register(c *conn) error {
	l.conns[c] = struct{}{}
	for _, e := range []*endp{c.client, c.server} {
		for len(l.eps) <= e.fd {
			l.eps = append(l.eps, nil)
		}
		l.eps[e.fd] = e
		e.events = unix.EPOLLIN
		if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, e.fd, &unix.EpollEvent{Events: e.events, Fd: int32(e.fd)}); err != nil {
			return err
		}
	}
	return nil
}

func (l *loop) handle(ev unix.EpollEvent) {
	fd := int(ev.Fd)
	if fd >= len(l.eps) || l.eps[fd] == nil {
		return
	}
	e := l.eps[fd]
	c := e.c
	var err error
	if ev.Events&unix.EPOLLOUT != 0 {
		err = l.flush(e)
	}
	switch {
	case err != nil:
	case e.events&unix.EPOLLIN != 0 && ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0:
		err = e.in.pull(l)
	case ev.Events&(unix.EPOLLHUP|unix.EPOLLERR) != 0:
		// Gone while its pump waits for the other end: nobody is left
		// to pass anything to (and epoll would say so forever).
		err = io.EOF
	}
	if err != nil {
		l.end(c, err)
	}
}

// planSpin decides whether to poll before sleeping: while some server
// owes a client its reply, or a client just got one.
func (l *loop) planSpin() {
	if !l.spin.ok() {
		return
	}
	now := time.Now()
	for c := range l.conns {
		if c.s.lastSeq < c.owed {
			l.spinUntil = now.Add(serverSpin)
			return
		}
		if c.answered {
			c.answered = false
			l.spinUntil = now.Add(clientSpin)
		}
	}
}

// send writes a batch to e, queueing what the socket does not take now.
func (l *loop) send(e *endp, bufs [][]byte, fds []int) error {
	if len(bufs) == 0 {
		closeFDs(fds)
		return nil
	}
	if len(e.q) > 0 {
		e.queue(bufs, fds)
		return nil
	}
	rest, sent, err := send(e.fd, &e.iov, bufs, fds)
	if err != nil {
		closeFDs(fds)
		return err
	}
	if sent {
		closeFDs(fds) // the peer holds copies now
		fds = nil
	}
	if len(rest) > 0 {
		e.queue(rest, fds)
		l.want(e, unix.EPOLLOUT)
		l.pause(e.out)
	}
	return nil
}

// queue keeps copies of what could not be written yet.
func (e *endp) queue(bufs [][]byte, fds []int) {
	for _, b := range bufs {
		if len(b) > 0 {
			e.q = append(e.q, append([]byte(nil), b...))
		}
	}
	e.qfds = append(e.qfds, fds...)
}

// flush writes what e's queue holds; once empty, its pump may go on.
func (l *loop) flush(e *endp) error {
	if len(e.q) > 0 {
		rest, sent, err := send(e.fd, &e.iov, e.q, e.qfds)
		if err != nil {
			return err
		}
		if sent {
			closeFDs(e.qfds)
			e.qfds = nil
		}
		e.q = rest
		if len(rest) > 0 {
			return nil
		}
	}
	p := e.out
	if p.piped > 0 || p.rest > 0 {
		if err := p.stream(l); err != nil {
			return err
		}
		if p.blocked() {
			return nil
		}
	}
	l.unwant(e, unix.EPOLLOUT)
	l.resume(p)
	if p.have > 0 {
		return p.drain(l)
	}
	return nil
}

// pause stops a pump's reads while its destination is full.
func (l *loop) pause(p *pump) { l.unwant(p.src, unix.EPOLLIN) }

func (l *loop) resume(p *pump) {
	if !p.blocked() {
		l.want(p.src, unix.EPOLLIN)
	}
}

func (l *loop) want(e *endp, ev uint32)   { l.setEvents(e, e.events|ev) }
func (l *loop) unwant(e *endp, ev uint32) { l.setEvents(e, e.events&^ev) }

func (l *loop) setEvents(e *endp, ev uint32) {
	if ev == e.events || e.fd < 0 {
		return
	}
	e.events = ev
	unix.EpollCtl(l.ep, unix.EPOLL_CTL_MOD, e.fd, &unix.EpollEvent{Events: ev, Fd: int32(e.fd)})
}

// end closes a connection: first the container's hold on its id range,
// then the server end, so that the server destroys all the client made.
func (l *loop) end(c *conn, err error) {
	if _, ok := l.conns[c]; !ok {
		return
	}
	delete(l.conns, c)
	c.s.w.own.remove(c.s.base)
	for _, e := range []*endp{c.server, c.client} {
		if e.fd >= 0 {
			if e.fd < len(l.eps) {
				l.eps[e.fd] = nil
			}
			unix.Close(e.fd)
			e.fd = -1
		}
		closeFDs(e.qfds)
		e.q, e.qfds = nil, nil
	}
	for _, p := range []*pump{c.up, c.down} {
		p.pipe.Close()
		p.pipe = nil
		closeFDs(p.fdq)
		p.fdq = nil
	}
	closeFDs(c.s.fdq)
	c.s.fdq = nil
	if errors.Is(err, io.EOF) || errors.Is(err, unix.ECONNRESET) || errors.Is(err, unix.EPIPE) {
		err = nil
	}
	l.closing(c, err)
}

func (l *loop) closeAll() {
	for c := range l.conns {
		l.end(c, nil)
	}
	l.mu.Lock()
	in := l.inbox
	l.inbox = nil
	l.mu.Unlock()
	for _, c := range in {
		l.conns[c] = struct{}{}
		l.end(c, nil)
	}
}

// spinGovernor turns polling off while the machine is busy: when other
// threads want the CPU, a thread that polls is preempted (the kernel
// counts it), and polling costs them more than it saves us.
type spinGovernor struct {
	n     int
	last  int64 // involuntary context switches of the thread so far
	until time.Time
}

// spinCheck is how many spin decisions pass between looks at the count.
const spinCheck = 64

func (g *spinGovernor) ok() bool {
	if serverSpin == 0 && clientSpin == 0 {
		return false
	}
	g.n++
	if g.n%spinCheck == 0 {
		var ru unix.Rusage
		if unix.Getrusage(unix.RUSAGE_THREAD, &ru) == nil {
			if ru.Nivcsw-g.last > spinCheck/8 {
				g.until = time.Now().Add(200 * time.Millisecond)
			}
			g.last = ru.Nivcsw
		}
	}
	return time.Now().After(g.until)
}
