//go:build integration

package integration

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/lxcage/lxcage/sandbox"
	"golang.org/x/sys/unix"
)

// The tests in this file need a real systemd desktop: cgroup v2 only, a
// logind session and the user's systemd manager on the session bus.
// make test-vm runs them in a VM that is one (hack/vm/), with
// LXCAGE_TEST_SYSTEMD=1 and LXCAGE_TEST_ORIGIN saying where the test
// process was started: "desktop" (a scope in the user manager's
// app.slice, as a desktop starts apps) or "terminal" (the login's
// session-N.scope). On the plain machine they do not apply and skip.

// needSystemdHost skips outside the systemd VM; inside it, checks that
// the test process really runs where LXCAGE_TEST_ORIGIN says.
func needSystemdHost(t *testing.T) {
	t.Helper()
	if os.Getenv("LXCAGE_TEST_SYSTEMD") == "" {
		t.Skip("needs a systemd desktop with cgroup v2 only: make test-vm runs this")
	}
	own := ownCgroup(t)
	switch origin := os.Getenv("LXCAGE_TEST_ORIGIN"); origin {
	case "desktop":
		if !strings.Contains(own, fmt.Sprintf("/user@%d.service/app.slice/", os.Getuid())) {
			t.Fatalf("origin desktop, but the test runs in %s", own)
		}
	case "terminal":
		if !strings.Contains(filepath.Base(own), "session-") {
			t.Fatalf("origin terminal, but the test runs in %s", own)
		}
	default:
		t.Fatalf("LXCAGE_TEST_ORIGIN = %q, want desktop or terminal", origin)
	}
}

// ownCgroup is this process's cgroup v2 path.
func ownCgroup(t *testing.T) string { return pidCgroup(t, "self") }

func pidCgroup(t *testing.T, pid string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(b))
	if !strings.HasPrefix(line, "0::") || strings.Contains(line, "\n") {
		t.Fatalf("not cgroup v2 only: /proc/%s/cgroup is\n%s", pid, b)
	}
	return strings.TrimPrefix(line, "0::")
}

// systemctlUser runs systemctl --user and returns its output.
func systemctlUser(t *testing.T, args ...string) string {
	t.Helper()
	out, _ := exec.Command("systemctl", append([]string{"--user"}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out))
}

