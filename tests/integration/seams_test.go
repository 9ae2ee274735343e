//go:build integration

package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/sandbox"
)

// The seams with the host: what the launcher writes and what a share
// hands over, attacked from inside.

// TestEscapeRuntimeDirAndHome: an app that replaces everything it can
// write in its runtime dir and home with links to the user's files, then
// with FIFOs, leaves the user's files untouched over the next launches,
// and each next launch runs the app within seconds. The runtime dir is
// the container's own (a tmpfs), so nothing planted there survives; what
// the launcher gives it (the X cookie, the bus socket) is bound in
// read-only from a directory of the launcher's.
func TestEscapeRuntimeDirAndHome(t *testing.T) {
	e := newEnv(t)
	victim := filepath.Join(e.home, ".lxcage-victim")
	os.WriteFile(victim, []byte("untouched\n"), 0o600)
	t.Cleanup(func() { os.Remove(victim) })
	victimDir := filepath.Join(e.home, ".lxcage-victim-dir")
	os.MkdirAll(victimDir, 0o700)
	t.Cleanup(func() { os.RemoveAll(victimDir) })
	plant := func(kind string) string {
		mk := "ln -sf " + victim
		if kind == "fifo" {
			mk = "mkfifo"
		}
		var b strings.Builder
		b.WriteString("cd $XDG_RUNTIME_DIR; for f in Xauthority bus pulse/client.conf pulse/native pulse-client.conf .Xauthority x; do rm -rf \"$f\" 2>/dev/null; mkdir -p \"$(dirname \"$f\")\" 2>/dev/null; ")
		b.WriteString(mk + " \"$f\" 2>/dev/null; done; ")
		b.WriteString("ln -sfn " + victimDir + " pulse2 2>/dev/null; ")
		b.WriteString("cd $HOME; for f in .Xauthority .config .bashrc x; do rm -rf \"$f\"; " + mk + " \"$f\"; done; ")
		// Writing the cookie the launcher gave must fail: it is read-only.
		b.WriteString("! echo evil 2>/dev/null >$XAUTHORITY; echo planted-" + kind)
		return b.String()
	}
	bus := ""
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		bus = "dbus = \"filtered\"\n"
	}
	for _, kind := range []string{"link", "fifo", "link"} {
		e.profile("plant", `command = ["sh", "-c", "`+strings.ReplaceAll(plant(kind), `"`, `\"`)+`"]
[access]
x11 = true
`+bus)
		start := time.Now()
		r := e.run("launch", "plant")
		if r.code != 0 || !strings.Contains(r.stdout, "planted-"+kind) {
			t.Fatalf("launch after planting (%s): status %d\n%s%s", kind, r.code, r.stdout, r.stderr)
		}
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("launch took %v", took)
		}
		if b, _ := os.ReadFile(victim); string(b) != "untouched\n" {
			t.Fatalf("the user's file changed: %q", b)
		}
		if ents, _ := os.ReadDir(victimDir); len(ents) != 0 {
			t.Fatalf("files appeared in the user's directory: %v", ents)
		}
	}
	// Nothing planted survives into the next start: a fresh runtime dir.
	r := inside(t, e, "fresh", `test ! -e $XDG_RUNTIME_DIR/x && test ! -e $XDG_RUNTIME_DIR/pulse2 && echo fresh`, "[access]\nx11 = true\n")
	if !strings.Contains(r.stdout, "fresh") {
		t.Errorf("the runtime dir kept what the app planted: %s%s", r.stdout, r.stderr)
	}
}

