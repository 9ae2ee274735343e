// Package desktop puts lxcage profiles on the user's desktop: menu
// entries (Desktop Entry Specification files named lxcage-NAME.desktop, so
// they never shadow the real app's own entry), icons taken from inside the
// container, default-handler registration, import of an app's own
// .desktop file into a profile, and desktop notifications that tell a user
// who clicked an icon why the app did not start.
//
// Everything read from a container's root filesystem is hostile input:
// files are opened with every symlink resolved inside the rootfs, size
// limited, and only PNG and SVG content passes (PNGs are decoded and
// re-encoded, SVGs checked for external references). Nothing of an app's
// own .desktop file but a few plain values is ever used; its Exec line
// never is.
package desktop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// Prefix starts the name of every file lxcage writes for a profile
// (lxcage-NAME.desktop, lxcage-NAME.png): the real app's entry keeps its
// own name, and lxcage's files are easy to tell apart.
const Prefix = "lxcage-"

// ProfileKey marks an entry as lxcage's and names its profile. Only files
// carrying it are ever changed or removed.
const ProfileKey = "X-Lxcage-Profile"

// Env is where entries go and what they run.
type Env struct {
	// DataHome is $XDG_DATA_HOME, default ~/.local/share: entries go to
	// DataHome/applications, icons to DataHome/icons/hicolor.
	DataHome string
	// ConfigHome is $XDG_CONFIG_HOME, default ~/.config, where
	// mimeapps.list records default handlers.
	ConfigHome string
	// DataDirs is $XDG_DATA_DIRS, default /usr/local/share:/usr/share: the
	// host's icon themes and .desktop files, used for host-image profiles.
	DataDirs []string
	// Bin is the absolute path of the lxcage binary, used in Exec= and
	// TryExec= (so an entry hides itself if lxcage is uninstalled).
	Bin string
	// LXCPath is where containers live.
	LXCPath string
	// Plan compiles a profile on this host (launcher.Compile): its
	// rootfs layers are where icons and .desktop files are read (an
	// overlay snapshot's own files over its base's). Nil reads
	// LXCPath/NAME/rootfs.
	Plan func(p *profiles.Profile) (*profiles.Plan, error)
	// PinLXCPath adds "-P LXCPath" to Exec= because LXCPath is not LXC's
	// default, which a launch from the menu would otherwise use.
	PinLXCPath bool
	// Runner runs update-desktop-database and xdg-mime; nil means the
	// real tools, with this Env's XDG directories.
	Runner run.Runner
	// Warn hears about problems that do not stop an install, such as an
	// icon that was refused; nil drops them.
	Warn func(msg string)
}

// NewEnv is the calling user's Env for the containers of l: the menu
// entries run l's lxcage binary, on l's LXC path.
func NewEnv(l *launcher.Launcher) (Env, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Env{}, fmt.Errorf("desktop: %w", err)
	}
	if l.Self == "" {
		return Env{}, fmt.Errorf("desktop: cannot find the lxcage binary for the entries' Exec line")
	}
	return Env{
		DataHome:   xdgDir("XDG_DATA_HOME", filepath.Join(home, ".local", "share")),
		ConfigHome: xdgDir("XDG_CONFIG_HOME", filepath.Join(home, ".config")),
		DataDirs:   dataDirs(os.Getenv("XDG_DATA_DIRS")),
		Bin:        l.Self,
		LXCPath:    l.LXC.Path,
		PinLXCPath: !l.DefaultPath(),
		Plan:       l.Compile,
	}, nil
}

// xdgDir is an XDG base directory variable, or fallback when it is unset
// or relative (the spec says to ignore relative values).
func xdgDir(name, fallback string) string {
	if v := os.Getenv(name); filepath.IsAbs(v) {
		return filepath.Clean(v)
	}
	return fallback
}

// dataDirs splits $XDG_DATA_DIRS, keeping absolute entries.
func dataDirs(v string) []string {
	var out []string
	for _, d := range strings.Split(v, ":") {
		if filepath.IsAbs(d) {
			out = append(out, filepath.Clean(d))
		}
	}
	if len(out) == 0 {
		out = []string{"/usr/local/share", "/usr/share"}
	}
	return out
}

// ApplicationsDir is where entries go: $DataHome/applications.
func ApplicationsDir(env Env) string { return filepath.Join(env.DataHome, "applications") }

// EntryID is the desktop file ID of a profile's entry, lxcage-NAME.desktop.
func EntryID(name string) string { return Prefix + name + ".desktop" }

// EntryPath is the file of a profile's entry:
// $DataHome/applications/lxcage-NAME.desktop.
func EntryPath(env Env, name string) string {
	return filepath.Join(ApplicationsDir(env), EntryID(name))
}

// IconName is the themed icon name of a profile's entry, lxcage-NAME.
func IconName(name string) string { return Prefix + name }

// iconTheme is the user's hicolor theme directory.
func iconTheme(env Env) string { return filepath.Join(env.DataHome, "icons", "hicolor") }

// warn passes a non-fatal problem to env.Warn.
func (env Env) warn(format string, args ...any) {
	if env.Warn != nil {
		env.Warn(fmt.Sprintf(format, args...))
	}
}

// runner is env.Runner or the real tools with env's XDG directories, so
// xdg-mime writes where this Env says.
func (env Env) runner() run.Runner {
	if env.Runner != nil {
		return env.Runner
	}
	extra := []string{"XDG_DATA_HOME=" + env.DataHome, "XDG_CONFIG_HOME=" + env.ConfigHome}
	// xdg-mime picks its method from the desktop in use.
	for _, k := range []string{"XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_SESSION_VERSION", "XDG_DATA_DIRS", "XDG_CONFIG_DIRS"} {
		if v, ok := os.LookupEnv(k); ok {
			extra = append(extra, k+"="+v)
		}
	}
	return run.Exec{Env: extra}
}

// refreshDatabase runs update-desktop-database on the applications
// directory when it is installed, so MimeType= takes effect (its
// mimeinfo.cache). Desktops without it read the entries directly.
func refreshDatabase(ctx context.Context, env Env) {
	if env.Runner == nil {
		if _, err := exec.LookPath("update-desktop-database"); err != nil {
			return
		}
	}
	dir := ApplicationsDir(env)
	if _, err := env.runner().Run(ctx, nil, "update-desktop-database", "-q", dir); err != nil {
		env.warn("update-desktop-database %s: %v", dir, err)
	}
}

// notExist reports whether err says a file is missing.
func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
