package x11

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
	"github.com/lxcage/lxcage/services/x11/proxy/xvfb"
)

// TestMain makes the test binary usable as `lxcage _serve x11 …`: the
// service starts it as its own process, as the launcher starts lxcage.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == services.ServeCommand {
		if err := services.Serve(context.Background(), os.Args[2:]); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func testService(t testing.TB, x *xvfb.Server) *Proxy {
	dir := t.TempDir()
	return &Proxy{Dir: filepath.Join(dir, "x11"), Display: 3, Upstream: x.Display, Xauthority: x.Auth,
		Log: filepath.Join(dir, "x11.log"), Debug: true}
}

func TestGrant(t *testing.T) {
	p := &Proxy{Dir: "/run/user/1/lxcage/app/x11", Display: 3, Upstream: ":0"}
	g := p.Grant()
	if len(g.Binds) != 1 || g.Binds[0].Host != p.Dir || g.Binds[0].Inside != "/tmp/.X11-unix" || !g.Binds[0].Dir || !g.Binds[0].ReadOnly {
		t.Errorf("binds %+v", g.Binds)
	}
	if len(g.Env) != 1 || g.Env["DISPLAY"] != ":3" {
		t.Errorf("env %v: DISPLAY only, no XAUTHORITY", g.Env)
	}
	want := "x11 -listen /run/user/1/lxcage/app/x11/X3 -display :0 -clipboard on-input"
	if got := strings.Join(p.Args(), " "); got != want {
		t.Errorf("args %q, want %q", got, want)
	}
}

// The service runs the proxy as its own process; a client of the
// container connects without a cookie; its refusals are logged; undoing
// the service ends the process, removes the socket, and leaves nothing
// of the client's on the display — retained resources included.
func TestServiceLifecycle(t *testing.T) {
	x := xvfb.Start(t)
	p := testService(t, x)
	ctx := context.Background()
	env := services.Env{Runner: run.Exec{}, Self: os.Args[0]}
	undo, err := p.Start(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	c, err := xclient.Dial(p.Socket(), xclient.Options{})
	if err != nil {
		undo.Run(ctx, env.Runner)
		t.Fatal(err)
	}
	c.Send(112, 1) // SetCloseDownMode(RetainPermanent)
	w, _ := c.CreateWindow(c.Root(), 0, 0, 50, 50, 0)
	c.MapWindow(w)
	if _, err := c.Call(73, 2, c.Root(), 0, c.Pair(10, 10), ^uint32(0)); err == nil {
		t.Error("GetImage of the root window passed")
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	host := x.Host(t)
	if _, err := host.Call(3, 0, w); err != nil {
		t.Fatalf("the container's window is not on the display: %v", err)
	}
	undo.Run(ctx, env.Runner)
	if _, err := os.Lstat(p.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket or its directory left behind: %v", err)
	}
	// The process has ended; its parent (this test) reaps it soon after.
	for i := 0; undo[len(undo)-1].Kill.Alive(); i++ {
		if i == 100 {
			t.Fatal("proxy process still running")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := gone(host, w); err != nil {
		t.Error(err)
	}
	log, _ := os.ReadFile(p.Log)
	if !strings.Contains(string(log), "refused GetImage") || !strings.Contains(string(log), "SetCloseDownMode") {
		t.Errorf("debug log lacks the refusals:\n%s", log)
	}
}

// A display that does not answer is an error at start, not a socket
// that later refuses every client.
func TestServiceNoDisplay(t *testing.T) {
	dir := t.TempDir()
	p := &Proxy{Dir: filepath.Join(dir, "x11"), Upstream: ":199", Log: filepath.Join(dir, "log")}
	_, err := p.Start(context.Background(), services.Env{Runner: run.Exec{}, Self: os.Args[0]})
	if err == nil {
		t.Fatal("started without a display")
	}
	log, _ := os.ReadFile(p.Log)
	if !strings.Contains(string(log), "connect to the X server") {
		t.Errorf("log does not say why: %s", log)
	}
}

// BenchmarkStart is spawn to ready: from starting `lxcage _serve x11`
// ($LXCAGE_BIN, or this test binary) to its socket accepting the
// container's clients.
func BenchmarkStart(b *testing.B) {
	x := xvfb.Start(b)
	p := testService(b, x)
	env := services.Env{Runner: run.Exec{}, Self: os.Args[0]}
	if bin := os.Getenv("LXCAGE_BIN"); bin != "" {
		env.Self = bin
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		undo, err := p.Start(ctx, env)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		undo.Run(ctx, env.Runner)
		b.StartTimer()
	}
}

// gone waits for a window to be destroyed, as the server does once it
// sees its client's connection closed.
func gone(host *xclient.Conn, w uint32) error {
	var err error
	for i := 0; i < 500; i++ {
		var xe *xclient.Error
		if _, err = host.Call(3, 0, w); errors.As(err, &xe) && xe.Code == 3 {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("window %#x retained after the proxy stopped: %v", w, err)
}
