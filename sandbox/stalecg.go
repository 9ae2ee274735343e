package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Config keys that name a container's cgroups below the cgroup lxc-start
// runs in. With them LXC no longer picks a free name (lxc.payload.NAME-1,
// -2 …): it refuses to start while a cgroup of that name exists.
const (
	keyCgroupContainer = "lxc.cgroup.dir.container"
	keyCgroupMonitor   = "lxc.cgroup.dir.monitor"
)

// clearStaleCgroups removes what an earlier run of container name left
// of its cgroups (LXC leaves them behind when it is killed, and on this
// project's cgroup v1 test hosts sometimes when it is not), so that the
// next start is not refused. Only a tree of empty cgroups goes: one with
// processes anywhere is another run of the container, and is reported.
func (l *LXC) clearStaleCgroups(name string) error {
	conf, err := ReadConfig(l.ConfigPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	dirs := cgroupNames(conf)
	if len(dirs) == 0 {
		return nil
	}
	cg, err := ReadCgroups()
	if err != nil {
		return err
	}
	for _, h := range cg.Hierarchies {
		for _, d := range dirs {
			dir := filepath.Join(h.Dir, d)
			// The monitor of a run just stopped may still be on its way
			// out of its cgroup.
			busy := cgroupInUse(dir)
			for deadline := time.Now().Add(2 * time.Second); busy != "" && time.Now().Before(deadline); busy = cgroupInUse(dir) {
				time.Sleep(20 * time.Millisecond)
			}
			if busy != "" {
				return fmt.Errorf("start %s: the cgroup %s still has processes: another run of a container of this name (from another LXC path?) uses it", name, busy)
			}
			if err := removeCgroupTree(dir); err != nil {
				return fmt.Errorf("start %s: remove what an earlier run left: %w", name, err)
			}
		}
	}
	return nil
}

// cgroupInUse returns the first cgroup at or below dir that has
// processes, or "". Nothing is removed while any has: the empty cgroups
// below a running container's are that container's own.
func cgroupInUse(dir string) string {
	if b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return dir
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.IsDir() {
			if busy := cgroupInUse(filepath.Join(dir, e.Name())); busy != "" {
				return busy
			}
		}
	}
	return ""
}

// cgroupNames are the container's cgroup names in its config, in order;
// only relative paths without "..", as lxcage writes them.
func cgroupNames(c *Config) []string {
	var out []string
	for _, l := range c.Lines {
		if (l.Key == keyCgroupContainer || l.Key == keyCgroupMonitor) && l.Value != "" && filepath.IsLocal(l.Value) {
			out = append(out, l.Value)
		}
	}
	return out
}

// removeCgroupTree removes the cgroup dir and the cgroups below it,
// deepest first; a cgroup that is gone already is no error.
func removeCgroupTree(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := removeCgroupTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := unix.Rmdir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("%s: %w", dir, err)
	}
	return nil
}
