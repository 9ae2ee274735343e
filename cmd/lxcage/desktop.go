package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/lxcage/lxcage/desktop"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

func init() {
	commands = append(commands,
		&command{name: "desktop", args: "install|remove|list|import [NAME…]", short: "menu entries and icons that launch profiles",
			long: `lxcage desktop install NAME…   write lxcage-NAME.desktop and its icon (--all: every profile;
                               --default: also the default handler of its mime_types)
lxcage desktop remove NAME…    remove the entry, its icons and default-handler registrations
                               (--stale: entries whose profile is gone; --all: every entry)
lxcage desktop list            profiles with their entries, and stale entries
lxcage desktop import NAME     fill the profile's [desktop] table from the app's own .desktop
                               file in the container (--from FILE, --replace)

Entries go to $XDG_DATA_HOME/applications (default ~/.local/share/applications),
icons to $XDG_DATA_HOME/icons/hicolor. Clicking an entry runs "lxcage launch NAME"
with the URLs or files given to it; if that fails, a notification says why.`,
			run: cmdDesktop, subs: []string{"install", "remove", "list", "import"}, complete: "profiles",
			flags: func(fs *flag.FlagSet) {
				fs.Bool("all", false, "install: every profile; remove: every entry lxcage made")
				fs.Bool("default", false, "install: also make the entry the default handler of its mime types (xdg-mime)")
				fs.Bool("stale", false, "remove: the entries whose profile no longer exists")
				fs.String("from", "", "import: the app's .desktop file in the container (default: the one that runs the command)")
				fs.Bool("replace", false, "import: also replace values the profile already has")
			}},
		&command{name: "delete", args: "NAME", short: "delete a profile with its menu entry and icon",
			long: `Removes the profile file, its menu entry, icons and default-handler
registrations. The container stays unless --destroy is given (it may hold
the app's data); lxcage destroy NAME removes it later. A running container
is never destroyed unless --stop says to stop it first.`,
			run: cmdDelete, complete: "profile",
			flags: func(fs *flag.FlagSet) {
				fs.Bool("destroy", false, "also destroy the profile's container")
				fs.Bool("stop", false, "stop a running container first (apps in it are killed); without it, a running container stops the delete")
				fs.Bool("keep-menu", false, "keep the menu entry")
			}},
	)
}

// flagBool reads a boolean flag of the command.
func flagBool(fs *flag.FlagSet, name string) bool { return fs.Lookup(name).Value.String() == "true" }

// menuEnv is the desktop environment of this run's launcher.
func (e *env) menuEnv() (desktop.Env, error) {
	l, err := e.setup()
	if err != nil {
		return desktop.Env{}, err
	}
	return desktop.NewEnv(l)
}

// desktopEnv is the desktop environment for this run; warnings go to
// stderr.
func (e *env) desktopEnv() (desktop.Env, error) {
	env, err := e.menuEnv()
	if err != nil {
		return env, err
	}
	env.Warn = func(msg string) { fmt.Fprintf(e.stderr, "lxcage desktop: warning: %s\n", msg) }
	return env, nil
}

func cmdDesktop(e *env, fs *flag.FlagSet, args []string) error {
	if len(args) == 0 {
		return usageError{"expected install, remove, list or import"}
	}
	sub, names := args[0], args[1:]
	allowed := map[string][]string{
		"install": {"all", "default"},
		"remove":  {"all", "stale"},
		"list":    {},
		"import":  {"from", "replace"},
	}
	ok, known := allowed[sub]
	if !known {
		return usageError{fmt.Sprintf("unknown desktop command %q: expected install, remove, list or import", sub)}
	}
	var bad error
	fs.Visit(func(f *flag.Flag) {
		if !isGlobalFlag(f.Name) && !contains(ok, f.Name) {
			bad = usageError{fmt.Sprintf("--%s does not apply to desktop %s", f.Name, sub)}
		}
	})
	if bad != nil {
		return bad
	}
	env, err := e.desktopEnv()
	if err != nil {
		return err
	}
	switch sub {
	case "install":
		return desktopInstall(e, env, names, flagBool(fs, "all"), flagBool(fs, "default"))
	case "remove":
		return desktopRemove(e, env, names, flagBool(fs, "all"), flagBool(fs, "stale"))
	case "list":
		if len(names) > 0 {
			return usageError{"desktop list takes no names"}
		}
		return desktopList(e, env)
	default:
		name, err := oneName(names, "profile name")
		if err != nil {
			return err
		}
		return desktopImport(e, env, name, fs.Lookup("from").Value.String(), flagBool(fs, "replace"))
	}
}

func isGlobalFlag(n string) bool {
	return contains([]string{"P", "lxcpath", "o", "logfile", "l", "logpriority", "notify"}, n)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// namesOrAll checks the names given, or lists every profile with --all.
func namesOrAll(e *env, names []string, all bool) ([]string, error) {
	if all == (len(names) > 0) {
		return nil, usageError{"give profile names or --all (not both)"}
	}
	if !all {
		for _, n := range names {
			if err := profiles.CheckName(n); err != nil {
				return nil, err
			}
		}
		return names, nil
	}
	dir, err := e.profileDir()
	if err != nil {
		return nil, err
	}
	names, err = profiles.List(dir)
	if err == nil && len(names) == 0 {
		err = fmt.Errorf("no profiles in %s", dir)
	}
	return names, err
}

func desktopInstall(e *env, env desktop.Env, names []string, all, asDefault bool) error {
	names, err := namesOrAll(e, names, all)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		if err := installOne(e, env, n, asDefault); err != nil {
			if !all {
				return err
			}
			errs = append(errs, err)
			fmt.Fprintf(e.stderr, "lxcage desktop install: %v\n", err)
		}
	}
	if len(errs) > 0 {
		return exitError(1) // each was reported above
	}
	return nil
}

