package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/lxcage/lxcage/assets"
	"github.com/lxcage/lxcage/hostcheck"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/services"
	_ "github.com/lxcage/lxcage/services/x11" // the X11 proxy: lxcage _serve x11
)

func init() {
	commands = append(commands, []*command{
		{name: "launch", args: "NAME [--] [ARGS…]", short: "run a profile's app in its container (created and started as needed)",
			long: `Creates the container if it does not exist and starts it if it is not running,
then runs the profile's command with ARGS appended, as you, with only the
profile's environment. When the app's last process exits (and no other launch
of the profile runs), the container is stopped — if lxcage started it.
The exit status is the app's (128+N when it died of signal N).
SIGINT, SIGTERM and SIGHUP are passed on to the app. When the container is
stopped under the app (lxcage stop, the editor's Stop), the launch says so
and exits with 137.`,
			run: cmdLaunch, complete: "profile"},
		{name: "stop", args: "NAME", short: "stop a profile's container now (apps in it are killed)", run: cmdStop, complete: "profile"},
		{name: "status", args: "[NAME…]", short: "container state, init PID, and the launches holding it", run: cmdStatus, complete: "profiles"},
		{name: "list", short: "profiles with their container state", run: cmdList,
			flags: func(fs *flag.FlagSet) { fs.Bool("names", false, "print only the profile names, one per line") }},
		{name: "compile", args: "NAME", short: "print the LXC config a profile compiles to", run: cmdCompile, complete: "profile"},
		{name: "create", args: "NAME", short: "build a profile's container (image, then [setup]) with progress", run: cmdCreate, complete: "profile",
			long: `Builds the container under a temporary name and renames it into place only
when complete; a failed or interrupted create (Ctrl-C) removes what it made.
A failed setup step is reported with its command, exit status and last lines.`,
			flags: func(fs *flag.FlagSet) {
				fs.Bool("force-cache", false, "download images: use LXC's cache only (offline)")
			}},
		{name: "upgrade", args: "NAME", short: "update the distribution inside a stopped container (apt-get dist-upgrade …)", run: cmdUpgrade, complete: "profile"},
		{name: "rebuild", args: "NAME", short: "build the container afresh from the profile (data in [[share]] stays)", run: cmdRebuild, complete: "profile",
			flags: func(fs *flag.FlagSet) {
				fs.Bool("force-cache", false, "download images: use LXC's cache only (offline)")
			}},
		{name: "destroy", args: "NAME", short: "remove a profile's (stopped) container", run: cmdDestroy, complete: "profile"},
		{name: "new", args: "NAME [--preset PRESET]", short: "write a profile: from a preset, or an empty one that may only open windows", run: cmdNew,
			long: `Without --preset the profile runs --command (default: NAME) with x11 = true
(its own windows only, through lxcage's X11 filter) and nothing else: no
sound, GPU, network or shared folders. Add what the app needs with
lxcage-editor or in the file.`,
			flags: func(fs *flag.FlagSet) {
				fs.String("preset", "", "preset to start from (see lxcage presets)")
				fs.String("command", "", "without --preset: the program and its arguments, split on spaces (default: NAME)")
				fs.Bool("force", false, "replace an existing profile")
			}},
		{name: "presets", short: "list the built-in presets", run: cmdPresets,
			flags: func(fs *flag.FlagSet) { fs.Bool("names", false, "print only the preset names, one per line") }},
		{name: "check", short: "is this host ready to run lxcage containers? (each failure with its fix)", run: cmdCheck},
		{name: "import", args: "OLD.conf [NAME]", short: "turn an LXC 1.0-style container config into a profile", run: cmdImport, complete: "file",
			long: `Reads an old-style LXC config (lxc.id_map, lxc.aa_profile, lxc.network.*,
lxc.mount.entry for the X socket and devices, lxc.cgroup.*, lxc.logfile …)
and writes the profile NAME (default: the config's directory name).`,
			flags: func(fs *flag.FlagSet) {
				fs.String("command", "x-terminal-emulator", "the program the profile runs (split on spaces)")
				fs.Bool("force", false, "replace an existing profile")
				fs.Bool("print", false, "print the profile instead of saving it")
			}},
		{name: launcher.WatchCommand, hidden: true, run: cmdWatch},
		{name: launcher.SkeletonCommand, hidden: true, run: func(e *env, _ *flag.FlagSet, _ []string) error {
			return launcher.SkeletonMain(os.Stdin)
		}},
		{name: launcher.ReadOnlyHookCommand, hidden: true, passArgs: true, run: func(e *env, _ *flag.FlagSet, _ []string) error {
			return launcher.ReadOnlyHook()
		}},
		{name: services.ServeCommand, hidden: true, passArgs: true, run: func(e *env, _ *flag.FlagSet, args []string) error {
			return services.Serve(e.ctx, args)
		}},
	}...)
}

