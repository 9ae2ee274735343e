// Package x11 gives a container the user's display: through lxcage's
// filtering proxy (Proxy), which lets the app work with its own windows
// at full speed and keeps it from seeing, reading or driving anyone
// else's; or, on request, with a cookie for the user's own X server
// (Cookie: an untrusted one made with the SECURITY extension, or the
// user's own).
package x11

import (
	"context"
	"fmt"
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
}

// Clipboard modes of the proxy.
const (
	ClipboardNone    = proxy.ClipboardNone
	ClipboardOnInput = proxy.ClipboardOnInput
	ClipboardFull    = proxy.ClipboardFull
)

// Proxy is the X11 proxy of one container: a process of its own that
// listens on Socket (bound into the container as /tmp/.X11-unix/XN) and
// connects the container's clients to the user's display, refusing what
// would reach other clients' windows, input or clipboard.
type Proxy struct {
	// Socket is the proxy's socket on the host, in a directory of the
	// launcher's that the container cannot write.
	Socket string
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

// Phase implements services.Service: the socket must exist when LXC
// binds it.
func (p *Proxy) Phase() services.Phase { return services.BeforeStart }

// Inside is the socket's path in the container.
func (p *Proxy) Inside() string { return "/tmp/.X11-unix/X" + strconv.Itoa(p.Display) }

// Grant implements services.Service: the socket, and DISPLAY. No
// XAUTHORITY: the socket is the container's capability, and the proxy
// admits its clients without a cookie.
func (p *Proxy) Grant() services.Grant {
	return services.Grant{
		Binds: []services.Bind{{Host: p.Socket, Inside: p.Inside()}},
		Env:   map[string]string{"DISPLAY": ":" + strconv.Itoa(p.Display)},
	}
}

// Args is the proxy process's command line after `lxcage _serve`.
func (p *Proxy) Args() []string {
	clip := p.Clipboard
	if clip == "" {
		clip = ClipboardOnInput
	}
	args := []string{ServeKind, "-listen", p.Socket, "-display", p.Upstream, "-clipboard", clip}
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

// Start implements services.Service: it runs `lxcage _serve x11 …` and
// waits for its socket, which appears once the display answered.
func (p *Proxy) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	if p.Socket == "" || p.Upstream == "" {
		return nil, fmt.Errorf("%s: no socket or display to serve", p.Name())
	}
	if err := os.MkdirAll(filepath.Dir(p.Socket), 0o700); err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name(), err)
	}
	// A socket left by an earlier run would look ready at once.
	if fi, err := os.Lstat(p.Socket); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("%s: %s exists and is not a socket", p.Name(), p.Socket)
		}
		os.Remove(p.Socket)
	}
	q := *p
	q.Debug = q.Debug || env.Debug
	argv := append([]string{env.Self, services.ServeCommand}, q.Args()...)
	proc, err := services.StartProcess(ctx, env, p.Name(), argv, p.Log, services.SocketExists(p.Socket))
	if err != nil {
		return nil, err
	}
	// Undone last to first: the process ends, then its socket goes.
	return services.Undo{{Remove: p.Socket}, {Kill: &proc}}, nil
}
