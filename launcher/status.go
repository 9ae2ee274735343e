package launcher

import (
	"context"
	"fmt"
	"time"

	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
)

// locked runs f with the state of container name locked: every start,
// stop, create and destroy of a container happens under its lock.
func (l *Launcher) locked(ctx context.Context, name string, f func(st *state) error) error {
	st, err := l.state(name)
	if err != nil {
		return err
	}
	lk, err := st.lock(ctx)
	if err != nil {
		return err
	}
	defer lk.unlock()
	return f(st)
}

// Holder is one running launch of a profile.
type Holder struct {
	PID   int
	Since time.Time
	Args  []string
}

// Status is what `lxcage status` reports about a container.
type Status struct {
	Name  string
	State sandbox.State
	// InitPID is the container's init on the host (0 when not running).
	InitPID int
	// Ours is true when lxcage started the container (and so will stop
	// it after the last launch).
	Ours    bool
	Holders []Holder
	// RestartPending is true when the profile changed since the container
	// started: the next start uses the new config.
	RestartPending bool
}

// Status reports on profile p's container. p may be nil (a container
// without a profile); then RestartPending is never set.
func (l *Launcher) Status(ctx context.Context, name string, p *profiles.Profile) (*Status, error) {
	st, err := l.state(name)
	if err != nil {
		return nil, err
	}
	s := &Status{Name: name, State: sandbox.NotCreated}
	for _, h := range st.holders(-1) {
		s.Holders = append(s.Holders, Holder{PID: h.PID, Since: h.Since, Args: h.Args})
	}
	if m, ok := st.readMarker(); ok {
		s.State, s.InitPID, s.Ours = sandbox.Running, m.InitPID, true
		if p != nil {
			if plan, err := l.Compile(p); err == nil && ConfigHash(plan.Config.String()) != m.ConfigHash {
				s.RestartPending = true
			}
		}
		return s, nil
	}
	if s.State, err = l.LXC.State(ctx, name); err != nil {
		return nil, err
	}
	if s.State == sandbox.Running {
		s.InitPID, _ = l.LXC.InitPID(ctx, name)
	}
	return s, nil
}

// Stop stops a profile's container now, whoever started it; apps still
// running in it are killed (their launches end with the signal's status).
func (l *Launcher) Stop(ctx context.Context, name string, mode string) error {
	return l.locked(ctx, name, func(st *state) error {
		if m, ok := st.readMarker(); ok && mode == "" {
			mode = m.Mode
		}
		if s, err := l.LXC.State(ctx, name); err != nil {
			return err
		} else if s != sandbox.Running && s != sandbox.Starting && s != sandbox.Frozen {
			st.clearMarker()
			if s == sandbox.NotCreated {
				return fmt.Errorf("stop %s: the container does not exist", name)
			}
			return nil
		}
		return l.stopLocked(ctx, st, name, mode)
	})
}

// Create builds p's container if it does not exist yet: its image, then
// [setup] inside it, with progress.
func (l *Launcher) Create(ctx context.Context, p *profiles.Profile, opts BuildOptions) error {
	plan, err := l.Compile(p)
	if err != nil {
		return err
	}
	return l.locked(ctx, p.Name, func(st *state) error {
		if l.LXC.Exists(p.Name) {
			return fmt.Errorf("create %s: %w", p.Name, sandbox.ErrExists)
		}
		spec, err := l.createSpecFor(p, plan, opts)
		if err != nil {
			return err
		}
		return l.LXC.Create(ctx, p.Name, spec)
	})
}

// Destroy removes a profile's stopped container.
func (l *Launcher) Destroy(ctx context.Context, name string) error {
	return l.locked(ctx, name, func(st *state) error {
		if s, err := l.LXC.State(ctx, name); err != nil {
			return err
		} else if s == sandbox.Running {
			return fmt.Errorf("destroy %s: it is running; stop it first (lxcage stop %s)", name, name)
		}
		return l.LXC.Destroy(ctx, name)
	})
}