func cmdLaunch(e *env, _ *flag.FlagSet, args []string) error {
	if len(args) == 0 {
		return usageError{"expected a profile name"}
	}
	name, appArgs := args[0], args[1:]
	if len(appArgs) > 0 && appArgs[0] == "--" {
		appArgs = appArgs[1:]
	}
	launcher.Trace("command line parsed")
	if err := profiles.CheckName(name); err != nil {
		return err
	}
	dir, err := e.profileDir()
	if err != nil {
		return err
	}
	l, err := e.setup()
	if err != nil {
		return err
	}
	load := func() (*profiles.Profile, error) {
		p, err := profiles.LoadName(dir, name)
		if err == nil {
			launcher.Trace("profile loaded")
		}
		return p, err
	}
	code, err := l.LaunchFile(e.ctx, name, profiles.Path(dir, name), load, appArgs)
	if err != nil {
		return err
	}
	if code == 128+int(syscall.SIGKILL) {
		e.explainKill(l, name)
	}
	if code != 0 {
		return exitError(code)
	}
	return nil
}

// explainKill says why an app died of SIGKILL, which the app cannot say
// itself: its container was stopped under it, or (the container still
// running) most likely its memory limit.
func (e *env) explainKill(l *launcher.Launcher, name string) {
	s, err := l.Status(context.WithoutCancel(e.ctx), name, nil)
	if err != nil {
		return
	}
	if s.State != launcher.Running {
		fmt.Fprintf(e.stderr, "lxcage launch %s: the app was killed: its container was stopped (lxcage stop %s, or Stop in lxcage-editor)\n", name, name)
		return
	}
	why := "killed (SIGKILL) by something outside it"
	if p, err := e.loadProfile(name); err == nil && p.Limits.Memory != "" {
		why = fmt.Sprintf("killed (SIGKILL), most likely for going over its memory limit ([limits] memory = %q)", p.Limits.Memory)
	}
	fmt.Fprintf(e.stderr, "lxcage launch %s: the app was %s\n", name, why)
}

func cmdStop(e *env, _ *flag.FlagSet, args []string) error {
	name, err := oneName(args, "profile name")
	if err != nil {
		return err
	}
	l, err := e.setup()
	if err != nil {
		return err
	}
	return l.Stop(e.ctx, name)
}

func cmdStatus(e *env, _ *flag.FlagSet, args []string) error {
	l, err := e.setup()
	if err != nil {
		return err
	}
	names := args
	if len(names) == 0 {
		if names, err = allNames(e, l); err != nil {
			return err
		}
	}
	var unknown []string
	for _, n := range names {
		if err := profiles.CheckName(n); err != nil {
			return err
		}
		p, perr := e.loadProfile(n)
		if errors.Is(perr, profiles.ErrNoProfile) && len(args) > 0 && !l.LXC.Exists(n) {
			unknown = append(unknown, n)
			continue
		}
		if perr != nil && !errors.Is(perr, profiles.ErrNoProfile) {
			fmt.Fprintf(e.stderr, "lxcage status: %v\n", perr)
		}
		if perr != nil {
			p = nil
		}
		s, err := l.Status(e.ctx, n, p)
		if err != nil {
			return err
		}
		s.MeasureHome()
		printStatus(e, s)
	}
	if len(unknown) > 0 {
		return fmt.Errorf("there is no profile or container %s (lxcage list shows them)", strings.Join(unknown, ", "))
	}
	return nil
}

func printStatus(e *env, s *launcher.Status) {
	fmt.Fprintf(e.stdout, "%s: %s\n", s.Name, strings.ToLower(string(s.State)))
	if s.InitPID > 0 {
		who := "started outside lxcage (lxcage will not stop it)"
		if s.Ours {
			who = "started by lxcage (stopped after the last launch)"
		}
		fmt.Fprintf(e.stdout, "  init pid: %d, %s\n", s.InitPID, who)
	}
	fmt.Fprintf(e.stdout, "  launches: %d\n", len(s.Holders))
	for _, h := range s.Holders {
		fmt.Fprintf(e.stdout, "    pid %d since %s %s\n", h.PID, h.Since.Local().Format(time.TimeOnly), strings.Join(h.Args, " "))
	}
	if s.RestartPending {
		fmt.Fprintf(e.stdout, "  restart pending: the profile changed; the new config applies after the container stops\n")
	}
	if s.HomeSize >= 0 {
		more := ""
		if s.HomePartial {
			more = " or more"
		}
		fmt.Fprintf(e.stdout, "  home: %.1f MB%s in %s\n", float64(s.HomeSize)/1e6, more, s.Home)
	}
}

