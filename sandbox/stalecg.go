package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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
// next start is not refused. Only empty cgroups go: one that still has
// processes is another run of the container, and is reported.
func (l *LXC) clearStaleCgroups(name string) error {
	dirs, err := configValues(l.ConfigPath(name), keyCgroupContainer, keyCgroupMonitor)
	if err != nil || len(dirs) == 0 {
		return err
	}
	cg, err := ReadCgroups()
	if err != nil {
		return err
	}
	for _, h := range cg.Hierarchies {
		for _, d := range dirs {
			if err := removeCgroupTree(filepath.Join(h.Dir, d)); err != nil {
				return fmt.Errorf("start %s: a cgroup of an earlier run is still in use: %w", name, err)
			}
		}
	}
	return nil
}

// configValues returns the values of the given keys in an LXC config
// file; only relative paths without "..", as lxcage writes them.
func configValues(path string, keys ...string) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		for _, want := range keys {
			if k == want && v != "" && filepath.IsLocal(v) {
				out = append(out, v)
			}
		}
	}
	return out, sc.Err()
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