func installOne(e *env, env desktop.Env, name string, asDefault bool) error {
	p, err := e.loadProfile(name)
	if err != nil {
		return err
	}
	if err := desktop.Install(e.ctx, env, p); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "installed %s (%s)\n", desktop.EntryPath(env, name), desktop.Title(p))
	if asDefault {
		if err := desktop.SetDefault(e.ctx, env, p); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "  default handler for %s\n", strings.Join(p.Desktop.MimeTypes, ", "))
	}
	return nil
}

func desktopRemove(e *env, env desktop.Env, names []string, all, stale bool) error {
	if all && stale {
		return usageError{"give --all or --stale, not both"}
	}
	if all || stale {
		if len(names) > 0 {
			return usageError{"give profile names or --all/--stale (not both)"}
		}
		var err error
		if names, err = entryNames(e, env, stale); err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(e.stdout, "nothing to remove")
			return nil
		}
	}
	if len(names) == 0 {
		return usageError{"give profile names, --stale or --all"}
	}
	var errs []error
	for _, n := range names {
		if err := profiles.CheckName(n); err != nil {
			return err
		}
		had := desktop.IsInstalled(env, n)
		if err := desktop.Remove(env, n); err != nil {
			errs = append(errs, err)
			continue
		}
		if had {
			fmt.Fprintf(e.stdout, "removed %s\n", desktop.EntryPath(env, n))
		} else {
			fmt.Fprintf(e.stdout, "%s had no desktop entry (leftover icons and defaults, if any, are gone)\n", n)
		}
	}
	return errors.Join(errs...)
}

// entryNames lists the profiles that have entries; stale keeps only those
// whose profile no longer exists.
func entryNames(e *env, env desktop.Env, stale bool) ([]string, error) {
	ents, err := desktop.Entries(env)
	if err != nil {
		return nil, err
	}
	dir, err := e.profileDir()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ent := range ents {
		if stale && profileExists(dir, ent.Name) {
			continue
		}
		out = append(out, ent.Name)
	}
	return out, nil
}

func profileExists(dir, name string) bool {
	_, err := os.Stat(profiles.Path(dir, name))
	return err == nil
}

func desktopList(e *env, env desktop.Env) error {
	dir, err := e.profileDir()
	if err != nil {
		return err
	}
	names, err := profiles.List(dir)
	if err != nil {
		return err
	}
	ents, err := desktop.Entries(env)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tENTRY\tDEFAULT FOR")
	entry := map[string]bool{}
	for _, ent := range ents {
		entry[ent.Name] = true
	}
	for _, n := range names {
		state := "-"
		if entry[n] {
			state = "installed"
			p, err := profiles.LoadName(dir, n)
			switch {
			case err != nil:
				state = "installed (the profile is invalid: lxcage compile " + n + ")"
			case !desktop.UpToDate(env, p):
				state = "outdated (lxcage desktop install " + n + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", n, state, strings.Join(desktop.MimeDefaults(env, n), " "))
	}
	for _, ent := range ents {
		if !profileExists(dir, ent.Name) {
			fmt.Fprintf(tw, "%s\tstale: the profile is gone (lxcage desktop remove --stale)\t%s\n", ent.Name, strings.Join(desktop.MimeDefaults(env, ent.Name), " "))
		}
	}
	return tw.Flush()
}

func desktopImport(e *env, env desktop.Env, name, from string, replace bool) error {
	p, err := e.loadProfile(name)
	if err != nil {
		return err
	}
	d, notes, err := desktop.Import(env, p, from, replace)
	if err != nil {
		return err
	}
	dir, err := e.profileDir()
	if err != nil {
		return err
	}
	path := profiles.Path(dir, name)
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	out, note, err := desktop.SetProfileDesktop(name, src, d)
	if err != nil {
		return err
	}
	if note != "" {
		notes = append(notes, note)
	}
	for _, n := range notes {
		fmt.Fprintf(e.stdout, "  %s\n", n)
	}
	if string(out) == string(src) {
		fmt.Fprintf(e.stdout, "%s already has these values\n", path)
		return nil
	}
	if _, err := profiles.WriteFile(dir, name, out, true); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "updated [desktop] in %s\n", path)
	if desktop.IsInstalled(env, name) {
		return installOne(e, env, name, false)
	}
	fmt.Fprintf(e.stdout, "add it to the menu with: lxcage desktop install %s\n", name)
	return nil
}

func cmdDelete(e *env, fs *flag.FlagSet, args []string) error {
	name, err := oneName(args, "profile name")
	if err != nil {
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
	o := launcher.DeleteOptions{ProfileDir: dir, Destroy: flagBool(fs, "destroy"), Stop: flagBool(fs, "stop")}
	if !flagBool(fs, "keep-menu") {
		env, err := e.desktopEnv()
		if err != nil {
			return err
		}
		o.Menu = desktop.Menu(env)
	}
	d, err := l.Delete(e.ctx, name, o)
	if d != nil {
		if d.MenuEntry != "" {
			fmt.Fprintf(e.stdout, "removed %s\n", d.MenuEntry)
		}
		if d.Container {
			fmt.Fprintf(e.stdout, "destroyed container %s\n", name)
		}
		if d.Profile != "" {
			fmt.Fprintf(e.stdout, "removed %s\n", d.Profile)
		}
		if d.KeptContainer != "" && err == nil {
			fmt.Fprintf(e.stdout, "its container is kept in %s; remove it with: lxcage destroy %s\n", d.KeptContainer, name)
		}
	}
	return err
}