// allNames is every profile and every container on the path.
func allNames(e *env, l *launcher.Launcher) ([]string, error) {
	dir, err := e.profileDir()
	if err != nil {
		return nil, err
	}
	names, err := profiles.List(dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	cs, _ := l.LXC.List()
	for _, c := range cs {
		if !seen[c] && profiles.CheckName(c) == nil {
			names = append(names, c)
		}
	}
	return names, nil
}

func cmdList(e *env, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usageError{"list takes no arguments"}
	}
	dir, err := e.profileDir()
	if err != nil {
		return err
	}
	names, err := profiles.List(dir)
	if err != nil {
		return err
	}
	if flagBool(fs, "names") {
		// For shell completion: fast, and nothing but names.
		for _, n := range names {
			fmt.Fprintln(e.stdout, n)
		}
		return nil
	}
	l, err := e.setup()
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintf(e.stdout, "no profiles in %s; make one with: lxcage new NAME --preset %s\n", dir, "xeyes")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tLAUNCHES\tDESCRIPTION")
	for _, n := range names {
		desc := ""
		p, perr := profiles.LoadName(dir, n)
		if perr != nil {
			desc = "invalid profile: run lxcage compile " + n
			p = nil
		} else {
			desc = p.Description
		}
		s, err := l.Status(e.ctx, n, p)
		if err != nil {
			return err
		}
		state := strings.ToLower(string(s.State))
		if s.RestartPending {
			state += " (restart pending)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", n, state, len(s.Holders), desc)
	}
	return tw.Flush()
}

func cmdCompile(e *env, _ *flag.FlagSet, args []string) error {
	p, l, err := loadOne(e, args)
	if err != nil {
		return err
	}
	plan, err := l.Compile(p)
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, plan.Config.String())
	return nil
}

func cmdCreate(e *env, fs *flag.FlagSet, args []string) error {
	p, l, err := loadOne(e, args)
	if err != nil {
		return err
	}
	if err := l.Create(e.ctx, p, launcher.BuildOptions{ForceCache: flagBool(fs, "force-cache")}); err != nil {
		return err
	}
	e.progress().Done()
	fmt.Fprintf(e.stdout, "created container %s in %s\n", p.Name, l.LXC.Dir(p.Name))
	return nil
}

// loadOne loads the one profile named in args and the launcher, with
// host facts for that profile.
func loadOne(e *env, args []string) (*profiles.Profile, *launcher.Launcher, error) {
	name, err := oneName(args, "profile name")
	if err != nil {
		return nil, nil, err
	}
	p, err := e.loadProfile(name)
	if err != nil {
		return nil, nil, err
	}
	l, err := e.setup()
	return p, l, err
}

func cmdUpgrade(e *env, _ *flag.FlagSet, args []string) error {
	p, l, err := loadOne(e, args)
	if err != nil {
		return err
	}
	if err := l.Upgrade(e.ctx, p); err != nil {
		return err
	}
	e.progress().Done()
	fmt.Fprintf(e.stdout, "upgraded %s\n", p.Name)
	return nil
}

func cmdRebuild(e *env, fs *flag.FlagSet, args []string) error {
	p, l, err := loadOne(e, args)
	if err != nil {
		return err
	}
	if err := l.Rebuild(e.ctx, p, launcher.BuildOptions{ForceCache: flagBool(fs, "force-cache")}); err != nil {
		return err
	}
	e.progress().Done()
	fmt.Fprintf(e.stdout, "rebuilt %s; its own files were replaced, shares kept\n", p.Name)
	return nil
}

func cmdDestroy(e *env, _ *flag.FlagSet, args []string) error {
	name, err := oneName(args, "profile name")
	if err != nil {
		return err
	}
	l, err := e.setup()
	if err != nil {
		return err
	}
	if !l.LXC.Exists(name) {
		return fmt.Errorf("destroy %s: there is no such container in %s", name, l.LXC.Path)
	}
	return l.Destroy(e.ctx, name)
}

