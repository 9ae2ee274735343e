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
	// themes are View → Theme's items by preference value; the chosen
	// one is checked.
	themes map[string]*fyne.MenuItem
	// refreshes counts how often the menu bar was redrawn: each redraw
	// closes a menu the user has open, so it happens only on a change.
	refreshes int
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
	m.themes = map[string]*fyne.MenuItem{}
	themeMenu := fyne.NewMenu("")
	for _, t := range []struct{ label, pref string }{{"Follow the system", ""}, {"Light", "light"}, {"Dark", "dark"}} {
		pref := t.pref
		i := fyne.NewMenuItem(t.label, func() { u.setTheme(pref) })
		m.themes[pref] = i
		themeMenu.Items = append(themeMenu.Items, i)
	}
	theme := fyne.NewMenuItem("Theme", nil)
	theme.ChildMenu = themeMenu
	view.Items = append(view.Items, fyne.NewMenuItemSeparator(), entry("Running sandboxes", fyne.KeyT, u.showLive), fyne.NewMenuItemSeparator(), theme)
	m.main = fyne.NewMainMenu(file, profile, view)
	m.markTheme(u.app.Preferences().String(themePref))
	return m
}

// markTheme checks the chosen theme's item.
func (m *menus) markTheme(pref string) {
	for p, i := range m.themes {
		i.Checked = p == pref
	}
}

// menuState is what update sets on an item.
type menuState struct {
	label    string
	disabled bool
}

// update enables the items that apply to the selected profile. The menu
// bar is redrawn only when an item changed: the status refresh calls this
// every few seconds, and a redraw closes a menu the user has open.
func (m *menus) update(u *UI) bool {
	it := u.cur
	none := it == nil
	broken := none || it.loadErr != nil
	next := map[*fyne.MenuItem]menuState{}
	for _, i := range []*fyne.MenuItem{m.launch, m.stop, m.build, m.menuEntry, m.del, m.reset, m.save, m.revert} {
		next[i] = menuState{i.Label, none}
	}
	next[m.reset] = menuState{m.reset.Label, broken}
	next[m.save] = menuState{m.save.Label, broken || !it.dirty()}
	next[m.revert] = menuState{m.revert.Label, broken || !it.dirty()}
	if !none {
		build := "Create container"
		if it.status != nil && it.status.State != launcher.NotCreated {
			build = "Rebuild container"
		}
		next[m.build] = menuState{build, false}
		entry := "Add to menu"
		if it.menu {
			entry = "Remove from menu"
		}
		next[m.menuEntry] = menuState{entry, false}
	}
	changed := false
	for i, st := range next {
		if i.Label != st.label || i.Disabled != st.disabled {
			i.Label, i.Disabled = st.label, st.disabled
			changed = true
		}
	}
	if changed {
		m.refresh()
	}
	return changed
}

// refresh redraws the menu bar.
func (m *menus) refresh() {
	m.refreshes++
	m.main.Refresh()
}

// setTheme switches the theme, remembers it and marks it in the menu.
func (u *UI) setTheme(pref string) {
	setThemePref(u.app, pref)
	u.menus.markTheme(pref)
	u.menus.refresh()
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
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), theme.VariantLight, true})
	case "dark":
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), theme.VariantDark, true})
	default:
		a.Settings().SetTheme(variantTheme{Theme: theme.DefaultTheme()})
	}
}

// variantTheme is Fyne's theme, held to one variant when fixed (else the
// desktop's), with warning and error colours dark enough on the light
// background to read as text (Fyne's orange and red there are below the
// 4.5:1 contrast body text needs): the risk lines and problems use them.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
	fixed   bool
}

// Readable warning and error colours on the light background.
var (
	lightWarning = color.NRGBA{R: 0xa3, G: 0x4a, B: 0x00, A: 0xff}
	lightError   = color.NRGBA{R: 0xc0, G: 0x1f, B: 0x1f, A: 0xff}
)

// Color returns the colour of the held variant.
func (t variantTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.fixed {
		v = t.variant
	}
	if v == theme.VariantLight {
		switch n {
		case theme.ColorNameWarning:
			return lightWarning
		case theme.ColorNameError:
			return lightError
		}
	}
	return t.Theme.Color(n, v)
}
