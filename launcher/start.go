package launcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
	"github.com/lxcage/lxcage/services"
)

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
	if strings.Contains(e.LogTail, "resolv.conf") && strings.Contains(e.LogTail, "was a symbolic link") {
		// Something in the image made /etc/resolv.conf a link after
		// setup; LXC binds the container's resolver config over no link.
		msg += fmt.Sprintf("\nfix: the image's /etc/resolv.conf is a link, which LXC will not bind the container's resolver config over: lxcage upgrade %s makes it a file again (or lxcage rebuild %s)", e.Name, e.Name)
	}
	return msg
}

func (e *StartError) Unwrap() error { return e.Err }

// ensureRunning creates and starts the container as needed (it is not
// running under lxcage's marker) and returns its init's PID. The caller
// holds the state lock.
//
// When services are still coming up after lxc-start (the network,
// whatever was begun in the background), the app's lxc-attach (app, if
// not nil) runs beside them in the frozen container: lxc-attach's own
// setup, about 10 ms, no longer follows theirs. Nothing in the container
// runs before the services are up (see sandbox.FrozenCgroup); a start that
// fails meanwhile kills the container's processes before it thaws them.
func (l *Launcher) ensureRunning(ctx context.Context, plan *profiles.Plan, st *state, file string, app *appStart) (int, error) {
	if err := l.createOrRefresh(ctx, plan); err != nil {
		return 0, err
	}
	if err := l.prepareStart(ctx, plan); err != nil {
		return 0, err
	}
	trace("container config refreshed")
	// The services that can get ready while the container starts (a
	// daemon's socket directory is what LXC binds) are only begun here.
	before, err := l.beginServices(ctx, plan.Services, services.BeforeStart, 0, true)
	if err != nil {
		return 0, err
	}
	m, err := l.startContainer(ctx, plan, st)
	if err != nil {
		before.abandon(ctx, l.runner)
		if errors.Is(err, errStartedElsewhere) {
			return l.LXC.InitPID(ctx, plan.Name)
		}
		return 0, err
	}
	frozen := l.attachFrozen(plan, before, m.InitPID, app)
	fail := func(err error, undo services.Undo) (int, error) {
		frozen.KillAndThaw()
		l.stopLocked(ctx, st, plan.Name)
		undo.Run(ctx, l.runner)
		return 0, err
	}
	after, err := l.startServicesIn(ctx, plan.Services, services.AfterStart, m.InitPID, frozen != nil)
	if err != nil {
		before.abandon(ctx, l.runner)
		return fail(err, nil)
	}
	undo, err := l.finishServices(ctx, before)
	m.Undo = append(undo, after...)
	if err != nil {
		return fail(err, after)
	}
	if err := frozen.Thaw(); err != nil {
		return fail(err, m.Undo)
	}
	trace("services up, app thawed")
	attach := plan.Attach
	m.Attach = &attach
	if file != "" {
		m.ProfileStamp = safefile.Stamp(file)
	}
	if err := st.writeMarker(*m); err != nil {
		return 0, err
	}
	if !l.NoWatchdog {
		l.spawnWatchdog(plan.Name, m.InitPID)
	}
	return m.InitPID, nil
}

// attachFrozen freezes the container and starts the app's lxc-attach
// in it when services are still to come up after lxc-start; it returns
// the frozen cgroup (nil when it did neither: nothing to wait for, no
// freezer, or lxc-attach would not start, in which case the app starts
// after the services as before).
func (l *Launcher) attachFrozen(plan *profiles.Plan, before *begun, initPID int, app *appStart) *sandbox.FrozenCgroup {
	if app == nil || (len(before.pending) == 0 && !hasPhase(plan.Services, services.AfterStart)) {
		return nil
	}
	frozen, err := sandbox.Freeze(initPID)
	if err != nil {
		return nil
	}
	if err := app.start(plan.Attach); err != nil {
		frozen.Thaw()
		return nil
	}
	trace("app attaching in the frozen container")
	return frozen
}

// hasPhase reports whether any service of list starts in phase.
func hasPhase(list []services.Service, phase services.Phase) bool {
	for _, s := range list {
		if s.Phase() == phase {
			return true
		}
	}
	return false
}

// createOrRefresh creates the container, or brings an existing one's
// config, files and host-image rootfs up to date with the plan.
func (l *Launcher) createOrRefresh(ctx context.Context, plan *profiles.Plan) error {
	spec := createSpec(plan)
	if !l.LXC.Exists(plan.Name) {
		l.progress("creating container %s", plan.Name)
		full, err := l.buildSpec(plan, BuildOptions{})
		if err != nil {
			return err
		}
		return l.LXC.Create(ctx, plan.Name, full)
	}
	if _, err := l.LXC.WriteConfig(plan.Name, plan.Config.String()); err != nil {
		return err
	}
	for f, content := range plan.Files {
		if err := l.LXC.WriteFile(plan.Name, f, content); err != nil {
			return err
		}
	}
	return l.LXC.RefreshSkeleton(ctx, plan.Name, spec)
}

// errStartedElsewhere is a container someone else started meanwhile: it
// is used, never stopped.
var errStartedElsewhere = errors.New("started by someone else")

