package profiles

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/sandbox"
	"github.com/lxcage/lxcage/services"
)

// PathKind says what is at a host path.
type PathKind int

// Kinds of host paths.
const (
	PathMissing PathKind = iota
	PathDir
	PathFile
)

// Inside paths lxcage uses.
const (
	// InitInside is where the host's static LXC init is bound.
	InitInside = "/run/lxcage/init"
	// DefaultPath is the app's PATH unless the profile sets one.
	DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// SystemStopTimeout is how long a system container gets to shut down
// cleanly before it is killed.
const SystemStopTimeout = 10 * time.Second

// DefaultDropCaps are dropped in every container: nothing a desktop app
// needs, and each one a known way to poke at the kernel.
var DefaultDropCaps = []string{"mac_admin", "mac_override", "sys_module", "sys_rawio", "sys_time"}

// compiler holds a compile in progress: the profile (with defaults), the
// host, and the plan being filled. Each stage is a function of it.
type compiler struct {
	p    *Profile
	h    *Host
	kind func(string) PathKind
	plan *Plan
	file string
	// home is the app's home inside; runInside its XDG_RUNTIME_DIR.
	home, runInside string
	env             map[string]string
	mounts          []sandbox.MountEntry
	// sysBind is true when /sys is bound from the host instead of
	// mounted (the host's network namespace forbids a fresh sysfs).
	sysBind bool
	// build is true while compiling a container's build config.
	build bool
}

// stage is one step of Compile.
type stage struct {
	name string
	run  func(*compiler) error
}

// stages are the steps of Compile, in the order their config lines
// appear (set in init: the build stage compiles with them too).
var stages []stage

func init() {
	stages = []stage{
		{"rootfs", stageRootfs},
		{"init", stageInit},
		{"network", stageNetwork},
		{"base mounts", stageBaseMounts},
		{"access", stageAccess},
		{"shares", stageShares},
		{"mount entries", stageMountEntries},
		{"security", stageSecurity},
		{"limits", stageLimits},
		{"log", stageLog},
		{"attach", stageAttach},
		{"build", stageBuild},
	}
}

// Compile turns a validated profile into the Plan of its launches on
// host. It is pure: it reads nothing but its arguments (kind is the
// host's answer to "what is at this path", supplied by the caller).
func Compile(p *Profile, h *Host, kind func(string) PathKind) (*Plan, error) {
	if err := Validate(p); err != nil {
		return nil, err
	}
	c, err := newCompiler(p, h, kind)
	if err != nil {
		return nil, err
	}
	for _, s := range stages {
		if err := s.run(c); err != nil {
			return nil, err
		}
	}
	return c.plan, nil
}

// newCompiler checks the host facts every compile needs and sets up the
// plan's paths.
func newCompiler(p *Profile, h *Host, kind func(string) PathKind) (*compiler, error) {
	q := *p
	q.Defaults()
	if kind == nil {
		kind = func(string) PathKind { return PathDir }
	}
	c := &compiler{p: &q, h: h, kind: kind, file: q.Name + Ext, env: map[string]string{}}
	if h.UID == 0 {
		return nil, c.fail("", "lxcage runs apps in unprivileged containers and will not run as root; run it as your own user")
	}
	umap, err := sandbox.IDMap('u', h.UID, h.UserName, h.SubUIDs, "/etc/subuid")
	if err != nil {
		return nil, c.wrap("", err)
	}
	gmap, err := sandbox.IDMap('g', h.GID, h.UserName, h.SubGIDs, "/etc/subgid")
	if err != nil {
		return nil, c.wrap("", err)
	}
	if h.LXCPath == "" || h.StateDir == "" {
		return nil, fmt.Errorf("compile %s: host facts incomplete (no lxcpath or runtime dir)", q.Name)
	}
	c.home = q.Home()
	c.runInside = "/run/user/" + strconv.Itoa(h.UID)
	state := path.Join(h.StateDir, q.Name)
	c.plan = &Plan{
		Name:         q.Name,
		ContainerDir: path.Join(h.LXCPath, q.Name),
		StateDir:     state,
		ServiceDir:   path.Join(state, "svc"),
		IDMap:        append(umap, gmap...),
		Files:        map[string]string{},
	}
	if q.Mode == ModeSystem {
		c.plan.StopTimeout = SystemStopTimeout
	}
	return c, nil
}

// fail is a problem of the profile found while compiling.
func (c *compiler) fail(key, format string, args ...any) error {
	return &Error{File: c.file, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// wrap turns an error that knows its fix into a problem of the profile.
func (c *compiler) wrap(key string, err error) error {
	cause, howto := fix.Split(err)
	return &Error{File: c.file, Key: key, Msg: cause, Fix: howto}
}

// bind adds a bind mount; "rbind" as the first option replaces "bind".
// LXC makes only the top of a recursive read-only bind read-only; the
// config's mount hook (sandbox.ReadOnlyHook) makes the rest read-only.
func (c *compiler) bind(src, dst string, opts ...string) {
	if len(opts) == 0 || opts[0] != "rbind" {
		opts = append([]string{"bind"}, opts...)
	}
	c.mounts = append(c.mounts, sandbox.MountEntry{Source: src, Target: strings.TrimPrefix(dst, "/"), FSType: "none", Options: opts})
}

// tmpfs adds a private tmpfs of at most size (e.g. "512m").
func (c *compiler) tmpfs(dst, mode, size string) {
	c.mounts = append(c.mounts, sandbox.MountEntry{Source: "tmpfs", Target: strings.TrimPrefix(dst, "/"), FSType: "tmpfs",
		Options: []string{"rw", "nosuid", "nodev", "mode=" + mode, "size=" + size, "create=dir"}})
}

// use adds a host service to the plan and gives the container what the
// service grants.
func (c *compiler) use(s services.Service) {
	c.plan.Services = append(c.plan.Services, s)
	g := s.Grant()
	for _, b := range g.Binds {
		var opts []string
		if b.ReadOnly {
			opts = append(opts, "ro")
		}
		if b.Optional {
			opts = append(opts, "optional")
		}
		if b.Dir {
			opts = append(opts, "create=dir")
		} else {
			opts = append(opts, "create=file")
		}
		c.bind(b.Host, b.Inside, opts...)
	}
	for k, v := range g.Env {
		c.env[k] = v
	}
}

// stageInit: app mode's init is LXC's static init, which reaps orphans
// (Chromium leaves many) and stops in milliseconds; it waits on a sleep.
func stageInit(c *compiler) error {
	cfg := &c.plan.Config
	if c.p.Mode == ModeApp {
		cfg.Add("lxc.init.cmd", InitInside+" -n "+c.p.Name+" -- /bin/sleep infinity")
		cfg.Add("lxc.console.path", "none")
	} else {
		// For lxc-stop (the user's own, or a stop of a container lxcage
		// did not start): systemd's. lxcage's own stop asks the running
		// init with the signal its program takes (sandbox.HaltSignal).
		cfg.Add("lxc.signal.halt", "SIGRTMIN+3")
	}
	cfg.Add("lxc.autodev", "1")
	cfg.Add("lxc.tty.max", "0")
	cfg.Add("lxc.pty.max", "64")
	return nil
}

// stageNetwork: the network switch's lines, then the automatic mounts
// (which depend on it).
func stageNetwork(c *compiler) error {
	if err := AccessSwitchNamed("network").compile(c); err != nil {
		return err
	}
	auto := "proc:mixed sys:ro"
	if c.sysBind {
		auto = "proc:mixed"
	}
	if c.p.Mode == ModeSystem {
		auto += " cgroup:mixed"
	}
	c.plan.Config.Add("lxc.mount.auto", auto)
	return nil
}

// stageBaseMounts: what every container gets, in order (each target's
// parent must exist when it is made).
func stageBaseMounts(c *compiler) error {
	if c.sysBind {
		c.bind("/sys", "/sys", "rbind", "ro", "create=dir")
	}
	if t, _ := ImageTypeNamed(c.p.Image.Type); t.HostRoot {
		hostRootMounts(c)
	}
	for _, m := range maskedProc {
		c.bind("/dev/null", m, "optional")
	}
	c.tmpfs("/tmp", "1777", c.tmpfsSize(4, minTmp))
	c.tmpfs("/run", "755", runtimeDirSize)
	c.tmpfs("/dev/shm", "1777", c.tmpfsSize(2, minShm))
	if c.p.Mode == ModeApp {
		if c.h.InitPath == "" {
			return fmt.Errorf("compile %s: LXC's static init (init.lxc.static) is not installed; install the lxc package (apt-get install lxc)", c.p.Name)
		}
		c.bind(c.h.InitPath, InitInside, "ro", "create=file")
	}
	// The runtime dir is the container's own: nothing the app writes
	// there reaches the host. What services give it is bound on top.
	c.mounts = append(c.mounts, sandbox.MountEntry{Source: "tmpfs", Target: strings.TrimPrefix(c.runInside, "/"), FSType: "tmpfs",
		Options: []string{"rw", "nosuid", "nodev", "mode=700", "uid=" + strconv.Itoa(c.h.UID), "gid=" + strconv.Itoa(c.h.GID), "size=" + runtimeDirSize, "create=dir"}})
	c.env["HOME"] = c.home
	c.env["USER"] = c.p.User
	c.env["LOGNAME"] = c.p.User
	c.env["SHELL"] = "/bin/sh"
	c.env["PATH"] = DefaultPath
	c.env["LANG"] = orDefault(c.h.Lang, "C.UTF-8")
	c.env["XDG_RUNTIME_DIR"] = c.runInside
	return nil
}

// hostRootMounts binds the host's programs, read-only, into a
// host-image container.
func hostRootMounts(c *compiler) {
	c.bind("/usr", "/usr", "rbind", "ro", "create=dir")
	for _, d := range c.h.RootDirs {
		c.bind("/"+d, "/"+d, "rbind", "ro", "create=dir")
	}
	for _, d := range sortedKeys(c.h.HostEtc) {
		if !EtcBindable(d) {
			continue
		}
		create := "create=file"
		if c.h.HostEtc[d] {
			create = "create=dir"
		}
		c.bind("/etc/"+d, "/etc/"+d, "rbind", "ro", "optional", create)
	}
	c.bind("/opt", "/opt", "rbind", "ro", "optional", "create=dir")
	if c.p.Access.Network == NetworkHost {
		c.bind("/etc/resolv.conf", "/etc/resolv.conf", "ro", "optional", "create=file")
	}
}

// stageAccess runs the compile step of each access switch, in table order.
func stageAccess(c *compiler) error {
	for _, s := range AccessSwitches {
		if s.compile == nil || s.Key == "network" {
			continue
		}
		if err := s.compile(c); err != nil {
			return err
		}
	}
	return nil
}

// stageMountEntries writes the mounts gathered so far, in order, and
// the hook that makes recursive read-only binds read-only all the way
// down (a filesystem mounted below a read-only share, the host's cgroup
// tree below a bound /sys).
func stageMountEntries(c *compiler) error {
	hook := false
	for _, m := range c.mounts {
		c.plan.Config.Add("lxc.mount.entry", m.String())
		hook = hook || slices.Contains(m.Options, "rbind") && slices.Contains(m.Options, "ro")
	}
	if hook {
		if c.h.Lxcage == "" {
			return fmt.Errorf("compile %s: the lxcage binary's path is unknown (it makes read-only binds read-only all the way down)", c.p.Name)
		}
		c.plan.Config.Add("lxc.hook.mount", c.h.Lxcage+" "+sandbox.ReadOnlyHookCommand)
	}
	return nil
}

// Default limits, for a profile whose [limits] is silent: no app gets
// the machine without bounds.
const (
	// DefaultPids caps processes and threads (a fork bomb stops there;
	// a browser uses a few hundred).
	DefaultPids = 4096
	// minTmp and minShm are the least /tmp and /dev/shm get: browsers
	// crash with Docker's 64 MB of /dev/shm.
	minTmp = 256 << 20
	minShm = 512 << 20
)

// memoryLimit is the container's memory limit in bytes: the profile's,
// else half the machine's RAM (0: unknown, no limit).
func (c *compiler) memoryLimit() int64 {
	if c.p.Limits.Memory != "" {
		n, _ := ParseSize(c.p.Limits.Memory)
		return n
	}
	return c.h.MemTotal / 2 &^ (1<<20 - 1)
}

// tmpfsSize is the size= of a tmpfs holding part of the memory limit
// (tmpfs pages count against it anyway), at least min.
func (c *compiler) tmpfsSize(part int64, min int64) string {
	n := c.memoryLimit() / part
	if n < min {
		n = min
	}
	return strconv.FormatInt(n>>20, 10) + "m"
}

// stageLimits: cgroup limits, in the hierarchy that holds the
// controllers, with the defaults where the profile is silent.
func stageLimits(c *compiler) error {
	cfg, l := &c.plan.Config, c.p.Limits
	// The limits go on the container's cgroup and its processes one
	// level below, where its cgroup namespace starts: what runs inside
	// sees, and may mount, only the inner cgroup. Otherwise a process
	// with a mount namespace of its own (nested_sandbox, or the image's
	// root in system mode) mounts the cgroup tree and raises its own
	// limits: on cgroup v1 the files belong to the user's uid, which the
	// container maps (cgroup v2's nsdelegate would refuse the write).
	cfg.Add("lxc.cgroup.dir.monitor", "lxc.monitor."+c.p.Name)
	cfg.Add("lxc.cgroup.dir.container", "lxc.payload."+c.p.Name)
	cfg.Add("lxc.cgroup.dir.container.inner", sandbox.InnerCgroup)
	// Where the monitor goes when the container ends, so that its own
	// cgroup can be removed.
	cfg.Add("lxc.cgroup.dir.monitor.pivot", "lxc.pivot")
	cg := "lxc.cgroup."
	if c.h.Cgroup2 {
		cg = "lxc.cgroup2."
	}
	if n := c.memoryLimit(); n > 0 {
		// With swap accounting the limit covers swap too; otherwise a
		// 256M app could still fill the swap.
		if c.h.Cgroup2 {
			cfg.Add(cg+"memory.max", strconv.FormatInt(n, 10))
			if c.h.SwapAccounting {
				cfg.Add(cg+"memory.swap.max", "0")
			}
		} else {
			cfg.Add(cg+"memory.limit_in_bytes", strconv.FormatInt(n, 10))
			if c.h.SwapAccounting {
				cfg.Add(cg+"memory.memsw.limit_in_bytes", strconv.FormatInt(n, 10))
			}
		}
	}
	pids := l.Pids
	if pids == 0 {
		pids = DefaultPids
	}
	cfg.Add(cg+"pids.max", strconv.FormatInt(pids, 10))
	if l.CPUWeight > 0 {
		if c.h.Cgroup2 {
			cfg.Add(cg+"cpu.weight", strconv.FormatInt(l.CPUWeight, 10))
		} else {
			// cpu.shares: 1024 is the default, as weight 100 is on v2.
			cfg.Add(cg+"cpu.shares", strconv.FormatInt(max(2, l.CPUWeight*1024/100), 10))
		}
	}
	return nil
}

// stageLog: LXC's own log for the container.
func stageLog(c *compiler) error {
	c.plan.LogLevel = strings.ToUpper(c.p.Log.Level)
	c.plan.LogFile = ExpandHome(c.p.Log.File, c.h.Home)
	if c.plan.LogFile == "" {
		c.plan.LogFile = path.Join(c.h.CacheDir, "lxcage", c.p.Name+".log")
	}
	c.plan.Config.Add("lxc.log.file", c.plan.LogFile)
	c.plan.Config.Add("lxc.log.level", c.plan.LogLevel)
	return nil
}

// stageAttach: how the app runs, with its whole environment.
func stageAttach(c *compiler) error {
	for k, v := range c.p.Env {
		c.env[k] = v
	}
	c.plan.Attach = Attach{
		UID:     c.h.UID,
		GID:     c.h.GID,
		User:    c.p.User,
		Cwd:     c.home,
		HostCwd: c.h.Home,
		Env:     envList(c.env),
		Command: append([]string(nil), c.p.Command...),
	}
	return nil
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for _, k := range sortedKeys(env) {
		out = append(out, k+"="+env[k])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ExpandHome turns "~" and "~/x" into paths under home; other paths are
// returned as they are.
func ExpandHome(p, home string) string {
	switch {
	case p == "~":
		return home
	case strings.HasPrefix(p, "~/"):
		return path.Join(home, p[2:])
	}
	return p
}

// NestedDisplay is the X display number of a container's nested server:
// stable for a container (100–899), unlikely to meet a real display.
func NestedDisplay(lxcpath, name string) int {
	sum := sha256.Sum256([]byte(lxcpath + "\x00" + name))
	return 100 + int(binary.BigEndian.Uint16(sum[:2]))%800
}

// runtimeDirSize bounds the container's XDG_RUNTIME_DIR (a tmpfs): it
// holds sockets and small files.
const runtimeDirSize = "64m"
