package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/internal/run/runtest"
)

func TestInUserManager(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want bool
	}{
		{"/sys/fs/cgroup/user.slice/user-1001.slice/user@1001.service/app.slice/app-gnome-firefox-42.scope", true},
		{"/sys/fs/cgroup/user.slice/user-1001.slice/user@1001.service", true},
		{"/sys/fs/cgroup/user.slice/user-1001.slice/session-3.scope", false},
		{"/sys/fs/cgroup/user.slice/user-1001.slice/user@10011.service/app.slice", false},
		{"/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice", false}, // another user's
		{"/sys/fs/cgroup/lxcage-test", false},
	} {
		if got := InUserManager(tc.dir, 1001); got != tc.want {
			t.Errorf("InUserManager(%s, 1001) = %v, want %v", tc.dir, got, tc.want)
		}
	}
}

func TestUnifiedOnly(t *testing.T) {
	v2 := Hierarchy{Mount: "/sys/fs/cgroup", Dir: "/sys/fs/cgroup/user.slice"}
	v1 := Hierarchy{Controllers: "memory", Mount: "/sys/fs/cgroup/memory", Dir: "/sys/fs/cgroup/memory/user.slice"}
	named := Hierarchy{Controllers: "name=systemd", Mount: "/sys/fs/cgroup/systemd", Dir: "/sys/fs/cgroup/systemd/user.slice"}
	for _, tc := range []struct {
		name string
		hs   []Hierarchy
		want bool
	}{
		{"unified only", []Hierarchy{v2}, true},
		{"hybrid", []Hierarchy{v1, named, v2}, false},
		{"systemd's named v1 and v2", []Hierarchy{named, v2}, false},
		{"v1 only", []Hierarchy{v1}, false},
	} {
		if got := (&Cgroups{Hierarchies: tc.hs}).UnifiedOnly(); got != tc.want {
			t.Errorf("%s: UnifiedOnly = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestEnterLeaf: the launcher leaves the scope's top for a leaf of its
// own, so the top holds no process when LXC enables controllers there.
func TestEnterLeaf(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lxcage-eyes-42.scope")
	os.Mkdir(dir, 0o755)
	s, err := enterLeaf("lxcage-eyes-42.scope", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := os.ReadFile(filepath.Join(dir, launcherLeaf, "cgroup.procs"))
	if err != nil || string(got) != strconv.Itoa(os.Getpid()) {
		t.Errorf("leaf cgroup.procs = %q, %v; want this process", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err == nil {
		t.Error("something was written to the top's cgroup.procs")
	}
	if s.Dir != dir || s.Unit != "lxcage-eyes-42.scope" {
		t.Errorf("scope %+v", s)
	}
	// A scope whose directory cannot take the leaf is an error, not a
	// start in the wrong place.
	if _, err := enterLeaf("gone.scope", filepath.Join(dir, "missing", "x")); err == nil {
		t.Error("enterLeaf on a missing directory worked")
	}
}

// TestScopeRunnerStartsOnlyLXCStart: lxc-start forks into the scope's
// top; lxc-attach and the rest stay with the caller (the top cannot take
// a process once LXC has enabled controllers in it).
func TestScopeRunnerStartsOnlyLXCStart(t *testing.T) {
	top, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	f := runtest.New(t, map[string]runtest.Answer{"lxc-info": {Out: "RUNNING\n"}})
	r := scopeRunner{Runner: f, top: top}
	start := r.command("lxc-start", "-n", "eyes", "-d")
	if start.SysProcAttr == nil || !start.SysProcAttr.UseCgroupFD || start.SysProcAttr.CgroupFD != int(top.Fd()) {
		t.Errorf("lxc-start does not start in the scope: %+v", start.SysProcAttr)
	}
	if attach := r.command("lxc-attach", "-n", "eyes"); attach.SysProcAttr != nil {
		t.Errorf("lxc-attach starts in the scope's top: %+v", attach.SysProcAttr)
	}
	if out, err := r.Run(context.Background(), nil, "lxc-info", "-n", "eyes", "-s", "-H"); err != nil || string(out) != "RUNNING\n" {
		t.Errorf("lxc-info through the scope runner: %q %v", out, err)
	}
	want := []string{"lxc-start -n eyes -d", "lxc-attach -n eyes", "lxc-info -n eyes -s -H"}
	if !reflect.DeepEqual(f.Calls(), want) {
		t.Errorf("calls %q, want %q", f.Calls(), want)
	}
}

// TestScopeRunnerReportsToolErrors: a failed lxc-start is a *run.ToolError
// with its stderr, as from ExecRunner.
func TestScopeRunnerReportsToolErrors(t *testing.T) {
	top, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	// A plain directory is no cgroup: the fork into it fails, and that
	// failure must surface.
	r := scopeRunner{Runner: run.Exec{}, top: top}
	_, err = r.Run(context.Background(), nil, "lxc-start", "--version")
	var te *run.ToolError
	if err == nil || !asToolError(err, &te) || te.Tool != "lxc-start" {
		t.Fatalf("lxc-start into a non-cgroup: %v", err)
	}
}

func asToolError(err error, te **run.ToolError) bool {
	e, ok := err.(*run.ToolError)
	*te = e
	return ok
}

func TestDelegatedControllers(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "user.slice", "user-1001.slice", "user@1001.service")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "cgroup.controllers"), []byte("cpu memory pids\n"), 0o644)
	if got := DelegatedControllers(root, 1001); !reflect.DeepEqual(got, []string{"cpu", "memory", "pids"}) {
		t.Errorf("DelegatedControllers = %q", got)
	}
	if got := DelegatedControllers(root, 1002); got != nil {
		t.Errorf("no user manager: %q", got)
	}
}
