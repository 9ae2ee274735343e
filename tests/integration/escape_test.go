//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/lxcage/lxcage/sandbox"
	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
	"github.com/lxcage/lxcage/services/x11/xauth"
	"golang.org/x/sys/unix"
)

// The escape suite: programs inside containers, running as the app, try
// what a hostile app would, and each attempt must fail as designed.

// inside runs sh -c script as the app of a fresh profile (extra holds
// more profile TOML) and returns its output and status.
func inside(t *testing.T, e *tenv, name, script, extra string) result {
	t.Helper()
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(script)
	e.profile(name, `command = ["sh", "-c", "`+quoted+`"]`+"\n"+extra)
	return e.run("launch", name)
}

func TestEscapeFilesAndProcesses(t *testing.T) {
	e := newEnv(t)
	ssh := filepath.Join(e.home, ".ssh")
	os.MkdirAll(ssh, 0o700)
	key := filepath.Join(ssh, "id_lxcage_fixture")
	os.WriteFile(key, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nfixture\n"), 0o600)
	t.Cleanup(func() { os.Remove(key) })
	marker := filepath.Join(e.home, ".lxcage-escape-marker")
	os.WriteFile(marker, []byte("host"), 0o600)
	t.Cleanup(func() { os.Remove(marker) })
	shared := filepath.Join(e.cache, "shared")
	os.MkdirAll(shared, 0o755)
	checks := []struct{ what, script string }{
		{"the host's private key is unreadable", `! cat ` + key + ` && ! cat /home/user/.ssh/id_lxcage_fixture`},
		{"the host home is invisible (its path leads to the app's own home)", `! test -e ` + marker + ` && test "$(readlink -f ` + e.home + `)" = /home/user`},
		{"lxcage's config and the LXC path are invisible", `! ls ` + e.config + ` && ! ls ` + e.lxcpath},
		{"host processes are invisible", `! grep -l -E '^(Xvfb|dbus-daemon|pulseaudio|lxcage)$' /proc/[0-9]*/comm`},
		{"few processes are visible", `test $(ls -d /proc/[0-9]* | wc -l) -lt 10`},
		{"/proc/keys says nothing", `test -z "$(cat /proc/keys 2>/dev/null)" && test -z "$(cat /proc/key-users 2>/dev/null)"`},
		{"/proc/timer_list says nothing", `test -z "$(cat /proc/timer_list 2>/dev/null)"`},
		{"init's environment is unreadable", `! cat /proc/1/environ`},
		{"no host /etc secrets", `! test -e /etc/ssh && ! cat /etc/shadow`},
		{"the rootfs is not writable", `! touch /etc/evil && ! touch /usr/evil && ! touch /evil`},
		{"the share is the only host path", `test -w /mnt/shared`},
	}
	for _, c := range checks {
		t.Run(c.what, func(t *testing.T) {
			name := "esc" + strconv.Itoa(len(c.what))
			r := inside(t, e, name, c.script+" 2>/dev/null", "\n[[share]]\nhost = \""+shared+"\"\npath = \"/mnt/shared\"\n")
			if r.code != 0 {
				t.Errorf("failed (status %d): %s\n%s%s", r.code, c.script, r.stdout, r.stderr)
			}
		})
	}
}

// pySyscall is a Python snippet that calls a raw system call and prints
// its errno (0 on success).
func pySyscall(nr int, args ...string) string {
	return `import ctypes, sys; libc = ctypes.CDLL(None, use_errno=True); r = libc.syscall(` + strconv.Itoa(nr) + strings.Join(append([]string{""}, args...), ", ") + `); print(ctypes.get_errno() if r < 0 else 0)`
}

// TestEscapeSyscalls: the calls the seccomp policy denies fail with
// EPERM (1) inside, as the app: user namespaces (the way to mount as an
// unprivileged user), keyrings, bpf, perf events, userfaultfd.
func TestEscapeSyscalls(t *testing.T) {
	_, err := exec.LookPath("python3")
	need(t, err == nil, "python3")
	e := newEnv(t)
	for _, c := range []struct{ what, py string }{
		{"unshare(CLONE_NEWUSER)", pySyscall(unix.SYS_UNSHARE, "0x10000000")},
		{"keyctl", pySyscall(unix.SYS_KEYCTL, "0", "0")},
		{"add_key", pySyscall(unix.SYS_ADD_KEY, "b'user'", "b'x'", "b'y'", "1", "-2")},
		{"bpf", pySyscall(unix.SYS_BPF, "0", "0", "0")},
		{"perf_event_open", pySyscall(unix.SYS_PERF_EVENT_OPEN, "0", "0", "-1", "-1", "0")},
		{"userfaultfd", pySyscall(unix.SYS_USERFAULTFD, "0")},
		{"mount", pySyscall(unix.SYS_MOUNT, "b'none'", "b'/tmp'", "b'tmpfs'", "0", "0")},
		{"kexec_load", pySyscall(unix.SYS_KEXEC_LOAD, "0", "0", "0", "0")},
	} {
		t.Run(c.what, func(t *testing.T) {
			e.profile("sc", `command = ["python3", "-c", "`+strings.ReplaceAll(c.py, `"`, `\"`)+`"]`)
			r := e.run("launch", "sc")
			if got := strings.TrimSpace(r.stdout); got != "1" {
				t.Errorf("%s: errno %q, want EPERM (1)\n%s", c.what, got, r.stderr)
			}
		})
	}
	// Control: without the policy the same calls are not all refused.
	e.profile("ctl", `command = ["python3", "-c", "`+strings.ReplaceAll(pySyscall(unix.SYS_UNSHARE, "0x10000000"), `"`, `\"`)+`"]
[security]
seccomp = "none"
`)
	if r := e.run("launch", "ctl"); strings.TrimSpace(r.stdout) != "0" {
		t.Errorf("without the policy unshare(CLONE_NEWUSER) gives %q, want 0: the check above proves nothing", r.stdout)
	}
	// The same program with userns = true may create a user namespace
	// (Chromium's sandbox needs it).
	e.profile("ns", `command = ["unshare", "-U", "true"]
[security]
userns = true
`)
	if r := e.run("launch", "ns"); r.code != 0 {
		t.Errorf("userns = true: unshare -U failed: %s", r.stderr)
	}
	e.profile("nons", `command = ["unshare", "-U", "true"]`)
	if r := e.run("launch", "nons"); r.code == 0 {
		t.Error("unshare -U works without userns = true")
	}
}

// openPTY opens a pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// TestEscapeTerminalInjection: the app cannot push keystrokes into the
// terminal lxcage was started from (TIOCSTI), nor use TIOCLINUX, with the
// ioctl number as is or with its upper 32 bits set (which the kernel
// ignores and a plain seccomp compare misses: CVE-2019-10063). Run from
// a terminal (lxc-attach's own pty) and with the terminal only on stdout.
func TestEscapeTerminalInjection(t *testing.T) {
	_, err := exec.LookPath("python3")
	need(t, err == nil, "python3")
	e := newEnv(t)
	// errno of ioctl(fd, request, "#") on stdin, stdout and stderr.
	py := `import ctypes; libc = ctypes.CDLL(None, use_errno=True)
out = []
for fd in (0, 1, 2):
    for req in (0x5412, 0x100005412, 0x541c, 0x10000541c):
        r = libc.ioctl(fd, ctypes.c_ulong(req), ctypes.c_char_p(b'#'))
        out.append('%d:%x:%d' % (fd, req, 0 if r == 0 else ctypes.get_errno()))
open('/mnt/out/result', 'w').write(' '.join(out))`
	dir := filepath.Join(e.cache, "tty")
	os.MkdirAll(dir, 0o755)
	profile := func(seccomp string) {
		e.profile("tty", `command = ["python3", "-c", "`+strings.ReplaceAll(strings.ReplaceAll(py, `"`, `\"`), "\n", `\n`)+`"]
[[share]]
host = "`+dir+`"
path = "/mnt/out"
[security]
seccomp = "`+seccomp+`"
`)
	}
	for _, mode := range []string{"interactive", "stdout-only", "control-without-policy"} {
		t.Run(mode, func(t *testing.T) {
			profile("default")
			if mode == "control-without-policy" {
				profile("none")
			}
			os.Remove(filepath.Join(dir, "result"))
			master, slave := openPTY(t)
			cmd := e.cmd("launch", "tty")
			cmd.Stdout, cmd.Stderr = slave, slave
			if mode == "interactive" {
				cmd.Stdin = slave
			}
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 1}
			go func() { // drain the terminal
				buf := make([]byte, 4096)
				for {
					if _, err := master.Read(buf); err != nil {
						return
					}
				}
			}()
			var errb strings.Builder
			if mode == "interactive" {
				cmd.Stderr = slave
			} else {
				cmd.Stderr = &errb
			}
			if err := cmd.Run(); err != nil {
				t.Fatalf("launch: %v %s", err, errb.String())
			}
			b, err := os.ReadFile(filepath.Join(dir, "result"))
			if err != nil {
				t.Fatalf("no result: %v", err)
			}
			denied := 0
			for _, f := range strings.Fields(string(b)) {
				if strings.HasSuffix(f, ":1") {
					denied++
				} else if mode != "control-without-policy" {
					t.Errorf("ioctl fd:request:errno = %s, want EPERM (1) from the seccomp policy", f)
				}
			}
			// Without the policy the kernel answers otherwise (EIO, ENOTTY,
			// EINVAL): the EPERMs above are the policy's doing.
			if mode == "control-without-policy" && denied == len(strings.Fields(string(b))) {
				t.Errorf("even without the policy every ioctl got EPERM: %s", b)
			}
		})
	}
}

