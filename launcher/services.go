package launcher

import (
	"context"
	"sync"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/services"
)

// begun is what the services of one phase gave: how to undo those that
// came up, and the waits of those still starting in the background.
type begun struct {
	undo    services.Undo
	pending []pendingService
}

// pendingService is a service begun in the background: it is undone
// with the rest unless its wait fails and the app goes without it.
type pendingService struct {
	s    services.Service
	wait services.Pending
	undo services.Undo
}

// all is every undo step, the pending services' too, in plan order.
func (b *begun) all() services.Undo {
	u := append(services.Undo(nil), b.undo...)
	for _, p := range b.pending {
		u = append(u, p.undo...)
	}
	return u
}

// abandon ends every service begun, those still starting too: each
// pending wait is cut short first (see services.Pending).
func (b *begun) abandon(ctx context.Context, r run.Runner) {
	cut, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cancel()
	for _, p := range b.pending {
		p.wait(cut)
	}
	b.all().Run(ctx, r)
}

// startServices starts the plan's services of one phase and waits until
// they serve.
func (l *Launcher) startServices(ctx context.Context, list []services.Service, phase services.Phase, initPID int) (services.Undo, error) {
	return l.startServicesIn(ctx, list, phase, initPID, false)
}

// startServicesIn is startServices for a container whose processes are
// frozen or not (services.Env.Frozen).
func (l *Launcher) startServicesIn(ctx context.Context, list []services.Service, phase services.Phase, initPID int, frozen bool) (services.Undo, error) {
	b, err := l.beginServicesIn(ctx, list, phase, initPID, false, frozen)
	if err != nil {
		return nil, err
	}
	return l.finishServices(ctx, b)
}

// beginServices starts the plan's services of one phase side by side
// (they do not depend on each other; most of their time is a helper
// process getting ready). With background, a services.Background one is
// only begun: finishServices waits for it, so that it gets ready while
// the container starts. A service the app can run without that fails is
// left out with a warning; any other failure undoes those started and
// names the service.
func (l *Launcher) beginServices(ctx context.Context, list []services.Service, phase services.Phase, initPID int, background bool) (*begun, error) {
	return l.beginServicesIn(ctx, list, phase, initPID, background, false)
}

func (l *Launcher) beginServicesIn(ctx context.Context, list []services.Service, phase services.Phase, initPID int, background, frozen bool) (*begun, error) {
	env := services.Env{Runner: l.runner, Self: l.Self, InitPID: initPID, Frozen: frozen, Debug: l.LXC.LogLevel == "DEBUG" || l.LXC.LogLevel == "TRACE"}
	type result struct {
		s    services.Service
		undo services.Undo
		wait services.Pending
		err  error
	}
	var results []*result
	var wg sync.WaitGroup
	for _, s := range list {
		if s.Phase() != phase {
			continue
		}
		r := &result{s: s}
		results = append(results, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if bg, ok := services.BackgroundOf(s); ok && background {
				r.undo, r.wait, r.err = bg.Begin(ctx, env)
				trace("service " + s.Name() + " begun")
				return
			}
			r.undo, r.err = s.Start(ctx, env)
			trace("service " + s.Name() + " started")
		}()
	}
	wg.Wait()
	b := &begun{}
	var failed error
	for _, r := range results {
		switch {
		case r.err == nil && r.wait != nil:
			b.pending = append(b.pending, pendingService{s: r.s, wait: r.wait, undo: r.undo})
		case r.err == nil:
			b.undo = append(b.undo, r.undo...)
		case l.goWithout(r.s, r.err):
		case failed == nil:
			failed = serviceError(r.s.Name(), r.err)
		}
	}
	trace("services begun")
	if failed != nil {
		b.abandon(ctx, l.runner)
		return nil, failed
	}
	return b, nil
}

// finishServices waits for the services begun in the background and
// returns the undo of all. One the app can run without that does not
// come up is ended, with a warning; any other failure undoes all.
func (l *Launcher) finishServices(ctx context.Context, b *begun) (services.Undo, error) {
	undo := b.undo
	var failed error
	for _, p := range b.pending {
		err := p.wait(ctx)
		trace("service " + p.s.Name() + " ready")
		switch {
		case err == nil:
			undo = append(undo, p.undo...)
			continue
		case l.goWithout(p.s, err):
		case failed == nil:
			failed = serviceError(p.s.Name(), err)
		}
		p.undo.Run(ctx, l.runner)
	}
	trace("services up")
	if failed != nil {
		undo.Run(ctx, l.runner)
		return nil, failed
	}
	return undo, nil
}

// goWithout warns and reports true when the app can run without s,
// which failed with err.
func (l *Launcher) goWithout(s services.Service, err error) bool {
	what, ok := services.CanGoWithout(s)
	if ok {
		cause, howto := fix.Split(err)
		l.warnOf(profiles.Warning{Without: what, Cause: cause, Fix: orText(howto, "see lxcage check")})
	}
	return ok
}
