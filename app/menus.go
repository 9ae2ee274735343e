package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"github.com/lxcage/lxcage/launcher"
)

// menus is the main menu. Every action has a keyboard shortcut here; the
// window triggers main-menu shortcuts even while a text field has focus.
type menus struct {
	main                         *fyne.MainMenu
	save, revert, launch, stop   *fyne.MenuItem
	build, menuEntry, reset, del *fyne.MenuItem
}

func ctrl(k fyne.KeyName) fyne.Shortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
}

func (u *UI) newMenus() *menus {
	m := &menus{}
	cur := func(f func(*item)) func() {
		return func() {
			if u.cur != nil {
				f(u.cur)
			}
		}
	}
	entry := func(label string, key fyne.KeyName, action func()) *fyne.MenuItem {
		i := fyne.NewMenuItem(label, action)
		if key != "" {
			i.Shortcut = ctrl(key)
		}
		return i
	}
	m.save = entry("Save", fyne.KeyS, cur(func(it *item) { u.save(it) }))
	m.revert = entry("Revert", fyne.KeyR, cur(u.revert))
	m.launch = entry("Launch", fyne.KeyL, cur(u.launch))
	m.stop = entry("Stop", fyne.KeyK, cur(u.stop))
	m.build = entry("Create container", fyne.KeyB, cur(u.build))
	m.menuEntry = entry("Add to menu", fyne.KeyM, cur(u.toggleMenu))
	m.reset = entry("Reset to preset…", "", cur(u.showReset))
	m.del = entry("Delete…", fyne.KeyDelete, cur(u.showDelete))

	file := fyne.NewMenu("File",
		entry("New profile…", fyne.KeyN, u.showWizard),
		m.save, m.revert,
		fyne.NewMenuItemSeparator(),
		entry("Host check", fyne.KeyH, u.showHostCheck),
	)
	profile := fyne.NewMenu("Profile",
		m.launch, m.stop, m.build, m.menuEntry,
		fyne.NewMenuItemSeparator(),
		m.reset, m.del,
		fyne.NewMenuItemSeparator(),
		entry("Previous profile", fyne.KeyPageUp, func() { u.step(-1) }),
		entry("Next profile", fyne.KeyPageDown, func() { u.step(+1) }),
	)
	view := fyne.NewMenu("View")
	for i, s := range sections {
		view.Items = append(view.Items, entry(s, fyne.KeyName(string(rune('1'+i))), func() {
			if u.ed != nil {
				u.ed.tabs.SelectIndex(i)
			}
		}))
	}
	theme := fyne.NewMenuItem("Theme", nil)
	theme.ChildMenu = fyne.NewMenu("",
		fyne.NewMenuItem("Follow the system", func() { setThemePref(u.app, "") }),
		fyne.NewMenuItem("Light", func() { setThemePref(u.app, "light") }),
		fyne.NewMenuItem("Dark", func() { setThemePref(u.app, "dark") }),
	)
	view.Items = append(view.Items, fyne.NewMenuItemSeparator(), theme)
	m.main = fyne.NewMainMenu(file, profile, view)
	return m
}

// update enables the items that apply to the selected profile.
func (m *menus) update(u *UI) {
	it := u.cur
	none := it == nil
	broken := none || it.loadErr != nil
	for _, i := range []*fyne.MenuItem{m.launch, m.stop, m.build, m.menuEntry, m.del} {
		i.Disabled = none
	}
	m.reset.Disabled = broken
	m.save.Disabled = broken || !it.dirty()
	m.revert.Disabled = m.save.Disabled
	if !none {
		m.build.Label = "Create container"
		if it.status != nil && it.status.State != launcher.NotCreated {
			m.build.Label = "Rebuild container"
		}
		m.menuEntry.Label = "Add to menu"
		if it.menu {
			m.menuEntry.Label = "Remove from menu"
		}
	}
	m.main.Refresh()
}

// themePref is the preference key of the chosen theme variant.
const themePref = "theme"

// setThemePref switches between light, dark and the system's choice ("")
// and remembers it.
func setThemePref(a fyne.App, v string) {
	a.Preferences().SetString(themePref, v)
	applyThemePref(a)
}

// applyThemePref applies the remembered theme variant.
func applyThemePref(a fyne.App) {
	switch a.Preferences().String(themePref) {
	case "light":
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), theme.VariantLight})
	case "dark":
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), theme.VariantDark})
	default:
		a.Settings().SetTheme(theme.DefaultTheme())
	}
}

// variantTheme is Fyne's theme held to one variant, whatever the
// desktop prefers.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

// Color returns the colour of the held variant.
func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}
