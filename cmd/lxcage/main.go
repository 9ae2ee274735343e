// Command lxcage runs desktop apps in unprivileged LXC containers, as
// described by small TOML profiles. See `lxcage help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"

	"github.com/lxcage/lxcage/services"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand of the CLI.
type command struct {
	name, args, short string
	long              string
	run               func(e *env, fs *flag.FlagSet, args []string) error
	flags             func(fs *flag.FlagSet)
	hidden            bool
}

// exitError carries an exit status without a message (the app's own).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a wrong command line: status 2 and the usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// commands is filled by the init functions of this package's files, one
// file per group of commands.
var commands []*command

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	global := flag.NewFlagSet("lxcage", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	e.globalFlags(global)
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "lxcage: %v\n", err)
		usage(stderr)
		return 2
	}
	rest := global.Args()
	if len(rest) == 0 {
		usage(stderr)
		return 2
	}
	name := rest[0]
	switch name {
	case "help", "-h", "--help":
		if len(rest) > 1 {
			if c := find(rest[1]); c != nil {
				c.usage(stdout)
				return 0
			}
		}
		usage(stdout)
		return 0
	case "version", "--version":
		fmt.Fprintln(stdout, "lxcage", version)
		return 0
	}
	c := find(name)
	if c == nil {
		fmt.Fprintf(stderr, "lxcage: unknown command %q%s\n", name, suggestCommand(name))
		usage(stderr)
		return 2
	}
	fs := flag.NewFlagSet("lxcage "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.globalFlags(fs)
	if c.flags != nil {
		c.flags(fs)
	}
	if err := parseArgs(fs, rest[1:], c.name == "launch" || c.name == services.ServeCommand); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "lxcage %s: %v\n", c.name, err)
		c.usage(stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	e.ctx = ctx
	// For launch, SIGINT/SIGTERM cancel what is still being prepared (a
	// container being built is removed); once the app runs, the launcher
	// also passes them on to it, and finishing does not depend on ctx.
	e.cmd, e.args = c.name, fs.Args()
	err := c.run(e, fs, fs.Args())
	if e.bar != nil {
		e.bar.Done()
	}
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		e.notifyExit(int(ee))
		return int(ee)
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "lxcage %s: %s\n", c.name, ue.msg)
		c.usage(stderr)
		return 2
	default:
		e.report(c.name, err)
		return 1
	}
}

// parseArgs parses flags anywhere among the arguments ("new NAME
// --preset P"), except that for launch everything after the profile name
// belongs to the app.
func parseArgs(fs *flag.FlagSet, args []string, stopAtFirst bool) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if stopAtFirst || (len(pos) == 0 && args[0] == "--") {
			pos = append(pos, args...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

func find(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func suggestCommand(name string) string {
	for _, c := range commands {
		if !c.hidden && (strings.HasPrefix(c.name, name) || strings.HasPrefix(name, c.name)) {
			return "; did you mean " + c.name + "?"
		}
	}
	return ""
}

func usage(w io.Writer) {
	fmt.Fprint(w, `lxcage runs desktop apps in unprivileged LXC containers.

Usage: lxcage [-P LXCPATH] [-o LOGFILE] [-l LEVEL] COMMAND [ARGS]

Commands:
`)
	sorted := append([]*command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		if !c.hidden {
			fmt.Fprintf(w, "  %-28s %s\n", c.name+" "+c.args, c.short)
		}
	}
	fmt.Fprint(w, `
Global options (also accepted after the command):
  -P, --lxcpath DIR       where containers live (default: LXC's, ~/.local/share/lxc)
  -o, --logfile FILE      LXC log file, overrides the profile's [log] file
  -l, --logpriority LEVEL LXC log level (TRACE DEBUG INFO NOTICE WARN ERROR …)
      --notify            also report errors as desktop notifications

Profiles live in $XDG_CONFIG_HOME/lxcage/profiles/NAME.toml.
Run "lxcage help COMMAND" for a command's details.
`)
}

func (c *command) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: lxcage %s %s\n\n%s\n", c.name, c.args, c.short)
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.long))
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	if c.flags != nil {
		c.flags(fs)
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		if b.Len() > 0 {
			fmt.Fprintf(w, "\nOptions:\n%s", b.String())
		}
	}
	fmt.Fprintln(w, "\nGlobal options: -P/--lxcpath DIR, -o/--logfile FILE, -l/--logpriority LEVEL (see lxcage help)")
}

