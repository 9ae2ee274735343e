package launcher

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lxcage/lxcage/sandbox"
	"github.com/lxcage/lxcage/services"
)

// Stats is what a running container uses now, read from its cgroup and
// from /proc: the live view of the editor and of `lxcage top`.
type Stats struct {
	Name    string
	InitPID int
	// Uptime is how long the container's init has run.
	Uptime time.Duration
	// CPUTime is the CPU time all its processes used so far; CPU is the
	// share of one core they used since the previous read of the same
	// container (100 = one core busy), or -1 on the first read.
	CPUTime time.Duration
	CPU     float64
	// Memory is the memory charged to the container now; MemoryLimit its
	// limit (0: none).
	Memory, MemoryLimit int64
	// Pids is how many processes and threads run in it; PidsLimit its
	// limit (0: none).
	Pids, PidsLimit int64
	// Procs are the app's processes: those running as the user's uid,
	// not the container's init or its root services.
	Procs []Proc
}

// Proc is one process of an app.
type Proc struct {
	PID int
	// Name is the kernel's name of the process (/proc/PID/comm) and Cmd
	// its command line; both are set by the app, so they are cleaned of
	// control characters and cut short before anyone shows them.
	Name, Cmd string
	// RSS is its resident memory in bytes.
	RSS int64
	// Age is how long it has run.
	Age time.Duration
}

// StatsReader reads running containers' resource use. The zero value
// reads the running system; tests point it at a fake tree. It keeps the
// previous CPU reading of each container to tell CPU use per second, so
// one reader serves one live view. It is safe for concurrent use.
type StatsReader struct {
	// Proc is where procfs is mounted ("": /proc).
	Proc string
	// Mounts maps cgroup hierarchies, named as /proc/PID/cgroup names
	// them ("memory", "cpu,cpuacct", "" for the unified hierarchy), to
	// their mount points; nil: those of the running system.
	Mounts map[string]string
	// UID is the uid the apps run as (0: this process's).
	UID int
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	mu   sync.Mutex
	prev map[int]cpuSample
}

// cpuSample is one CPU reading of a container, keyed by its init's PID
// and told apart from a recycled PID by the init's start time.
type cpuSample struct {
	start uint64
	at    time.Time
	cpu   time.Duration
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on
// every Linux architecture lxcage runs on.
const clockTicks = 100

// Limits of the walk through a container's cgroup tree: the container
// makes its own sub-cgroups, and a hostile one could make many.
const (
	maxCgroupDepth = 4
	maxCgroupDirs  = 64
	maxProcs       = 256
)

// Read reads the container whose init has host PID initPID.
func (r *StatsReader) Read(name string, initPID int) (*Stats, error) {
	if initPID <= 0 {
		return nil, fmt.Errorf("stats of %s: it is not running", name)
	}
	proc := r.procDir()
	start, err := services.ProcStartTimeAt(proc, initPID)
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", name, err)
	}
	cg, err := r.cgroupOf(initPID)
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", name, err)
	}
	s := &Stats{Name: name, InitPID: initPID, CPU: -1}
	up, _ := readUptime(proc)
	if up > 0 {
		s.Uptime = max(0, up-ticks(start))
	}
	s.CPUTime = cg.cpuTime()
	s.Memory, s.MemoryLimit = cg.memory()
	s.Pids, s.PidsLimit = cg.pids()
	s.Procs = r.procs(cg.procDirs(), initPID, up)
	s.CPU = r.cpuPercent(initPID, start, s.CPUTime)
	return s, nil
}

func (r *StatsReader) procDir() string {
	if r.Proc == "" {
		return "/proc"
	}
	return r.Proc
}

func (r *StatsReader) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// cpuPercent turns the container's CPU time into use since the previous
// reading.
func (r *StatsReader) cpuPercent(initPID int, start uint64, cpu time.Duration) float64 {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.prev == nil {
		r.prev = map[int]cpuSample{}
	}
	p, ok := r.prev[initPID]
	r.prev[initPID] = cpuSample{start: start, at: now, cpu: cpu}
	wall := now.Sub(p.at)
	if !ok || p.start != start || wall <= 0 || cpu < p.cpu {
		return -1
	}
	return 100 * float64(cpu-p.cpu) / float64(wall)
}

