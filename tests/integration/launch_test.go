//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procsNamed finds host processes whose command name is comm and that run
// in another PID namespace (inside a container), with their uids.
func procsNamed(comm string) map[int]int {
	self, _ := os.Readlink("/proc/self/ns/pid")
	out := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil || strings.TrimSpace(string(b)) != comm {
			continue
		}
		ns, err := os.Readlink("/proc/" + e.Name() + "/ns/pid")
		if err != nil || ns == self {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat("/proc/"+e.Name(), &st) == nil {
			out[pid] = int(st.Uid)
		}
	}
	return out
}

// TestXeyesWindow is the headline: a profile from the xeyes preset shows
// its window, runs as the user, and when the window is killed the
// launcher exits with xeyes' status and the container is stopped.
func TestXeyesWindow(t *testing.T) {
	e := newEnv(t)
	x := xconn(t)
	e.mustRun("new", "eyes", "--preset", "xeyes")
	conf := e.mustRun("compile", "eyes").stdout
	for _, want := range []string{"lxc.idmap = u " + strconv.Itoa(os.Getuid()) + " " + strconv.Itoa(os.Getuid()) + " 1", "tmp/.X11-unix none bind,ro,", "lxc.net.0.type = empty"} {
		if !strings.Contains(conf, want) {
			t.Errorf("compiled config lacks %q:\n%s", want, conf)
		}
	}
	l := e.start("launch", "eyes", "--", "-geometry", "120x90")
	w, ok := waitWindow(t, x, "xeyes", 20*time.Second)
	if !ok {
		t.Fatalf("no xeyes window; launcher output:\n%s", l.out)
	}
	procs := procsNamed("xeyes")
	if len(procs) == 0 {
		t.Fatal("no xeyes process in a container")
	}
	for pid, uid := range procs {
		if uid != os.Getuid() {
			t.Errorf("xeyes (pid %d) runs as uid %d on the host, want the user's %d", pid, uid, os.Getuid())
		}
	}
	if st := e.state("eyes"); st != "RUNNING" {
		t.Errorf("container is %s while xeyes runs", st)
	}
	status := e.mustRun("status", "eyes").stdout
	if !strings.Contains(status, "running") || !strings.Contains(status, "launches: 1") {
		t.Errorf("status:\n%s", status)
	}
	killed := time.Now()
	killClient(t, x, w)
	code := l.wait(t, 10*time.Second)
	// xeyes exits 1 when its X connection dies; the launcher passes it on.
	if code != 1 {
		t.Errorf("launcher exit status %d, want xeyes' 1; output:\n%s", code, l.out)
	}
	if st := e.state("eyes"); st != "STOPPED" {
		t.Errorf("container %s after the launcher exited", st)
	}
	if d := l.ended.Sub(killed); d > time.Second {
		t.Errorf("container stopped %v after the window was killed, want ≤ 1s", d)
	}
	t.Logf("stopped %v after the kill", l.ended.Sub(killed))
}

// TestForkedChildKeepsContainer: the app's first process exits at once,
// leaving a child; the container lives until the child is gone.
func TestForkedChildKeepsContainer(t *testing.T) {
	e := newEnv(t)
	e.profile("forker", `command = ["sh", "-c", "sleep 3 & exit 0"]`)
	l := e.start("launch", "forker")
	e.waitAppProc("forker", "sleep", 20*time.Second)
	if st := e.state("forker"); st != "RUNNING" {
		t.Fatalf("container %s while the child still runs; output:\n%s", st, l.out)
	}
	if code := l.wait(t, 15*time.Second); code != 0 {
		t.Errorf("status %d, want the first process's 0", code)
	}
	if took := l.ended.Sub(l.starts); took < 2500*time.Millisecond {
		t.Errorf("launch ended after %v, before the child (3 s)", took)
	}
	if st := e.state("forker"); st != "STOPPED" {
		t.Errorf("container %s after the child ended", st)
	}
}

