package launcher

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeTree is a /proc and cgroup mounts in a temp dir, as the kernel
// shows them for one running container.
type fakeTree struct {
	t      *testing.T
	root   string
	proc   string
	mounts map[string]string
}

func newFakeTree(t *testing.T) *fakeTree {
	root := t.TempDir()
	ft := &fakeTree{t: t, root: root, proc: filepath.Join(root, "proc"), mounts: map[string]string{}}
	ft.write("proc/uptime", "1000.50 1900.00\n")
	return ft
}

func (ft *fakeTree) write(rel, content string) string {
	ft.t.Helper()
	p := filepath.Join(ft.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		ft.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		ft.t.Fatal(err)
	}
	return p
}

// process adds /proc/PID; start is its start time in ticks after boot.
func (ft *fakeTree) process(pid int, comm string, argv []string, start uint64, cgroup string) string {
	dir := "proc/" + strconv.Itoa(pid)
	// Field 2 with a space and a parenthesis, as a hostile app may name itself.
	fields := []string{"S", "1", "1", "1", "0", "-1", "4194560", "0", "0", "0", "0", "0", "0", "0", "0", "20", "0", "1", "0", strconv.FormatUint(start, 10), "1000", "10"}
	ft.write(dir+"/stat", strconv.Itoa(pid)+" ("+comm+") "+strings.Join(fields, " ")+"\n")
	ft.write(dir+"/comm", comm+"\n")
	ft.write(dir+"/cmdline", strings.Join(argv, "\x00")+"\x00")
	ft.write(dir+"/statm", "1000 250 100 1 0 100 0\n")
	ft.write(dir+"/cgroup", cgroup)
	return filepath.Join(ft.root, dir)
}

