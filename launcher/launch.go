package launcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
)

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
	// lxc-start's or lxc-attach's first cgroup move waits for the kernel;
	// that wait runs now, beside the launch's own work.
	sandbox.PrimeCgroupMoves()
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
	app := &appStart{l: l, ctx: ctx, name: name, args: args}
	run, err := l.prepare(ctx, st, name, file, load, app)
	lk.unlock()
	if err != nil {
		app.abandon()
		h.release()
		return 0, err
	}
	trace("running")
	// From here on SIGINT, SIGTERM and SIGHUP are the user's "end the
	// app": passed on to it while it runs, and ending its leftovers
	// after it exited (see finish).
	end := &ending{sigs: make(chan os.Signal, 4)}
	signal.Notify(end.sigs, endSignals...)
	defer signal.Stop(end.sigs)
	if app.cmd == nil {
		if err := app.start(run.attach); err != nil {
			l.finish(context.WithoutCancel(ctx), st, name, run, h, 0, end)
			return 0, err
		}
	}
	code, sig, runErr := forwardSignals(app.cmd, end)
	trace("app exited")
	l.finish(context.WithoutCancel(ctx), st, name, run, h, sig, end)
	trace("finished")
	return code, runErr
}

// endSignals are the signals that tell a launch to end its app.
var endSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// endGrace is how long the app's processes get to exit after the launch
// is told to end, before the container is stopped and they die with it:
// Ctrl-C ends everything within about a second, however the app treats
// the signal.
const endGrace = time.Second

// ending is how a launch hears that it should end: the signals it gets,
// and when the first came. A signal repeatGap or more after the first is
// the user asking again (kill at once); one sooner is the same request
// delivered twice (timeout(1) signals its child, then its whole process
// group).
type ending struct {
	sigs  chan os.Signal
	first time.Time
}

// repeatGap tells a second Ctrl-C from a signal delivered twice.
const repeatGap = 250 * time.Millisecond

// repeated records a signal just received and reports whether it asks
// again.
func (e *ending) repeated() bool {
	now := time.Now()
	if e.first.IsZero() {
		e.first = now
		return false
	}
	return now.Sub(e.first) >= repeatGap
}

// running is what a launch needs of a running container.
type running struct {
	attach      profiles.Attach
	initPID     int
	stopTimeout time.Duration
}

