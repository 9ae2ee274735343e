// Package launcher runs a profile's app: it creates the container if
// needed, starts it if it is not running, runs the app as the user with a
// clean environment, and stops the container when the last app process
// of the last launch is gone — only if lxcage started it.
package launcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/launcher/xauth"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
)

// SystemStopTimeout is how long a system container gets to shut down
// cleanly before it is killed.
const SystemStopTimeout = 10 * time.Second

// Launcher runs apps for one user on one LXC path.
type Launcher struct {
	LXC  *sandbox.LXC
	Host *profiles.Host
	// HostFor, when Host is nil, gathers the host's facts for compiling
	// one profile (see profiles.DetectHostFor); a warm launch never needs
	// them.
	HostFor func(p *profiles.Profile) (*profiles.Host, error)
	// StateDir is where runtime state lives (profiles.StateDir); empty
	// means Host.StateDir.
	StateDir string
	// Self is the lxcage binary; it is started again as the watchdog.
	Self string
	// Stdin, Stdout and Stderr are passed to the app.
	Stdin          *os.File
	Stdout, Stderr io.Writer
	// Progress, when set, hears about slow steps ("creating …").
	Progress func(msg string)
	// NoWatchdog skips the watchdog (the watchdog itself, tests).
	NoWatchdog bool
}

func (l *Launcher) progress(format string, args ...any) {
	if l.Progress != nil {
		l.Progress(fmt.Sprintf(format, args...))
	}
}

// StartError is a container that would not start, with LXC's log.
type StartError struct {
	Name    string
	Err     error
	LogFile string
	LogTail string
}

func (e *StartError) Error() string {
	msg := fmt.Sprintf("container %s did not start: %v", e.Name, e.Err)
	if e.LogTail != "" {
		msg += "\nLXC log (" + e.LogFile + "):\n" + e.LogTail
	} else if e.LogFile != "" {
		msg += "\nLXC log: " + e.LogFile
	}
	return msg
}

func (e *StartError) Unwrap() error { return e.Err }

// Compile compiles p for this launcher's host, first learning where LXC
// will put the container's cgroups (that decides the limit keys).
func (l *Launcher) Compile(p *profiles.Profile) (*profiles.Plan, error) {
	if cg, err := sandbox.ReadCgroups(); err == nil && cg.Delegated() {
		l.Host.Cgroup2 = cg.UseCgroup2()
	}
	return profiles.Compile(p, l.Host, profiles.HostPathKind)
}

func (l *Launcher) state(name string) (*state, error) {
	dir := l.StateDir
	if dir == "" && l.Host != nil {
		dir = l.Host.StateDir
	}
	if dir == "" {
		return nil, fmt.Errorf("%s: no runtime state directory", name)
	}
	return newState(filepath.Join(dir, name))
}

// Launch runs p's command with args appended and returns its exit status
// (128+N when it died of signal N).
func (l *Launcher) Launch(ctx context.Context, p *profiles.Profile, args []string) (int, error) {
	return l.LaunchFile(ctx, p.Name, "", func() (*profiles.Profile, error) { return p, nil }, args)
}

// LaunchFile is Launch for the profile name stored at file, loaded with
// load only when needed: when lxcage's container for it runs and the file
// is unchanged since the container started, the launch uses the attach
// plan recorded then, without reading the profile or the host's facts —
// the path a click on a running app's icon takes.
func (l *Launcher) LaunchFile(ctx context.Context, name, file string, load func() (*profiles.Profile, error), args []string) (int, error) {
	trace("launch " + name)
	st, err := l.state(name)
	if err != nil {
		return 0, err
	}
	lk, err := st.lock(ctx)
	if err != nil {
		return 0, err
	}
	h, err := st.register(args)
	if err != nil {
		lk.unlock()
		return 0, err
	}
	trace("locked and registered")
	plan, initPID, err := l.prepare(ctx, st, name, file, load)
	lk.unlock()
	if err != nil {
		h.release()
		return 0, err
	}
	trace("running")

	if err := sandbox.AttachScope(ctx, sandbox.SystemdBus(), name); err != nil {
		l.finish(context.WithoutCancel(ctx), st, plan, initPID, h, 0)
		return 0, err
	}
	code, sig, runErr := l.runApp(ctx, plan, args)
	trace("app exited")

	l.finish(context.WithoutCancel(ctx), st, plan, initPID, h, sig)
	trace("finished")
	return code, runErr
}

