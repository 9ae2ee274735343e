package launcher

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/lxcage/lxcage/internal/fix"
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
	State State
	// InitPID is the container's init on the host (0 when not running).
	InitPID int
	// Ours is true when lxcage started the container (and so will stop
	// it after the last launch).
	Ours    bool
	Holders []Holder
	// RestartPending is true when the profile changed since the container
	// started: the next start uses the new config.
	RestartPending bool
	// Home is the app's home on the host and HomeSize the bytes of its
	// files (-1: not counted, see MeasureHome); HomePartial says the count
	// stopped early.
	Home        string
	HomeSize    int64
	HomePartial bool
}

// Status reports on profile p's container. p may be nil (a container
// without a profile); then RestartPending is never set.
func (l *Launcher) Status(ctx context.Context, name string, p *profiles.Profile) (*Status, error) {
	var plan *profiles.Plan
	if p != nil {
		plan, _ = l.Compile(p)
	}
	st, err := l.state(name)
	if err != nil {
		return nil, err
	}
	s := &Status{Name: name, State: NotCreated, HomeSize: -1}
	if plan != nil {
		s.Home = filepath.Join(plan.Rootfs, plan.Attach.Cwd)
	}
	for _, h := range st.holders(-1) {
		s.Holders = append(s.Holders, Holder{PID: h.PID, Since: h.Since, Args: h.Args})
	}
	if m, ok := st.readMarker(); ok {
		s.State, s.InitPID, s.Ours = sandbox.Running, m.InitPID, true
		if plan != nil && ConfigHash(plan.Config.String()) != m.ConfigHash {
			s.RestartPending = true
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

// MeasureHome counts the bytes of the files in s.Home (at most
// homeSizeLimit entries): a walk of the whole home, for `lxcage status`,
// not for the editor's refresh every few seconds.
func (s *Status) MeasureHome() {
	if s.Home != "" {
		s.HomeSize, s.HomePartial = dirSize(s.Home, homeSizeLimit)
	}
}

// Stop stops a profile's container now, whoever started it; apps still
// running in it are killed (their launches end with the signal's status).
func (l *Launcher) Stop(ctx context.Context, name string) error {
	return l.locked(ctx, name, func(st *state) error {
		if s, err := l.LXC.State(ctx, name); err != nil {
			return err
		} else if s != sandbox.Running && s != sandbox.Starting && s != sandbox.Frozen {
			st.clearMarker()
			if s == sandbox.NotCreated {
				return fmt.Errorf("stop %s: the container does not exist", name)
			}
			return nil
		}
		return l.stopLocked(ctx, st, name)
	})
}

// Destroy removes a profile's stopped container, and then its runtime
// state: nothing of it is left on the host.
func (l *Launcher) Destroy(ctx context.Context, name string) error {
	return l.locked(ctx, name, func(st *state) error {
		if s, err := l.LXC.State(ctx, name); err != nil {
			return err
		} else if s == sandbox.Running {
			return fix.New(fmt.Sprintf("destroy %s: it is running", name), "stop it first: lxcage stop "+name)
		}
		if err := l.LXC.Destroy(ctx, name); err != nil {
			return err
		}
		// A marker whose init is gone is ended here (its services with
		// it); one whose init runs — a container started again behind
		// lxcage's back — keeps its state.
		if _, live := st.readMarker(); live || len(st.holders(-1)) > 0 {
			return nil
		}
		return st.remove()
	})
}

// homeSizeLimit bounds the files counted for a home's size, so that
// `lxcage status` answers at once even for a huge home.
const homeSizeLimit = 200000

// dirSize adds up the sizes of the regular files below dir, never
// following a link (the home is the app's to fill with anything) and
// stopping after max entries (partial then). -1 when dir cannot be read.
func dirSize(dir string, max int) (size int64, partial bool) {
	if _, err := os.Lstat(dir); err != nil {
		return -1, false
	}
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable corner: skip it
		}
		if n++; n > max {
			partial = true
			return filepath.SkipAll
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	return size, partial
}
