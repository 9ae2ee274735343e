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
	"sort"
	"strings"
	"syscall"

	"github.com/lxcage/lxcage/desktop"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand of the CLI. The table of commands is the
// one source of --help, the man page and the shell completions.
type command struct {
	name, args, short string
	long              string
	run               func(e *env, fs *flag.FlagSet, args []string) error
	flags             func(fs *flag.FlagSet)
	hidden            bool
	// passArgs hands every argument to run unparsed (a mediator's own
	// flags).
	passArgs bool
	// complete says what the shell completes as arguments: profile
	// names for the first argument ("profile"), for every argument
	// ("profiles"), files ("file"), or the words in subs (then
	// profiles).
	complete string
	subs     []string
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
	showVersion := global.Bool("version", false, "")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "lxcage: %v\n", err)
		usage(stderr)
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "lxcage", version)
		return 0
	}
	rest := global.Args()
	if len(rest) == 0 {
		usage(stderr)
		return 2
	}
	name := rest[0]
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
	if err := parseArgs(fs, rest[1:], c.name == "launch" || c.passArgs); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "lxcage %s: %v\n", c.name, err)
		c.usage(stderr)
		return 2
	}
	return e.execute(c, fs)
}

// execute runs a parsed command and turns its error into an exit status.
func (e *env) execute(c *command, fs *flag.FlagSet) int {
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
		fmt.Fprintf(e.stderr, "lxcage %s: %s\n", c.name, ue.msg)
		c.usage(e.stderr)
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

// suggestCommand names the command a mistyped one most likely meant: one
// it is a prefix of (or that is its prefix), else one a typo or two away.
func suggestCommand(name string) string {
	best, dist := "", 3
	for _, c := range visible() {
		if strings.HasPrefix(c.name, name) || strings.HasPrefix(name, c.name) {
			return "; did you mean " + c.name + "?"
		}
		if d := profiles.EditDistance(name, c.name); d < dist {
			best, dist = c.name, d
		}
	}
	if best == "" {
		return ""
	}
	return "; did you mean " + best + "?"
}

// about is what lxcage is, the first line of --help and of the man page.
const about = "lxcage runs desktop apps in unprivileged LXC containers."

// option is one global option, for --help and the man page.
type option struct{ names, arg, doc string }

// globalOptions are accepted before and after every command.
var globalOptions = []option{
	{"-P, --lxcpath", "DIR", "where containers live (default: LXC's, ~/.local/share/lxc)"},
	{"-o, --logfile", "FILE", "LXC log file, overrides the profile's [log] file"},
	{"-l, --logpriority", "LEVEL", "LXC log level (TRACE DEBUG INFO NOTICE WARN ERROR …)"},
	{"--notify", "", "also report errors as desktop notifications"},
	{"--version", "", "print lxcage's version"},
	{"-h, --help", "", "print this help (lxcage help COMMAND: a command's)"},
}

// exitStatuses are what lxcage's exit status means, for --help and the
// man page.
var exitStatuses = []struct {
	code, short, doc string
}{
	{"0", "success", "success"},
	{"1", "failure", "the command failed; the message on stderr says why and how to fix it"},
	{"2", "wrong command line", "the command line is wrong: an unknown command, option or profile name form, a missing argument"},
	{"N", "launch: the app's own", "launch: the app's own exit status (126 and 127: its command could not be run; 128+N: it died of signal N)"},
}

// visible is the command table as users see it, sorted by name.
func visible() []*command {
	var out []*command
	for _, c := range commands {
		if !c.hidden {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "%s\n\nUsage: lxcage [-P LXCPATH] [-o LOGFILE] [-l LEVEL] COMMAND [ARGS]\n\nCommands:\n", about)
	for _, c := range visible() {
		fmt.Fprintf(w, "  %-28s %s\n", strings.TrimSpace(c.name+" "+c.args), c.short)
	}
	fmt.Fprint(w, "\nGlobal options (also accepted after the command):\n")
	for _, o := range globalOptions {
		fmt.Fprintf(w, "  %-23s %s\n", strings.TrimSpace(o.names+" "+o.arg), o.doc)
	}
	var codes []string
	for _, s := range exitStatuses {
		codes = append(codes, s.code+" "+s.short)
	}
	fmt.Fprintf(w, "\nExit status: %s.", strings.Join(codes, ", "))
	fmt.Fprint(w, `

Profiles live in $XDG_CONFIG_HOME/lxcage/profiles/NAME.toml.
Run "lxcage help COMMAND" for a command's details, "man lxcage" for all.
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

// setup builds the launcher for this user, LXC path and log options.
// It gathers the host's facts only when a command compiles a profile: a
// launch of a running app needs none.
func (e *env) setup() (*launcher.Launcher, error) {
	if e.launcher != nil {
		return e.launcher, nil
	}
	if e.logLevel != "" {
		lvl, err := launcher.CheckLogLevel(e.logLevel)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		e.logLevel = lvl
	}
	self, _ := os.Executable() // the CLI is lxcage itself
	l, err := launcher.New(launcher.Options{
		LXCPath: e.lxcpath, LogFile: e.logFile, LogLevel: e.logLevel, Self: self,
		Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr,
		Progress: func(msg string) {
			e.progress().Message(msg)
			e.setupProgress(msg)
		},
		Warn: e.warn,
	})
	if err != nil {
		return nil, err
	}
	e.launcher = l
	return l, nil
}

// warn tells the user what a command went on without: on stderr, and
// as a desktop notification when nobody may be reading stderr (a launch
// from a menu), with the cause and the fix on lines of their own.
func (e *env) warn(w profiles.Warning) {
	line := fmt.Sprintf("lxcage %s: warning: %s", e.cmd, w)
	if e.bar != nil {
		e.bar.Line(line) // below the progress line, which then moves on
	} else {
		fmt.Fprintln(e.stderr, line)
	}
	if name := e.launchName(); name != "" && e.notifying() {
		e.notifier().Send(context.Background(), desktop.Message{
			Summary: e.title(name) + ": running without " + w.Without, Body: w.Cause + "\n" + w.Fix, Icon: e.iconURI(),
			DesktopEntry: desktop.Prefix + name, Urgency: desktop.UrgencyNormal,
		})
	}
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
