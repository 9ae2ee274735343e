package proxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
	"github.com/lxcage/lxcage/services/x11/proxy/xvfb"
)

// Real apps through the proxy, as the container runs them: no cookie,
// the proxy's display only. The user (xdotool, from the host side) types
// into them.

// app is a program running as a client of the container.
type app struct {
	cmd *exec.Cmd
	out *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs argv in the container's place: DISPLAY is the proxy's, no
// cookie, no session bus or accessibility bus to start.
func (p *testProxy) start(t *testing.T, env []string, argv ...string) *app {
	t.Helper()
	xvfb.NeedTool(t, argv[0])
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(p.env(), append([]string{"NO_AT_BRIDGE=1", "DBUS_SESSION_BUS_ADDRESS=disabled:", "HOME=" + t.TempDir()}, env...)...)
	a := &app{cmd: cmd, out: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = a.out, a.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", argv[0], a.out)
		}
	})
	return a
}

// wait waits for the app to exit on its own.
func (a *app) wait(t *testing.T, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v\n%s", a.cmd.Path, err, a.out)
		}
	case <-time.After(d):
		t.Fatalf("%s did not finish in %v:\n%s", a.cmd.Path, d, a.out)
	}
}

// findWindow waits for a top-level window whose WM_CLASS or WM_NAME
// contains name, as the user's own client sees the display.
func findWindow(t *testing.T, x *xserver, name string) uint32 {
	t.Helper()
	c := x.Host(t)
	class, _ := c.Intern("WM_CLASS")
	wmName, _ := c.Intern("WM_NAME")
	netName, _ := c.Intern("_NET_WM_NAME")
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r, err := c.Call(15, 0, c.Root())
		if err != nil {
			t.Fatal(err)
		}
		n := int(c.Order().Uint16(r[16:]))
		for i := 0; i < n; i++ {
			w := c.Order().Uint32(r[32+4*i:])
			for _, a := range []uint32{class, wmName, netName} {
				_, v, _ := c.GetProperty(w, a)
				if bytes.Contains(bytes.ToLower(v), []byte(strings.ToLower(name))) && mapped(c, w) {
					return w
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no window of %s appeared", name)
	return 0
}

func mapped(c *xclient.Conn, w uint32) bool {
	r, err := c.Call(3, 0, w)       // GetWindowAttributes
	return err == nil && r[26] == 2 // map_state Viewable
}

// xdo runs xdotool as the user, on the display itself.
func xdo(t *testing.T, x *xserver, args ...string) {
	t.Helper()
	cmd := exec.Command(xvfb.NeedTool(t, "xdotool"), args...)
	cmd.Env = x.Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
}

func TestXeyes(t *testing.T) {
	x := startXvfb(t)
	p := startProxy(t, x, Config{})
	p.start(t, nil, "xeyes")
	findWindow(t, x, "xeyes")
}

// setLayout gives the display an XKB layout (setxkbmap), before the app
// starts. Keys the layout has are typed as a keyboard types them: for a
// character missing from it, xdotool rebinds a spare key for each
// keystroke, and an app that reads the new mapping late gets the wrong
// character or none (Chromium 156 lost the ü of "äöü" now and then).
func setLayout(t *testing.T, x *xserver, layout string) {
	t.Helper()
	cmd := exec.Command(xvfb.NeedTool(t, "setxkbmap"), layout)
	cmd.Env = x.Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("setxkbmap %s: %v\n%s", layout, err, out)
	}
}

// xterm with a German layout (XKEYBOARD): what the user types arrives
// as typed, AltGr and the keys that differ from US included.
func TestXtermLayout(t *testing.T) {
	x := startXvfb(t)
	setLayout(t, x, "de")
	p := startProxy(t, x, Config{})
	out := filepath.Join(t.TempDir(), "typed")
	a := p.start(t, []string{"LANG=C.UTF-8", "LC_ALL=C.UTF-8"}, "xterm", "-u8", "-title", "lxcage-xterm", "-e", "sh", "-c", `read l; printf %s "$l" > `+out)
	w := findWindow(t, x, "lxcage-xterm")
	const text = "zy@µ Grüße {ok}"
	xdo(t, x, "windowfocus", fmt.Sprint(w), "type", "--delay", "30", text)
	xdo(t, x, "key", "Return")
	a.wait(t, 20*time.Second)
	got, _ := os.ReadFile(out)
	if string(got) != text {
		t.Errorf("xterm got %q, typed %q", got, text)
	}
}

// GTK 3: zenity's entry dialog takes typed text.
func TestGTK(t *testing.T) {
	x := startXvfb(t)
	p := startProxy(t, x, Config{})
	a := p.start(t, []string{"GDK_BACKEND=x11"}, "zenity", "--entry", "--title", "lxcage-gtk", "--text", "type here")
	w := findWindow(t, x, "lxcage-gtk")
	time.Sleep(500 * time.Millisecond) // the dialog takes the focus once mapped
	xdo(t, x, "windowfocus", fmt.Sprint(w), "type", "--delay", "30", "hello gtk 42")
	xdo(t, x, "key", "Return")
	a.wait(t, 20*time.Second)
	if !strings.Contains(a.out.String(), "hello gtk 42") {
		t.Errorf("zenity printed %q", a.out)
	}
}

const qtApp = `
import sys
from PyQt5.QtWidgets import QApplication, QLineEdit
app = QApplication(sys.argv)
e = QLineEdit()
e.setWindowTitle("lxcage-qt")
e.setStyleSheet("background: rgb(255,0,0)")
e.resize(300, 80)
e.returnPressed.connect(lambda: (print("GOT:" + e.text(), flush=True), app.quit()))
e.show()
sys.exit(app.exec_())
`

// Qt 5 renders (through MIT-SHM's file descriptor form, or its fallback)
// and takes typed text.
func TestQt(t *testing.T) {
	x := startXvfb(t)
	p := startProxy(t, x, Config{})
	py := "/usr/bin/python3"
	a := p.start(t, []string{"QT_QPA_PLATFORM=xcb"}, py, "-c", qtApp)
	w := findWindow(t, x, "lxcage-qt")
	waitPixel(t, x, w, 0xff0000)
	xdo(t, x, "windowfocus", fmt.Sprint(w), "type", "--delay", "30", "hello qt 7")
	xdo(t, x, "key", "Return")
	a.wait(t, 20*time.Second)
	if !strings.Contains(a.out.String(), "GOT:hello qt 7") {
		t.Errorf("the Qt app printed %q", a.out)
	}
}

// waitPixel waits until the window shows a pixel of color rgb, as the
// user's own client reads it.
func waitPixel(t *testing.T, x *xserver, w uint32, rgb uint32) {
	t.Helper()
	c := x.Host(t)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		g, err := c.Call(14, 0, w) // GetGeometry
		if err != nil {
			continue
		}
		r, err := c.Call(73, 2, w, 0, c.Order().Uint32(g[16:]), ^uint32(0))
		if err != nil {
			continue
		}
		for i := 32; i+4 <= len(r); i += 4 {
			if c.Order().Uint32(r[i:])&0xffffff == rgb {
				return
			}
		}
	}
	t.Fatalf("window %#x never showed color %06x", w, rgb)
}

// GLX with Mesa's software rendering: glxinfo sees a direct context,
// glxgears draws.
func TestGLX(t *testing.T) {
	x := startXvfb(t)
	p := startProxy(t, x, Config{})
	a := p.start(t, nil, "glxinfo", "-B")
	a.wait(t, 60*time.Second)
	if out := a.out.String(); !strings.Contains(out, "direct rendering: Yes") || !strings.Contains(out, "OpenGL renderer string") {
		t.Errorf("glxinfo:\n%s", out)
	}
	g := p.start(t, nil, "glxgears", "-info")
	w := findWindow(t, x, "glxgears")
	c := x.Host(t)
	first, _ := c.Call(73, 2, w, 0, c.Pair(64, 64), ^uint32(0))
	for i := 0; ; i++ {
		time.Sleep(200 * time.Millisecond)
		next, _ := c.Call(73, 2, w, 0, c.Pair(64, 64), ^uint32(0))
		if len(next) > 32 && !bytes.Equal(first, next) {
			break // the gears turn
		}
		if i == 50 {
			t.Fatalf("glxgears draws nothing:\n%s", g.out)
		}
	}
}

// MIT-SHM: the file-descriptor form works (the server maps the app's
// memfd); the System V form, whose segment ids name the host's IPC
// namespace, is refused with the error toolkits fall back on.
func TestSharedMemory(t *testing.T) {
	x := startXvfb(t)
	p := startProxy(t, x, Config{})
	c := p.client(t)
	shm, err := c.QueryExtension("MIT-SHM")
	if err != nil || !shm.Present {
		t.Fatalf("MIT-SHM hidden: %v", err)
	}
	const size = 64 * 64 * 4
	fd, err := memfd(size)
	if err != nil {
		t.Fatal(err)
	}
	seg := c.NewID()
	if err := c.SendFD(c.Encode(shm.Major, 6, []uint32{seg, 0}, nil), fd); err != nil { // AttachFd
		t.Fatal(err)
	}
	w, _ := c.CreateWindow(c.Root(), 0, 0, 64, 64, 0)
	c.MapWindow(w)
	gc := c.NewID()
	c.Send(55, 0, gc, w, 0)
	fillMemfd(t, fd, size, 0x00ff00)
	// ShmPutImage: the whole 64×64 segment, ZPixmap, depth 24.
	c.Send(shm.Major, 3, w, gc, c.Pair(64, 64), c.Pair(0, 0), c.Pair(64, 64), c.Pair(0, 0), c.Bytes(24, 2, 0, 0), seg, 0)
	if err := c.Sync(); err != nil {
		t.Fatalf("shared memory by file descriptor: %v", err)
	}
	waitPixel(t, x, w, 0x00ff00)
	if _, err := c.Send(shm.Major, 1, c.NewID(), 0, 0); err != nil { // Attach (System V id 0)
		t.Fatal(err)
	}
	var xe *xclient.Error
	if err := c.Sync(); !asXError(err, &xe) || xe.Code != errAccess {
		t.Errorf("System V attach: %v, want BadAccess", err)
	}
}

// Chromium (Debian's, XKEYBOARD and RENDER, software GL) renders a local
// page and text typed into a field arrives whole.
func TestChromium(t *testing.T) {
	x := startXvfb(t)
	setLayout(t, x, "de") // ä, ö and ü have keys of their own
	p := startProxy(t, x, Config{})
	dir := t.TempDir()
	page := filepath.Join(dir, "page.html")
	os.WriteFile(page, []byte(`<!doctype html><title>lxcage-page</title>
<body style="margin:0;background:#0000ff">
<input id=i autofocus style="font-size:30px" onfocus="ready()" onkeydown="if(event.key=='Enter')document.title='GOT:'+this.value">
<script>
function ready() {
  const i = document.getElementById('i');
  if (document.hasFocus() && document.activeElement === i && i.value === '') document.title = 'lxcage-page focused';
}
window.addEventListener('focus', ready);
ready();
</script>
</body>`), 0o644)
	p.start(t, nil, "chromium", "--no-sandbox", "--no-first-run", "--disable-gpu", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--disable-dev-shm-usage", "--password-store=basic", "--window-size=800,600", "--app=file://"+page)
	w := findWindow(t, x, "lxcage-page")
	waitPixel(t, x, w, 0x0000ff)
	const text = "Hello, Chromium 123 äöü!"
	// Keys typed before the field holds the focus of a focused window
	// go elsewhere: Chromium 156 lost the first ones of a text typed
	// right after windowfocus.
	xdo(t, x, "windowfocus", fmt.Sprint(w))
	findWindow(t, x, "lxcage-page focused")
	xdo(t, x, "type", "--delay", "40", text)
	xdo(t, x, "key", "Return")
	findWindow(t, x, "GOT:"+text)
}

func asXError(err error, xe **xclient.Error) bool { return errors.As(err, xe) }

// memfd makes a shared memory file of size bytes, as toolkits do.
func memfd(size int) (int, error) {
	fd, err := unix.MemfdCreate("lxcage-test", unix.MFD_CLOEXEC)
	if err != nil {
		return -1, err
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// fillMemfd paints every 32-bit pixel of the file rgb.
func fillMemfd(t *testing.T, fd, size int, rgb uint32) {
	t.Helper()
	m, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	for i := 0; i+4 <= size; i += 4 {
		binary.LittleEndian.PutUint32(m[i:], rgb)
	}
}

// Descriptors the server hands out come through: MIT-SHM CreateSegment
// answers with the segment's memfd.
func TestServerDescriptors(t *testing.T) {
	x := startXvfb(t)
	p := startProxy(t, x, Config{})
	c := p.client(t)
	shm, err := c.QueryExtension("MIT-SHM")
	if err != nil || !shm.Present {
		t.Fatalf("MIT-SHM: %v", err)
	}
	if _, err := c.Send(shm.Major, 7, c.NewID(), 8192, 0); err != nil { // CreateSegment
		t.Fatal(err)
	}
	uc := c.NetConn().(*net.UnixConn)
	uc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, oob := make([]byte, 32), make([]byte, 64)
	n, oobn, _, _, err := uc.ReadMsgUnix(b, oob)
	if err != nil || n != 32 || b[0] != pktReply {
		t.Fatalf("CreateSegment reply %x: %v", b[:n], err)
	}
	fds := parseRights(oob[:oobn])
	if len(fds) != 1 {
		t.Fatalf("CreateSegment brought %d descriptors, want 1", len(fds))
	}
	defer closeFDs(fds)
	var st unix.Stat_t
	if err := unix.Fstat(fds[0], &st); err != nil || st.Size != 8192 {
		t.Errorf("segment descriptor: size %d, %v", st.Size, err)
	}
}