// prepare returns the plan to attach with and the running container's
// init, starting the container if it is not running. The caller holds
// the state lock.
func (l *Launcher) prepare(ctx context.Context, st *state, name, file string, load func() (*profiles.Profile, error)) (*profiles.Plan, int, error) {
	m, running := st.readMarker()
	if running && m.Attach != nil && file != "" && m.ProfileStamp != "" && m.ProfileStamp == fileStamp(file) {
		a := *m.Attach
		a.Env = withLocale(a.Env)
		return &profiles.Plan{Name: name, Mode: m.Mode, Attach: a}, m.InitPID, nil
	}
	p, err := load()
	if err != nil {
		return nil, 0, err
	}
	if l.Host == nil {
		if l.HostFor == nil {
			return nil, 0, fmt.Errorf("launch %s: no host facts", name)
		}
		if l.Host, err = l.HostFor(p); err != nil {
			return nil, 0, err
		}
	}
	if running {
		// Warm, but the profile changed since the start (or the marker
		// predates recorded plans): the attach part of the new profile,
		// without reading the cgroup layout.
		plan, err := profiles.Compile(p, l.Host, profiles.HostPathKind)
		return plan, m.InitPID, err
	}
	plan, err := l.Compile(p)
	if err != nil {
		return nil, 0, err
	}
	trace("compiled")
	initPID, err := l.ensureRunning(ctx, p, plan, st, file)
	return plan, initPID, err
}

