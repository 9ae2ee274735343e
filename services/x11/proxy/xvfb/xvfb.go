// Package xvfb runs a private X server for tests, set up as GNOME's
// Xwayland is: access control on with a cookie (-auth), and the user
// admitted by uid (xhost +si:localuser:USER). One idle client stays
// connected, or Xvfb would reset (and forget the xhost entry) whenever a
// test's last client left. Display numbers are picked in 100–199.
package xvfb

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
	"syscall"
	"testing"
	"time"

	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
)

// NeedTool returns a tool's path; without it the test is skipped, or
// fails in CI (CI=true), where a missing prerequisite is a defect.
func NeedTool(tb testing.TB, name string) string {
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

// Server is a running private Xvfb.
type Server struct {
	Num     int
	Display string // ":N"
	// Auth is its authority file, holding Cookie.
	Auth   string
	Cookie []byte
	idle   *xclient.Conn
}

var (
	mu   sync.Mutex
	used = map[int]bool{}
)

// FreeDisplay picks a display number in 100–199 that nobody uses.
func FreeDisplay(tb testing.TB) int {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	off, _ := rand.Int(rand.Reader, big.NewInt(100))
	for i := 0; i < 100; i++ {
		n := 100 + (int(off.Int64())+i)%100
		if used[n] {
			continue
		}
		if _, err := os.Lstat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		if _, err := os.Lstat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		used[n] = true
		tb.Cleanup(func() {
			mu.Lock()
			delete(used, n)
			mu.Unlock()
		})
		return n
	}
	tb.Fatal("no free display number in 100–199")
	return 0
}

// WriteAuthority writes an authority file with cookie for display num.
func WriteAuthority(path string, num int, cookie []byte) error {
	host, _ := os.Hostname()
	var b bytes.Buffer
	for _, e := range []struct {
		fam  uint16
		addr string
	}{{256, host}, {65535, ""}} {
		binary.Write(&b, binary.BigEndian, e.fam)
		for _, f := range [][]byte{[]byte(e.addr), []byte(strconv.Itoa(num)), []byte("MIT-MAGIC-COOKIE-1"), cookie} {
			binary.Write(&b, binary.BigEndian, uint16(len(f)))
			b.Write(f)
		}
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// Start runs a private Xvfb until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := NeedTool(tb, "Xvfb")
	NeedTool(tb, "xhost")
	x := &Server{Num: FreeDisplay(tb), Cookie: make([]byte, 16)}
	x.Display = fmt.Sprintf(":%d", x.Num)
	rand.Read(x.Cookie)
	x.Auth = filepath.Join(tb.TempDir(), "Xauthority")
	if err := WriteAuthority(x.Auth, x.Num, x.Cookie); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, x.Display, "-auth", x.Auth, "-nolisten", "tcp", "-screen", "0", "1280x800x24")
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if x.idle != nil {
			x.idle.Close()
		}
		stop(cmd)
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := xclient.Dial(x.Display, x.Options())
		if err == nil {
			x.idle = c
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Xvfb %s did not start: %v", x.Display, err)
		}
	}
	x.xhost(tb, "+")
	return x
}

// CookieOnly takes the user's uid off the server's access list: from now
// on it admits clients by cookie alone, as the test user's display does.
func (x *Server) CookieOnly(tb testing.TB) {
	tb.Helper()
	x.xhost(tb, "-")
}

// xhost adds (+) or removes (-) the user's uid on the access list.
func (x *Server) xhost(tb testing.TB, op string) {
	tb.Helper()
	u, err := user.Current()
	if err != nil {
		tb.Fatal(err)
	}
	xh := exec.Command("xhost", op+"si:localuser:"+u.Username)
	xh.Env = x.Env()
	if out, err := xh.CombinedOutput(); err != nil {
		tb.Fatalf("xhost: %v\n%s", err, out)
	}
}

// Options connect a client with the cookie.
func (x *Server) Options() xclient.Options {
	return xclient.Options{AuthName: "MIT-MAGIC-COOKIE-1", AuthData: x.Cookie}
}

// Env is the environment of a host client of the display.
func (x *Server) Env() []string {
	return append(os.Environ(), "DISPLAY="+x.Display, "XAUTHORITY="+x.Auth)
}

// Host connects a client of the user's own, closed when the test ends.
func (x *Server) Host(tb testing.TB) *xclient.Conn {
	tb.Helper()
	c, err := xclient.Dial(x.Display, x.Options())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// stop ends the server the way that lets it remove its lock file and
// socket (SIGTERM), killing it only if it does not go.
func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}
