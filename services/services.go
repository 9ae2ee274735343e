// Package services holds the host side of a container's access: the
// mediators that stand between the app and the user's own servers (the
// X11 proxy, a sound server of the container's own, user-mode
// networking, the D-Bus proxy, a nested X server) and the small host
// operations around them (an X cookie file).
//
// Each is one Service, one subpackage: a value that says what the
// container gets from it (Grant: sockets to bind, environment) and that
// starts with what it was compiled with. Starting returns an Undo, a
// list of typed steps that ends it; the launcher runs the plan's services
// in order and their undos in reverse, and records the undos so that the
// watchdog can end the services of a container stopped behind lxcage's
// back. Package services is mechanism: it imports neither profiles nor
// launcher.
package services

import (
	"context"
	"io"

	"github.com/lxcage/lxcage/internal/run"
)

// Phase says when a service starts.
type Phase int

const (
	// BeforeStart services run before the container starts: their
	// sockets must exist when LXC binds them in.
	BeforeStart Phase = iota
	// AfterStart services need the running container (its init's
	// namespaces), e.g. user-mode networking.
	AfterStart
)

// Service is one host-side unit of a container's plan.
type Service interface {
	// Name names it in logs and errors ("X11 proxy").
	Name() string
	// Phase says when it starts.
	Phase() Phase
	// Grant is what the container gets from it. It is pure: the compiler
	// turns it into mount entries and environment.
	Grant() Grant
	// Start brings it up and returns how to end it. On error it has
	// undone what it started.
	Start(ctx context.Context, env Env) (Undo, error)
}

// Background is a BeforeStart service that can finish starting while
// the container starts. Begin makes what its grants name (a directory
// to bind, in which its socket will appear), starts it and returns at
// once; Pending then waits until it serves. Its Start is Begin and the
// wait in one.
type Background interface {
	Begin(ctx context.Context, env Env) (Undo, Pending, error)
}

// Pending waits until a service begun in the background serves, or
// says why it will not; the Undo its Begin returned ends it either way.
// It is called before that Undo runs, with a cancelled context when the
// start is abandoned: a service may learn only then all that its Undo
// must end (the daemon a sandbox of its started).
type Pending func(ctx context.Context) error

// BackgroundOf is s as a Background service, if it is one (also when
// wrapped by Optional).
func BackgroundOf(s Service) (Background, bool) {
	b, ok := Inner(s).(Background)
	return b, ok
}

// StartNow is Start of a Background service: Begin, then wait; on error
// it undoes what Begin started.
func StartNow(ctx context.Context, b Background, env Env) (Undo, error) {
	undo, wait, err := b.Begin(ctx, env)
	if err == nil {
		err = wait(ctx)
	}
	if err != nil {
		undo.Run(ctx, env.Runner)
		return nil, err
	}
	return undo, nil
}

// Env is what every service is started with, beyond its own settings.
type Env struct {
	// Runner runs every external program.
	Runner run.Runner
	// Self is the lxcage binary: mediators written in Go run as
	// `lxcage _serve KIND …` processes of their own.
	Self string
	// InitPID is the container's init (AfterStart services only).
	InitPID int
	// Frozen says the container's processes run no code until the
	// AfterStart services are up (the launcher froze its cgroup): a
	// service need not order its own steps against them.
	Frozen bool
	// Log, when set, hears what services report (lxcage -l DEBUG).
	Log io.Writer
	// Debug asks for each service's detail in its own log (lxcage -l
	// DEBUG or TRACE): the X11 proxy logs every request it refuses.
	Debug bool
}

// Grant is what a container gets from a service.
type Grant struct {
	// Binds are host files or directories bound into the container.
	Binds []Bind
	// Env is set in the app's environment.
	Env map[string]string
}

// Bind is one host path bound into the container.
type Bind struct {
	// Host is the path on the host: always in a directory the
	// container cannot write.
	Host string
	// Inside is the absolute path inside the container.
	Inside string
	// Dir binds a directory (else a file or socket).
	Dir bool
	// ReadOnly binds it read-only.
	ReadOnly bool
	// Optional lets the container start without it.
	Optional bool
}
