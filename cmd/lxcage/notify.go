package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/desktop"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
)

// setupNoticeDelay is how long a first launch builds its container before
// "Setting up …" appears: a host-image container takes a fraction of a
// second and needs no message; a download does.
const setupNoticeDelay = 1500 * time.Millisecond

// setupPoll is how often a launch that builds its container looks whether
// the container exists yet.
const setupPoll = 250 * time.Millisecond

// notes is the desktop-notification state of one lxcage run.
type notes struct {
	once   sync.Once
	sender *lazySender
	// building is set once the launch started building its container.
	building bool
	setup    *desktop.SetupNotice
}

// notifying reports whether errors also go out as desktop notifications:
// with --notify, or for a launch whose stderr is no terminal (started
// from a menu, where nobody reads stderr).
func (e *env) notifying() bool {
	return e.notify || (e.cmd == "launch" && !isTerminal(e.stderr))
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// launchName is the profile a launch is about, or "".
func (e *env) launchName() string {
	if e.cmd != "launch" || len(e.args) == 0 || profiles.CheckName(e.args[0]) != nil {
		return ""
	}
	return e.args[0]
}

// notifyError tells the user about a failed command by notification,
// after appending it to the log the notification names.
func (e *env) notifyError(cmd string, err error) {
	name := e.launchName()
	f := desktop.Explain(name, err, e.facts(name))
	if name == "" {
		e.send(desktop.Message{Summary: "lxcage " + cmd + " failed", Body: f.Cause + "\nFix: " + f.Fix, Urgency: desktop.UrgencyCritical}, "")
		return
	}
	e.sendFailure(f)
}

// facts are what the notification of a failed launch of name offers a
// fix by: the menu entry, and the cgroups this session could join.
func (e *env) facts(name string) desktop.Facts {
	var f desktop.Facts
	if name != "" {
		if env, err := e.menuEnv(); err == nil {
			f.MenuEntry = desktop.IsInstalled(env, name)
		}
	}
	if cg, err := sandbox.ReadCgroups(); err == nil && !cg.Delegated() {
		f.NoCgroups = true
		f.JoinCgroups = desktop.JoinableCgroups(cg, os.Getuid())
	}
	return f
}

// notifyExit tells the user that a launch's command could not be run
// (lxc-attach's 126 and 127); other statuses are the app's own.
func (e *env) notifyExit(code int) {
	name := e.launchName()
	if name == "" || !e.notifying() {
		return
	}
	var command []string
	if p, err := e.loadProfile(name); err == nil {
		command = p.Command
	}
	f, ok := desktop.ExplainExit(name, command, code)
	if !ok {
		return
	}
	e.sendFailure(f)
}

// sendFailure logs a launch failure with its details and sends it as a
// notification that names the log.
func (e *env) sendFailure(f desktop.Failure) {
	f.Title = e.title(f.Name)
	if f.LogFile == "" {
		f.LogFile = e.launchLog(f.Name)
	}
	e.logLine(f.LogFile, fmt.Sprintf("lxcage launch %s: %s", f.Name, f.Details))
	e.send(f.Message(""), f.LogFile)
}

// send sends m with lxcage's icon, replacing the "Setting up …" notice if
// one is shown. Without a session bus or notification server it says so
// on stderr and in the log: never more than that.
func (e *env) send(m desktop.Message, logFile string) {
	if m.Icon == "" {
		m.Icon = e.iconURI()
	}
	var err error
	if e.notes.setup != nil {
		_, err = e.notes.setup.Fail(m)
	} else {
		_, err = e.notifier().Send(context.Background(), m)
	}
	if err != nil {
		msg := fmt.Sprintf("lxcage: no desktop notification: %v", err)
		fmt.Fprintln(e.stderr, msg)
		if logFile != "" {
			e.logLine(logFile, msg)
		}
	}
}

// notifier is the run's notification sender, connected on first use.
func (e *env) notifier() *lazySender {
	e.notes.once.Do(func() { e.notes.sender = &lazySender{} })
	return e.notes.sender
}

// iconURI is lxcage's own icon for notifications, installed in the
// user's icon theme; a stock icon name if that fails.
func (e *env) iconURI() string {
	env, err := e.menuEnv()
	if err == nil {
		if p, err := desktop.OwnIconPath(env); err == nil {
			return desktop.IconURI(p)
		}
	}
	return "dialog-error"
}

// title is the menu name of a profile, also when it cannot be loaded.
func (e *env) title(name string) string {
	if p, err := e.loadProfile(name); err == nil {
		return desktop.Title(p)
	}
	return desktop.Title(&profiles.Profile{Name: name})
}

// launchLog is the log a failed launch is recorded in: the container's
// LXC log (the -o option, or what the profile compiles to), else the
// default $XDG_CACHE_HOME/lxcage/NAME.log.
func (e *env) launchLog(name string) string {
	if e.logFile != "" {
		return e.logFile
	}
	if p, err := e.loadProfile(name); err == nil {
		if l, err := e.setup(); err == nil {
			if plan, err := l.Compile(p); err == nil {
				return plan.LogFile
			}
		}
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if !filepath.IsAbs(cache) {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "lxcage", name+".log")
}

// logLine appends a timestamped line to a log file.
func (e *env) logLine(path, line string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "lxcage %s %s\n", time.Now().Format("20060102150405.000"), strings.ReplaceAll(line, "\n", "\n  "))
}

// setupProgress hears the launcher's progress messages, which come only
// when a launch must build its container. Once the container exists, an
// installed menu entry gets the app's icon from it; in notification mode
// the first message starts the "Setting up …" notice, which follows the
// later ones.
func (e *env) setupProgress(msg string) {
	name := e.launchName()
	if name == "" || e.launcher == nil {
		return
	}
	if !e.notes.building {
		e.notes.building = true
		l := e.launcher
		var refresh sync.Once
		done := func() bool {
			if !l.LXC.Exists(name) {
				return false
			}
			refresh.Do(func() { e.refreshEntry(name) })
			return true
		}
		if e.notifying() {
			e.notes.setup = desktop.NewSetupNotice(e.notifier(), e.title(name), e.iconURI(), desktop.Prefix+name)
			e.notes.setup.Start(setupNoticeDelay, setupPoll, done)
		} else {
			go func() {
				for !done() {
					time.Sleep(setupPoll)
				}
			}()
		}
	}
	if e.notes.setup != nil {
		e.notes.setup.Progress(msg)
	}
}

// refreshEntry reinstalls a profile's menu entry once its container
// exists: the app's icon can only be found inside it.
func (e *env) refreshEntry(name string) {
	p, err := e.loadProfile(name)
	if err != nil {
		return // gone or broken since the create began
	}
	if t, ok := profiles.ImageTypeNamed(p.Image.Type); !ok || t.HostRoot {
		return
	}
	env, err := e.menuEnv()
	if err != nil || !desktop.IsInstalled(env, name) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desktop.Install(ctx, env, p)
}

// lazySender connects to the notification service on first use, so a
// launch that never needs a notification never touches the bus.
type lazySender struct {
	mu  sync.Mutex
	n   *desktop.Notifier
	err error
}

// Send implements desktop.Sender.
func (s *lazySender) Send(ctx context.Context, m desktop.Message) (uint32, error) {
	s.mu.Lock()
	if s.n == nil && s.err == nil {
		s.n, s.err = desktop.Dial(ctx, desktop.SessionBusAddress())
	}
	n, err := s.n, s.err
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return n.Send(ctx, m)
}
