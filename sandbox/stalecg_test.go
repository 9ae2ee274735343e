package sandbox

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestLimitCgroupDir(t *testing.T) {
	for in, want := range map[string]string{
		"/sys/fs/cgroup/u/lxc.payload.eyes/inner": "/sys/fs/cgroup/u/lxc.payload.eyes",
		"/sys/fs/cgroup/u/lxc.payload.eyes":       "/sys/fs/cgroup/u/lxc.payload.eyes",
		"/sys/fs/cgroup/u/lxc.payload.inner-x":    "/sys/fs/cgroup/u/lxc.payload.inner-x",
	} {
		if got := LimitCgroupDir(in); got != want {
			t.Errorf("LimitCgroupDir(%s) = %s, want %s", in, got, want)
		}
	}
	if got := LimitCgroupDir(ContainerCgroupDir("/c/lxc.payload.eyes/inner/.lxc")); got != "/c/lxc.payload.eyes" {
		t.Errorf("init in a leaf of the inner cgroup: %s", got)
	}
}

// TestCgroupNamesTakesOnlyLocalPaths: the cgroup names a start clears
// come from the container's config; none may lead out of the cgroup
// lxc-start runs in.
func TestCgroupNamesTakesOnlyLocalPaths(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config")
	os.WriteFile(p, []byte("lxc.uts.name = x\nlxc.cgroup.dir.monitor = lxc.monitor.x\n"+
		"lxc.cgroup.dir.container=lxc.payload.x\nlxc.cgroup.dir.container = ../escape\n"+
		"lxc.cgroup.dir.container = /abs\nlxc.cgroup.dir.container.inner = inner\n"), 0o600)
	conf, err := ReadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := cgroupNames(conf); len(got) != 2 || got[0] != "lxc.monitor.x" || got[1] != "lxc.payload.x" {
		t.Errorf("got %q", got)
	}
	if _, err := ReadConfig(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no config: %v", err)
	}
}

// TestRemoveCgroupTree removes a tree of empty directories deepest
// first (as cgroupfs wants) and stops at one that cannot go.
func TestRemoveCgroupTree(t *testing.T) {
	base := t.TempDir()
	top := filepath.Join(base, "lxc.payload.x")
	os.MkdirAll(filepath.Join(top, "inner", ".lxc"), 0o755)
	os.MkdirAll(filepath.Join(top, "other"), 0o755)
	if err := RemoveCgroupTree(top); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(top); !os.IsNotExist(err) {
		t.Errorf("still there: %v", err)
	}
	if err := RemoveCgroupTree(top); err != nil {
		t.Errorf("a cgroup already gone: %v", err)
	}
	// A file stands for a cgroup with processes: rmdir fails.
	os.MkdirAll(filepath.Join(top, "inner"), 0o755)
	os.WriteFile(filepath.Join(top, "inner", "busy"), nil, 0o644)
	if err := RemoveCgroupTree(top); err == nil {
		t.Error("removed a cgroup in use")
	}
}

// TestCgroupInUse: a tree with processes anywhere is left whole.
func TestCgroupInUse(t *testing.T) {
	top := filepath.Join(t.TempDir(), "lxc.payload.x")
	os.MkdirAll(filepath.Join(top, "inner", "system.slice"), 0o755)
	os.MkdirAll(filepath.Join(top, "inner", "user.slice"), 0o755)
	if busy := cgroupInUse(top); busy != "" {
		t.Errorf("an empty tree in use at %s", busy)
	}
	os.WriteFile(filepath.Join(top, "inner", "user.slice", "cgroup.procs"), []byte("1234\n"), 0o644)
	if busy := cgroupInUse(top); busy != filepath.Join(top, "inner", "user.slice") {
		t.Errorf("in use at %q, want the user.slice", busy)
	}
}