// TestSystemdScope: a launch gets a transient scope with Delegate=yes
// from the real user manager over the real session bus, the container
// runs in it (in the inner cgroup below the one its limits are on), the
// scope's top holds no process (so the controllers for the limits are
// on), and the scope goes away with the container.
func TestSystemdScope(t *testing.T) {
	needSystemdHost(t)
	e := newEnv(t)
	e.profile("scoped", "command = [\"sleep\", \"60\"]\n[limits]\npids = 100\nmemory = \"200M\"\n")
	l := e.start("launch", "scoped")
	if !e.waitState("scoped", "RUNNING", 30*time.Second) {
		t.Fatalf("not running:\n%s", l.out)
	}
	unit := fmt.Sprintf("lxcage-scoped-%d.scope", l.cmd.Process.Pid)
	uid := os.Getuid()
	scope := fmt.Sprintf("/user.slice/user-%d.slice/user@%d.service/app.slice/%s", uid, uid, unit)
	init := initPID(e.mustRun("status", "scoped").stdout)
	payload := scope + "/lxc.payload.scoped"
	if got := pidCgroup(t, init); got != payload+"/"+sandbox.InnerCgroup {
		t.Errorf("the container's init is in %s, want %s/%s", got, payload, sandbox.InnerCgroup)
	}
	// The limits are on the container's cgroup, out of its sight; the
	// inner one it runs in has none of its own.
	for file, want := range map[string]string{"memory.max": "209715200", "pids.max": "100", "inner/pids.max": "max"} {
		if got, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", payload, file)); err != nil || strings.TrimSpace(string(got)) != want {
			t.Errorf("%s/%s = %q (%v), want %s", payload, file, strings.TrimSpace(string(got)), err, want)
		}
	}
	if got := pidCgroup(t, strconv.Itoa(l.cmd.Process.Pid)); got != scope+"/lxcage.launcher" {
		t.Errorf("the launcher is in %s, want %s/lxcage.launcher", got, scope)
	}
	if got := systemctlUser(t, "show", "-p", "Delegate", "-p", "ActiveState", unit); got != "Delegate=yes\nActiveState=active" {
		t.Errorf("systemctl --user show %s:\n%s", unit, got)
	}
	top := filepath.Join("/sys/fs/cgroup", scope)
	if procs, err := os.ReadFile(filepath.Join(top, "cgroup.procs")); err != nil || len(strings.TrimSpace(string(procs))) != 0 {
		t.Errorf("the scope's top holds processes %q (%v): LXC cannot enable controllers there", procs, err)
	}
	if ctl, _ := os.ReadFile(filepath.Join(top, "cgroup.subtree_control")); !strings.Contains(string(ctl), "memory") || !strings.Contains(string(ctl), "pids") {
		t.Errorf("the scope hands on only %q", ctl)
	}

	e.mustRun("stop", "scoped")
	l.wait(t, 20*time.Second)
	deadline := time.Now().Add(15 * time.Second)
	for systemctlUser(t, "is-active", unit) == "active" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if st := systemctlUser(t, "is-active", unit); st == "active" {
		t.Errorf("%s is still %s after the container stopped", unit, st)
	}
	for time.Now().Before(deadline) {
		if _, err := os.Stat(top); errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("%s is left behind", top)
}