// TestEscapeNetworkOff: with network = "off" the app reaches neither the
// host's abstract X socket nor a TCP server on the host's loopback.
func TestEscapeNetworkOff(t *testing.T) {
	_, err := exec.LookPath("python3")
	need(t, err == nil, "python3")
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	num := strings.TrimPrefix(os.Getenv("DISPLAY"), ":")
	if c, err := net.Dial("unix", "@/tmp/.X11-unix/X"+num); err == nil {
		c.Close() // reachable from the host: the check below means something
	} else {
		t.Logf("the X server has no abstract socket here (%v); checking anyway", err)
	}
	py := `import socket, sys
bad = []
try:
    s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(chr(0) + '/tmp/.X11-unix/X` + num + `'); bad.append('abstract X')
except OSError: pass
try:
    s = socket.create_connection(('127.0.0.1', ` + strconv.Itoa(port) + `), 2); bad.append('host loopback')
except OSError: pass
print(' '.join(bad)); sys.exit(1 if bad else 0)`
	e.profile("net", `command = ["python3", "-c", "`+strings.ReplaceAll(strings.ReplaceAll(py, `"`, `\"`), "\n", `\n`)+`"]`)
	if r := e.run("launch", "net"); r.code != 0 {
		t.Errorf("reached from a container with network off: %s %s", r.stdout, r.stderr)
	}
	// Sanity: with network = "host" the loopback server is reachable.
	e.profile("hostnet", `command = ["python3", "-c", "import socket; socket.create_connection(('127.0.0.1', `+strconv.Itoa(port)+`), 2)"]
[access]
network = "host"
`)
	if r := e.run("launch", "hostnet"); r.code != 0 {
		t.Errorf("network = host cannot reach the host's loopback: %s", r.stderr)
	}
}