// env is what every command works with.
type env struct {
	ctx            context.Context
	stdin          *os.File
	stdout, stderr io.Writer
	lxcpath        string
	logFile        string
	logLevel       string
	notify         bool

	// cmd and args are the command being run, for notifications.
	cmd   string
	args  []string
	notes notes

	launcher *launcher.Launcher
	bar      *progressBar
	// only, when set, is the one profile this run compiles, so host
	// detection can skip what it does not use.
	only *profiles.Profile
}

func (e *env) globalFlags(fs *flag.FlagSet) {
	for _, n := range []string{"P", "lxcpath"} {
		fs.StringVar(&e.lxcpath, n, e.lxcpath, "")
	}
	for _, n := range []string{"o", "logfile"} {
		fs.StringVar(&e.logFile, n, e.logFile, "")
	}
	for _, n := range []string{"l", "logpriority"} {
		fs.StringVar(&e.logLevel, n, e.logLevel, "")
	}
	fs.BoolVar(&e.notify, "notify", e.notify, "")
}

// profileDir is where profiles live.
func (e *env) profileDir() (string, error) { return profiles.Dir() }

// loadProfile loads profile name.
func (e *env) loadProfile(name string) (*profiles.Profile, error) {
	dir, err := e.profileDir()
	if err != nil {
		return nil, err
	}
	return profiles.LoadName(dir, name)
}

// setup builds the launcher for this user, LXC path and log options,
// with the host's facts gathered.
func (e *env) setup() (*launcher.Launcher, error) {
	l, err := e.setupLazy()
	if err != nil || l.Host != nil {
		return l, err
	}
	if l.Host, err = l.HostFor(e.only); err != nil {
		return nil, err
	}
	return l, nil
}

// setupLazy builds the launcher without the host's facts: a launch of a
// running app needs none, and gathers them only when it must compile.
func (e *env) setupLazy() (*launcher.Launcher, error) {
	if e.launcher != nil {
		return e.launcher, nil
	}
	path := e.lxcpath
	if path == "" {
		var err error
		if path, err = sandbox.DefaultPath(); err != nil {
			return nil, err
		}
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if e.logLevel != "" {
		lvl := strings.ToUpper(e.logLevel)
		ok := false
		for _, l := range profiles.LogLevels {
			ok = ok || l == lvl
		}
		if !ok {
			return nil, usageError{fmt.Sprintf("-l %s: use one of %s", e.logLevel, strings.Join(profiles.LogLevels, " "))}
		}
		e.logLevel = lvl
	}
	if e.logFile != "" {
		if e.logFile, err = filepath.Abs(e.logFile); err != nil {
			return nil, err
		}
	}
	rt, err := sandbox.RuntimeDir()
	if err != nil {
		return nil, err
	}
	self, _ := os.Executable()
	e.launcher = &launcher.Launcher{
		LXC: &sandbox.LXC{Path: path, Runner: sandbox.ExecRunner{}, LogFile: e.logFile, LogLevel: e.logLevel, Self: self},
		HostFor: func(p *profiles.Profile) (*profiles.Host, error) {
			return profiles.DetectHostFor(path, rt, p)
		},
		StateDir: profiles.StateDir(rt, path),
		Self:     self,
		Stdin:    e.stdin,
		Stdout:   e.stdout,
		Stderr:   e.stderr,
		Progress: func(msg string) {
			e.progress().Message(msg)
			e.setupProgress(msg)
		},
	}
	return e.launcher, nil
}

// progress is the progress display on stderr.
func (e *env) progress() *progressBar {
	if e.bar == nil {
		e.bar = newProgressBar(e.stderr)
	}
	return e.bar
}

// report prints an error for the user, and also sends it as a desktop
// notification when nobody may be reading stderr (see notifying).
func (e *env) report(cmd string, err error) {
	fmt.Fprintf(e.stderr, "lxcage %s: %v\n", cmd, err)
	if e.notifying() {
		e.notifyError(cmd, err)
	}
}

// oneName checks that args is exactly one valid profile name.
func oneName(args []string, what string) (string, error) {
	if len(args) != 1 {
		return "", usageError{"expected one " + what}
	}
	if err := profiles.CheckName(args[0]); err != nil {
		return "", err
	}
	return args[0], nil
}
