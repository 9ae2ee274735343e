// Package nested runs a container's own X server: a Xephyr window on the
// user's display. Only its socket enters the container, so the app sees
// no other client and none of the user's windows, keystrokes or
// clipboard.
package nested

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/x11"
	"github.com/lxcage/lxcage/services/x11/xauth"
)

// Xephyr is the nested X server of one container.
type Xephyr struct {
	// Display is its display number (stable for a container).
	Display int
	// Title is its window's title.
	Title string
	// ServerAuth is the server's own cookie file (host side, out of the
	// container's reach); CookieFile the container's copy and InsideFile
	// where the app finds it.
	ServerAuth, CookieFile, InsideFile string
}

// Socket is the server's Unix socket, on the host and inside.
func (x *Xephyr) Socket() string { return "/tmp/.X11-unix/X" + strconv.Itoa(x.Display) }

// Name implements services.Service.
func (x *Xephyr) Name() string { return "nested X server (Xephyr)" }

// Phase implements services.Service.
func (x *Xephyr) Phase() services.Phase { return services.BeforeStart }

// Grant implements services.Service.
func (x *Xephyr) Grant() services.Grant {
	return services.Grant{
		Binds: []services.Bind{{Host: x.Socket(), Inside: x.Socket()}, {Host: x.CookieFile, Inside: x.InsideFile, ReadOnly: true}},
		Env:   map[string]string{"DISPLAY": ":" + strconv.Itoa(x.Display), "XAUTHORITY": x.InsideFile},
	}
}

// Start implements services.Service.
func (x *Xephyr) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	num := strconv.Itoa(x.Display)
	if err := clearStaleDisplay(x.Display); err != nil {
		return nil, err
	}
	cookie := make([]byte, 16)
	if _, err := rand.Read(cookie); err != nil {
		return nil, err
	}
	e := xauth.Entry{Family: xauth.FamilyWild, Number: num, Name: xauth.MagicCookie, Data: cookie}
	if err := x11.WriteCookies(x.ServerAuth, []xauth.Entry{e}); err != nil {
		return nil, err
	}
	argv := []string{"Xephyr", ":" + num, "-auth", x.ServerAuth, "-nolisten", "tcp", "-noreset",
		"-resizeable", "-screen", "1280x800", "-title", x.Title}
	p, err := services.StartProcess(ctx, env, "Xephyr", argv, "", services.SocketExists(x.Socket()))
	if err != nil {
		os.Remove(x.ServerAuth)
		return nil, fix.Wrap(err, `x11 = "nested"`, "apt-get install xserver-xephyr")
	}
	// Both cookie files go with the server (undone in reverse: the
	// server first): nothing of a display that is gone stays behind in
	// the user's runtime directory.
	undo := services.Undo{{Remove: x.ServerAuth}, {Remove: x.CookieFile}, {Kill: &p}}
	if err := x11.WriteCookies(x.CookieFile, []xauth.Entry{e}); err != nil {
		undo.Run(ctx, env.Runner)
		return nil, err
	}
	return undo, nil
}

// clearStaleDisplay removes the socket and lock of display n when the
// server that made them is gone, and refuses when another server holds it.
func clearStaleDisplay(n int) error {
	lock := fmt.Sprintf("/tmp/.X%d-lock", n)
	sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	if b, err := os.ReadFile(lock); err == nil {
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if alive := unix.Kill(pid, 0); pid > 0 && (alive == nil || errors.Is(alive, unix.EPERM)) {
			return fix.New(fmt.Sprintf(`x11 = "nested": display :%d is in use by another X server (pid %d)`, n, pid), "stop it, or rename the profile")
		}
		os.Remove(lock)
	}
	os.Remove(sock)
	return nil
}
