// Package x11 gives a container the user's display: through lxcage's
// filtering proxy (Proxy), which lets the app work with its own windows
// at full speed and keeps it from seeing, reading or driving anyone
// else's; or, on request, with a cookie for the user's own X server
// (Cookie: an untrusted one made with the SECURITY extension, or the
// user's own).
package x11

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/x11/proxy"
)

// ServeKind is the mediator kind of the proxy: `lxcage _serve x11 …`.
const ServeKind = "x11"

func init() {
	services.RegisterMain(ServeKind, proxy.Main)
	services.RegisterMain(RevokeKind, revokeMain)
}

// Clipboard modes of the proxy.
const (
	ClipboardNone    = proxy.ClipboardNone
	ClipboardOnInput = proxy.ClipboardOnInput
	ClipboardFull    = proxy.ClipboardFull
)

// Proxy is the X11 proxy of one container: a process of its own that
// listens on a socket XN in Dir (bound into the container as
// /tmp/.X11-unix) and connects the container's clients to the user's
// display, refusing what would reach other clients' windows, input or
// clipboard.
type Proxy struct {
	// Dir is the proxy's own directory on the host, which the container
	// cannot write: its socket appears there. The directory, not the
	// socket, is bound in, so that the container can start before the
	// proxy listens.
	Dir string
	// Display is N: the container sees the display as :N.
	Display int
	// Upstream is the user's display (":0").
	Upstream string
	// Xauthority is the user's authority file; empty: the proxy's
	// $XAUTHORITY or ~/.Xauthority.
	Xauthority string
	// Clipboard is ClipboardNone, ClipboardOnInput or ClipboardFull;
	// empty means ClipboardOnInput.
	Clipboard string
	// GPU lets the app use the GPU through the display (DRI3): the
	// server hands out a device descriptor. Without it DRI3 is hidden.
	GPU bool
	// Log receives the proxy's messages (its errors; with Debug, each
	// refused request). Empty: none.
	Log string
	// Debug logs each refused request with its name (lxcage -l DEBUG).
	Debug bool
}

// Name implements services.Service.
func (p *Proxy) Name() string { return "X11 proxy" }

// Phase implements services.Service: its directory must exist when LXC
// binds it.
func (p *Proxy) Phase() services.Phase { return services.BeforeStart }

// insideDir is where the container finds X servers' sockets.
const insideDir = "/tmp/.X11-unix"

// Socket is the proxy's socket on the host.
func (p *Proxy) Socket() string { return filepath.Join(p.Dir, p.socketName()) }

func (p *Proxy) socketName() string { return "X" + strconv.Itoa(p.Display) }

// Grant implements services.Service: the socket's directory, read-only
// (connecting to a socket needs no write access to its file system),
// and DISPLAY. No XAUTHORITY: the socket is the container's capability,
// and the proxy admits its clients without a cookie.
func (p *Proxy) Grant() services.Grant {
	return services.Grant{
		Binds: []services.Bind{{Host: p.Dir, Inside: insideDir, Dir: true, ReadOnly: true}},
		Env:   map[string]string{"DISPLAY": ":" + strconv.Itoa(p.Display)},
	}
}

// Args is the proxy process's command line after `lxcage _serve`.
func (p *Proxy) Args() []string {
	clip := p.Clipboard
	if clip == "" {
		clip = ClipboardOnInput
	}
	args := []string{ServeKind, "-listen", p.Socket(), "-display", p.Upstream, "-clipboard", clip}
	if p.Xauthority != "" {
		args = append(args, "-xauthority", p.Xauthority)
	}
	if p.GPU {
		args = append(args, "-gpu")
	}
	if p.Debug && p.Log != "" {
		args = append(args, "-debug-log", p.Log)
	}
	return args
}

// Start implements services.Service: Begin, and wait until it listens.
func (p *Proxy) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	return services.StartNow(ctx, p, env)
}

// Begin implements services.Background: it makes Dir, runs `lxcage
// _serve x11 …` and returns; the wait is for its socket, which appears
// once the display answered.
func (p *Proxy) Begin(ctx context.Context, env services.Env) (services.Undo, services.Pending, error) {
	if p.Dir == "" || p.Upstream == "" {
		return nil, nil, fmt.Errorf("%s: no directory or display to serve", p.Name())
	}
	if err := os.MkdirAll(filepath.Dir(p.Dir), 0o700); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p.Name(), err)
	}
	if err := os.Mkdir(p.Dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, nil, fmt.Errorf("%s: %w", p.Name(), err)
	}
	if fi, err := os.Lstat(p.Dir); err != nil || !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s: %s is not a directory", p.Name(), p.Dir)
	}
	// Undone last to first: the process ends, then its socket and
	// directory go.
	undo := services.Undo{{Remove: p.Dir}, {Remove: p.Socket()}}
	// A socket left by an earlier run would look ready at once.
	if fi, err := os.Lstat(p.Socket()); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, nil, fmt.Errorf("%s: %s exists and is not a socket", p.Name(), p.Socket())
		}
		os.Remove(p.Socket())
	}
	q := *p
	q.Debug = q.Debug || env.Debug
	argv := append([]string{env.Self, services.ServeCommand}, q.Args()...)
	s, err := services.BeginProcess(ctx, env, p.Name(), argv, p.Log)
	if err != nil {
		undo.Run(ctx, env.Runner)
		return nil, nil, err
	}
	undo = append(undo, services.Step{Kill: &s.Proc})
	return undo, func(ctx context.Context) error { return s.Wait(ctx, services.SocketExists(p.Socket())) }, nil
}