// startContainer starts the container and returns the marker of the
// start (without services and attach plan yet).
func (l *Launcher) startContainer(ctx context.Context, plan *profiles.Plan, st *state) (*marker, error) {
	pidFile := filepath.Join(st.dir, "init.pid")
	os.Remove(pidFile)
	logOffset := fileSize(l.logFile(plan.LogFile))
	trace("prepared start")
	if err := l.LXC.StartPidFile(ctx, plan.Name, pidFile); err != nil {
		if s, serr := l.LXC.State(ctx, plan.Name); serr == nil && s == sandbox.Running {
			return nil, errStartedElsewhere
		}
		return nil, l.startError(plan.Name, plan.LogFile, err, logOffset)
	}
	// lxc-start -d writes its monitor's PID; the container's init is the
	// monitor's only child.
	trace("lxc-start returned")
	monitorPID := readPidFile(pidFile)
	initPID := attachChild(monitorPID)
	if initPID <= 0 {
		var err error
		if initPID, err = l.LXC.InitPID(ctx, plan.Name); err != nil {
			return nil, err
		}
	}
	start, err := procStartTime(initPID)
	if err != nil {
		return nil, l.startError(plan.Name, plan.LogFile, fmt.Errorf("init exited right after start"), logOffset)
	}
	m := &marker{InitPID: initPID, InitStart: start, ConfigHash: ConfigHash(plan.Config.String()),
		StartedAt: time.Now().UTC(), StartedBy: os.Getpid(), StopTimeout: plan.StopTimeout}
	if mstart, err := procStartTime(monitorPID); err == nil && monitorPID > 0 {
		m.MonitorPID, m.MonitorStart = monitorPID, mstart
	}
	return m, nil
}

// checkResources looks for the host paths the plan's access switches
// hand over: a missing one stops the launch if the profile requires it,
// else the app runs without it (its bind is optional), with a warning.
func (l *Launcher) checkResources(plan *profiles.Plan) error {
	for _, w := range plan.Warnings {
		l.warnOf(w)
	}
	for _, r := range plan.Resources {
		if _, err := os.Stat(r.Path); err == nil {
			continue
		}
		if r.Required {
			return fix.New(fmt.Sprintf("%s = true is required, but %s does not exist", r.Switch, r.Path), r.Fix)
		}
		l.warnOf(profiles.Warning{Without: r.What, Cause: r.Path + " does not exist",
			Fix: fmt.Sprintf("%s; or list %q in [access] require to refuse to start instead", r.Fix, r.Switch)})
	}
	return nil
}

// warnOf tells the user what a launch goes on without.
func (l *Launcher) warnOf(w profiles.Warning) {
	if l.warn != nil {
		l.warn(w)
	}
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// serviceError names the service that failed, keeping its fix.
func serviceError(name string, err error) error {
	var f fix.Fixable
	if errors.As(err, &f) {
		return fix.Wrap(err, name, f.HowToFix())
	}
	return fmt.Errorf("%s: %w", name, err)
}

// prepareStart makes what the config refers to: the log's directory, the
// runtime dir, and a cgroup the user may use.
func (l *Launcher) prepareStart(ctx context.Context, plan *profiles.Plan) error {
	if err := os.MkdirAll(filepath.Dir(l.logFile(plan.LogFile)), 0o700); err != nil {
		return fmt.Errorf("log directory: %w", err)
	}
	if err := os.MkdirAll(plan.ServiceDir, 0o700); err != nil {
		return fmt.Errorf("service dir: %w", err)
	}
	if err := checkShareSockets(plan.Shares); err != nil {
		return err
	}
	if err := l.checkResources(plan); err != nil {
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
	// A new one for each start (a host image's build container, then the
	// app's): the scope of a container that ran keeps the controllers LXC
	// enabled in it, and such a cgroup takes no new process (EBUSY).
	if scope, err := sandbox.ContainerScope(ctx, sandbox.SystemdBus(), name); err != nil {
		return err
	} else if scope != nil {
		if l.scope != nil {
			l.scope.Close()
		} else {
			l.unscoped = l.LXC.Runner
		}
		l.LXC.Runner = scope.Runner(l.unscoped)
		l.scope = scope
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
	name = strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return fix.New(fmt.Sprintf("you may not create cgroups for containers (%s not writable; systemd: %v)", strings.Join(dirs, ", "), err), cg.Fix(name))
}

// logFile is the container's LXC log: the -o override or the plan's.
func (l *Launcher) logFile(planLog string) string {
	if l.LXC.LogFile != "" {
		return l.LXC.LogFile
	}
	return planLog
}

// startError describes a failed start with what LXC logged during it
// (the log from offset on).
func (l *Launcher) startError(name, planLog string, err error, offset int64) error {
	f := l.logFile(planLog)
	return &StartError{Name: name, Err: err, LogFile: f, LogTail: fileTail(f, offset, 15)}
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
	cmd := l.runner.Command(l.Self, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// No inherited stdio: a caller waiting for our output to close must
	// not wait for the watchdog too.
	if err := cmd.Start(); err == nil {
		cmd.Process.Release()
	}
}

func readPidFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
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