// TestStatsV1 reads a container on a cgroup v1 host (this machine's
// layout: a controller per hierarchy, an empty unified one).
func TestStatsV1(t *testing.T) {
	ft := newFakeTree(t)
	for _, c := range []string{"cpu,cpuacct", "memory", "pids"} {
		ft.mounts[c] = filepath.Join(ft.root, "cg", c)
	}
	ft.mounts[""] = filepath.Join(ft.root, "cg", "unified")
	const path = "/alice/lxc.payload.eyes"
	cgroup := "4:pids:" + path + "\n3:memory:" + path + "\n2:cpu,cpuacct:" + path + "\n1:name=systemd:/alice\n0::" + path + "\n"
	ft.write("cg/unified"+path+"/cgroup.procs", "")
	cpu := ft.write("cg/cpu,cpuacct"+path+"/cpuacct.usage", "2000000000\n")
	ft.write("cg/memory"+path+"/memory.usage_in_bytes", "52428800\n")
	ft.write("cg/memory"+path+"/memory.limit_in_bytes", "268435456\n")
	ft.write("cg/pids"+path+"/pids.current", "7\n")
	ft.write("cg/pids"+path+"/pids.max", "100\n")
	ft.write("cg/pids"+path+"/cgroup.procs", "100\n120\n130\n")
	// A sub-cgroup the container made, with a process of the app.
	ft.write("cg/pids"+path+"/inner/cgroup.procs", "140\n")
	ft.process(100, "init", []string{"/run/lxcage/init", "-n", "eyes"}, 50000, cgroup)
	ft.process(120, "xeyes", []string{"xeyes", "-fg", "red"}, 51000, cgroup)
	ft.process(140, "\x1b[2J) evil", []string{"evil\x1b]0;owned\x07", "x"}, 52000, cgroup)
	root := ft.process(130, "sleep", []string{"sleep", "infinity"}, 50010, cgroup)
	rootOwned := os.Getuid() == 0
	if rootOwned {
		// The container's root: not the app (only root can make the owner differ).
		if err := os.Chown(root, 100000, 100000); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Unix(1000, 0)
	r := &StatsReader{Proc: ft.proc, Mounts: ft.mounts, UID: os.Getuid(), Now: func() time.Time { return now }}

	s, err := r.Read("eyes", 100)
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU != -1 || s.CPUTime != 2*time.Second {
		t.Errorf("first read: CPU %v, time %v", s.CPU, s.CPUTime)
	}
	if s.Memory != 50<<20 || s.MemoryLimit != 256<<20 || s.Pids != 7 || s.PidsLimit != 100 {
		t.Errorf("memory %d/%d pids %d/%d", s.Memory, s.MemoryLimit, s.Pids, s.PidsLimit)
	}
	if want := 1000500*time.Millisecond - 500*time.Second; s.Uptime != want {
		t.Errorf("uptime %v, want %v", s.Uptime, want)
	}
	var names []string
	for _, p := range s.Procs {
		names = append(names, strconv.Itoa(p.PID)+" "+p.Name+" "+p.Cmd)
		if p.RSS != 250*int64(os.Getpagesize()) {
			t.Errorf("rss of %d: %d", p.PID, p.RSS)
		}
		if p.PID == 120 && p.Age != 1000500*time.Millisecond-510*time.Second {
			t.Errorf("age of %d: %v", p.PID, p.Age)
		}
		for _, c := range p.Name + p.Cmd {
			if c < ' ' {
				t.Errorf("control character in %q / %q", p.Name, p.Cmd)
			}
		}
	}
	got := strings.Join(names, "\n")
	want := "120 xeyes xeyes -fg red\n140 ?[2J) evil evil?]0;owned? x"
	if !rootOwned {
		t.Log("not root: cannot give a fake process another owner; the root-owned process is not checked")
		want = "120 xeyes xeyes -fg red\n130 sleep sleep infinity\n140 ?[2J) evil evil?]0;owned? x"
	}
	if got != want {
		t.Errorf("processes:\n%s\nwant:\n%s", got, want)
	}

	// One second later the container used half a core more.
	now = now.Add(time.Second)
	os.WriteFile(cpu, []byte("2500000000\n"), 0o644)
	s, _ = r.Read("eyes", 100)
	if s.CPU < 49.9 || s.CPU > 50.1 {
		t.Errorf("CPU %.2f%%, want 50%%", s.CPU)
	}
	// The init's PID reused by another container: no CPU figure from the old one.
	ft.process(100, "init", []string{"init"}, 60000, cgroup)
	now = now.Add(time.Second)
	if s, _ = r.Read("other", 100); s.CPU != -1 {
		t.Errorf("CPU across a recycled PID: %v", s.CPU)
	}
	// No limit: v1 reports a huge number.
	ft.write("cg/memory"+path+"/memory.limit_in_bytes", "9223372036854771712\n")
	if s, _ = r.Read("eyes", 100); s.MemoryLimit != 0 {
		t.Errorf("unlimited memory read as %d", s.MemoryLimit)
	}
}

// TestStatsV2 reads a container on a unified-only host: its processes
// run in the inner cgroup (where LXC may put init in a leaf .lxc), its
// limits are one level up.
func TestStatsV2(t *testing.T) {
	ft := newFakeTree(t)
	ft.mounts[""] = filepath.Join(ft.root, "cg2")
	const path = "/user.slice/user-1001.slice/lxc.payload.web"
	ft.write("cg2"+path+"/cpu.stat", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n")
	ft.write("cg2"+path+"/memory.current", "1048576\n")
	ft.write("cg2"+path+"/memory.max", "268435456\n")
	ft.write("cg2"+path+"/pids.current", "3\n")
	ft.write("cg2"+path+"/pids.max", "max\n")
	ft.write("cg2"+path+"/cgroup.procs", "")
	ft.write("cg2"+path+"/inner/memory.max", "max\n")
	ft.write("cg2"+path+"/inner/cgroup.procs", "")
	ft.write("cg2"+path+"/inner/.lxc/cgroup.procs", "200\n210\n")
	cgroup := "0::" + path + "/inner/.lxc\n"
	ft.process(200, "init", []string{"init"}, 1000, cgroup)
	ft.process(210, "chromium", []string{"chromium", "--no-sandbox"}, 1200, cgroup)
	r := &StatsReader{Proc: ft.proc, Mounts: ft.mounts, UID: os.Getuid()}
	s, err := r.Read("web", 200)
	if err != nil {
		t.Fatal(err)
	}
	if s.CPUTime != 1500*time.Millisecond || s.Memory != 1<<20 || s.MemoryLimit != 256<<20 || s.Pids != 3 || s.PidsLimit != 0 {
		t.Errorf("stats %+v", s)
	}
	if len(s.Procs) != 1 || s.Procs[0].Name != "chromium" {
		t.Errorf("processes %+v", s.Procs)
	}
	if _, err := r.Read("gone", 999); err == nil {
		t.Error("read a container whose init does not exist")
	}
}

// TestStatsOfThisProcess reads the real system: this test's own process
// stands in for a container's init.
func TestStatsOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/cgroup"); err != nil {
		t.Skip("no /proc/self/cgroup")
	}
	r := &StatsReader{}
	s, err := r.Read("self", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.Uptime <= 0 || s.Uptime > 24*time.Hour {
		t.Errorf("uptime of this test %v", s.Uptime)
	}
	if s.Memory <= 0 && s.Pids <= 0 && s.CPUTime <= 0 {
		t.Errorf("nothing read from this process's cgroup: %+v", s)
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"xeyes":          "xeyes",
		"a\x1b[31mb":     "a?[31mb",
		"tab\there\n":    "tab?here?",
		"\xff\xfe":       "??",
		"ünïcode ok":     "ünïcode ok",
		"0123456789abcd": "0123456789…",
	} {
		if got := Printable(in, 10); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormats(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "2 KiB", 12_700_000: "12.1 MiB", 256 << 20: "256 MiB", 4 << 30: "4.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{42 * time.Second: "42s", 303 * time.Second: "5m03s", 2*time.Hour + 7*time.Minute: "2h07m", 76 * time.Hour: "3d04h"} {
		if got := Uptime(d); got != want {
			t.Errorf("Uptime(%v) = %q, want %q", d, got, want)
		}
	}
}
