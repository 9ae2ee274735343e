//go:build integration

package integration

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/lxcage/lxcage/sandbox"
)

// fakeSystemd stands in for systemd's user manager (which cannot run
// here): on StartTransientUnit it does what systemd does for a scope with
// Delegate=yes — makes a cgroup the user owns and moves the PIDs in — on
// the real session bus.
type fakeSystemd struct {
	conn   *dbus.Conn
	parent string // cgroup the user owns, under which scopes are made

	mu    sync.Mutex
	calls []scopeCall
	jobs  uint32
	made  []string // the scopes' cgroups, in every hierarchy
}

type scopeCall struct {
	Unit     string
	PIDs     []uint32
	Delegate bool
}

type unitProp struct {
	Name  string
	Value dbus.Variant
}

type unitAux struct {
	Name  string
	Props []unitProp
}

// StartTransientUnit is systemd's method of that name.
func (f *fakeSystemd) StartTransientUnit(name, mode string, props []unitProp, aux []unitAux) (dbus.ObjectPath, *dbus.Error) {
	call := scopeCall{Unit: name}
	for _, p := range props {
		switch p.Name {
		case "PIDs":
			call.PIDs, _ = p.Value.Value().([]uint32)
		case "Delegate":
			call.Delegate, _ = p.Value.Value().(bool)
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.jobs++
	job := dbus.ObjectPath("/org/freedesktop/systemd1/job/" + strconv.Itoa(int(f.jobs)))
	id := f.jobs
	f.mu.Unlock()
	result := "done"
	if !call.Delegate || f.move(name, call.PIDs) != nil {
		result = "failed"
	}
	go f.conn.Emit("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager.JobRemoved", id, job, name, result)
	return job, nil
}

// move makes parent/unit in every v1 hierarchy and moves pids there.
func (f *fakeSystemd) move(unit string, pids []uint32) error {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + f.parent)
	for _, d := range dirs {
		u := filepath.Join(d, unit)
		if err := os.Mkdir(u, 0o755); err != nil && !os.IsExist(err) {
			return err
		}
		f.mu.Lock()
		f.made = append(f.made, u)
		f.mu.Unlock()
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if b, err := os.ReadFile(filepath.Join(d, f)); err == nil {
				os.WriteFile(filepath.Join(u, f), b, 0o644)
			}
		}
		for _, pid := range pids {
			if err := os.WriteFile(filepath.Join(u, "cgroup.procs"), []byte(strconv.Itoa(int(pid))), 0o644); err != nil && !strings.Contains(d, "unified") {
				return err
			}
		}
	}
	return nil
}

// endScopes removes the scopes' cgroups, as systemd does when a scope's
// last process has gone; each CI run would otherwise leave one in each of
// the test user's hierarchies. A scope that keeps a process for 5 s is a
// process the launch left behind.
func (f *fakeSystemd) endScopes(t *testing.T) {
	f.mu.Lock()
	made := f.made
	f.mu.Unlock()
	for _, dir := range made {
		err := sandbox.RemoveCgroupTree(dir)
		for deadline := time.Now().Add(5 * time.Second); err != nil && time.Now().Before(deadline); err = sandbox.RemoveCgroupTree(dir) {
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("the scope's cgroup still has processes after the launch ended: %v\n%s", err, scopeProcs(dir))
		}
	}
}

// scopeProcs lists the processes in the cgroups at and below dir.
func scopeProcs(dir string) string {
	var out strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "cgroup.procs" {
			procs, _ := os.ReadFile(p)
			for _, pid := range strings.Fields(string(procs)) {
				cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
				fmt.Fprintf(&out, "%s: %s %s\n", filepath.Dir(p), pid, strings.ReplaceAll(string(cmd), "\x00", " "))
			}
		}
		return nil
	})
	return out.String()
}

// TestSystemdDelegation runs in a cgroup the user may join but not create
// cgroups in (hack/test.sh runs it separately, placed in lxcage-nodeleg),
// as on a systemd desktop before delegation: lxcage must ask systemd for a
// delegated scope, and the container then starts.
func TestSystemdDelegation(t *testing.T) {
	need(t, os.Getenv("LXCAGE_TEST_NODELEG") != "", "running in a non-delegated cgroup (LXCAGE_TEST_NODELEG=1, see hack/test.sh)")
	need(t, os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "", "a session dbus-daemon")
	if ownsAllCgroups(t) {
		t.Fatal("the test process already owns its cgroups; it must run in lxcage-nodeleg")
	}
	e := newEnv(t)
	e.profile("scoped", `command = ["true"]`)

	// Without systemd: a clear error with the commands that fix it.
	noBus := *e
	noBus.extra = []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent"}
	r := noBus.run("launch", "scoped")
	if r.code == 0 || !strings.Contains(r.stderr, "may not create cgroups") || !strings.Contains(r.stderr, "chown -R") || !strings.Contains(r.stderr, "systemd-run --user --scope -p Delegate=yes") {
		t.Errorf("without systemd: status %d\n%s", r.code, r.stderr)
	}
	if r := noBus.run("check"); r.code == 0 || !strings.Contains(r.stdout, "FAIL cgroup delegation") {
		t.Errorf("check without systemd: %d\n%s", r.code, r.stdout)
	}

	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f := &fakeSystemd{conn: conn, parent: os.Getenv("LXCAGE_TEST_SCOPE_PARENT")}
	if f.parent == "" {
		f.parent = "lxcage-test"
	}
	if err := conn.Export(f, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.systemd1", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own org.freedesktop.systemd1: %v %v", reply, err)
	}
	defer conn.ReleaseName("org.freedesktop.systemd1")
	defer f.endScopes(t)

	if r := e.run("check"); !strings.Contains(r.stdout, "ask systemd for a delegated scope") {
		t.Errorf("check with systemd:\n%s", r.stdout)
	}
	r = e.run("launch", "scoped")
	if r.code != 0 {
		t.Fatalf("launch through a systemd scope: %d\n%s", r.code, r.stderr)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) != 1 || !f.calls[0].Delegate || len(f.calls[0].PIDs) != 1 || !strings.HasPrefix(f.calls[0].Unit, "lxcage-scoped-") || !strings.HasSuffix(f.calls[0].Unit, ".scope") {
		t.Errorf("StartTransientUnit calls: %+v", f.calls)
	}
	if s := e.state("scoped"); s != "STOPPED" {
		t.Errorf("container %s", s)
	}
}

// ownsAllCgroups reports whether every cgroup of this process is
// writable, as after delegation.
func ownsAllCgroups(t *testing.T) bool {
	fh, err := os.Open("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue
		}
		ctrl := strings.TrimPrefix(parts[1], "name=")
		dir := filepath.Join("/sys/fs/cgroup", ctrl, parts[2])
		if syscall.Access(dir, 2 /* W_OK */) != nil {
			return false
		}
	}
	return true
}
