package proxy

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
	"github.com/lxcage/lxcage/services/x11/proxy/xvfb"
)

type xserver = xvfb.Server

func startXvfb(tb testing.TB) *xserver { return xvfb.Start(tb) }

// The tests run a private Xvfb set up as GNOME's Xwayland is (package
// xvfb) and the proxy in the test process, listening as another display.

type testProxy struct {
	*Proxy
	num     int
	display string
	socket  string
	log     *syncBuffer
}

// syncBuffer is a log the proxy writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startProxy runs a proxy in the test process for the private display,
// listening as display :M (the socket the container would get).
func startProxy(tb testing.TB, x *xserver, cfg Config) *testProxy {
	tb.Helper()
	if cfg.Clipboard == "" {
		cfg.Clipboard = ClipboardOnInput
	}
	log := &syncBuffer{}
	p, err := New(Options{Display: x.Display, Xauthority: x.Auth, Config: cfg, DebugLog: log})
	if err != nil {
		tb.Fatal(err)
	}
	tp := &testProxy{Proxy: p, num: xvfb.FreeDisplay(tb), log: log}
	tp.display = fmt.Sprintf(":%d", tp.num)
	tp.socket = fmt.Sprintf("/tmp/.X11-unix/X%d", tp.num)
	ln, err := Listen(tp.socket)
	if err != nil {
		p.Close()
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		p.Serve(ln)
		close(done)
	}()
	tb.Cleanup(func() {
		ln.Close()
		<-done
		p.Close()
		os.Remove(tp.socket)
		if tb.Failed() || os.Getenv("LXCAGE_TEST_X11LOG") != "" {
			tb.Logf("proxy log:\n%s", log)
		}
	})
	return tp
}

// client connects a client of the container: no cookie.
func (p *testProxy) client(tb testing.TB) *xclient.Conn {
	tb.Helper()
	c, err := xclient.Dial(p.display, xclient.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// env is the environment of a program in the container.
func (p *testProxy) env() []string {
	return append(os.Environ(), "DISPLAY="+p.display, "XAUTHORITY=/nonexistent")
}
