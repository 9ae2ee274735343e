package app

import (
	_ "embed"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"fyne.io/fyne/v2"

	"github.com/lxcage/lxcage/desktop"
)

//go:embed icon.svg
var appIconSVG []byte

// appIcon is lxcage's own icon: the window icon, and the sidebar's for
// profiles whose icon is not on the host.
var appIcon = fyne.NewStaticResource("lxcage.svg", appIconSVG)

// iconThemes are searched for an icon name, best first: the user's own
// icons (where a menu entry's icon is installed) before the system's.
func iconThemes() []string {
	data := os.Getenv("XDG_DATA_HOME")
	if !filepath.IsAbs(data) {
		data = filepath.Join(homeDir(), ".local", "share")
	}
	return []string{filepath.Join(data, "icons", "hicolor"), "/usr/share/icons/hicolor"}
}

// iconFor finds the sidebar icon of it: the icon its menu entry
// installed, else its [desktop] icon when that is on this host as a PNG
// or SVG, else lxcage's own. Lookups are cached per icon name, so a
// sidebar refresh does not touch the disk again.
func (u *UI) iconFor(it *item) fyne.Resource {
	var names []string
	if it.menu {
		names = append(names, desktop.IconName(it.name))
	}
	if it.draft != nil && it.draft.Desktop.Icon != "" {
		names = append(names, it.draft.Desktop.Icon)
	}
	for _, n := range names {
		r, ok := u.icons[n]
		if !ok {
			r = loadIcon(n)
			u.icons[n] = r
		}
		if r != nil {
			return r
		}
	}
	return appIcon
}

// loadIcon reads an icon by absolute path or theme name; nil when there
// is none Fyne can draw.
func loadIcon(name string) fyne.Resource {
	var candidates []string
	if filepath.IsAbs(name) {
		candidates = []string{name}
	} else {
		for _, theme := range iconThemes() {
			for _, ext := range []string{".svg", ".png"} {
				m, _ := filepath.Glob(filepath.Join(theme, "*", "apps", name+ext))
				sort.Sort(sort.Reverse(sort.StringSlice(m))) // "scalable", then larger sizes first, roughly
				candidates = append(candidates, m...)
			}
		}
		candidates = append(candidates, "/usr/share/pixmaps/"+name+".png", "/usr/share/pixmaps/"+name+".svg")
	}
	for _, c := range candidates {
		ext := strings.ToLower(filepath.Ext(c))
		if ext != ".png" && ext != ".svg" {
			continue
		}
		if r, err := fyne.LoadResourceFromPath(c); err == nil {
			return r
		}
	}
	return nil
}
