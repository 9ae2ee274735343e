// Package launcher carries out a profile's compiled Plan: it creates the
// container if needed, starts its host services and the container, runs
// the app as the user with a clean environment, and stops the container
// (and undoes its services, in reverse) when the last app process of the
// last launch is gone — only if lxcage started it. It imports profiles
// only to compile; everything else comes from the plan.
package launcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lxcage/lxcage/hostfacts"
	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
)

// Options say how to build a Launcher; the zero value is the user's
// defaults.
type Options struct {
	// LXCPath is where containers live ("": LXC's default for the user).
	LXCPath string
	// LogFile and LogLevel override every container's LXC log (the
	// CLI's -o and -l).
	LogFile, LogLevel string
	// Self is the lxcage binary ("": Binary()); it writes host-image
	// rootfs files, watches containers and runs the Go mediators.
	Self string
	// Runner runs every external program (nil: run.Exec).
	Runner run.Runner
	// Host, when set, is used instead of the running system's facts
	// (tests, the editor's fixed host).
	Host *profiles.Host
	// Stdin, Stdout and Stderr are passed to the app.
	Stdin          *os.File
	Stdout, Stderr io.Writer
	// Progress, when set, hears about slow steps ("creating …").
	Progress func(msg string)
	// Warn, when set, hears about what a launch went on without.
	Warn func(w profiles.Warning)
}

// Launcher runs apps for one user on one LXC path.
type Launcher struct {
	LXC *sandbox.LXC
	// StateDir is where runtime state lives ($XDG_RUNTIME_DIR/lxcage/…).
	StateDir string
	// Self is the lxcage binary.
	Self string
	// Stdin, Stdout and Stderr are passed to the app.
	Stdin          *os.File
	Stdout, Stderr io.Writer
	// Progress, when set, hears about slow steps ("creating …").
	Progress func(msg string)
	// NoWatchdog skips the watchdog (the watchdog itself, tests).
	NoWatchdog bool

	runner      run.Runner
	runtimeDir  string
	host        *profiles.Host
	hostAll     bool
	defaultPath bool
	warn        func(profiles.Warning)
	// scope is the delegated systemd scope the last lxc-start ran in
	// (LXC.Runner then wraps unscoped, the runner without it).
	scope    *sandbox.Scope
	unscoped run.Runner
}

// DefaultPath reports whether the launcher's LXC path is LXC's default
// for the user (a menu entry need not name it then).
func (l *Launcher) DefaultPath() bool { return l.defaultPath }

// Runner is the runner of every external program.
func (l *Launcher) Runner() run.Runner { return l.runner }

// New builds the launcher both front ends use: the LXC path, the runtime
// and state directories, one lookup of the lxcage binary, and host facts
// gathered lazily (a warm launch needs none).
func New(o Options) (*Launcher, error) {
	path := o.LXCPath
	if path == "" {
		var err error
		if path, err = sandbox.DefaultPath(); err != nil {
			return nil, err
		}
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("LXC path %s: %w", o.LXCPath, err)
	}
	if o.LogLevel != "" {
		if o.LogLevel, err = CheckLogLevel(o.LogLevel); err != nil {
			return nil, err
		}
	}
	if o.LogFile != "" {
		if o.LogFile, err = filepath.Abs(o.LogFile); err != nil {
			return nil, err
		}
	}
	rt, err := sandbox.RuntimeDir()
	if err != nil {
		return nil, err
	}
	if o.Self == "" {
		o.Self, _ = Binary()
	}
	if o.Runner == nil {
		o.Runner = run.Exec{}
	}
	def, _ := sandbox.DefaultPath()
	l := &Launcher{
		LXC:      &sandbox.LXC{Path: path, Runner: o.Runner, LogFile: o.LogFile, LogLevel: o.LogLevel, Self: o.Self},
		StateDir: profiles.StateDir(rt, path), Self: o.Self,
		Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr, Progress: o.Progress,
		runner: o.Runner, runtimeDir: rt, host: o.Host, hostAll: o.Host != nil,
		defaultPath: filepath.Clean(def) == path, warn: o.Warn,
	}
	return l, nil
}

// CheckLogLevel accepts LXC's log priorities in any case and returns
// the level's name.
func CheckLogLevel(level string) (string, error) {
	lvl := strings.ToUpper(level)
	for _, l := range profiles.LogLevels {
		if l == lvl {
			return lvl, nil
		}
	}
	return "", fmt.Errorf("-l %s: use one of %s", level, strings.Join(profiles.LogLevels, " "))
}

// Host returns the host's facts, gathering those need asks for (and
// everything when need is profiles.AllNeeds).
func (l *Launcher) Host(need profiles.Needs) (*profiles.Host, error) {
	if l.host != nil && (l.hostAll || need == (profiles.Needs{})) {
		if need.HostRoot && need.Command != l.host.EtcCommand {
			// A host-image profile of another command: the same facts
			// with its packages' /etc entries.
			h := *l.host
			h.HostEtc, h.EtcCommand = hostfacts.HostEtc(need.Command, h.CacheDir), need.Command
			return &h, nil
		}
		return l.host, nil
	}
	h, err := hostfacts.Detect(l.LXC.Path, l.runtimeDir, need)
	if err != nil {
		return nil, err
	}
	h.Lxcage = l.Self
	l.host, l.hostAll = h, need == profiles.AllNeeds
	return h, nil
}

// Compile compiles p for this host.
func (l *Launcher) Compile(p *profiles.Profile) (*profiles.Plan, error) {
	h, err := l.Host(p.HostNeeds())
	if err != nil {
		return nil, err
	}
	return profiles.Compile(p, h, hostfacts.PathKind)
}

func (l *Launcher) progress(format string, args ...any) {
	if l.Progress != nil {
		l.Progress(fmt.Sprintf(format, args...))
	}
}

func (l *Launcher) state(name string) (*state, error) {
	if l.StateDir == "" {
		return nil, fmt.Errorf("%s: no runtime state directory", name)
	}
	st, err := newState(filepath.Join(l.StateDir, name))
	if err != nil {
		return nil, err
	}
	st.stale = func(m *marker) { m.Undo.Run(context.Background(), l.runner) }
	return st, nil
}

// ConfigHash identifies a compiled config (for "restart pending").
func ConfigHash(config string) string {
	sum := sha256.Sum256([]byte(config))
	return hex.EncodeToString(sum[:8])
}
