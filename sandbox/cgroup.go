package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Hierarchy is one cgroup hierarchy the calling process belongs to.
type Hierarchy struct {
	// Controllers is e.g. "memory", "cpu,cpuacct", "name=systemd", or ""
	// for the unified (v2) hierarchy.
	Controllers string
	// Mount is where the hierarchy is mounted; Dir is the process's own
	// cgroup directory in it.
	Mount, Dir string
	// Writable is true when the user may create cgroups below Dir and
	// move processes into them.
	Writable bool
}

// V2 reports whether h is the unified hierarchy.
func (h Hierarchy) V2() bool { return h.Controllers == "" }

// Cgroups is the calling process's cgroup situation.
type Cgroups struct {
	Hierarchies []Hierarchy
}

// ReadCgroups reads /proc/self/cgroup and /proc/self/mountinfo.
func ReadCgroups() (*Cgroups, error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read cgroups: %w", err)
	}
	cg := &Cgroups{Hierarchies: CgroupDirs(string(b), mounts)}
	for i := range cg.Hierarchies {
		h := &cg.Hierarchies[i]
		h.Writable = unix.Access(h.Dir, unix.W_OK|unix.X_OK) == nil &&
			unix.Access(filepath.Join(h.Dir, "cgroup.procs"), unix.W_OK) == nil
	}
	sort.Slice(cg.Hierarchies, func(i, j int) bool { return cg.Hierarchies[i].Controllers < cg.Hierarchies[j].Controllers })
	return cg, nil
}

// Mounts maps each hierarchy's controller list to its mount point, as
// CgroupDirs takes it to resolve another process's cgroups.
func (c *Cgroups) Mounts() map[string]string {
	m := make(map[string]string, len(c.Hierarchies))
	for _, h := range c.Hierarchies {
		m[h.Controllers] = h.Mount
	}
	return m
}

// CgroupDirs resolves the text of a /proc/PID/cgroup against mounts
// (controller list → mount point, "" for the unified hierarchy): the
// process's directory in each hierarchy mounted here, Writable unset.
func CgroupDirs(text string, mounts map[string]string) []Hierarchy {
	var out []Hierarchy
	for _, line := range strings.Split(text, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		ctrl, path := parts[1], parts[2]
		mnt, ok := mounts[ctrl]
		if !ok {
			continue // not mounted here (e.g. an empty v2 with no mount)
		}
		out = append(out, Hierarchy{Controllers: ctrl, Mount: mnt, Dir: filepath.Join(mnt, filepath.Clean("/"+path))})
	}
	return out
}

// InnerCgroup is the cgroup below a container's own where its processes
// run and its cgroup namespace starts (lxc.cgroup.dir.container.inner):
// the limits are set one level up, out of the container's sight.
const InnerCgroup = "inner"

// LimitCgroupDir is where a container's limits are, given the cgroup of
// its init (or ContainerCgroupDir's answer): above the inner cgroup.
func LimitCgroupDir(dir string) string {
	if dir = ContainerCgroupDir(dir); filepath.Base(dir) == InnerCgroup {
		return filepath.Dir(dir)
	}
	return dir
}

// ContainerCgroupDir is a container's cgroup, given the directory of its
// init: LXC may run init in a leaf (.lxc) of the container's cgroup,
// while lxc-attach puts apps in the container's.
func ContainerCgroupDir(initDir string) string {
	if filepath.Base(initDir) == ".lxc" {
		return filepath.Dir(initDir)
	}
	return initDir
}

// cgroupMounts maps controller lists ("" for v2) to mount points.
func cgroupMounts() (map[string]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, x := range fields {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || len(fields) < sep+4 {
			continue
		}
		fstype, super := fields[sep+1], fields[sep+3]
		mnt := UnescapeMountPath(fields[4])
		switch fstype {
		case "cgroup2":
			if _, seen := m[""]; !seen {
				m[""] = mnt
			}
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(super, ",") {
				switch o {
				case "rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children", "xattr", "nsdelegate", "memory_recursiveprot", "favordynmods":
					continue
				}
				if strings.HasPrefix(o, "release_agent=") {
					continue
				}
				ctrls = append(ctrls, o)
			}
			key := strings.Join(ctrls, ",")
			if _, seen := m[key]; !seen {
				m[key] = mnt
			}
		}
	}
	return m, sc.Err()
}

// legacy returns the v1 hierarchies that have resource controllers.
func (c *Cgroups) legacy() []Hierarchy {
	var out []Hierarchy
	for _, h := range c.Hierarchies {
		if !h.V2() {
			out = append(out, h)
		}
	}
	return out
}

// Unified is the unified (v2) hierarchy, if the process is in one.
func (c *Cgroups) Unified() (Hierarchy, bool) {
	for _, h := range c.Hierarchies {
		if h.V2() {
			return h, true
		}
	}
	return Hierarchy{}, false
}

// LegacyDelegated is true when every v1 hierarchy is the user's: then LXC
// places containers in all of them, limits included.
func (c *Cgroups) LegacyDelegated() bool {
	l := c.legacy()
	if len(l) == 0 {
		return false
	}
	for _, h := range l {
		if !h.Writable {
			return false
		}
	}
	return true
}

// Delegated is true when LXC can place an unprivileged container: all v1
// hierarchies writable, or a writable unified hierarchy (LXC skips the
// v1 ones when any of them is not writable).
func (c *Cgroups) Delegated() bool {
	if c.LegacyDelegated() {
		return true
	}
	u, ok := c.Unified()
	return ok && u.Writable
}

// UseCgroup2 is true when LXC will put limits in the unified hierarchy.
func (c *Cgroups) UseCgroup2() bool { return !c.LegacyDelegated() }

// NotWritable lists the hierarchies the user does not own.
func (c *Cgroups) NotWritable() []Hierarchy {
	var out []Hierarchy
	for _, h := range c.Hierarchies {
		if !h.Writable {
			out = append(out, h)
		}
	}
	return out
}

// Fix is the shell commands, to run as root, that delegate a cgroup in
// every hierarchy to user and move a shell into them (what the test
// environment does), for hosts without systemd.
func (c *Cgroups) Fix(user string) string {
	var mounts []string
	for _, h := range c.Hierarchies {
		mounts = append(mounts, h.Mount)
	}
	if len(mounts) == 0 {
		mounts = []string{"/sys/fs/cgroup"}
	}
	return fmt.Sprintf(`as root: for d in %s; do mkdir -p "$d/%s" && chown -R %s: "$d/%s"; done
(on cpuset also copy cpuset.cpus and cpuset.mems from the parent), then start your session from a shell
whose PID root wrote into each "$d/%s/cgroup.procs"; on a systemd desktop run
"systemd-run --user --scope -p Delegate=yes lxcage …" instead`, strings.Join(mounts, " "), user, user, user, user)
}