// prepare returns how to attach to the running container, starting it if
// it is not running. The caller holds the state lock.
func (l *Launcher) prepare(ctx context.Context, st *state, name, file string, load func() (*profiles.Profile, error), app *appStart) (*running, error) {
	m, up := st.readMarker()
	if up && m.Attach != nil && file != "" && m.ProfileStamp != "" && m.ProfileStamp == safefile.Stamp(file) {
		a := *m.Attach
		a.Env = withLocale(a.Env)
		return &running{attach: a, initPID: m.InitPID, stopTimeout: m.StopTimeout}, nil
	}
	p, err := load()
	if err != nil {
		return nil, err
	}
	plan, err := l.Compile(p)
	if err != nil {
		return nil, err
	}
	trace("compiled")
	if up {
		// Warm, but the profile changed since the start (or the marker
		// predates recorded plans): the new attach plan, in the running
		// container as it is.
		return &running{attach: plan.Attach, initPID: m.InitPID, stopTimeout: m.StopTimeout}, nil
	}
	initPID, err := l.ensureRunning(ctx, plan, st, file, app)
	if err != nil {
		return nil, err
	}
	return &running{attach: plan.Attach, initPID: initPID, stopTimeout: plan.StopTimeout}, nil
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

// appStart starts the app's lxc-attach, once per launch: early, while
// the services of a cold start come up in its frozen container (see
// ensureRunning), or once the container is running.
type appStart struct {
	l    *Launcher
	ctx  context.Context
	name string
	args []string
	cmd  *exec.Cmd
}

// start starts lxc-attach for the app of a, without waiting for it.
func (s *appStart) start(a profiles.Attach) error {
	// From a terminal or ssh login on a cgroup v2 systemd host, lxc-attach
	// can move the app into the container's cgroup only from a scope of
	// the user's manager.
	if err := sandbox.AttachScope(s.ctx, sandbox.SystemdBus(), s.name); err != nil {
		return err
	}
	l := s.l
	env := a.Env
	interactive := l.Stdin != nil && isTerminal(l.Stdin)
	if term := os.Getenv("TERM"); interactive && term != "" && !strings.ContainsAny(term, "\n\r\x00") {
		env = append(append([]string(nil), env...), "TERM="+term)
	}
	cmd := l.LXC.AttachCmd(s.name, sandbox.AttachOptions{
		UID: a.UID, GID: a.GID, Env: env, HostDir: hostDir(a.HostCwd),
		Argv: append(append([]string(nil), a.Command...), s.args...),
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
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run lxc-attach: %w", err)
	}
	s.cmd = cmd
	return nil
}

// abandon ends an lxc-attach started early for a start that then failed
// (its container is stopped, so it ends by itself).
func (s *appStart) abandon() {
	if s.cmd == nil {
		return
	}
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// forwardSignals waits for lxc-attach, passing the signals the launch
// gets to the app itself: killing lxc-attach would not kill the app
// inside (lxc-attach's child is the app's main process). The first
// signal is the app's to handle; a second one kills it, so an app that
// ignores Ctrl-C still ends when the user presses it again.
func forwardSignals(cmd *exec.Cmd, end *ending) (int, syscall.Signal, error) {
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
		case s := <-end.sigs:
			last = s.(syscall.Signal)
			if end.repeated() {
				last = syscall.SIGKILL
			}
			pending = append(pending, last)
		case <-tick.C:
		}
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
// When the launch is told to end (sig, passed on to the app's main
// process, or a signal of end while it waits), the app's leftover
// processes get that signal instead of being waited for, and the
// container stops after endGrace at the latest (at once on a second
// signal, or when the signal was SIGKILL): the user asked for the app to
// go away.
func (l *Launcher) finish(ctx context.Context, st *state, name string, r *running, h *holder, sig syscall.Signal, end *ending) {
	defer h.release()
	uid := r.attach.UID
	for {
		lk, err := st.lock(ctx)
		if err != nil {
			return
		}
		m, ours := st.readMarker()
		if !ours || m.InitPID != r.initPID || len(st.holders(os.Getpid())) > 0 {
			lk.unlock()
			return
		}
		trace("finish: locked, no other launch")
		pids, _ := appProcs(r.initPID, uid)
		if len(pids) == 0 || sig != 0 {
			endApp(ctx, r.initPID, uid, pids, sig, end)
			l.stopLocked(ctx, st, name) // kills what ignored the signal
			lk.unlock()
			return
		}
		// The app left processes behind (forked children, a browser's
		// helpers): wait for them without holding the lock, then decide
		// again, since another launch may have come meanwhile.
		lk.unlock()
		s, err := untilSignal(ctx, end, func(ctx context.Context) error { return waitAppGone(ctx, r.initPID, uid) })
		if s != 0 {
			trace("finish: told to end while waiting for leftovers")
			if sig = s; end.repeated() {
				sig = syscall.SIGKILL
			}
			continue
		}
		if err != nil {
			return
		}
	}
}

// endApp passes sig on to the app's remaining processes and gives them
// endGrace to exit; the user asking again, or sig being SIGKILL, cuts
// that short.
func endApp(ctx context.Context, initPID, uid int, pids []int, sig syscall.Signal, end *ending) {
	if len(pids) == 0 {
		return
	}
	for _, pid := range pids {
		syscall.Kill(pid, sig)
	}
	if sig == syscall.SIGKILL {
		return
	}
	tctx, cancel := context.WithTimeout(ctx, endGrace)
	defer cancel()
	for {
		s, _ := untilSignal(tctx, end, func(ctx context.Context) error { return waitAppGone(ctx, initPID, uid) })
		if s == 0 || end.repeated() {
			return
		}
	}
}

// untilSignal runs wait, cancelling its context when a signal of end
// comes, and returns that signal (0 when wait ended by itself) with
// wait's error.
func untilSignal(ctx context.Context, end *ending, wait func(context.Context) error) (syscall.Signal, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var got syscall.Signal
	done, watcher := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watcher)
		select {
		case s := <-end.sigs:
			got = s.(syscall.Signal)
			cancel()
		case <-done:
		}
	}()
	err := wait(wctx)
	close(done)
	<-watcher
	return got, err
}

// stopLocked stops the container (stopContainer), then removes what LXC
// left of its cgroups; the caller holds the lock.
func (l *Launcher) stopLocked(ctx context.Context, st *state, name string) error {
	if err := l.stopContainer(ctx, st, name); err != nil {
		return err
	}
	// Nothing of the container stays on the host: what LXC left of its
	// cgroups goes now rather than at its next start.
	if err := l.LXC.RemoveCgroups(name); err != nil {
		trace("stop: " + err.Error())
	}
	return nil
}

// stopContainer stops the container, undoes its host services and
// forgets the marker. An app container's init only waits, so it is
// killed at once: directly when lxcage started it (a signal and a wait
// for LXC's monitor to finish cleaning up, quicker than starting
// lxc-stop), else with lxc-stop. A container with a stop timeout (system
// mode) gets a clean shutdown first: its init is asked with the signal
// its program knows (lxc-stop sends the same one whatever the image
// runs), and killed if it has not finished when the timeout ends.
func (l *Launcher) stopContainer(ctx context.Context, st *state, name string) error {
	m, ours := st.readMarker()
	timeout := DefaultStopTimeout
	if ours {
		timeout = m.StopTimeout
		defer func() {
			m.Undo.Run(ctx, l.runner)
			trace("stop: services undone")
		}()
	}
	if ours && m.MonitorPID > 0 {
		kill := timeout == 0
		if !kill && haltInit(m) {
			if waitPidGone(ctx, m.MonitorPID, timeout) {
				trace("stop: init shut down, monitor gone")
				st.clearMarker()
				return nil
			}
			kill = true // its time is up
		}
		if kill && killInit(m) && waitPidGone(ctx, m.MonitorPID, 5*time.Second) {
			trace("stop: init killed, monitor gone")
			st.clearMarker()
			return nil
		}
	}
	err := l.LXC.Stop(ctx, name, timeout)
	if err == nil {
		st.clearMarker()
	}
	return err
}

// DefaultStopTimeout is the clean shutdown a container lxcage did not
// start gets before it is killed.
const DefaultStopTimeout = profiles.SystemStopTimeout

// haltInit asks the container's init to shut down, with the signal its
// program takes for that (sandbox.HaltSignal); false for an init it does
// not know.
func haltInit(m *marker) bool {
	sig, known := sandbox.HaltSignal(m.InitPID)
	return known && signalInit(m, sig)
}

// killInit sends SIGKILL to the container's init (signalInit).
func killInit(m *marker) bool { return signalInit(m, unix.SIGKILL) }

// signalInit sends sig to the container's init through a pidfd, after
// checking it is still the process the marker names. The user owns the
// container's user namespace, so it may signal its init.
func signalInit(m *marker, sig unix.Signal) bool {
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
	return unix.PidfdSendSignal(fd, sig, nil, 0) == nil
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
