package proxy

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
)

// The tests run a private Xvfb as GNOME's Xwayland is set up: access
// control on with a cookie (-auth), and the user admitted by uid
// (xhost +si:localuser:USER). One idle client stays connected, or Xvfb
// would reset whenever a test's last client left.

// needTool skips a test without a tool, or fails it in CI.
func needTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not installed (hack/setup-host.sh installs it)", name)
		}
		tb.Skipf("%s is not installed", name)
	}
	return p
}

type xserver struct {
	num     int
	display string
	auth    string
	cookie  []byte
	idle    *xclient.Conn
}

var (
	displayMu   sync.Mutex
	displayUsed = map[int]bool{}
)

// freeDisplay picks a display number in 100–199 nobody uses.
func freeDisplay(tb testing.TB) int {
	displayMu.Lock()
	defer displayMu.Unlock()
	off, _ := rand.Int(rand.Reader, big.NewInt(100))
	for i := 0; i < 100; i++ {
		n := 100 + (int(off.Int64())+i)%100
		if displayUsed[n] {
			continue
		}
		if _, err := os.Lstat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		if _, err := os.Lstat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		displayUsed[n] = true
		return n
	}
	tb.Fatal("no free display number in 100–199")
	return 0
}

// writeAuthority writes an authority file with cookie for display num.
func writeAuthority(path string, num int, cookie []byte) error {
	host, _ := os.Hostname()
	var b bytes.Buffer
	for _, e := range []struct {
		fam  uint16
		addr string
	}{{familyLocal, host}, {familyWild, ""}} {
		binary.Write(&b, binary.BigEndian, e.fam)
		for _, f := range [][]byte{[]byte(e.addr), []byte(strconv.Itoa(num)), []byte("MIT-MAGIC-COOKIE-1"), cookie} {
			binary.Write(&b, binary.BigEndian, uint16(len(f)))
			b.Write(f)
		}
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

func startXvfb(tb testing.TB) *xserver {
	tb.Helper()
	xvfb := needTool(tb, "Xvfb")
	needTool(tb, "xhost")
	x := &xserver{num: freeDisplay(tb), cookie: make([]byte, 16)}
	x.display = fmt.Sprintf(":%d", x.num)
	rand.Read(x.cookie)
	x.auth = filepath.Join(tb.TempDir(), "Xauthority")
	if err := writeAuthority(x.auth, x.num, x.cookie); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(xvfb, x.display, "-auth", x.auth, "-nolisten", "tcp", "-screen", "0", "1280x800x24")
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if x.idle != nil {
			x.idle.Close()
		}
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := xclient.Dial(x.display, xclient.Options{AuthName: "MIT-MAGIC-COOKIE-1", AuthData: x.cookie})
		if err == nil {
			x.idle = c
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Xvfb %s did not start: %v", x.display, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	u, err := user.Current()
	if err != nil {
		tb.Fatal(err)
	}
	xh := exec.Command("xhost", "+si:localuser:"+u.Username)
	xh.Env = x.env()
	out, err := xh.CombinedOutput()
	if err != nil {
		tb.Fatalf("xhost: %v\n%s", err, out)
	}
	return x
}

// env is the environment of a host client of the private display.
func (x *xserver) env() []string {
	return append(os.Environ(), "DISPLAY="+x.display, "XAUTHORITY="+x.auth)
}

// host connects a client of the user's own (with the cookie).
func (x *xserver) host(tb testing.TB) *xclient.Conn {
	tb.Helper()
	c, err := xclient.Dial(x.display, xclient.Options{AuthName: "MIT-MAGIC-COOKIE-1", AuthData: x.cookie})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

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
	p, err := New(Options{Display: x.display, Xauthority: x.auth, Config: cfg, DebugLog: log})
	if err != nil {
		tb.Fatal(err)
	}
	tp := &testProxy{Proxy: p, num: freeDisplay(tb), log: log}
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