// fileStamp identifies a file's version: device, inode, size, mtime.
func fileStamp(path string) string {
	var s unix.Stat_t
	if unix.Stat(path, &s) != nil {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d.%d", s.Dev, s.Ino, s.Size, s.Mtim.Sec, s.Mtim.Nsec)
}

// withLocale sets the app's LANG to this launch's, which may differ from
// the one recorded when the container started.
func withLocale(env []string) []string {
	lang := os.Getenv("LANG")
	if lang == "" || strings.ContainsAny(lang, "\n\r\x00") {
		return env
	}
	out := append([]string(nil), env...)
	for i, e := range out {
		if strings.HasPrefix(e, "LANG=") {
			out[i] = "LANG=" + lang
		}
	}
	return out
}

// ensureRunning creates and starts the container as needed (it is not
// running under lxcage's marker) and returns its init's PID. The caller
// holds the state lock.
func (l *Launcher) ensureRunning(ctx context.Context, p *profiles.Profile, plan *profiles.Plan, st *state, file string) (int, error) {
	spec := createSpec(p, plan)
	if !l.LXC.Exists(p.Name) {
		l.progress("creating container %s", p.Name)
		full, err := l.createSpecFor(p, plan, BuildOptions{})
		if err != nil {
			return 0, err
		}
		if err := l.LXC.Create(ctx, p.Name, full); err != nil {
			return 0, err
		}
	} else {
		if _, err := l.LXC.WriteConfig(p.Name, spec.Config); err != nil {
			return 0, err
		}
		for f, content := range spec.Files {
			if err := l.LXC.WriteFile(p.Name, f, content); err != nil {
				return 0, err
			}
		}
		if err := l.LXC.RefreshSkeleton(ctx, p.Name, spec); err != nil {
			return 0, err
		}
	}
	if err := l.prepareStart(ctx, plan); err != nil {
		return 0, err
	}
	svc, err := l.startServices(ctx, p, plan, st)
	if err != nil {
		return 0, err
	}
	unloadOnError := func(err error) error {
		svc.stop(ctx)
		return err
	}
	pidFile := filepath.Join(st.dir, "init.pid")
	os.Remove(pidFile)
	logOffset := fileSize(l.logFile(plan))
	trace("prepared start")
	if err := l.LXC.StartPidFile(ctx, p.Name, pidFile); err != nil {
		// Running already, started by someone else: use it, never stop it.
		if s, serr := l.LXC.State(ctx, p.Name); serr == nil && s == sandbox.Running {
			return l.LXC.InitPID(ctx, p.Name)
		}
		return 0, unloadOnError(l.startError(p.Name, plan, err, logOffset))
	}
	// lxc-start -d writes its monitor's PID; the container's init is the
	// monitor's only child.
	trace("lxc-start returned")
	monitorPID := readPidFile(pidFile)
	initPID := attachChild(monitorPID)
	if initPID <= 0 {
		var err error
		if initPID, err = l.LXC.InitPID(ctx, p.Name); err != nil {
			return 0, unloadOnError(err)
		}
	}
	start, err := procStartTime(initPID)
	if err != nil {
		return 0, unloadOnError(l.startError(p.Name, plan, fmt.Errorf("init exited right after start"), logOffset))
	}
	m := marker{InitPID: initPID, InitStart: start, ConfigHash: ConfigHash(plan.Config.String()), StartedAt: time.Now().UTC(), StartedBy: os.Getpid(), Mode: plan.Mode}
	if mstart, err := procStartTime(monitorPID); err == nil && monitorPID > 0 {
		m.MonitorPID, m.MonitorStart = monitorPID, mstart
	}
	m.Services = svc
	attach := plan.Attach
	m.Attach = &attach
	if file != "" {
		m.ProfileStamp = fileStamp(file)
	}
	if err := st.writeMarker(m); err != nil {
		return 0, err
	}
	if !l.NoWatchdog {
		l.spawnWatchdog(p.Name, initPID)
	}
	return initPID, nil
}

// createSpec is what the sandbox needs to build p's container.
func createSpec(p *profiles.Profile, plan *profiles.Plan) sandbox.CreateSpec {
	return sandbox.CreateSpec{
		Config: plan.Config.String(), Image: p.Image, Skeleton: plan.Skeleton,
		IDMap: plan.IDMap, UID: plan.Attach.UID, GID: plan.Attach.GID,
		Files: map[string]string{profiles.SeccompFile: plan.SeccompPolicy},
	}
}

// prepareStart makes what the config refers to: the log's directory, the
// runtime dir, the X cookie, and a cgroup the user may use.
func (l *Launcher) prepareStart(ctx context.Context, plan *profiles.Plan) error {
	if err := os.MkdirAll(filepath.Dir(l.logFile(plan)), 0o700); err != nil {
		return fmt.Errorf("log directory: %w", err)
	}
	if err := os.MkdirAll(plan.RunDir, 0o700); err != nil {
		return fmt.Errorf("runtime dir: %w", err)
	}
	if err := l.writeXAuthority(ctx, plan); err != nil {
		return err
	}
	return l.ensureCgroups(ctx, plan.Name)
}

// ensureCgroups makes sure LXC can place an unprivileged container: the
// user owns its cgroups already (hosts without systemd, set up by root),
// or systemd delegates a scope, or the error says what to run.
func (l *Launcher) ensureCgroups(ctx context.Context, name string) error {
	// A systemd host with cgroup v2 only: a delegated scope for the
	// container, lxc-start started in it (see sandbox.ContainerScope).
	if scope, err := sandbox.ContainerScope(ctx, sandbox.SystemdBus(), name); err != nil {
		return err
	} else if scope != nil {
		l.LXC.Runner = scope.Runner(l.LXC.Runner)
		return nil
	}
	cg, err := sandbox.ReadCgroups()
	if err != nil {
		return err
	}
	if cg.Delegated() {
		return nil
	}
	unit, err := sandbox.DelegateScope(ctx, sandbox.SystemdBus(), name)
	if err == nil {
		if cg, err = sandbox.ReadCgroups(); err == nil && cg.Delegated() {
			return nil
		}
		return fmt.Errorf("systemd scope %s was created but its cgroup is not writable", unit)
	}
	var dirs []string
	for _, h := range cg.NotWritable() {
		dirs = append(dirs, h.Dir)
	}
	return fmt.Errorf("you may not create cgroups for containers (%s not writable; systemd: %v);\nfix: %s",
		strings.Join(dirs, ", "), err, cg.Fix(l.Host.UserName))
}

// logFile is the container's LXC log: the -o override or the profile's.
func (l *Launcher) logFile(plan *profiles.Plan) string {
	if l.LXC.LogFile != "" {
		return l.LXC.LogFile
	}
	return plan.LogFile
}

// startError describes a failed start with what LXC logged during it
// (the log from offset on).
func (l *Launcher) startError(name string, plan *profiles.Plan, err error, offset int64) error {
	f := l.logFile(plan)
	return &StartError{Name: name, Err: err, LogFile: f, LogTail: fileTail(f, offset, 15)}
}

// writeXAuthority gives the container its own cookie file: an untrusted
// cookie by default, the user's own with x11 = "trusted" (a nested
// server's cookie is written when it starts). The entry is rewritten for
// any host name, since the container has its own.
func (l *Launcher) writeXAuthority(ctx context.Context, plan *profiles.Plan) error {
	switch plan.X11 {
	case profiles.X11Trusted:
		e, ok, err := xauth.UserCookie(plan.Display)
		if err != nil {
			return fmt.Errorf("read your X cookie (%s): %w", xauth.DefaultFile(), err)
		}
		if !ok {
			return writeCookies(plan, nil) // the server has no access control
		}
		return writeCookie(plan, e)
	case profiles.X11Untrusted:
		e, err := xauth.Untrusted(ctx, plan.Display, plan.RunDir)
		if errors.Is(err, xauth.ErrNoSecurity) {
			return fmt.Errorf("%s: %w; set x11 = \"trusted\" in the profile to give the app your full display, or \"nested\" for a display of its own", plan.Name, err)
		}
		if err != nil {
			return err
		}
		return writeCookie(plan, e)
	}
	return nil
}

func writeCookie(plan *profiles.Plan, e xauth.Entry) error {
	return writeCookies(plan, []xauth.Entry{xauth.ForContainer(e)})
}

func writeCookies(plan *profiles.Plan, entries []xauth.Entry) error {
	return sandbox.WriteFileAtomic(plan.XAuthorityHost, xauth.Marshal(entries), 0o600)
}

// runApp runs the app through lxc-attach, passing signals on, and returns
// its exit status and the last signal passed on (nil if none).
func (l *Launcher) runApp(ctx context.Context, plan *profiles.Plan, args []string) (int, syscall.Signal, error) {
	env := plan.Attach.Env
	interactive := l.Stdin != nil && isTerminal(l.Stdin)
	if term := os.Getenv("TERM"); interactive && term != "" && !strings.ContainsAny(term, "\n\r\x00") {
		env = append(append([]string(nil), env...), "TERM="+term)
	}
	cmd := l.LXC.AttachCmd(plan.Name, sandbox.AttachOptions{
		UID: plan.Attach.UID, GID: plan.Attach.GID, Env: env, HostDir: hostDir(plan.Attach.HostCwd),
		Argv: append(append([]string(nil), plan.Attach.Command...), args...),
	})
	if l.Stdin != nil {
		cmd.Stdin = l.Stdin
	}
	cmd.Stdout, cmd.Stderr = l.Stdout, l.Stderr
	if !interactive {
		// No controlling terminal for the app: it cannot push keystrokes
		// into the caller's terminal (TIOCSTI). From a terminal,
		// lxc-attach gives the app a pty of the container's own.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("run lxc-attach: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var pending []syscall.Signal
	var last syscall.Signal
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			code, err := exitStatus(err)
			return code, last, err
		case s := <-sigs:
			pending = append(pending, s.(syscall.Signal))
			last = s.(syscall.Signal)
		case <-tick.C:
			if len(pending) == 0 {
				continue
			}
		}
		// Killing lxc-attach would not kill the app inside, so signals go
		// to the app's process itself (lxc-attach's child).
		if len(pending) > 0 {
			if child := appChild(cmd.Process.Pid); child > 0 {
				for _, s := range pending {
					syscall.Kill(child, s)
				}
				pending = nil
			}
		}
	}
}

