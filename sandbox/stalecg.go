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
// The monitor of a run just stopped may still be on its way out of its
// cgroup: a busy tree gets 2 s.
func (l *LXC) clearStaleCgroups(name string) error {
	if err := l.removeCgroups(name, 2*time.Second); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

// RemoveCgroups removes the cgroups of container name once it has
// stopped. LXC's monitor removes them itself, but on this project's
// cgroup v1 hosts it sometimes leaves the tree (lxc.payload.NAME/inner in
// every hierarchy) until the next start of the container. As at a start,
// only empty cgroups go; a busy tree gets 200 ms, then stays (the error
// says whose).
func (l *LXC) RemoveCgroups(name string) error {
	if err := l.removeCgroups(name, 200*time.Millisecond); err != nil {
		return fmt.Errorf("stopped %s: %w", name, err)
	}
	return nil
}

// removeCgroups removes the trees of the cgroups named in container
// name's config (lxc.cgroup.dir.*), in every hierarchy, unless a cgroup
// of a tree still has processes after wait.
func (l *LXC) removeCgroups(name string, wait time.Duration) error {
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
			busy := cgroupInUse(dir)
			for deadline := time.Now().Add(wait); busy != "" && time.Now().Before(deadline); busy = cgroupInUse(dir) {
				time.Sleep(20 * time.Millisecond)
			}
			if busy != "" {
				return fmt.Errorf("the cgroup %s still has processes: another run of a container of this name (from another LXC path?) uses it", busy)
			}
			if err := RemoveCgroupTree(dir); err != nil {
				return fmt.Errorf("remove the empty cgroups of a run that ended: %w", err)
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

// RemoveCgroupTree removes the cgroup dir and the cgroups below it,
// deepest first; a cgroup that is gone already is no error, one that has
// processes is (rmdir: EBUSY), and what is above it stays.
func RemoveCgroupTree(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := RemoveCgroupTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := unix.Rmdir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("%s: %w", dir, err)
	}
	return nil
}
