package sandbox

import (
	"reflect"
	"testing"
)

// CgroupDirs resolves each mounted hierarchy of a /proc/PID/cgroup and
// skips the others; ContainerCgroupDir climbs out of LXC's init leaf.
func TestCgroupDirs(t *testing.T) {
	mounts := map[string]string{"freezer": "/sys/fs/cgroup/freezer", "": "/sys/fs/cgroup/unified"}
	text := "9:freezer:/u/lxc.payload.a\n3:cpu,cpuacct:/u\n0::/u/lxc.payload.a/.lxc\n"
	got := CgroupDirs(text, mounts)
	want := []Hierarchy{
		{Controllers: "freezer", Mount: "/sys/fs/cgroup/freezer", Dir: "/sys/fs/cgroup/freezer/u/lxc.payload.a"},
		{Controllers: "", Mount: "/sys/fs/cgroup/unified", Dir: "/sys/fs/cgroup/unified/u/lxc.payload.a/.lxc"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if d := ContainerCgroupDir(got[1].Dir); d != "/sys/fs/cgroup/unified/u/lxc.payload.a" {
		t.Errorf("container dir %s", d)
	}
	if d := ContainerCgroupDir(got[0].Dir); d != got[0].Dir {
		t.Errorf("container dir of a plain cgroup changed: %s", d)
	}
}

// TestCgroupsMounts: the mounts a process's hierarchies give resolve
// another process's cgroups, v1 and unified alike.
func TestCgroupsMounts(t *testing.T) {
	cg := &Cgroups{Hierarchies: []Hierarchy{{Controllers: "cpu,cpuacct", Mount: "/c/cpu,cpuacct"}, {Controllers: "", Mount: "/c/unified"}}}
	got := CgroupDirs("4:cpu,cpuacct:/u/lxc.payload.x\n0::/u/lxc.payload.x/inner\n3:pids:/u\n", cg.Mounts())
	if len(got) != 2 || got[0].Dir != "/c/cpu,cpuacct/u/lxc.payload.x" || got[1].Dir != "/c/unified/u/lxc.payload.x/inner" {
		t.Errorf("got %+v", got)
	}
}