// hostDir is where lxc-attach runs: the user's home, whose path leads to
// the app's home inside; "/" if the home is not there.
func hostDir(home string) string {
	if fi, err := os.Stat(home); err == nil && fi.IsDir() {
		return home
	}
	return "/"
}

func exitStatus(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return 1, err
}

// finish ends a launch: if no other launch holds the container and
// lxcage started it, it waits for the app's last process and stops it.
// When the launch was told to end (sig, passed on to the app's main
// process), the app's leftover processes get the same signal instead of
// being waited for: the user asked for the app to go away.
func (l *Launcher) finish(ctx context.Context, st *state, plan *profiles.Plan, initPID int, h *holder, sig syscall.Signal) {
	defer h.release()
	for {
		lk, err := st.lock(ctx)
		if err != nil {
			return
		}
		m, ours := st.readMarker()
		if !ours || m.InitPID != initPID || len(st.holders(os.Getpid())) > 0 {
			lk.unlock()
			return
		}
		trace("finish: locked, no other launch")
		if pids, _ := appProcs(initPID, plan.Attach.UID); len(pids) == 0 {
			trace("finish: no app process left")
			l.stopLocked(ctx, st, plan.Name, plan.Mode)
			lk.unlock()
			return
		}
		if sig != 0 {
			if pids, _ := appProcs(initPID, plan.Attach.UID); len(pids) > 0 {
				for _, pid := range pids {
					syscall.Kill(pid, sig)
				}
				tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				waitAppGone(tctx, initPID, plan.Attach.UID)
				cancel()
			}
			l.stopLocked(ctx, st, plan.Name, plan.Mode) // kills what ignored it
			lk.unlock()
			return
		}
		// The app left processes behind (forked children, a browser's
		// helpers): wait for them without holding the lock, then decide
		// again, since another launch may have come meanwhile.
		lk.unlock()
		if err := waitAppGone(ctx, initPID, plan.Attach.UID); err != nil {
			return
		}
	}
}

