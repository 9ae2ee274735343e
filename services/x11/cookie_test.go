package x11

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
	"github.com/lxcage/lxcage/services/x11/proxy/xvfb"
	"github.com/lxcage/lxcage/services/x11/xauth"
)

// TestCookieGoesWithContainer: the container's cookie file (with
// Trusted, the user's own cookie) is written at start and removed by the
// undo that runs at stop.
func TestCookieGoesWithContainer(t *testing.T) {
	dir := t.TempDir()
	user := xauth.Entry{Family: xauth.FamilyWild, Number: "77", Name: "MIT-MAGIC-COOKIE-1", Data: []byte("0123456789abcdef")}
	userFile := filepath.Join(dir, "user.Xauthority")
	if err := os.WriteFile(userFile, xauth.Marshal([]xauth.Entry{user}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XAUTHORITY", userFile)
	c := &Cookie{Display: ":77", Socket: "/tmp/.X11-unix/X77", Trusted: true,
		File: filepath.Join(dir, "svc", "Xauthority"), InsideFile: "/run/lxcage/Xauthority"}
	os.Mkdir(filepath.Dir(c.File), 0o700)
	undo, err := c.Start(context.Background(), services.Env{Runner: run.Exec{}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.File)
	if err != nil {
		t.Fatalf("no cookie file at start: %v", err)
	}
	if got, err := xauth.Parse(bytes.NewReader(b)); err != nil || len(got) != 1 || !bytes.Equal(got[0].Data, user.Data) {
		t.Fatalf("cookie file holds %v (%v), want the user's cookie", got, err)
	}
	undo.Run(context.Background(), run.Exec{})
	if _, err := os.Lstat(c.File); !os.IsNotExist(err) {
		t.Errorf("cookie file after stop: %v, want it gone", err)
	}
}

// TestUntrustedCookieRevokedAtStop: x11 = "untrusted" gets a cookie the X
// server made untrusted (XTEST hidden from its clients, present for the
// user's), and the undo run at stop revokes it: a client still connected
// with it is cut off, and the cookie — which the app could have copied
// anywhere — admits nobody any more. The server admits by cookie only
// here (no xhost entry), as the test user's display does.
func TestUntrustedCookieRevokedAtStop(t *testing.T) {
	x := xvfb.Start(t)
	x.CookieOnly(t)
	if _, err := xclient.Dial(x.Display, xclient.Options{}); err == nil {
		t.Fatal("the server admits a client without a cookie: the test proves nothing")
	}
	t.Setenv("XAUTHORITY", x.Auth)
	dir := t.TempDir()
	sock, _ := xclient.SocketPath(x.Display)
	c := &Cookie{Display: x.Display, Socket: sock, File: filepath.Join(dir, "Xauthority"), InsideFile: "/run/lxcage/Xauthority"}
	self, _ := os.Executable()
	undo, err := c.Start(context.Background(), services.Env{Runner: run.Exec{}, Self: self})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.File)
	if err != nil {
		t.Fatalf("no cookie file at start: %v", err)
	}
	entries, err := xauth.Parse(bytes.NewReader(b))
	if err != nil || len(entries) != 1 || bytes.Equal(entries[0].Data, x.Cookie) {
		t.Fatalf("cookie file holds %v (%v), want one cookie of its own", entries, err)
	}
	opt := xclient.Options{AuthName: entries[0].Name, AuthData: entries[0].Data}
	app, err := xclient.Dial(x.Display, opt)
	if err != nil {
		t.Fatalf("the container's cookie is refused: %v", err)
	}
	defer app.Close()
	if e, err := app.QueryExtension("XTEST"); err != nil || e.Present {
		t.Errorf("XTEST for the untrusted cookie: %+v (%v), want it hidden", e, err)
	}
	if e, err := x.Host(t).QueryExtension("XTEST"); err != nil || !e.Present {
		t.Fatalf("XTEST for the user: %+v (%v), want it there", e, err)
	}

	undo.Run(context.Background(), run.Exec{})
	if _, err := os.Lstat(c.File); !os.IsNotExist(err) {
		t.Errorf("cookie file after stop: %v, want it gone", err)
	}
	if _, err := app.NextEvent(5 * time.Second); err == nil || errors.Is(err, xclient.ErrTimeout) {
		t.Errorf("the client of the revoked cookie is still connected (%v)", err)
	}
	if again, err := xclient.Dial(x.Display, opt); err == nil {
		again.Close()
		t.Error("the cookie still admits a client after stop")
	}
	// Again, as a second stop would: the server no longer knows it.
	own := xauth.Entry{Name: "MIT-MAGIC-COOKIE-1", Data: x.Cookie}
	if err := Revoke(sock, &own, 0x7fffffff); err != nil {
		t.Errorf("revoking an authorization the server does not know: %v", err)
	}
}
