package net

import (
	"bufio"
	"context"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/net/nettest"
)

// The tests that need namespaces run as an unprivileged user, the way
// lxcage runs: when the package's tests are run as root (make test runs
// the unit tests so), the binary re-runs itself as the test user, placed
// in the cgroups delegated to it (hack/setup-host.sh), and in a mount
// namespace where /etc/resolv.conf names the test setup's resolver.
const asUserEnv = "LXCAGE_NET_TEST_AS_USER"

// probeBin is a copy of this test binary that a container's root can
// read; it runs inside as the probe.
var probeBin string

func TestMain(m *testing.M) {
	nettest.Main()
	// As the lxcage binary would: the watcher of the host's addresses.
	if len(os.Args) > 1 && os.Args[1] == services.ServeCommand {
		if err := services.Serve(context.Background(), os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getuid() == 0 && os.Getenv(asUserEnv) == "" {
		if code, ok := rerunAsTestUser(); ok {
			os.Exit(code)
		}
	}
	dir, err := os.MkdirTemp("", "lxcage-net-probe-")
	if err == nil {
		probeBin = filepath.Join(dir, "probe")
		if err = copyFile(probeBin); err != nil {
			fmt.Fprintln(os.Stderr, "copy the probe:", err)
			probeBin = ""
		}
		os.Chmod(dir, 0o755)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// copyFile copies this binary to dst, readable and executable by all.
func copyFile(dst string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(self)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

// rerunAsTestUser runs this binary's tests again as the test user and
// returns their exit status; ok is false when there is no test user.
func rerunAsTestUser() (code int, ok bool) {
	name := os.Getenv("LXCAGE_TEST_USER")
	if name == "" {
		name = "lxcage-test"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, false
	}
	dir, err := os.MkdirTemp("", "lxcage-net-test-")
	if err != nil {
		return 0, false
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "net.test")
	if copyFile(bin) != nil {
		return 0, false
	}
	// go test's log file lives in root's build cache.
	var args []string
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-test.testlogfile") && !strings.HasPrefix(a, "-test.gocoverdir") {
			args = append(args, a)
		}
	}
	place := `for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do [ -f "$d$0/cgroup.procs" ] && echo $$ >"$d$0/cgroup.procs"; done; exec "$@"`
	cg := os.Getenv("LXCAGE_CGROUP")
	if cg == "" {
		cg = "lxcage-test"
	}
	argv := append([]string{"-c", place, cg, "runuser", "-u", name, "--", "env", "-i",
		"HOME=" + u.HomeDir, "USER=" + name, "LOGNAME=" + name, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"XDG_RUNTIME_DIR=/run/user/" + u.Uid, "CI=" + os.Getenv("CI"), asUserEnv + "=1", bin}, args...)
	argv = append([]string{"sh"}, argv...)
	// The stand-in internet's name is known to a resolver of the test
	// setup's; in a mount namespace of the tests' own it is the host's.
	resolv := os.Getenv("LXCAGE_TEST_RESOLV")
	if resolv == "" {
		resolv = "/var/lib/lxcage-inet/resolv.conf"
	}
	if _, err := os.Stat(resolv); err == nil {
		argv = append([]string{"unshare", "--mount", "--propagation", "private", "sh", "-c",
			`mount --bind "$0" /etc/resolv.conf && exec "$@"`, resolv}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Dir = dir
	if err := cmd.Run(); err != nil {
		if ee, isExit := err.(*exec.ExitError); isExit {
			return ee.ExitCode(), true
		}
		fmt.Fprintln(os.Stderr, "run the tests as", name+":", err)
		return 1, true
	}
	return 0, true
}

// need skips a test whose prerequisite is missing; in CI it fails.
func need(t testing.TB, err error, what string) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("prerequisite missing in CI: %s: %v", what, err)
	}
	t.Skipf("prerequisite missing: %s: %v", what, err)
}

// needContainers checks what a test container needs.
func needContainers(t testing.TB) {
	t.Helper()
	if os.Getuid() == 0 {
		need(t, fmt.Errorf("running as root without a test user"), "an unprivileged user (hack/setup-host.sh makes lxcage-test)")
	}
	for _, tool := range []string{"lxc-start", "newuidmap"} {
		_, err := exec.LookPath(tool)
		need(t, err, tool)
	}
	_, err := os.Stat("/usr/sbin/init.lxc.static")
	need(t, err, "init.lxc.static (lxc)")
	if probeBin == "" {
		need(t, fmt.Errorf("no copy of the test binary"), "the probe")
	}
}

// subordinate returns the first subordinate id range of the user.
func subordinate(t testing.TB, file string) (start, count int) {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	need(t, err, file)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), ":")
		if len(p) == 3 && (p[0] == u.Username || p[0] == u.Uid) {
			start, _ = strconv.Atoi(p[1])
			count, _ = strconv.Atoi(p[2])
			if count >= 65536 {
				return start, 65536
			}
		}
	}
	need(t, fmt.Errorf("no range of 65536 ids for %s", u.Username), file)
	return 0, 0
}

