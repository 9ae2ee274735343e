package proxy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
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
	serverSpin = 200 * time.Microsecond
	clientSpin = 100 * time.Microsecond
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
	l := &loop{ep: ep, wake: wake, done: make(chan struct{}), conns: map[*conn]struct{}{}, closing: closing, spin: newSpinGovernor()}
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
	// polled says the last wait was a poll that found nothing, at lastPoll.
	var polled bool
	var lastPoll time.Time
	for {
		timeout := -1
		if now := time.Now(); now.Before(l.spinUntil) {
			timeout = 0
			// Two polls far apart: the thread was off its CPU.
			if gap := now.Sub(lastPoll); polled && gap > pollGap && !l.spin.lost(gap, now) {
				l.spinUntil, timeout = time.Time{}, -1
			}
			lastPoll = now
		}
		n, err := unix.EpollWait(l.ep, events, timeout)
		polled = timeout == 0 && n == 0
		if timeout == 0 && n > 0 {
			l.spin.caught()
		}
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
					l.spin.close()
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
	now := time.Now()
	if !l.spin.ok(now) {
		return
	}
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

// spinGovernor turns polling off where it cannot pay. On a thread that
// may run on one CPU only, the peers it would wait for need that very
// CPU: it never polls. Elsewhere it keeps a balance: each poll that
// catches what it waited for earns what a wake-up costs; each time the
// thread was taken off its CPU while polling (two polls far apart) costs
// the time it was off, which is a time slice of a thread that wanted
// the CPU. When the balance runs out, polling pauses. It also pauses
// when the kernel says a thread waited for a CPU (pressure stall
// information): a thread that polls then keeps another, maybe the very
// peer it waits for, off a CPU. Measured here (two vCPUs, round trips
// through the proxy): idle machine, 90 µs without polling and 40 µs
// with it, and no thread ever waited for a CPU; with two busy loops
// running, polling that never paused made it 80–280 µs.
type spinGovernor struct {
	// never is set on a thread that may run on one CPU only.
	never bool
	// pressure is /proc/pressure/cpu open (or -1); stalled is its total
	// when it was last looked at, at checked.
	pressure int
	stalled  int64
	checked  time.Time
	// balance is what polling saved less what it cost, at most maxCredit.
	balance time.Duration
	// until is when polling may start again, backoff how long the last
	// pause was.
	until   time.Time
	backoff time.Duration
}

const (
	// pollGap is how far apart two polls in a row may be before the
	// thread counts as taken off its CPU: a poll takes a microsecond.
	pollGap = 50 * time.Microsecond
	// wakeCost is what a poll that catches its event saves: a wake-up of
	// a sleeping thread on an idle CPU (10–20 µs on a virtual machine).
	wakeCost = 10 * time.Microsecond
	// maxCredit bounds the balance, so that a long good spell does not
	// excuse a busy one.
	maxCredit = time.Millisecond
	// Polling pauses for minBackoff, doubled each time polling pauses
	// again within a few pauses' time, up to maxBackoff.
	minBackoff = 20 * time.Millisecond
	maxBackoff = 2 * time.Second
	// pressureEvery is how often the governor asks the kernel whether
	// threads waited for a CPU.
	pressureEvery = 2 * time.Millisecond
)

func newSpinGovernor() spinGovernor {
	g := spinGovernor{pressure: -1}
	g.never = runtime.NumCPU() < 2 || serverSpin == 0 && clientSpin == 0
	if !g.never {
		// Absent where the kernel keeps no pressure figures (psi=0):
		// the balance alone governs then.
		if fd, err := unix.Open("/proc/pressure/cpu", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
			g.pressure = fd
			g.stalled = cpuStall(fd)
		}
	}
	return g
}

// ok says whether the loop may poll now.
func (g *spinGovernor) ok(now time.Time) bool {
	if g.never || now.Before(g.until) {
		return false
	}
	if g.pressure >= 0 && now.Sub(g.checked) >= pressureEvery {
		stalled := cpuStall(g.pressure)
		// Waits of more than a twentieth of the time: a busy machine
		// (idle here but for the proxy and its peers, there were none).
		waited := !g.checked.IsZero() && time.Duration(stalled-g.stalled)*time.Microsecond > now.Sub(g.checked)/20
		g.stalled, g.checked = stalled, now
		if waited {
			g.pause(now)
			return false
		}
	}
	return true
}

// cpuStall is how long, in microseconds since boot, some thread waited
// for a CPU: the total of the "some" line of /proc/pressure/cpu
// ("some avg10=0.00 avg60=0.00 avg300=0.00 total=12345").
func cpuStall(fd int) int64 {
	var b [128]byte
	n, err := unix.Pread(fd, b[:], 0)
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b[:n]), "\n")
	_, total, _ := strings.Cut(line, "total=")
	k, _ := strconv.ParseInt(strings.TrimSpace(total), 10, 64)
	return k
}

// close releases the governor's descriptor.
func (g *spinGovernor) close() {
	if g.pressure >= 0 {
		unix.Close(g.pressure)
		g.pressure = -1
	}
}

// caught records a poll that found what it waited for.
func (g *spinGovernor) caught() { g.balance = min(g.balance+wakeCost, maxCredit) }

// lost records that the thread was off its CPU for gap while it polled;
// it says whether polling may go on.
func (g *spinGovernor) lost(gap time.Duration, now time.Time) bool {
	if g.balance -= gap; g.balance >= 0 {
		return true
	}
	g.pause(now)
	return false
}

// pause stops polling for a while, longer each time it comes soon after
// the last pause.
func (g *spinGovernor) pause(now time.Time) {
	g.balance = 0
	if now.Sub(g.until) < 4*g.backoff {
		g.backoff = min(2*g.backoff, maxBackoff)
	} else {
		g.backoff = minBackoff
	}
	g.until = now.Add(g.backoff)
	// The next look at the pressure counts from the end of the pause.
	g.checked = time.Time{}
}