// TestConcurrentLaunches: three launches of one profile share one
// container, which stops only after the last.
func TestConcurrentLaunches(t *testing.T) {
	e := newEnv(t)
	e.profile("sleeper", `command = ["sleep"]`)
	var ls []*started
	for _, d := range []string{"1", "3", "8"} {
		ls = append(ls, e.start("launch", "sleeper", d))
	}
	// As each launch ends the container stays up for the others (polled:
	// a slow machine, such as the emulated VM of make test-vm, takes
	// seconds to start the first; the last app outlives the second by 5 s,
	// so a status taken slowly still sees it run).
	st := e.waitStatus("sleeper", "launches: 2", 15*time.Second)
	if !strings.Contains(st, "running") || !strings.Contains(st, "launches: 2") {
		t.Errorf("after the 1 s launch want running with 2 launches:\n%s", st)
	}
	pid1 := initPID(st)
	st = e.waitStatus("sleeper", "launches: 1", 15*time.Second)
	if !strings.Contains(st, "running") || initPID(st) != pid1 || pid1 == "" {
		t.Errorf("after the 3 s launch want the same running container (init %s):\n%s", pid1, st)
	}
	for i, l := range ls {
		if code := l.wait(t, 20*time.Second); code != 0 {
			t.Errorf("launch %d: status %d\n%s", i, code, l.out)
		}
	}
	if s := e.state("sleeper"); s != "STOPPED" {
		t.Errorf("container %s after the last launch", s)
	}
	if d := ls[2].ended.Sub(ls[2].starts); d < 7500*time.Millisecond {
		t.Errorf("last launch ended after %v", d)
	}
}

// waitStatus polls lxcage status NAME until it contains want, and
// returns the last status.
func (e *tenv) waitStatus(name, want string, timeout time.Duration) string {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := e.mustRun("status", name).stdout
		if strings.Contains(st, want) || time.Now().After(deadline) {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitAppProc waits until a process named comm runs as this user in
// the container of profile name: a container is RUNNING before
// lxc-attach has started the app in it.
func (e *tenv) waitAppProc(name, comm string, timeout time.Duration) {
	e.t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		init := initPID(e.run("status", name).stdout)
		ns, err := os.Readlink("/proc/" + init + "/ns/pid")
		if init == "" || err != nil {
			continue
		}
		for pid, uid := range procsNamed(comm) {
			if l, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid"); uid == os.Getuid() && l == ns {
				return
			}
		}
	}
	e.t.Fatalf("no %s of this user in container %s after %v", comm, name, timeout)
}

