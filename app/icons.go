package app

import (
	_ "embed"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"

	"github.com/lxcage/lxcage/profiles"
)

//go:embed icon.svg
var appIconSVG []byte

// appIcon is lxcage's own icon: the window icon, and the sidebar's for
// profiles whose icon is not on the host.
var appIcon = fyne.NewStaticResource("lxcage.svg", appIconSVG)

// iconDirs are searched for a profile's icon name, best first: the
// user's own icons (where a menu entry's icon is copied) before the
// system's.
func iconDirs() []string {
	data := os.Getenv("XDG_DATA_HOME")
	if !filepath.IsAbs(data) {
		data = filepath.Join(homeDir(), ".local", "share")
	}
	var dirs []string
	for _, base := range []string{filepath.Join(data, "icons"), "/usr/share/icons"} {
		for _, size := range []string{"64x64", "48x48", "128x128", "256x256", "32x32", "scalable"} {
			dirs = append(dirs, filepath.Join(base, "hicolor", size, "apps"))
		}
	}
	return append(dirs, "/usr/share/pixmaps")
}

// iconFor finds the sidebar icon of p: its desktop icon when that is on
// this host as a PNG or SVG, else lxcage's own. Results are cached per
// icon name, so a sidebar refresh never touches the disk again.
func (u *UI) iconFor(p *profiles.Profile) fyne.Resource {
	if p == nil || p.Desktop.Icon == "" {
		return appIcon
	}
	name := p.Desktop.Icon
	if r, ok := u.icons[name]; ok {
		return r
	}
	r := loadIcon(name)
	u.icons[name] = r
	return r
}

func loadIcon(name string) fyne.Resource {
	var candidates []string
	if filepath.IsAbs(name) {
		candidates = []string{name}
	} else {
		for _, d := range iconDirs() {
			candidates = append(candidates, filepath.Join(d, name+".png"), filepath.Join(d, name+".svg"))
		}
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
	return appIcon
}