// TestEscapeLimits: a fork bomb is held by the pids limit and a 2 GB
// allocation by a 256M memory limit, and the host stays responsive.
func TestEscapeLimits(t *testing.T) {
	_, err := exec.LookPath("python3")
	need(t, err == nil, "python3")
	e := newEnv(t)
	e.profile("bomb", `command = ["python3", "-c", "import os, time\nfor i in range(300):\n    try:\n        if os.fork() == 0:\n            time.sleep(3); os._exit(0)\n    except OSError:\n        break\nprint(len([p for p in os.listdir('/proc') if p.isdigit()]))"]
[limits]
pids = 50
`)
	start := time.Now()
	r := e.run("launch", "bomb")
	n, _ := strconv.Atoi(strings.TrimSpace(r.stdout))
	if n == 0 || n > 50 {
		t.Errorf("%d processes in a container limited to 50 (status %d, %s)", n, r.code, r.stderr)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("fork bomb run took %v", took)
	}
	hostStart := time.Now()
	if err := exec.Command("true").Run(); err != nil || time.Since(hostStart) > time.Second {
		t.Errorf("host not responsive: %v after %v", err, time.Since(hostStart))
	}

	e.profile("hog", `command = ["python3", "-c", "b = bytearray(2 * 1024 ** 3); print('allocated', len(b))"]
[limits]
memory = "256M"
`)
	r = e.run("launch", "hog")
	if r.code == 0 || strings.Contains(r.stdout, "allocated") {
		t.Errorf("2 GB allocated under a 256M limit: status %d %s", r.code, r.stdout)
	}
}

