package desktop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// toolTimeout bounds update-desktop-database and xdg-mime.
const toolTimeout = 30 * time.Second

// Install writes a profile's menu entry and icon: the icon first (the
// entry names it), each file atomically, then refreshes the desktop
// database. An existing lxcage-NAME.desktop that lxcage did not write is
// left alone and reported.
func Install(ctx context.Context, env Env, p *profiles.Profile) error {
	data, err := Render(env, p)
	if err != nil {
		return err
	}
	path := EntryPath(env, p.Name)
	if _, err := os.Lstat(path); err == nil && !owned(path, p.Name) {
		return fmt.Errorf("%s exists and was not written by lxcage (it has no %s=%s line); move it away first", path, ProfileKey, p.Name)
	}
	ic := ProfileIcon(env, p)
	if _, err := writeIcon(env, p.Name, ic); err != nil {
		return err
	}
	if err := safefile.WriteAtomic(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	refreshDatabase(ctx, env)
	return nil
}

// ProfileIcon is the icon a profile's entry gets: [desktop] icon, else
// the Icon= of the app's own .desktop file, looked up in the container's
// rootfs (the host's icon themes for host-image profiles); lxcage's own
// icon when none is found or every candidate is refused (each reason goes
// to env.Warn).
func ProfileIcon(env Env, p *profiles.Profile) *Icon {
	src, err := openSource(env, p)
	if err != nil {
		env.warn("%s: using lxcage's icon: %v", p.Name, err)
		return FallbackIcon()
	}
	defer src.Close()
	if src.root.Dir() == "/" {
		// Host-image apps may have put icons in the user's own theme.
		src.dataDirs = append([]string{env.DataHome}, src.dataDirs...)
	}
	name := p.Desktop.Icon
	if name == "" && len(p.Command) > 0 {
		info, err := src.findAppInfo(p.Command[0], "")
		if err != nil {
			// Look for an icon named after the program.
			name = filepath.Base(p.Command[0])
		} else {
			name = info.Icon
		}
	}
	if name == "" {
		return FallbackIcon()
	}
	ic, err := FindIcon(src.root, src.dataDirs, name)
	if err != nil {
		if p.Desktop.Icon != "" || !errors.Is(err, ErrNoIcon) {
			env.warn("%s: using lxcage's icon: %v", p.Name, err)
		}
		return FallbackIcon()
	}
	return ic
}

// Remove deletes everything Install and SetDefault made for a profile:
// its entry (only if lxcage wrote it), its icons in every size, and its
// default-handler registrations. Nothing there is not an error.
func Remove(env Env, name string) error {
	if err := profiles.CheckName(name); err != nil {
		return err
	}
	var errs []error
	path := EntryPath(env, name)
	if _, err := os.Lstat(path); err == nil {
		if owned(path, name) {
			if err := os.Remove(path); err != nil {
				errs = append(errs, err)
			}
		} else {
			errs = append(errs, fmt.Errorf("%s was not written by lxcage (no %s=%s line); left alone", path, ProfileKey, name))
		}
	}
	for _, ic := range installedIcons(env, name) {
		if err := os.Remove(ic); err != nil && !notExist(err) {
			errs = append(errs, err)
		}
	}
	if err := removeMimeDefaults(env, name); err != nil {
		errs = append(errs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	refreshDatabase(ctx, env)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove desktop entry of %s: %w", name, err)
	}
	return nil
}

// IsInstalled reports whether lxcage's entry for the profile exists.
func IsInstalled(env Env, name string) bool {
	return profiles.CheckName(name) == nil && owned(EntryPath(env, name), name)
}

// UpToDate reports whether the installed entry is what Install would
// write now (same binary path, same profile values).
func UpToDate(env Env, p *profiles.Profile) bool {
	want, err := Render(env, p)
	if err != nil {
		return false
	}
	have, err := os.ReadFile(EntryPath(env, p.Name))
	return err == nil && bytes.Equal(have, want)
}

// Entry is an installed entry of lxcage's.
type Entry struct {
	// Name is the profile it launches.
	Name string
	// Path is the .desktop file.
	Path string
}

// Entries lists lxcage's installed entries: files lxcage-NAME.desktop in
// the applications directory that carry X-Lxcage-Profile=NAME.
func Entries(env Env) ([]Entry, error) {
	ents, err := os.ReadDir(ApplicationsDir(env))
	if notExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list desktop entries: %w", err)
	}
	var out []Entry
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, Prefix) || !strings.HasSuffix(n, ".desktop") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(n, Prefix), ".desktop")
		p := filepath.Join(ApplicationsDir(env), n)
		if profiles.CheckName(name) == nil && owned(p, name) {
			out = append(out, Entry{Name: name, Path: p})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// owned reports whether the file at path is lxcage's entry for name: a
// regular file whose [Desktop Entry] has X-Lxcage-Profile=name.
func owned(path, name string) bool {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxKeyFile {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	kf, err := ParseKeyFile(data)
	return err == nil && kf.Get("Desktop Entry", ProfileKey) == name
}

// Menu is env's menu entries as the launcher's delete sees them.
func Menu(env Env) launcher.Menu { return menu{env} }

type menu struct{ env Env }

func (m menu) Installed(name string) bool { return IsInstalled(m.env, name) }

func (m menu) Remove(name string) (string, error) {
	had := IsInstalled(m.env, name)
	if err := Remove(m.env, name); err != nil {
		return "", err
	}
	if !had {
		return "", nil
	}
	return EntryPath(m.env, name), nil
}