// TestEscapeServiceDirs: the X11 proxy's and the sound server's sockets
// come in as their directories, bound read-only, so that the container
// can start while the mediators do. The app can use the sockets but
// neither replace them nor put anything next to them (a socket or link
// a mediator or the next start would find).
func TestEscapeServiceDirs(t *testing.T) {
	need(t, exec.Command("pactl", "info").Run() == nil, "a PulseAudio server for the user (hack/setup-host.sh starts one)")
	xconn(t) // a display for the proxy
	e := newEnv(t)
	var b strings.Builder
	for _, f := range []string{"/tmp/.X11-unix/X0", "$XDG_RUNTIME_DIR/pulse/native"} {
		d := path.Dir(f)
		fmt.Fprintf(&b, `rm -f %s 2>/dev/null && echo REMOVED %s; `, f, f)
		fmt.Fprintf(&b, `touch %s/evil 2>/dev/null && echo WROTE %s; `, d, d)
		fmt.Fprintf(&b, `ln -s /etc/passwd %s/X9 2>/dev/null && echo LINKED %s; `, d, d)
		fmt.Fprintf(&b, `mv %s %s.old 2>/dev/null && echo MOVED %s; `, f, f, f)
	}
	// The sound server's client config: the app's libpulse and the
	// daemon's tunnels read it; it is bound read-only on its own.
	b.WriteString(`f=$XDG_RUNTIME_DIR/pulse-client.conf; test -s $f || echo NO-CONF; `)
	b.WriteString(`echo autospawn = yes >>$f 2>/dev/null && echo WROTE $f; rm -f $f 2>/dev/null && echo REMOVED $f; mv $f $f.old 2>/dev/null && echo MOVED $f; `)
	b.WriteString(`xdpyinfo >/dev/null && echo X-WORKS; pactl info >/dev/null && echo SOUND-WORKS`)
	r := inside(t, e, "svcdirs", b.String(), "[access]\nx11 = true\npulseaudio = true\n")
	for _, bad := range []string{"REMOVED", "WROTE", "LINKED", "MOVED", "NO-CONF"} {
		if strings.Contains(r.stdout, bad) {
			t.Errorf("the app changed a mediator's directory:\n%s", r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "X-WORKS") || !strings.Contains(r.stdout, "SOUND-WORKS") {
		t.Errorf("the mediators do not answer through their directories: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestEscapeReadonlyShareSubmount: a read-only share is read-only all
// the way down. LXC makes only the top of a recursive bind read-only, so
// a read-only share is not recursive: a filesystem mounted below it on
// the host is not there at all, and cannot be written.
func TestEscapeReadonlyShareSubmount(t *testing.T) {
	dir := os.Getenv("LXCAGE_TEST_SUBMOUNT") // made by hack/setup-host.sh
	need(t, dir != "", "LXCAGE_TEST_SUBMOUNT (a directory with a tmpfs mounted at sub/)")
	e := newEnv(t)
	r := inside(t, e, "rosub", `! touch /mnt/ro/top 2>/dev/null && ! touch /mnt/ro/sub/x 2>/dev/null && echo held`,
		"[[share]]\nhost = \""+dir+"\"\npath = \"/mnt/ro\"\nreadonly = true\n")
	if !strings.Contains(r.stdout, "held") {
		t.Errorf("read-only share writable below its top: %s%s", r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "sub", "x")); err == nil {
		os.Remove(filepath.Join(dir, "sub", "x"))
		t.Error("the app wrote into a filesystem below a read-only share")
	}
}

// TestEscapeShareWithSocket: a share holding a Unix socket (an agent, a
// server) is refused at launch, the socket named; allow_sensitive lets it.
func TestEscapeShareWithSocket(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.cache, "withsock")
	os.MkdirAll(filepath.Join(dir, "agent"), 0o700)
	sock := filepath.Join(dir, "agent", "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e.profile("sock", "command = [\"true\"]\n[[share]]\nhost = \""+dir+"\"\nreadonly = true\n")
	r := e.run("launch", "sock")
	if r.code == 0 || !strings.Contains(r.stderr, sock) || !strings.Contains(r.stderr, "allow_sensitive") {
		t.Errorf("share with a socket: status %d, %s", r.code, r.stderr)
	}
	e.profile("sock", "command = [\"true\"]\n[[share]]\nhost = \""+dir+"\"\nreadonly = true\nallow_sensitive = true\n")
	if r := e.run("launch", "sock"); r.code != 0 {
		t.Errorf("allowed share refused: %s", r.stderr)
	}
}

// TestGuardedSharesRefused: sharing what the user's shell, session or
// menu runs, or where host sockets live, is refused with the risk and
// the fix, before anything starts.
func TestGuardedSharesRefused(t *testing.T) {
	e := newEnv(t)
	for i, host := range []string{"~/.bashrc", "~/.profile", "~/.local/bin", "~/.local/share/applications", "~/.config/autostart", "/tmp", "/tmp/.X11-unix", "/run/user/" + strconv.Itoa(os.Getuid())} {
		name := "guard" + strconv.Itoa(i)
		e.profile(name, "command = [\"true\"]\n[[share]]\nhost = \""+host+"\"\noptional = true\nreadonly = true\n")
		r := e.run("launch", name)
		if r.code == 0 || !strings.Contains(r.stderr, "allow_sensitive") || !strings.Contains(r.stderr, "would") {
			t.Errorf("%s: status %d, %s", host, r.code, r.stderr)
		}
		if e.state(name) == "RUNNING" {
			t.Errorf("%s: a container started", host)
		}
	}
}

// TestDefaultLimits: a profile without [limits] gets the defaults (half
// the RAM, 4096 pids), read from its cgroup, and a fork bomb stops at
// them. (The memory limit is the same cgroup file TestEscapeLimits hits
// with a small value; a hog of half this machine's RAM is not run.)
func TestDefaultLimits(t *testing.T) {
	e := newEnv(t)
	e.profile("deflim", "command = [\"sleep\", \"30\"]\n")
	l := e.start("launch", "deflim")
	if !e.waitState("deflim", "RUNNING", 10*time.Second) {
		t.Fatalf("not running:\n%s", l.out)
	}
	pid := initPID(e.mustRun("status", "deflim").stdout)
	pids, mem := cgroupValue(t, pid, "pids", "pids.max"), cgroupValue(t, pid, "memory", "memory.limit_in_bytes", "memory.max")
	e.run("stop", "deflim")
	if pids != "4096" {
		t.Errorf("pids.max = %q, want 4096", pids)
	}
	total := memTotalBytes(t)
	if n, _ := strconv.ParseInt(mem, 10, 64); n <= 0 || n > total/2 || n < total/2-(2<<20) {
		t.Errorf("memory limit %s, want half of %d", mem, total)
	}
	e.profile("bomb", `command = ["python3", "-c", "import os, time\nfor i in range(5000):\n    try:\n        if os.fork() == 0:\n            time.sleep(5); os._exit(0)\n    except OSError:\n        break\nprint(len([p for p in os.listdir('/proc') if p.isdigit()]))"]`)
	r := e.run("launch", "bomb")
	n, _ := strconv.Atoi(strings.TrimSpace(r.stdout))
	if n == 0 || n > 4096 {
		t.Errorf("%d processes under the default limit (status %d) %s", n, r.code, r.stderr)
	}
}

// TestEscapeHostNetworkCgroups: with network = "host" /sys is the host's,
// bound read-only all the way down: no file of the host's cgroup tree
// (or any other below /sys) is writable (a raised pids.max, a move out
// of the container's cgroup).
func TestEscapeHostNetworkCgroups(t *testing.T) {
	e := newEnv(t)
	r := inside(t, e, "hostnet", `test -n "$(ls -A /sys/fs/cgroup 2>/dev/null)" && test -z "$(find /sys -writable -type f 2>/dev/null | head -1)" && ! echo max 2>/dev/null >/sys/fs/cgroup/pids/pids.max && ! echo $$ 2>/dev/null >/sys/fs/cgroup/pids/cgroup.procs && echo held`,
		"[access]\nnetwork = \"host\"\n[limits]\npids = 50\n")
	if !strings.Contains(r.stdout, "held") {
		t.Errorf("host cgroup tree reachable with network = host: %s%s", r.stdout, r.stderr)
	}
}

// cgroupValue reads a limit of process pid's cgroup in the hierarchy
// holding ctrl (v1), or in the unified one (v2), trying each file name.
func cgroupValue(t *testing.T, pid, ctrl string, files ...string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		dir := filepath.Join("/sys/fs/cgroup", parts[2])
		if parts[1] != "" {
			if !strings.Contains(","+parts[1]+",", ","+ctrl+",") {
				continue
			}
			dir = filepath.Join("/sys/fs/cgroup", parts[1], parts[2])
		}
		// The limits are on the container's cgroup, above the inner one
		// its processes run in.
		dir = sandbox.LimitCgroupDir(dir)
		for _, f := range files {
			if v, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
				return strings.TrimSpace(string(v))
			}
		}
	}
	t.Fatalf("no %v for %s in\n%s", files, ctrl, b)
	return ""
}

// memTotalBytes is the machine's RAM.
func memTotalBytes(t *testing.T) int64 {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no MemTotal")
	return 0
}

// TestDegradeDontRefuse: what the profile asks for but the host lacks at
// launch (a sound server, a Wayland session) gives a warning and the app
// runs without it; listed in [access] require, it stops the launch with
// the reason and the fix.
func TestDegradeDontRefuse(t *testing.T) {
	e := newEnv(t)
	rt := filepath.Join(e.cache, "runtime")
	os.MkdirAll(rt, 0o700)
	os.Chmod(rt, 0o700)
	// A session without a sound server or Wayland: its own runtime dir.
	e.extra = append(e.extra, "XDG_RUNTIME_DIR="+rt, "PULSE_SERVER=unix:"+filepath.Join(rt, "nosuch"), "WAYLAND_DISPLAY=")
	e.profile("soft", "command = [\"sh\", \"-c\", \"echo ran\"]\n[access]\npulseaudio = true\nwayland = true\n")
	r := e.run("launch", "soft")
	if r.code != 0 || !strings.Contains(r.stdout, "ran") {
		t.Fatalf("launch without a sound server: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"running without sound", "running without Wayland"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("no warning %q in:\n%s", want, r.stderr)
		}
	}
	e.profile("hard", "command = [\"sh\", \"-c\", \"echo ran\"]\n[access]\npulseaudio = true\nrequire = [\"pulseaudio\"]\n")
	r = e.run("launch", "hard")
	if r.code == 0 || strings.Contains(r.stdout, "ran") || !strings.Contains(r.stderr, "PulseAudio") {
		t.Errorf("required sound without a server: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	e.profile("hardway", "command = [\"true\"]\n[access]\nwayland = true\nrequire = [\"wayland\"]\n")
	if r = e.run("launch", "hardway"); r.code == 0 || !strings.Contains(r.stderr, "access.wayland") {
		t.Errorf("required Wayland without a session: status %d\n%s", r.code, r.stderr)
	}
}

// TestHostImageSetup: a host-image profile with [setup] run builds (its
// build container has the host's resolv.conf bound in, which the DNS
// step must leave alone) and the app sees what setup made.
func TestHostImageSetup(t *testing.T) {
	e := newEnv(t)
	e.profile("hostsetup", "command = [\"cat\", \"/var/lib/made-by-setup\"]\n[setup]\nrun = [[\"sh\", \"-c\", \"echo made > /var/lib/made-by-setup\"]]\n")
	r := e.run("launch", "hostsetup")
	if r.code != 0 || !strings.Contains(r.stdout, "made") {
		t.Errorf("host image with [setup] run: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
