package proxy

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
	"github.com/lxcage/lxcage/services/x11/proxy/xvfb"
)

// BenchmarkX11 measures clients side by side: connected straight to a
// private Xvfb (direct) and through the proxy running as its own process
// (proxy: `$LXCAGE_BIN _serve x11`, or this test binary in proxy mode),
// in one run: round trips (InternAtom, GetInputFocus) and bulk drawing
// (PutImage of 100×100 and 500×500 pixels). hack/bench.sh prints the
// ratios. RSS reports the proxy's resident memory with five clients
// connected that drew and asked (proxy-RSS-kB).
func BenchmarkX11(b *testing.B) {
	x := startXvfb(b)
	px := startProxyProcess(b, x)
	sides := []struct {
		name string
		dial func() (*xclient.Conn, error)
	}{
		{"direct", func() (*xclient.Conn, error) {
			return xclient.Dial(x.Display, x.Options())
		}},
		{"proxy", func() (*xclient.Conn, error) { return xclient.Dial(px.display, xclient.Options{}) }},
	}
	defer b.Run("RSS", func(b *testing.B) {
		var cs []*xclient.Conn
		for i := 0; i < 5; i++ {
			c, err := xclient.Dial(px.display, xclient.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			cs = append(cs, c)
		}
		for _, c := range cs {
			putImages(b, c, 500, 200)
			roundTrips(b, c, c.Encode(43, 0, nil, nil), 1000)
		}
		b.ReportMetric(float64(px.rss()), "proxy-RSS-kB")
	})
	// x11perf -putimage100, the other measure of bulk drawing:
	// an Xlib client, which writes each image with writev as it comes.
	for _, side := range []struct{ name, display, auth string }{{"direct", x.Display, x.Auth}, {"proxy", px.display, ""}} {
		b.Run("X11perfPutImage100/"+side.name, func(b *testing.B) {
			rate := x11perf(b, side.display, side.auth, "-putimage100")
			b.ReportMetric(1e9/rate, "ns/image")
		})
	}
	for _, kind := range []string{"GetInputFocus", "InternAtom", "PutImage100", "PutImage500"} {
		for _, side := range sides {
			b.Run(kind+"/"+side.name, func(b *testing.B) {
				c, err := side.dial()
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				switch kind {
				case "GetInputFocus":
					roundTrips(b, c, c.Encode(43, 0, nil, nil), b.N)
				case "InternAtom":
					roundTrips(b, c, c.Encode(16, 0, []uint32{c.Pair(7, 0)}, []byte("WM_NAME")), b.N)
				case "PutImage100":
					putImages(b, c, 100, b.N)
				case "PutImage500":
					putImages(b, c, 500, b.N)
				}
				if side.name == "proxy" {
					b.ReportMetric(float64(px.rss()), "proxy-RSS-kB")
				}
			})
		}
	}
}

func roundTrips(b *testing.B, c *xclient.Conn, req []byte, n int) {
	nc := c.NetConn()
	reply := make([]byte, 32)
	b.ResetTimer()
	for i := 0; i < n; i++ {
		if _, err := nc.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(nc, reply); err != nil || reply[0] != 1 {
			b.Fatalf("reply %x: %v", reply, err)
		}
	}
	b.StopTimer()
	c.Raw(nil, n)
}

// putImages draws size×size 32-bit images into a window, syncing every
// 64 images as x11perf does, and at the end.
func putImages(b *testing.B, c *xclient.Conn, size, n int) {
	if _, err := c.Call(c.BigReqMajor(b), 0); err != nil {
		b.Fatal(err)
	}
	w, _ := c.CreateWindow(c.Root(), 0, 0, 600, 600, 0)
	c.MapWindow(w)
	gc := c.NewID()
	c.Send(55, 0, gc, w, 0)
	if err := c.Sync(); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, size*size*4)
	for i := range data {
		data[i] = byte(i * 7)
	}
	// A big request: zero length, then the length in words.
	req := make([]byte, 28+len(data))
	o := c.Order()
	req[0], req[1] = 72, 2 // PutImage, ZPixmap
	o.PutUint32(req[4:], uint32(len(req)/4))
	o.PutUint32(req[8:], w)
	o.PutUint32(req[12:], gc)
	o.PutUint32(req[16:], c.Pair(uint16(size), uint16(size)))
	req[25] = 24 // depth
	copy(req[28:], data)
	nc := c.NetConn()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < n; i++ {
		if _, err := nc.Write(req); err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 {
			c.Raw(nil, 64)
			if err := c.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	}
	c.Raw(nil, n%64)
	if err := c.Sync(); err != nil {
		b.Fatal(err)
	}
}

// x11perfRate matches the rate x11perf prints: "( 62800.0/sec)".
var x11perfRate = regexp.MustCompile(`\(\s*([0-9.]+)/sec\)`)

// x11perf runs one x11perf test for two seconds on display and returns
// its rate per second. It runs once whatever b.N is: x11perf times
// itself.
func x11perf(b *testing.B, display, auth, test string) float64 {
	bin, err := exec.LookPath("x11perf")
	if err != nil {
		b.Skip("x11perf (apt-get install x11-apps)")
	}
	cmd := exec.Command(bin, "-display", display, test, "-repeat", "1", "-time", "2")
	cmd.Env = append(os.Environ(), "XAUTHORITY="+auth)
	out, err := cmd.CombinedOutput()
	m := x11perfRate.FindAllSubmatch(out, -1)
	if err != nil || len(m) == 0 {
		b.Fatalf("x11perf %s on %s: %v\n%s", test, display, err, out)
	}
	rate, err := strconv.ParseFloat(string(m[len(m)-1][1]), 64)
	if err != nil || rate <= 0 {
		b.Fatalf("x11perf rate %q", m[len(m)-1][1])
	}
	return rate
}

// proxyProcess is the proxy run as `lxcage _serve x11` would run it: the
// test binary in proxy mode (see TestMain).
type proxyProcess struct {
	cmd     *exec.Cmd
	display string
}

func startProxyProcess(tb testing.TB, x *xserver) *proxyProcess {
	tb.Helper()
	n := xvfb.FreeDisplay(tb)
	sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	args := []string{"-listen", sock, "-display", x.Display, "-xauthority", x.Auth}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LXCAGE_X11_PROXY_ARGS="+strings.Join(args, " "))
	if bin := os.Getenv("LXCAGE_BIN"); bin != "" {
		cmd = exec.Command(bin, append([]string{"_serve", "x11"}, args...)...)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		os.Remove(sock)
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("proxy did not start")
		}
	}
	return &proxyProcess{cmd: cmd, display: fmt.Sprintf(":%d", n)}
}

// rss is the proxy's resident memory in kB.
func (p *proxyProcess) rss() int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// BenchmarkX11Connect times a client's connection setup, connect to
// setup reply, direct and through the proxy, which sets up its own
// connection upstream in between (an app opens a few at its start:
// about 0.13 ms direct against 0.45 ms through the proxy here).
func BenchmarkX11Connect(b *testing.B) {
	x := startXvfb(b)
	px := startProxyProcess(b, x)
	for _, side := range []struct {
		name string
		dial func() (*xclient.Conn, error)
	}{
		{"direct", func() (*xclient.Conn, error) { return xclient.Dial(x.Display, x.Options()) }},
		{"proxy", func() (*xclient.Conn, error) { return xclient.Dial(px.display, xclient.Options{}) }},
	} {
		b.Run(side.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c, err := side.dial()
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}