func initPID(status string) string {
	i := strings.Index(status, "init pid: ")
	if i < 0 {
		return ""
	}
	f := strings.FieldsFunc(status[i+len("init pid: "):], func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// TestKilledLauncher: a launcher killed with SIGKILL leaves nothing that
// blocks the next launch, and its container is still stopped once its app
// ends (by the watchdog, with no further launch).
func TestKilledLauncher(t *testing.T) {
	e := newEnv(t)
	e.profile("victim", `command = ["sleep"]`)
	l := e.start("launch", "victim", "3")
	if !e.waitState("victim", "RUNNING", 10*time.Second) {
		t.Fatalf("never running:\n%s", l.out)
	}
	e.waitAppProc("victim", "sleep", 10*time.Second)
	killLauncher(t, l)
	// The next launch works at once, even while the orphan still runs,
	// and the container is stopped once both are done.
	r := e.run("launch", "victim", "0")
	if r.code != 0 {
		t.Fatalf("next launch: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if s := e.state("victim"); s != "STOPPED" {
		t.Errorf("after the orphan app ended and the next launch finished: %s", s)
	}

	// Now with no next launch: the watchdog stops the container.
	l = e.start("launch", "victim", "3")
	if !e.waitState("victim", "RUNNING", 10*time.Second) {
		t.Fatalf("never running:\n%s", l.out)
	}
	e.waitAppProc("victim", "sleep", 10*time.Second)
	killLauncher(t, l)
	time.Sleep(500 * time.Millisecond)
	if s := e.state("victim"); s != "RUNNING" {
		t.Errorf("container %s while the orphaned app still runs", s)
	}
	if !e.waitState("victim", "STOPPED", 6*time.Second) {
		t.Errorf("watchdog did not stop the container after the orphaned app ended: %s", e.state("victim"))
	}
	// And the state it left does not block the next launch.
	if r := e.run("launch", "victim", "0"); r.code != 0 {
		t.Errorf("launch after watchdog stop: %d %s", r.code, r.stderr)
	}
}

// killLauncher sends SIGKILL to a launcher and waits until it is gone
// (its app, holding the output pipe, may live on).
func killLauncher(t *testing.T, l *started) {
	t.Helper()
	pid := l.cmd.Process.Pid
	l.cmd.Process.Kill()
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("launcher survived SIGKILL")
}

// TestSessionHelpersDoNotHoldContainer: a session bus daemon the app
// leaves behind does not keep the container up.
func TestSessionHelpersDoNotHoldContainer(t *testing.T) {
	e := newEnv(t)
	e.profile("helper", `command = ["sh", "-c", "dbus-daemon --session --fork --print-address >/dev/null && sleep 0.5"]`)
	r := e.run("launch", "helper")
	if r.code != 0 {
		t.Fatalf("status %d\n%s", r.code, r.stderr)
	}
	if s := e.state("helper"); s != "STOPPED" {
		t.Errorf("container %s: a leftover dbus-daemon held it", s)
	}
}

// TestExitStatusAndSignals: the launcher's status is the app's, and
// SIGTERM to the launcher reaches the app.
func TestExitStatusAndSignals(t *testing.T) {
	e := newEnv(t)
	e.profile("sh", `command = ["sh", "-c"]`)
	if r := e.run("launch", "sh", "exit 7"); r.code != 7 {
		t.Errorf("status %d, want 7 (%s)", r.code, r.stderr)
	}
	if r := e.run("launch", "sh", "--", "kill -TERM $$"); r.code != 128+15 {
		t.Errorf("status %d, want 143", r.code)
	}
	e.profile("missing", `command = ["no-such-program-here"]`)
	if r := e.run("launch", "missing"); r.code != 127 {
		t.Errorf("missing program: status %d, want 127 (%s)", r.code, r.stderr)
	}
	// SIGTERM to the launcher is passed to the app, which dies of it.
	l := e.start("launch", "sh", "sleep 30")
	if !e.waitState("sh", "RUNNING", 10*time.Second) {
		t.Fatal("never running")
	}
	time.Sleep(500 * time.Millisecond)
	l.cmd.Process.Signal(syscall.SIGTERM)
	if code := l.wait(t, 5*time.Second); code != 128+15 {
		t.Errorf("after SIGTERM: status %d, want 143\n%s", code, l.out)
	}
	if s := e.state("sh"); s != "STOPPED" {
		t.Errorf("container %s", s)
	}
}

// TestShare: a file written into a share appears on the host, owned by
// the user; the rest of the home stays invisible.
func TestShare(t *testing.T) {
	e := newEnv(t)
	shared := filepath.Join(t.TempDir(), "my shared dir")
	os.MkdirAll(shared, 0o755)
	os.Chmod(filepath.Dir(shared), 0o755)
	secret := filepath.Join(e.home, ".lxcage-test-secret")
	os.WriteFile(secret, []byte("secret"), 0o600)
	defer os.Remove(secret)
	e.profile("share", `command = ["sh", "-c", "echo hello > \"/home/user/in here/out.txt\" && ! test -e `+secret+` && ! test -e /home/user/.lxcage-test-secret && test $(readlink -f `+e.home+`) = /home/user"]

[[share]]
host = "`+shared+`"
path = "/home/user/in here"
`)
	r := e.run("launch", "share")
	if r.code != 0 {
		t.Fatalf("app failed (%d): a check inside failed or the write did\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(shared, "out.txt"))
	if err != nil || string(b) != "hello\n" {
		t.Fatalf("file from the container: %q %v", b, err)
	}
	var st syscall.Stat_t
	syscall.Stat(filepath.Join(shared, "out.txt"), &st)
	if int(st.Uid) != os.Getuid() {
		t.Errorf("file owned by uid %d, want %d", st.Uid, os.Getuid())
	}
}

// TestAppStartsAtHome: wherever lxcage is started from, the app starts in
// its own home inside (through a link at the host home's path, with no
// wrapper process).
func TestAppStartsAtHome(t *testing.T) {
	e := newEnv(t)
	e.profile("where", `command = ["sh", "-c", "pwd -P; echo $HOME"]`)
	for _, dir := range []string{"/", os.TempDir(), e.home} {
		cmd := e.cmd("launch", "where")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil || string(out) != "/home/user\n/home/user\n" {
			t.Errorf("started from %s: %q %v", dir, out, err)
		}
	}
}

// TestWarmLaunchSeesProfileEdits: a launch into a running container takes
// the recorded plan only while the profile file is unchanged; after an
// edit it reads the profile again.
func TestWarmLaunchSeesProfileEdits(t *testing.T) {
	e := newEnv(t)
	e.profile("warm", "command = [\"sh\", \"-c\"]\n[env]\nFOO = \"one\"\n")
	l := e.start("launch", "warm", "sleep 30")
	defer e.run("stop", "warm")
	if !e.waitState("warm", "RUNNING", 10*time.Second) {
		t.Fatalf("not running:\n%s", l.out)
	}
	if r := e.run("launch", "warm", "echo $FOO"); r.stdout != "one\n" {
		t.Errorf("warm launch: %q %s", r.stdout, r.stderr)
	}
	time.Sleep(20 * time.Millisecond) // a new modification time
	e.profile("warm", "command = [\"sh\", \"-c\"]\n[env]\nFOO = \"two\"\n")
	if r := e.run("launch", "warm", "echo $FOO"); r.stdout != "two\n" {
		t.Errorf("warm launch after the edit: %q %s", r.stdout, r.stderr)
	}
}
