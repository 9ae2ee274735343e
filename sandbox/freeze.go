package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// FrozenCgroup is a container's cgroup frozen by Freeze: none of its processes
// runs an instruction of its own until Thaw, and neither does a process
// that joins it meanwhile (the kernel freezes a task moved into a frozen
// cgroup, v1 and v2 alike). So lxc-attach can set the app up while the
// container's network comes up: the app's process waits, frozen, on its
// way to exec, and nothing in the container meets a network that is not
// finished.
type FrozenCgroup struct {
	dir      string // the cgroup
	file     string // freezer.state (v1) or cgroup.freeze (v2)
	frozen   string
	thawed   string
	released bool
}

// ErrNoFreezer is a container whose cgroup the user cannot freeze (no
// freezer hierarchy of the user's, or a v2 cgroup without cgroup.freeze).
var ErrNoFreezer = errors.New("no freezer for the container's cgroup")

// Freeze freezes the cgroup of pid, a container's init. It prefers the
// v1 freezer hierarchy, where LXC puts the container and lxc-attach its
// app when the user owns every v1 hierarchy, then the unified one (LXC's
// only otherwise).
func Freeze(pid int) (*FrozenCgroup, error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	theirs, err := freezerDirs(mounts, strconv.Itoa(pid))
	if err != nil {
		return nil, fmt.Errorf("freeze: %w", err)
	}
	ours, err := freezerDirs(mounts, "self")
	if err != nil {
		return nil, fmt.Errorf("freeze: %w", err)
	}
	// Never a cgroup the caller is in (or below): where LXC left the
	// container in the user's own cgroup of a hierarchy (a v1 one it
	// skipped, not all being the user's), freezing it would freeze the
	// launch itself, and nothing would thaw it.
	v1, v2 := theirs[0], theirs[1]
	if within(ours[0], v1) {
		v1 = ""
	}
	if within(ours[1], v2) {
		v2 = ""
	}
	f := &FrozenCgroup{}
	switch {
	case v1 != "" && writable(filepath.Join(v1, "freezer.state")):
		*f = FrozenCgroup{dir: v1, file: filepath.Join(v1, "freezer.state"), frozen: "FROZEN", thawed: "THAWED"}
	case v2 != "" && writable(filepath.Join(v2, "cgroup.freeze")):
		*f = FrozenCgroup{dir: v2, file: filepath.Join(v2, "cgroup.freeze"), frozen: "1", thawed: "0"}
	default:
		return nil, ErrNoFreezer
	}
	if err := os.WriteFile(f.file, []byte(f.frozen), 0); err != nil {
		return nil, fmt.Errorf("freeze %s: %w", f.dir, err)
	}
	return f, nil
}

// Thaw lets the container's processes run again. A second call does
// nothing.
func (f *FrozenCgroup) Thaw() error {
	if f == nil || f.released {
		return nil
	}
	f.released = true
	if err := os.WriteFile(f.file, []byte(f.thawed), 0); err != nil {
		return fmt.Errorf("thaw %s: %w", f.dir, err)
	}
	return nil
}

// KillAndThaw ends every process in the cgroup (and below) before any
// of them runs again: SIGKILL to each, then Thaw (a v1 frozen task dies
// of a pending SIGKILL only once thawed, before it returns to its own
// code). For a start that failed while frozen.
func (f *FrozenCgroup) KillAndThaw() error {
	if f == nil || f.released {
		return nil
	}
	filepath.WalkDir(f.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		fh, err := os.Open(filepath.Join(path, "cgroup.procs"))
		if err != nil {
			return nil
		}
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if pid, err := strconv.Atoi(sc.Text()); err == nil && pid > 0 {
				unix.Kill(pid, unix.SIGKILL)
			}
		}
		return nil
	})
	return f.Thaw()
}

// freezerDirs are the v1 freezer and the unified cgroup directories of
// the process proc ("self" or a container init's PID), "" where it has
// none; for a container, its own cgroup (ContainerCgroupDir).
func freezerDirs(mounts map[string]string, proc string) ([2]string, error) {
	var dirs [2]string
	b, err := os.ReadFile("/proc/" + proc + "/cgroup")
	if err != nil {
		return dirs, err
	}
	for _, h := range CgroupDirs(string(b), mounts) {
		dir := h.Dir
		if proc != "self" {
			dir = ContainerCgroupDir(dir)
		}
		switch {
		case h.V2():
			dirs[1] = dir
		case hasController(h.Controllers, "freezer"):
			dirs[0] = dir
		}
	}
	return dirs, nil
}

// within reports whether the cgroup dir lies in (or is) the cgroup
// top.
func within(dir, top string) bool {
	if dir == "" || top == "" {
		return false
	}
	return dir == top || strings.HasPrefix(dir, strings.TrimSuffix(top, "/")+"/")
}

// hasController reports whether a /proc/PID/cgroup controller list
// ("cpu,cpuacct") names c.
func hasController(list, c string) bool {
	for _, x := range strings.Split(list, ",") {
		if x == c {
			return true
		}
	}
	return false
}

func writable(path string) bool { return unix.Access(path, unix.W_OK) == nil }