func cmdNew(e *env, fs *flag.FlagSet, args []string) error {
	name, err := oneName(args, "profile name")
	if err != nil {
		return err
	}
	preset := fs.Lookup("preset").Value.String()
	command := strings.Fields(fs.Lookup("command").Value.String())
	force := flagBool(fs, "force")
	var data []byte
	switch {
	case preset != "" && len(command) > 0:
		return usageError{"give --preset or --command, not both (edit the preset's command in the file)"}
	case preset != "":
		var ok bool
		if data, ok = assets.Preset(preset); !ok {
			return fmt.Errorf("no preset %q; presets: %s", preset, strings.Join(assets.Presets(), ", "))
		}
	default:
		if len(command) == 0 {
			command = []string{name}
		}
		data = emptyProfile(name, command)
	}
	dir, err := e.profileDir()
	if err != nil {
		return err
	}
	path, err := profiles.WriteFile(dir, name, data, force)
	if err != nil {
		return err
	}
	if preset != "" {
		fmt.Fprintf(e.stdout, "wrote %s (from preset %s)\nrun it with: lxcage launch %s\n", path, preset, name)
	} else {
		fmt.Fprintf(e.stdout, "wrote %s: runs %s with its own windows only, nothing else\nrun it with: lxcage launch %s (add what it needs with lxcage-editor %s)\n", path, strings.Join(command, " "), name, name)
	}
	return nil
}

// emptyProfile is the text of a new profile without a preset: the
// command and its own windows, nothing else (the editor's "(empty
// profile)" too).
func emptyProfile(name string, command []string) []byte {
	quoted := make([]string, len(command))
	for i, a := range command {
		quoted[i] = strconv.Quote(a)
	}
	return []byte(fmt.Sprintf(`# lxcage profile %s, written by "lxcage new". "lxcage-editor %[1]s" edits it
# and shows what each key lets the app reach.
command = [%s]

[access]
x11 = true  # its own windows only
`, name, strings.Join(quoted, ", ")))
}

func cmdPresets(e *env, fs *flag.FlagSet, args []string) error {
	names := flagBool(fs, "names")
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, n := range assets.Presets() {
		if names {
			fmt.Fprintln(e.stdout, n)
			continue
		}
		data, _ := assets.Preset(n)
		desc := ""
		if p, err := profiles.Parse(n, n+".toml", data); err == nil {
			desc = p.Description
		}
		fmt.Fprintf(tw, "%s\t%s\n", n, desc)
	}
	return tw.Flush()
}

func cmdCheck(e *env, _ *flag.FlagSet, args []string) error {
	l, err := e.setup()
	if err != nil {
		return err
	}
	h, err := l.Host(profiles.AllNeeds)
	if err != nil {
		return err
	}
	failed := 0
	for _, c := range hostcheck.Run(e.ctx, l.Runner(), h) {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
			if !c.Required {
				mark = "warn"
			} else {
				failed++
			}
		}
		fmt.Fprintf(e.stdout, "%s %-34s %s\n", mark, c.Name, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(e.stdout, "     fix: %s\n", strings.ReplaceAll(c.Fix, "\n", "\n          "))
		}
	}
	if failed > 0 {
		fmt.Fprintf(e.stdout, "%d required check(s) failed\n", failed)
		return exitError(1)
	}
	return nil
}

func cmdImport(e *env, fs *flag.FlagSet, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return usageError{"expected OLD.conf and optionally a profile name"}
	}
	file := args[0]
	name := ""
	if len(args) == 2 {
		name = args[1]
	} else {
		name = strings.ToLower(filepath.Base(filepath.Dir(mustAbs(file))))
	}
	if err := profiles.CheckName(name); err != nil {
		return fmt.Errorf("%v; give the profile name as the second argument", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	home, _ := os.UserHomeDir()
	cmdline := strings.Fields(fs.Lookup("command").Value.String())
	im, err := profiles.Import(bytes.NewReader(data), name, cmdline, home)
	if err != nil {
		return err
	}
	header := "Imported by lxcage from " + mustAbs(file) + "\n"
	for _, n := range im.Notes {
		header += n + "\n"
	}
	out, err := profiles.Encode(im.Profile, header)
	if err != nil {
		return err
	}
	if flagBool(fs, "print") {
		_, err := e.stdout.Write(out)
		return err
	}
	dir, err := e.profileDir()
	if err != nil {
		return err
	}
	path, err := profiles.WriteFile(dir, name, out, flagBool(fs, "force"))
	if err != nil {
		return err
	}
	for _, n := range im.Notes {
		fmt.Fprintf(e.stdout, "note: %s\n", n)
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", path)
	return nil
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

func cmdWatch(e *env, _ *flag.FlagSet, args []string) error {
	if len(args) != 2 {
		return usageError{"expected NAME INITPID"}
	}
	pid, err := strconv.Atoi(args[1])
	if err != nil {
		return usageError{"bad pid"}
	}
	l, err := e.setup()
	if err != nil {
		return err
	}
	return l.Watch(e.ctx, args[0], pid)
}