// TestSystemdWarmLaunch: a second launch of a running container attaches
// to it. From a login's session scope lxc-attach alone fails (EACCES: it
// may not move the app out of root's user-UID.slice), so the launcher
// moves itself into the user manager first.
func TestSystemdWarmLaunch(t *testing.T) {
	needSystemdHost(t)
	e := newEnv(t)
	e.profile("warm", `command = ["sh", "-c"]`)
	l := e.start("launch", "warm", "sleep 60")
	if !e.waitState("warm", "RUNNING", 30*time.Second) {
		t.Fatalf("not running:\n%s", l.out)
	}
	r := e.run("launch", "warm", "echo attached")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "attached" {
		t.Errorf("second launch: status %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	if r := e.run("launch", "warm", "exit 3"); r.code != 3 {
		t.Errorf("second launch's status %d, want 3\n%s", r.code, r.stderr)
	}
	e.mustRun("stop", "warm")
	l.wait(t, 20*time.Second)
}

// TestSystemdCheck: lxcage check says the host is ready; with the
// session bus out of reach it names what to do.
func TestSystemdCheck(t *testing.T) {
	needSystemdHost(t)
	e := newEnv(t)
	r := e.run("check")
	if r.code != 0 || !strings.Contains(r.stdout, "ok   cgroup delegation") || !strings.Contains(r.stdout, "systemd delegates a scope") {
		t.Errorf("check: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	noBus := *e
	noBus.extra = []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent"}
	r = noBus.run("check")
	if r.code == 0 || !strings.Contains(r.stdout, "FAIL cgroup delegation") || !strings.Contains(r.stdout, "fix: ") {
		t.Errorf("check without the session bus: status %d\n%s", r.code, r.stdout)
	}
}

// drmProbeMain runs inside a container (the test binary is shared in):
// for each node in LXCAGE_DRM_PROBE it opens it and asks the kernel's
// DRM driver for its name, and prints what happened.
func drmProbeMain() {
	for _, node := range strings.Split(os.Getenv("LXCAGE_DRM_PROBE"), ",") {
		fmt.Printf("%s: %s\n", filepath.Base(node), drmDriver(node))
	}
	os.Exit(0)
}

// drmDriver is the DRM driver's name behind node, or why it is not.
func drmDriver(node string) string {
	fd, err := unix.Open(node, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err.Error()
	}
	defer unix.Close(fd)
	// struct drm_version, with room for the name only.
	var v struct {
		major, minor, patch int32
		_                   int32
		nameLen             uint64
		name                *byte
		dateLen             uint64
		date                *byte
		descLen             uint64
		desc                *byte
	}
	name := make([]byte, 64)
	v.nameLen, v.name = uint64(len(name)), &name[0]
	const drmIoctlVersion = 0xc0406400 // DRM_IOWR(0x00, struct drm_version)
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), drmIoctlVersion, uintptr(unsafe.Pointer(&v))); e != 0 {
		return "ioctl: " + e.Error()
	}
	return "driver " + string(name[:min(int(v.nameLen), len(name))])
}

// TestGPUThroughACL: a user in neither the video nor the render group
// but holding logind's ACL on the render node (the VM's udev grants it,
// as logind does for the seat's user) reaches the GPU inside with
// gpu = true: the node opens and the driver answers. The card node, with
// no ACL for the user, stays closed inside too; with gpu off there is
// no /dev/dri.
func TestGPUThroughACL(t *testing.T) {
	nodes, _ := filepath.Glob("/dev/dri/renderD*")
	if os.Getenv("LXCAGE_TEST_SYSTEMD") == "" && len(nodes) == 0 {
		t.Skip("no render node (make test-vm runs this on a virtio GPU)")
	}
	need(t, len(nodes) > 0, "a render node under /dev/dri")
	render, card := nodes[0], "/dev/dri/card0"
	for _, n := range []string{render, card} {
		var st unix.Stat_t
		if err := unix.Stat(n, &st); err != nil {
			t.Fatal(err)
		}
		groups, _ := os.Getgroups()
		for _, g := range append(groups, os.Getgid()) {
			if uint32(g) == st.Gid {
				t.Fatalf("the test user is in group %d of %s: the ACL would not be what opens it", g, n)
			}
		}
	}
	acl, err := exec.Command("getfacl", "-p", render).Output()
	if err != nil || !strings.Contains(string(acl), "user:"+os.Getenv("USER")+":rw") {
		t.Fatalf("%s has no ACL entry for %s (%v):\n%s", render, os.Getenv("USER"), err, acl)
	}
	if d := drmDriver(render); !strings.HasPrefix(d, "driver ") {
		t.Fatalf("on the host %s: %s", render, d)
	}
	if d := drmDriver(card); !strings.Contains(d, "permission denied") {
		t.Fatalf("on the host the card node without an ACL: %s", d)
	}

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	profile := func(gpu bool) {
		e.profile("gpu", fmt.Sprintf(`command = ["/mnt/probe/%s"]
[access]
gpu = %v
[env]
LXCAGE_DRM_PROBE = "%s,%s"
[[share]]
host = %q
path = "/mnt/probe"
readonly = true
`, filepath.Base(self), gpu, render, card, filepath.Dir(self)))
	}
	profile(true)
	r := e.run("launch", "gpu")
	host := fmt.Sprintf("%s: %s\ncard0: %s\n", filepath.Base(render), drmDriver(render), syscall.EACCES.Error())
	if r.code != 0 || r.stdout != host {
		t.Errorf("gpu = true: status %d, the probe says\n%s\nwant\n%s%s", r.code, r.stdout, host, r.stderr)
	}
	e.run("stop", "gpu")
	profile(false)
	r = e.run("launch", "gpu")
	if want := fmt.Sprintf("%s: %s\ncard0: %s\n", filepath.Base(render), syscall.ENOENT.Error(), syscall.ENOENT.Error()); r.stdout != want {
		t.Errorf("gpu = false: the probe says\n%s\nwant\n%s%s", r.stdout, want, r.stderr)
	}
}