// x11ProbeMain runs inside a container (the test binary is shared in):
// it tries to read another client's window and to grab the keyboard, and
// prints what worked.
func x11ProbeMain() {
	target, _ := strconv.ParseUint(os.Getenv("LXCAGE_X11_PROBE"), 10, 32)
	c, err := xgb.NewConn()
	if err != nil {
		fmt.Println("connect-failed", err)
		os.Exit(2)
	}
	defer c.Close()
	res := []string{}
	if _, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(target), 0, 0, 10, 10, 0xffffffff).Reply(); err == nil {
		res = append(res, "getimage=ok")
	} else {
		res = append(res, "getimage=denied")
	}
	root := xproto.Setup(c).DefaultScreen(c).Root
	if g, err := xproto.GrabKeyboard(c, false, root, xproto.TimeCurrentTime, xproto.GrabModeAsync, xproto.GrabModeAsync).Reply(); err == nil && g.Status == xproto.GrabStatusSuccess {
		res = append(res, "grab=ok")
		xproto.UngrabKeyboard(c, xproto.TimeCurrentTime)
	} else {
		res = append(res, "grab=denied")
	}
	fmt.Println(strings.Join(res, " "))
	os.Exit(0)
}

// TestEscapeUntrustedX11: with x11 = true (the proxy), a client in
// the container cannot read another client's window or grab the
// keyboard; with x11 = "trusted" it can.
func TestEscapeUntrustedX11(t *testing.T) {
	e := newEnv(t)
	x := xconn(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A trusted client's window with something on it.
	screen := xproto.Setup(x).DefaultScreen(x)
	win, _ := xproto.NewWindowId(x)
	xproto.CreateWindow(x, screen.RootDepth, win, screen.Root, 0, 0, 50, 50, 0, xproto.WindowClassInputOutput, screen.RootVisual, xproto.CwBackPixel, []uint32{0xff0000})
	xproto.MapWindow(x, win)
	x.Sync()
	defer xproto.DestroyWindow(x, win)
	for _, mode := range []string{"true", `"trusted"`} {
		e.profile("probe", `command = ["/mnt/probe/`+filepath.Base(self)+`"]
[access]
x11 = `+mode+`
[env]
LXCAGE_X11_PROBE = "`+strconv.Itoa(int(win))+`"
[[share]]
host = "`+filepath.Dir(self)+`"
path = "/mnt/probe"
readonly = true
`)
		r := e.run("launch", "probe")
		got := strings.TrimSpace(r.stdout)
		want := "getimage=denied grab=denied"
		if mode != "true" {
			want = "getimage=ok grab=ok"
		}
		if got != want {
			t.Errorf("x11 = %s: probe says %q, want %q (status %d)\n%s", mode, got, want, r.code, r.stderr)
		}
		e.run("stop", "probe")
	}
}

// TestEscapeUntrustedCookieOutlives: an app under x11 = "untrusted"
// copies its cookie out. While the container runs the cookie admits an
// untrusted client (no XTEST); once the container stopped it admits
// nobody, wherever the copy went.
func TestEscapeUntrustedCookieOutlives(t *testing.T) {
	e := newEnv(t)
	xconn(t)
	out := filepath.Join(e.cache, "stolen")
	os.MkdirAll(out, 0o755)
	e.profile("thief", `command = ["sh", "-c", "cp \"$XAUTHORITY\" /mnt/out/cookie && exec sleep 60"]
[access]
x11 = "untrusted"
[[share]]
host = "`+out+`"
path = "/mnt/out"
`)
	l := e.start("launch", "thief")
	file := filepath.Join(out, "cookie")
	var b []byte
	for deadline := time.Now().Add(20 * time.Second); len(b) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.run("stop", "thief")
			t.Fatalf("the app wrote no copy of its cookie:\n%s", l.out)
		}
		b, _ = os.ReadFile(file)
	}
	entries, err := xauth.Parse(bytes.NewReader(b))
	if err != nil || len(entries) != 1 {
		t.Fatalf("the copied cookie file: %v (%v)", entries, err)
	}
	opt := xclient.Options{AuthName: entries[0].Name, AuthData: entries[0].Data}
	c, err := xclient.Dial(os.Getenv("DISPLAY"), opt)
	if err != nil {
		e.run("stop", "thief")
		t.Fatalf("the container's cookie does not admit a client while it runs: %v", err)
	}
	ext, err := c.QueryExtension("XTEST")
	c.Close()
	if err != nil || ext.Present {
		t.Errorf("XTEST for the container's cookie: %+v (%v), want it hidden (an untrusted cookie)", ext, err)
	}
	if r := e.run("stop", "thief"); r.code != 0 {
		t.Fatalf("stop: %d\n%s", r.code, r.stderr)
	}
	l.wait(t, 20*time.Second)
	if c, err := xclient.Dial(os.Getenv("DISPLAY"), opt); err == nil {
		c.Close()
		t.Error("the cookie copied out of the container still admits a client after it stopped")
	}
}

