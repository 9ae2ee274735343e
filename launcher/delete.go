package launcher

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/profiles"
)

// Menu removes a profile's menu entry (package desktop implements it;
// the launcher does not know menus).
type Menu interface {
	// Installed reports whether profile name has a menu entry.
	Installed(name string) bool
	// Remove removes it and returns the file it removed ("" if none).
	Remove(name string) (string, error)
}

// DeleteOptions say what Delete removes besides the profile file.
type DeleteOptions struct {
	// ProfileDir holds the profile.
	ProfileDir string
	// Destroy removes the container too.
	Destroy bool
	// Stop stops a running container first; without it a running
	// container stops the whole delete.
	Stop bool
	// Menu, when set, removes the menu entry too.
	Menu Menu
}

// Deleted says what Delete removed, for the user.
type Deleted struct {
	Profile, MenuEntry string
	Container          bool
	// KeptContainer is the directory of a container left behind.
	KeptContainer string
}

// Delete removes a profile and, as asked, its menu entry and container —
// the one delete both front ends use. Everything that can stop it is
// checked before anything is removed, so it never does half a delete.
func (l *Launcher) Delete(ctx context.Context, name string, o DeleteOptions) (*Deleted, error) {
	path := profiles.Path(o.ProfileDir, name)
	_, statErr := os.Stat(path)
	hasProfile := statErr == nil
	hasEntry := o.Menu != nil && o.Menu.Installed(name)
	if !hasProfile && !hasEntry {
		return nil, fmt.Errorf("delete %s: %w (and no menu entry)", path, profiles.ErrNoProfile)
	}
	d := &Deleted{}
	destroy := o.Destroy && l.LXC.Exists(name)
	if destroy {
		if err := l.stopForDelete(ctx, name, o.Stop); err != nil {
			return nil, err
		}
	}
	if o.Menu != nil {
		// Also when the entry is gone: its icons and default-handler
		// registrations may be left.
		f, err := o.Menu.Remove(name)
		if err != nil {
			return d, err
		}
		d.MenuEntry = f
	}
	if destroy {
		if err := l.Destroy(ctx, name); err != nil {
			return d, err
		}
		d.Container = true
	}
	if hasProfile {
		if err := profiles.Remove(o.ProfileDir, name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return d, err
		}
		d.Profile = path
	}
	if !destroy && l.LXC.Exists(name) {
		d.KeptContainer = l.LXC.Dir(name)
	}
	return d, nil
}

// stopForDelete refuses a running container unless told to stop it.
func (l *Launcher) stopForDelete(ctx context.Context, name string, stop bool) error {
	s, err := l.LXC.State(ctx, name)
	if err != nil || s != Running {
		return err
	}
	if !stop {
		return fix.New(fmt.Sprintf("delete %s: its container is running", name), "stop it first (lxcage stop "+name+"), or delete with --stop")
	}
	return l.Stop(ctx, name)
}