// ctr is a running test container: the user's own, unprivileged, with
// the host's /usr, an empty network namespace (lxc.net.0.type = empty,
// as network = "nat" compiles to), and no CAP_NET_RAW or CAP_NET_ADMIN.
type ctr struct {
	t       testing.TB
	lxcpath string
	name    string
	dir     string // the service's directory (the launcher's in lxcage)
	pid     int
	probe   *nettest.Prober
}

// startCtr starts a test container whose resolv.conf is a ResolvConf's.
func startCtr(t testing.TB) *ctr {
	t.Helper()
	needContainers(t)
	base := t.TempDir()
	// The container's root must reach the rootfs and the binds.
	for d := base; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	c := &ctr{t: t, lxcpath: filepath.Join(base, "lxc"), name: "n" + strconv.Itoa(os.Getpid()%10000), dir: filepath.Join(base, "svc")}
	rootfs := filepath.Join(c.lxcpath, c.name, "rootfs")
	for _, d := range []string{"usr", "proc", "sys", "dev", "run", "tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"bin", "sbin", "lib", "lib64"} {
		os.Symlink("usr/"+l, filepath.Join(rootfs, l))
	}
	os.WriteFile(filepath.Join(rootfs, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(rootfs, "etc/group"), []byte("root:x:0:\n"), 0o644)
	os.WriteFile(filepath.Join(rootfs, "etc/hosts"), []byte("127.0.0.1 localhost\n"), 0o644)
	os.WriteFile(filepath.Join(rootfs, "etc/resolv.conf"), nil, 0o644)
	os.MkdirAll(c.dir, 0o755)
	rc := &ResolvConf{File: filepath.Join(c.dir, "resolv.conf")}
	undo, err := rc.Start(context.Background(), services.Env{Runner: run.Exec{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { undo.Run(context.Background(), run.Exec{}) })
	// Writable by all: lxcage's is the user's, a uid the container maps,
	// which its root may write to by CAP_DAC_OVERRIDE; here only the
	// read-only bind may keep that root from rewriting it.
	if err := os.Chmod(rc.File, 0o666); err != nil {
		t.Fatal(err)
	}
	c.writeConfig(t, rootfs, rc.Grant())
	c.start(t)
	return c
}

func (c *ctr) writeConfig(t testing.TB, rootfs string, g services.Grant) {
	uid, uids := subordinate(t, "/etc/subuid")
	gid, gids := subordinate(t, "/etc/subgid")
	lines := []string{
		"lxc.uts.name = " + c.name,
		"lxc.rootfs.path = dir:" + rootfs,
		fmt.Sprintf("lxc.idmap = u 0 %d %d", uid, uids),
		fmt.Sprintf("lxc.idmap = g 0 %d %d", gid, gids),
		"lxc.init.cmd = /run/init -n " + c.name + " -- /usr/bin/sleep infinity",
		"lxc.net.0.type = empty",
		"lxc.mount.auto = proc:mixed sys:ro",
		"lxc.autodev = 1",
		"lxc.tty.max = 0",
		"lxc.console.path = none",
		"lxc.mount.entry = /usr usr none rbind,ro 0 0",
		"lxc.mount.entry = tmpfs run tmpfs rw,nosuid,nodev,mode=755 0 0",
		"lxc.mount.entry = tmpfs tmp tmpfs rw,nosuid,nodev,mode=1777 0 0",
		"lxc.mount.entry = /usr/sbin/init.lxc.static run/init none bind,ro,create=file 0 0",
		"lxc.mount.entry = " + probeBin + " run/probe none bind,ro,create=file 0 0",
		// What network = "nat" needs: no raw packets, no interface changes.
		"lxc.cap.drop = net_raw net_admin",
		"lxc.log.file = " + filepath.Join(c.lxcpath, c.name, "lxc.log"),
		"lxc.log.level = ERROR",
	}
	for _, b := range g.Binds {
		opts := "bind,create=file"
		if b.ReadOnly {
			opts = "bind,ro,create=file"
		}
		lines = append(lines, "lxc.mount.entry = "+b.Host+" "+strings.TrimPrefix(b.Inside, "/")+" none "+opts+" 0 0")
	}
	if err := os.WriteFile(filepath.Join(c.lxcpath, c.name, "config"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (c *ctr) lxc(tool string, args ...string) (string, error) {
	out, err := exec.Command(tool, append([]string{"-P", c.lxcpath, "-n", c.name}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (c *ctr) start(t testing.TB) {
	t.Helper()
	if out, err := c.lxc("lxc-start", "-d"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.lxcpath, c.name, "lxc.log"))
		need(t, fmt.Errorf("lxc-start: %v %s\n%s", err, out, log), "containers as this user (subordinate ids, delegated cgroups: hack/setup-host.sh)")
	}
	t.Cleanup(c.stop)
	out, err := c.lxc("lxc-info", "-p", "-H")
	if c.pid, _ = strconv.Atoi(out); err != nil || c.pid <= 0 {
		t.Fatalf("lxc-info: %v %q", err, out)
	}
	cmd := exec.Command("lxc-attach", "-P", c.lxcpath, "-n", c.name, "--clear-env",
		"-v", nettest.ProbeEnv+"=serve", "-v", "PATH=/usr/bin:/bin", "--", "/run/probe")
	cmd.Stderr = os.Stderr
	p, err := nettest.StartProber(cmd)
	if err != nil {
		t.Fatal(err)
	}
	c.probe = p
}

func (c *ctr) stop() {
	if c.probe != nil {
		c.probe.Close()
		c.probe = nil
	}
	c.lxc("lxc-stop", "-k")
}

// do runs a probe inside and returns its answer.
func (c *ctr) do(words ...string) string {
	c.t.Helper()
	out, err := c.probe.Do(words...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// attach runs a command inside (for the image's own tools, e.g. getent).
func (c *ctr) attach(args ...string) (string, error) {
	return c.lxc("lxc-attach", append([]string{"--clear-env", "-v", "PATH=/usr/bin:/bin", "--"}, args...)...)
}

// startNet starts the service for the container and ends it when the
// test does.
func (c *ctr) startNet(t testing.TB, s *Service) services.Undo {
	t.Helper()
	s.Dir = c.dir
	undo, err := s.Start(context.Background(), services.Env{Runner: run.Exec{}, InitPID: c.pid})
	if err != nil {
		t.Fatalf("start %s: %v", s.Tool, err)
	}
	t.Cleanup(func() { undo.Run(context.Background(), run.Exec{}) })
	return undo
}

// hostServer listens on addr (e.g. "127.0.0.1:0") on the host and
// greets each connection with greeting, so a probe can tell it from a
// server of the container's own. It counts the connections it accepts:
// one the relay made for the container counts even when no answer gets
// back inside.
type hostServer struct {
	port     int
	accepted atomic.Int32
}

func newHostServer(t testing.TB, addr, greeting string) *hostServer {
	t.Helper()
	ln, err := stdnet.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	h := &hostServer{port: ln.Addr().(*stdnet.TCPAddr).Port}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.accepted.Add(1)
			io.WriteString(c, greeting+"\n")
			c.Close()
		}
	}()
	return h
}

// hostUDP counts the datagrams a UDP socket on the host receives.
type hostUDP struct{ received atomic.Int32 }

func newHostUDP(t testing.TB, addr string) *hostUDP {
	t.Helper()
	pc, err := stdnet.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	h := &hostUDP{}
	go func() {
		b := make([]byte, 1500)
		for {
			if _, _, err := pc.ReadFrom(b); err != nil {
				return
			}
			h.received.Add(1)
		}
	}()
	return h
}

// hostIPs are the host's own addresses as text, loopback ones included,
// link-local ones (which need a zone) aside.
func hostIPs() []string {
	var out []string
	for _, a := range hostAddrs() {
		if !a.IsLinkLocalUnicast() {
			out = append(out, a.String())
		}
	}
	return out
}

// running reports whether p still runs: the same process, not a zombie
// waiting for its reaper.
func running(p services.Proc) bool {
	if !p.Alive() {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// waitGone waits until p no longer runs.
func waitGone(p services.Proc) bool {
	for i := 0; i < 100; i++ {
		if !running(p) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
