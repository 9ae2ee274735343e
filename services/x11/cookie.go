package x11

import (
	"context"
	"errors"
	"fmt"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/x11/xauth"
)

// Cookie gives the container the host's X socket and a cookie file for
// it: an untrusted cookie (the server confines its clients), or with
// Trusted the user's own.
type Cookie struct {
	// Display is the user's display (":0"), Socket its Unix socket.
	Display, Socket string
	// Trusted hands over the user's own cookie.
	Trusted bool
	// File is the cookie file on the host; InsideFile where the app
	// finds it (XAUTHORITY).
	File, InsideFile string
}

// Name implements services.Service.
func (c *Cookie) Name() string {
	if c.Trusted {
		return "X11 (your own cookie)"
	}
	return "X11 (untrusted cookie)"
}

// Phase implements services.Service.
func (c *Cookie) Phase() services.Phase { return services.BeforeStart }

// Grant implements services.Service: the display's socket only (a
// writable copy of the whole directory has let a container's init wipe
// the host's sockets), DISPLAY and XAUTHORITY.
func (c *Cookie) Grant() services.Grant {
	return services.Grant{
		Binds: []services.Bind{{Host: c.Socket, Inside: c.Socket}, {Host: c.File, Inside: c.InsideFile, ReadOnly: true}},
		Env:   map[string]string{"DISPLAY": ":" + xauth.DisplayNumber(c.Display), "XAUTHORITY": c.InsideFile},
	}
}

// Start implements services.Service: it writes the cookie file. The
// entry is rewritten for any host name, since the container has its own.
// The file goes with the container: the undo removes it at stop (with
// Trusted it holds the user's own cookie), and an untrusted cookie is
// revoked in the X server then, so that nothing the container could have
// copied lets anyone in after it.
func (c *Cookie) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	if c.Trusted {
		e, ok, err := xauth.UserCookie(c.Display)
		if err != nil {
			return nil, fmt.Errorf("read your X cookie (%s): %w", xauth.DefaultFile(), err)
		}
		var entries []xauth.Entry
		if ok { // none: the server has no access control
			entries = []xauth.Entry{xauth.ForContainer(e)}
		}
		if err := WriteCookies(c.File, entries); err != nil {
			return nil, err
		}
		return services.Undo{{Remove: c.File}}, nil
	}
	return c.startUntrusted(ctx, env)
}

// startUntrusted has the X server make the container's cookie, and
// writes it.
func (c *Cookie) startUntrusted(ctx context.Context, env services.Env) (services.Undo, error) {
	if env.Self == "" {
		return nil, errors.New(`x11 = "untrusted": no lxcage binary to revoke the cookie at stop (set LXCAGE_BIN)`)
	}
	authority := xauth.DefaultFile()
	number := xauth.DisplayNumber(c.Display)
	own, err := ownCookie(authority, number)
	if err != nil {
		return nil, err
	}
	a, err := GenerateUntrusted(c.Socket, number, own)
	if errors.Is(err, ErrNoSecurity) {
		return nil, fix.Wrap(err, "", `set x11 = true in the profile (lxcage's X11 proxy), "trusted" to give the app your full display, or "nested" for a display of its own`)
	}
	if err != nil {
		return nil, err
	}
	undo := services.Undo{{Run: append([]string{env.Self, services.ServeCommand}, RevokeArgs(c.Socket, number, authority, a.ID)...)}}
	if err := WriteCookies(c.File, []xauth.Entry{a.Cookie}); err != nil {
		undo.Run(ctx, env.Runner)
		return nil, err
	}
	return append(undo, services.Step{Remove: c.File}), nil
}

// WriteCookies writes an authority file for the container, atomically.
func WriteCookies(file string, entries []xauth.Entry) error {
	return safefile.WriteAtomic(file, xauth.Marshal(entries), 0o600)
}
