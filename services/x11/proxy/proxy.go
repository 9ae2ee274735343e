package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/lxcage/lxcage/services/x11/xauth"
)

// Options are what a proxy is made with.
type Options struct {
	// Display is the user's display (":0").
	Display string
	// Xauthority is the user's authority file; empty: XAUTHORITY or
	// ~/.Xauthority.
	Xauthority string
	Config
	// DebugLog, when set, hears each refused request.
	DebugLog io.Writer
}

// Proxy is a running proxy for one container.
type Proxy struct {
	w      *world
	dialer *dialer
	ctl    *control
	loop   *loop

	mu sync.Mutex
	// setting are clients in their connection setup.
	setting map[*net.UnixConn]struct{}
	closed  bool
	wg      sync.WaitGroup
	// active counts the container's connections, set up or setting up.
	active atomic.Int32
}

// maxConns bounds the container's connections: each is also a client
// of the user's display, whose clients are few (a few hundred), and an
// app must not take them all.
const maxConns = 128

// New connects to the user's display and learns what the policy needs:
// the server's extensions, its resource-id mask, root windows and
// largest request, and the atoms it names.
func New(opt Options) (*Proxy, error) {
	if err := opt.Config.validate(); err != nil {
		return nil, err
	}
	disp, err := parseDisplay(opt.Display)
	if err != nil {
		return nil, err
	}
	auth := opt.Xauthority
	if auth == "" {
		auth = xauth.DefaultFile()
	}
	// No file or no entry is no cookie: a server that admits the user
	// by uid needs none.
	e, ok, err := xauth.FileCookie(auth, disp.number)
	if err != nil {
		return nil, fmt.Errorf("X authority: %w", err)
	}
	var ck cookie
	if ok {
		ck = cookie{name: e.Name, data: e.Data}
	}
	d := &dialer{disp: disp, cookie: ck}
	ctl, err := dialControl(d)
	if err != nil {
		return nil, fmt.Errorf("display %s: %w", opt.Display, err)
	}
	w, err := learn(ctl, opt)
	if err != nil {
		ctl.Close()
		return nil, fmt.Errorf("display %s: %w", opt.Display, err)
	}
	w.broker = &broker{ctl: ctl}
	p := &Proxy{w: w, dialer: d, ctl: ctl, setting: map[*net.UnixConn]struct{}{}}
	p.loop, err = newLoop(func(c *conn, err error) {
		p.active.Add(-1)
		if err != nil {
			w.log.printf("connection %d ended: %v", c.s.id, err)
		}
	})
	if err != nil {
		ctl.Close()
		return nil, err
	}
	return p, nil
}

func learn(ctl *control, opt Options) (*world, error) {
	exts, err := ctl.extensions()
	if err != nil {
		return nil, err
	}
	big, err := ctl.bigRequests(exts)
	if err != nil {
		return nil, err
	}
	// One batch, one round trip to the user's server while the launch
	// waits for the proxy.
	vals, err := ctl.intern(append(slices.Clip(atomNames), roleAtoms(len(ctl.setup.roots))...))
	if err != nil {
		return nil, err
	}
	w := &world{
		cfg:    opt.Config,
		own:    newOwners(ctl.setup.mask),
		roots:  ctl.setup.roots,
		maxBig: max(big, maxRequest),
		log:    &refusalLog{w: opt.DebugLog},
	}
	w.atoms.set(vals[:len(atomNames)])
	w.atoms.setRoles(vals[len(atomNames):])
	w.pol = buildPolicy(&w.cfg, exts)
	return w, nil
}

// Serve accepts the container's clients on ln until Close.
func (p *Proxy) Serve(ln *net.UnixListener) error {
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if p.active.Add(1) > maxConns {
			p.active.Add(-1)
			c.Close()
			p.w.log.printf("client refused: %d connections already", maxConns)
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c)
		}()
	}
}

func (p *Proxy) handle(cl *net.UnixConn) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		cl.Close()
		p.active.Add(-1)
		return
	}
	p.setting[cl] = struct{}{}
	p.mu.Unlock()
	c, err := p.open(cl)
	p.mu.Lock()
	delete(p.setting, cl)
	p.mu.Unlock()
	if err != nil {
		cl.Close()
		p.active.Add(-1)
		p.w.log.printf("client refused at setup: %v", err)
		return
	}
	if !p.loop.add(c) {
		c.abandon()
		p.active.Add(-1)
	}
}

// Close ends every connection — the server then destroys everything the
// container's clients made — and the proxy's own.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for cl := range p.setting {
		cl.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.loop.shutdown()
	return p.ctl.Close()
}