// TestLimitsReachTheCgroup: memory, pids and CPU weight land in the
// container's own cgroup on this host's hierarchy: the v1 controllers'
// files, or on a cgroup v2 host memory.max, memory.swap.max, pids.max and
// cpu.weight.
func TestLimitsReachTheCgroup(t *testing.T) {
	e := newEnv(t)
	e.profile("lim", "command = [\"sleep\", \"30\"]\n[limits]\nmemory = \"300M\"\npids = 77\ncpu_weight = 50\n")
	l := e.start("launch", "lim")
	if !e.waitState("lim", "RUNNING", 10*time.Second) {
		t.Fatalf("not running:\n%s", l.out)
	}
	defer e.run("stop", "lim")
	pid := initPID(e.mustRun("status", "lim").stdout)
	b, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"memory": {"memory.limit_in_bytes", strconv.Itoa(300 << 20)},
		"pids":   {"pids.max", "77"},
		"cpu":    {"cpu.shares", "512"},
	}
	if line := strings.TrimSpace(string(b)); strings.HasPrefix(line, "0::") && !strings.Contains(line, "\n") {
		// cgroup v2 only: one line, "0::PATH", every file in one directory.
		dir := sandbox.LimitCgroupDir(filepath.Join("/sys/fs/cgroup", strings.TrimPrefix(line, "0::")))
		for file, w := range map[string]string{"memory.max": strconv.Itoa(300 << 20), "memory.swap.max": "0", "pids.max": "77", "cpu.weight": "50"} {
			got, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil || strings.TrimSpace(string(got)) != w {
				t.Errorf("%s/%s = %q (%v), want %s", dir, file, strings.TrimSpace(string(got)), err, w)
			}
		}
		return
	}
	found := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		for _, ctrl := range strings.Split(parts[1], ",") {
			w, ok := want[ctrl]
			if !ok {
				continue
			}
			got, err := os.ReadFile(filepath.Join(sandbox.LimitCgroupDir(filepath.Join("/sys/fs/cgroup", parts[1], parts[2])), w[0]))
			if err != nil {
				t.Errorf("%s: %v", w[0], err)
				continue
			}
			found++
			if strings.TrimSpace(string(got)) != w[1] {
				t.Errorf("%s = %s, want %s", w[0], strings.TrimSpace(string(got)), w[1])
			}
		}
	}
	if found != len(want) {
		t.Errorf("found %d of %d limits in the container's cgroups:\n%s", found, len(want), b)
	}
}