// Forget drops the CPU readings of containers no longer shown.
func (r *StatsReader) Forget(keep func(initPID int) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for pid := range r.prev {
		if !keep(pid) {
			delete(r.prev, pid)
		}
	}
}

// cgroupDirs are a container's cgroup directories: one per v1
// controller it is read for, and the unified one.
type cgroupDirs struct {
	cpuDir, memDir, pidsDir, unified string
}

// cgroupOf finds the cgroup directories of the process initPID.
func (r *StatsReader) cgroupOf(initPID int) (*cgroupDirs, error) {
	mounts := r.Mounts
	if mounts == nil {
		var err error
		if mounts, err = systemMounts(); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(filepath.Join(r.procDir(), strconv.Itoa(initPID), "cgroup"))
	if err != nil {
		return nil, err
	}
	cg := &cgroupDirs{}
	for _, h := range sandbox.CgroupDirs(string(b), mounts) {
		// The cgroup the limits are on: what it counts includes the
		// inner one the container's processes run in.
		dir := sandbox.LimitCgroupDir(h.Dir)
		if h.V2() {
			cg.unified = dir
			continue
		}
		for _, c := range strings.Split(h.Controllers, ",") {
			switch c {
			case "cpuacct":
				cg.cpuDir = dir
			case "memory":
				cg.memDir = dir
			case "pids":
				cg.pidsDir = dir
			}
		}
	}
	if cg.cpuDir == "" && cg.memDir == "" && cg.pidsDir == "" && cg.unified == "" {
		return nil, errors.New("its cgroup is not in any mounted hierarchy")
	}
	return cg, nil
}

var (
	mountsOnce sync.Once
	mountsMap  map[string]string
	mountsErr  error
)

// systemMounts are the running system's cgroup mount points, read once.
func systemMounts() (map[string]string, error) {
	mountsOnce.Do(func() {
		cg, err := sandbox.ReadCgroups()
		if err != nil {
			mountsErr = err
			return
		}
		mountsMap = cg.Mounts()
	})
	return mountsMap, mountsErr
}

// v2 is the unified directory, if it has the file name (on hybrid hosts
// it exists without controllers).
func (cg *cgroupDirs) v2(name string) (string, bool) {
	if cg.unified == "" {
		return "", false
	}
	p := filepath.Join(cg.unified, name)
	_, err := os.Stat(p)
	return p, err == nil
}

// cpuTime is the CPU time used: cpuacct.usage (ns) in v1, cpu.stat's
// usage_usec in v2.
func (cg *cgroupDirs) cpuTime() time.Duration {
	if cg.cpuDir != "" {
		if n, ok := readInt(filepath.Join(cg.cpuDir, "cpuacct.usage")); ok {
			return time.Duration(n)
		}
	}
	if p, ok := cg.v2("cpu.stat"); ok {
		if n, ok := keyedInt(p, "usage_usec"); ok {
			return time.Duration(n) * time.Microsecond
		}
	}
	return 0
}

// unlimited is the smallest v1 memory limit that means "none" (the
// kernel reports PAGE_COUNTER_MAX pages, rounded down to a page).
const unlimited = 1 << 60

// memory is the memory charged now and its limit.
func (cg *cgroupDirs) memory() (cur, limit int64) {
	if cg.memDir != "" {
		if n, ok := readInt(filepath.Join(cg.memDir, "memory.usage_in_bytes")); ok {
			cur = n
			if l, ok := readInt(filepath.Join(cg.memDir, "memory.limit_in_bytes")); ok && l < unlimited {
				limit = l
			}
			return cur, limit
		}
	}
	if p, ok := cg.v2("memory.current"); ok {
		cur, _ = readInt(p)
		limit, _ = readInt(filepath.Join(cg.unified, "memory.max")) // "max": 0
	}
	return cur, limit
}

// pids is the number of tasks and their limit.
func (cg *cgroupDirs) pids() (cur, limit int64) {
	dir := cg.pidsDir
	if dir == "" || !exists(filepath.Join(dir, "pids.current")) {
		p, ok := cg.v2("pids.current")
		if !ok {
			return 0, 0
		}
		dir = filepath.Dir(p)
	}
	cur, _ = readInt(filepath.Join(dir, "pids.current"))
	limit, _ = readInt(filepath.Join(dir, "pids.max"))
	return cur, limit
}

// procDirs are the cgroup directories whose cgroup.procs list the
// container's processes: the container's and those it made below it.
func (cg *cgroupDirs) procDirs() []string {
	root := cg.pidsDir
	for _, d := range []string{cg.memDir, cg.cpuDir} {
		if root == "" {
			root = d
		}
	}
	if root == "" {
		if _, ok := cg.v2("cgroup.procs"); !ok {
			return nil
		}
		root = cg.unified
	}
	dirs := []string{root}
	for i := 0; i < len(dirs) && len(dirs) < maxCgroupDirs; i++ {
		if strings.Count(strings.TrimPrefix(dirs[i], root), "/") >= maxCgroupDepth {
			continue
		}
		ents, err := os.ReadDir(dirs[i])
		if err != nil {
			continue
		}
		for _, e := range ents {
			if e.IsDir() && len(dirs) < maxCgroupDirs {
				dirs = append(dirs, filepath.Join(dirs[i], e.Name()))
			}
		}
	}
	return dirs
}

// procs lists the app's processes in dirs: those of the app's uid,
// other than init. up is the time since boot (for their age).
func (r *StatsReader) procs(dirs []string, initPID int, up time.Duration) []Proc {
	uid := r.UID
	if uid == 0 {
		uid = os.Getuid()
	}
	proc := r.procDir()
	seen := map[int]bool{initPID: true}
	var out []Proc
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil || seen[pid] || len(out) >= maxProcs {
				continue
			}
			seen[pid] = true
			if p, ok := readProc(proc, pid, uid); ok {
				if st, err := services.ProcStartTimeAt(proc, pid); err == nil && up > 0 {
					p.Age = max(0, up-ticks(st))
				}
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// readProc reads one process if it runs as uid.
func readProc(proc string, pid, uid int) (Proc, bool) {
	dir := filepath.Join(proc, strconv.Itoa(pid))
	fi, err := os.Stat(dir)
	if err != nil || fileUID(fi) != uid {
		return Proc{}, false
	}
	p := Proc{PID: pid}
	if b, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
		p.Name = Printable(strings.TrimSuffix(string(b), "\n"), 32)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		p.Cmd = Printable(strings.Join(args, " "), 160)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "statm")); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseInt(f[1], 10, 64)
			p.RSS = pages * int64(os.Getpagesize())
		}
	}
	return p, true
}

// Printable makes text an app chose (a process name, a command line)
// safe to show: control characters, which could steer a terminal,
// become "?", and it is cut to at most n runes.
func Printable(s string, n int) string {
	var b strings.Builder
	count := 0
	for _, r := range s {
		if count == n {
			b.WriteString("…")
			break
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

// ticks converts clock ticks to a duration.
func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / clockTicks }

// readUptime is the time since boot.
func readUptime(proc string) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(proc, "uptime"))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("malformed /proc/uptime")
	}
	s, err := strconv.ParseFloat(f[0], 64)
	return time.Duration(s * float64(time.Second)), err
}

// readInt reads a file holding one integer; "max" reads as 0 (none).
func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// keyedInt reads "key value" lines (cpu.stat) and returns key's value.
func keyedInt(path, key string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// fileUID is the owner of a file (of /proc/PID: the process's uid).
func fileUID(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// Bytes writes a size the way the live views show it: "512 KiB",
// "12.1 MiB", "4.0 GiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	suffix := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}[i]
	if v >= 100 || i == 0 {
		return fmt.Sprintf("%.0f %s", v, suffix)
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}

// Uptime writes a duration the way the live views show it: "42s",
// "5m03s", "2h07m", "3d04h".
func Uptime(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}