// stopLocked stops the container and forgets the marker; the caller holds
// the lock. An app container's init only waits, so it is killed at once:
// directly when lxcage started it (a signal and a wait for LXC's monitor
// to finish cleaning up, quicker than starting lxc-stop), else with
// lxc-stop. A system container gets a clean shutdown first.
func (l *Launcher) stopLocked(ctx context.Context, st *state, name, mode string) error {
	m, ours := st.readMarker()
	defer func() {
		if ours {
			m.Services.stop(ctx)
		}
	}()
	if ours && mode != profiles.ModeSystem && m.MonitorPID > 0 {
		if killInit(m) && waitPidGone(ctx, m.MonitorPID, 5*time.Second) {
			st.clearMarker()
			return nil
		}
	}
	timeout := time.Duration(0)
	if mode == profiles.ModeSystem {
		timeout = SystemStopTimeout
	}
	err := l.LXC.Stop(ctx, name, timeout)
	if err == nil {
		st.clearMarker()
	}
	return err
}

// killInit sends SIGKILL to the container's init through a pidfd, after
// checking it is still the process the marker names. The user owns the
// container's user namespace, so it may signal its init.
func killInit(m *marker) bool {
	fd, err := unix.PidfdOpen(m.InitPID, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	if st, err := procStartTime(m.InitPID); err != nil || st != m.InitStart {
		return false
	}
	if ms, err := procStartTime(m.MonitorPID); err != nil || ms != m.MonitorStart {
		return false
	}
	return unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0) == nil
}

// spawnWatchdog starts `lxcage _watch` in its own session. It stops the
// container if every launch dies (say, killed with SIGKILL) and the app's
// processes end; in the normal case the last launch stops the container
// and the watchdog sees its init exit and quits.
func (l *Launcher) spawnWatchdog(name string, initPID int) {
	if l.Self == "" {
		return
	}
	args := []string{WatchCommand, "-P", l.LXC.Path}
	if l.LXC.LogFile != "" {
		args = append(args, "-o", l.LXC.LogFile)
	}
	args = append(args, name, strconv.Itoa(initPID))
	cmd := exec.Command(l.Self, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = os.Environ()
	// No inherited stdio: a caller waiting for our output to close must
	// not wait for the watchdog too.
	if err := cmd.Start(); err == nil {
		cmd.Process.Release()
	}
}

// ConfigHash identifies a compiled config (for "restart pending").
func ConfigHash(config string) string {
	sum := sha256.Sum256([]byte(config))
	return hex.EncodeToString(sum[:8])
}

func readPidFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// fileTail returns the last n lines of a file written after offset.
func fileTail(path string, offset int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(fi.Size()-16384, offset, 0)
	if off >= fi.Size() {
		return ""
	}
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
