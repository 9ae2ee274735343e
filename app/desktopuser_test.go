package app

import (
	"context"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// The tests of issue 16: the editor as a desktop user meets it.

// TestExternalEditOffersReloadOrKeep: a file changed on disk while the
// draft has unsaved changes is never overwritten silently. The editor
// offers to reload it or to keep the draft; Save asks too, even before
// the watcher has told.
func TestExternalEditOffersReloadOrKeep(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	path := profiles.Path(h.dir, "eyes")
	retype(u.ed.entries["description"], "mine")
	theirs := "description = \"theirs\"\ncommand = [\"xeyes\", \"-fg\", \"blue\"]\n[access]\nx11 = true\n"
	if err := os.WriteFile(path, []byte(theirs), 0o600); err != nil {
		t.Fatal(err)
	}

	// Save before the watcher told: asked, not written.
	test.Tap(u.ed.save)
	if h.file("eyes") != theirs {
		t.Fatalf("Save overwrote a file changed on disk:\n%s", h.file("eyes"))
	}
	if top := u.win.Canvas().Overlays().Top(); top == nil || findButton(top, "Save mine over it") == nil {
		t.Fatal("Save did not ask about the changed file")
	}
	h.tapDialog("Cancel")

	// The watcher's news: the draft stays, a bar offers both ways.
	u.fileChanged("eyes")
	if u.cur.draft.Description != "mine" || !u.cur.dirty() {
		t.Errorf("draft replaced: %q", u.cur.draft.Description)
	}
	if u.ed.conflict.box.Hidden || !strings.Contains(u.ed.conflict.text.Text, "changed outside the editor") {
		t.Errorf("no conflict bar: %q hidden %v", u.ed.conflict.text.Text, u.ed.conflict.box.Hidden)
	}
	if !strings.Contains(rowState(u.cur), "changed on disk") {
		t.Errorf("sidebar: %q", rowState(u.cur))
	}
	test.Tap(findButton(u.ed.conflict.box, "Keep my changes"))
	if err := u.save(u.cur); err != nil {
		t.Fatalf("save after Keep my changes: %v", err)
	}
	if got := h.file("eyes"); !strings.Contains(got, `description = "mine"`) {
		t.Errorf("kept changes not saved:\n%s", got)
	}

	// Again, and this time reload.
	retype(u.ed.entries["description"], "mine again")
	os.WriteFile(path, []byte(strings.Replace(theirs, "theirs", "theirs 2", 1)), 0o600)
	u.fileChanged("eyes")
	test.Tap(findButton(u.ed.conflict.box, "Reload from disk"))
	if u.cur.dirty() || u.cur.draft.Description != "theirs 2" || u.ed.entries["description"].Text != "theirs 2" {
		t.Errorf("reload: dirty %v, description %q", u.cur.dirty(), u.cur.draft.Description)
	}

	// Without unsaved changes a change on disk just shows.
	os.WriteFile(path, []byte(strings.Replace(theirs, "theirs", "theirs 3", 1)), 0o600)
	u.fileChanged("eyes")
	if u.cur.draft.Description != "theirs 3" || !u.ed.conflict.box.Hidden {
		t.Errorf("clean profile not reloaded: %q", u.cur.draft.Description)
	}

	// Removed on disk under unsaved changes: kept listed; keeping saves it again.
	retype(u.ed.entries["description"], "mine, removed")
	os.Remove(path)
	u.rescan()
	if u.find("eyes") == nil || u.cur.conflict == nil || !u.cur.conflict.gone() {
		t.Fatalf("a draft with unsaved changes vanished with its file")
	}
	test.Tap(findButton(u.ed.conflict.box, "Keep my changes"))
	if err := u.save(u.cur); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.file("eyes"), "mine, removed") {
		t.Errorf("not saved again")
	}
}

// TestWatcherSeesChanges: the inotify watcher names profiles written,
// renamed into place and removed, and nothing else.
func TestWatcherSeesChanges(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profiles")
	got := make(chan string, 16)
	w, err := watchDir(dir, func(name string) { got <- name })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	expect := func(want string) {
		t.Helper()
		select {
		case n := <-got:
			if n != want {
				t.Errorf("watcher said %q, want %q", n, want)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("watcher said nothing about %s", want)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "a.toml"), []byte("command = [\"a\"]\n"), 0o600)
	expect("a")
	tmp := filepath.Join(dir, ".b.toml.tmp")
	os.WriteFile(tmp, []byte("command = [\"b\"]\n"), 0o600)
	os.Rename(tmp, filepath.Join(dir, "b.toml"))
	expect("b")
	os.Remove(filepath.Join(dir, "a.toml"))
	expect("a")
	select {
	case n := <-got:
		t.Errorf("unexpected news of %q", n)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestLaunchRefusalsShowBeforeSave: what the launch would refuse — the
// share guard, a folder that does not exist, a fact of this computer —
// shows on the field and above the form before Save, from the same
// Compile the launch runs; Save then asks instead of saving silently.
func TestLaunchRefusalsShowBeforeSave(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	h.backend.kind = func(p string) profiles.PathKind {
		if strings.HasSuffix(p, "/missing") {
			return profiles.PathMissing
		}
		return profiles.PathDir
	}
	before := h.file("eyes")
	test.Tap(findButton(u.ed.section(2), "Add folder"))
	host := u.ed.entries["share[0].host"]
	for _, tc := range []struct{ value, want string }{
		{"~", "your whole home directory"},
		{"~/missing", "does not exist"},
		{"~/.ssh", "credentials"},
	} {
		host.SetText(tc.value) // as the folder picker does
		err := host.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("share %s: field says %v, want %q", tc.value, err, tc.want)
		}
		if l := findLabelContaining(u.ed.section(2), tc.want); l == nil || l.Importance != widget.DangerImportance {
			t.Errorf("share %s: no red line under the field", tc.value)
		}
		if !strings.Contains(u.ed.banner.Text, "would not start") || !strings.Contains(u.ed.banner.Text, tc.want) {
			t.Errorf("share %s: banner %q", tc.value, u.ed.banner.Text)
		}
		test.Tap(u.ed.save)
		if h.file("eyes") != before {
			t.Fatalf("saved a profile the launch refuses (share %s)", tc.value)
		}
		if top := u.win.Canvas().Overlays().Top(); top == nil || findButton(top, "Save anyway") == nil {
			t.Fatalf("share %s: Save did not say why", tc.value)
		}
		h.tapDialog("Keep editing")
	}
	host.SetText("~/Music")
	if err := host.Validate(); err != nil || !u.ed.banner.Hidden {
		t.Errorf("a good share flagged: %v / %q", err, u.ed.banner.Text)
	}
	// A fact of this computer, not of a field: no local X display.
	h.backend.host.XSocket = ""
	u.compiles = nil
	u.ed.updateBanner()
	if !strings.Contains(u.ed.banner.Text, "access.x11") || !strings.Contains(u.ed.banner.Text, "not a local X server") {
		t.Errorf("host fact not shown: %q", u.ed.banner.Text)
	}
	// Saving anyway is the user's choice (the profile may be for later).
	test.Tap(u.ed.save)
	h.tapDialog("Save anyway")
	if !strings.Contains(h.file("eyes"), "~/Music") {
		t.Errorf("Save anyway did not save")
	}
}

// pressTab does what the window does with Tab: the focused widget takes
// it if it accepts tabs, else the focus moves on.
func pressTab(c fyne.Canvas, shift bool) {
	if f, ok := c.Focused().(fyne.Tabbable); ok && f.AcceptsTab() {
		c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
		return
	}
	if shift {
		c.FocusPrevious()
	} else {
		c.FocusNext()
	}
}

// entryOf is the entry inside a focused widget.
func entryOf(f fyne.Focusable) *widget.Entry {
	switch v := f.(type) {
	case *widget.Entry:
		return v
	case *multiEntry:
		return &v.Entry
	case *keyEntry:
		return &v.Entry
	case *widget.SelectEntry:
		return &v.Entry
	}
	return nil
}

// TestTabReachesEveryField tabs through every page of the form from
// nothing focused, as a keyboard user does: every field of the page gets
// the focus, and no multi-line field swallows the Tab.
func TestTabReachesEveryField(t *testing.T) {
	h := setup(t, "web=chrome")
	u := h.open()
	test.Tap(findButton(u.ed.section(2), "Add folder"))
	test.Tap(findButton(u.ed.section(2), "Add variable"))
	test.Tap(findButton(u.ed.section(3), "Add command"))
	c := u.win.Canvas()
	for i := range sections {
		u.ed.tabs.SelectIndex(i)
		c.Unfocus()
		reached := map[any]bool{}
		for n := 0; n < 400; n++ {
			pressTab(c, false)
			f := c.Focused()
			if f == nil {
				continue
			}
			reached[f] = true
			if e := entryOf(f); e != nil {
				reached[e] = true
			}
		}
		want := 0
		for key, e := range u.ed.entries {
			if sectionOf(key) != i || e.Disabled() {
				continue
			}
			want++
			if !reached[e] {
				t.Errorf("%s: Tab never reaches %s", sections[i], key)
			}
		}
		for key, s := range u.ed.choices {
			if sectionOf(key) == i && !reached[s] {
				t.Errorf("%s: Tab never reaches %s", sections[i], key)
			}
		}
		for key, ch := range u.ed.checks {
			if sectionOf(key) == i && !ch.Disabled() && !reached[ch] {
				t.Errorf("%s: Tab never reaches %s", sections[i], key)
			}
		}
		if want == 0 && i != 1 {
			t.Errorf("%s: no fields found", sections[i])
		}
		// And back: Shift+Tab reaches the header's Launch button.
		for n := 0; n < 400 && !isButton(c.Focused(), "Launch"); n++ {
			pressTab(c, true)
		}
		if !isButton(c.Focused(), "Launch") {
			t.Errorf("%s: Shift+Tab never reaches Launch", sections[i])
		}
	}
	// Tab in the multi-line command field moves on; it inserts nothing.
	u.ed.tabs.SelectIndex(0)
	cmd := u.ed.entries["command"]
	before := cmd.Text
	c.Focus(focusableOf(u.ed.section(0), cmd))
	pressTab(c, false)
	if cmd.Text != before || strings.Contains(strings.Join(u.cur.draft.Command, ""), "\t") {
		t.Errorf("Tab went into the command: %q", cmd.Text)
	}
	if entryOf(c.Focused()) == cmd {
		t.Errorf("Tab left the focus in the command field")
	}
}

func isButton(f fyne.Focusable, label string) bool {
	switch b := f.(type) {
	case *widget.Button:
		return b.Text == label
	case *keyButton:
		return b.Text == label
	}
	return false
}

// focusableOf finds the widget in the tree that holds entry e.
func focusableOf(o fyne.CanvasObject, e *widget.Entry) fyne.Focusable {
	var found fyne.Focusable
	walkObjects(o, func(x fyne.CanvasObject) {
		if f, ok := x.(fyne.Focusable); ok && found == nil && entryOf(f) == e {
			found = f
		}
	})
	return found
}

// walkObjects visits o and everything under it, widgets' parts included.
func walkObjects(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	visit(o)
	if c, ok := o.(*fyne.Container); ok {
		for _, x := range c.Objects {
			walkObjects(x, visit)
		}
	}
	if w, ok := o.(fyne.Widget); ok {
		for _, x := range test.WidgetRenderer(w).Objects() {
			walkObjects(x, visit)
		}
	}
}

// findLabelContaining finds a visible label whose text holds s.
func findLabelContaining(o fyne.CanvasObject, s string) *widget.Label {
	var found *widget.Label
	walkObjects(o, func(x fyne.CanvasObject) {
		if l, ok := x.(*widget.Label); ok && found == nil && l.Visible() && strings.Contains(l.Text, s) {
			found = l
		}
	})
	return found
}

// shortcut runs the main menu's action for Ctrl+key, as the window does
// for a shortcut typed anywhere.
func shortcut(t *testing.T, u *UI, key fyne.KeyName) {
	t.Helper()
	want := (&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}).ShortcutName()
	var run func()
	var walk func(m *fyne.Menu)
	walk = func(m *fyne.Menu) {
		for _, i := range m.Items {
			if i.Shortcut != nil && i.Shortcut.ShortcutName() == want {
				run = i.Action
			}
			if i.ChildMenu != nil {
				walk(i.ChildMenu)
			}
		}
	}
	for _, m := range u.menus.main.Items {
		walk(m)
	}
	if run == nil {
		t.Fatalf("no menu item for Ctrl+%s", key)
	}
	run()
}

// typeKeys types into whatever has the focus.
func typeKeys(c fyne.Canvas, s string) {
	for _, r := range s {
		c.Focused().TypedRune(r)
	}
}

func key(c fyne.Canvas, k fyne.KeyName) {
	if f := c.Focused(); f != nil {
		f.TypedKey(&fyne.KeyEvent{Name: k})
	} else if h := c.OnTypedKey(); h != nil {
		h(&fyne.KeyEvent{Name: k})
	}
}

// TestKeyboardOnly makes a profile, looks at it and deletes it without
// the mouse: shortcuts, Tab, typing, Enter and Esc.
func TestKeyboardOnly(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	c := u.win.Canvas()

	shortcut(t, u, fyne.KeyN) // New profile…
	if c.Overlays().Top() == nil || entryOf(c.Focused()) == nil {
		t.Fatal("Ctrl+N: no dialog with the name focused")
	}
	typeKeys(c, "tool")
	for n := 0; n < 10 && entryOf(c.Focused()) == nil || n == 0; n++ {
		pressTab(c, false) // on to the command (past the preset)
		if _, ok := c.Focused().(*multiEntry); ok {
			break
		}
	}
	if _, ok := c.Focused().(*multiEntry); !ok {
		t.Fatalf("Tab does not reach the command; focus on %T", c.Focused())
	}
	typeKeys(c, "xterm")
	key(c, fyne.KeyEscape)
	if c.Overlays().Top() != nil {
		t.Fatal("Esc did not close the new-profile dialog")
	}
	if _, err := os.Stat(profiles.Path(h.dir, "tool")); err == nil {
		t.Fatal("Esc created the profile")
	}

	shortcut(t, u, fyne.KeyN)
	typeKeys(c, "tool")
	pressTab(c, false)
	pressTab(c, false)
	typeKeys(c, "xterm")
	pressTab(c, true)
	pressTab(c, true) // back in the name
	key(c, fyne.KeyReturn)
	if c.Overlays().Top() != nil {
		t.Fatalf("Enter in the name did not create; message %q", findLabelContaining(c.Overlays().Top(), "").Text)
	}
	p, err := profiles.LoadName(h.dir, "tool")
	if err != nil || strings.Join(p.Command, " ") != "xterm" || p.Access.X11 != x11True() || x11True() == profiles.X11Off {
		t.Fatalf("made by keyboard: %+v %v", p, err)
	}

	shortcut(t, u, fyne.KeyPageUp) // to eyes
	if u.cur.name != "eyes" {
		t.Fatalf("Ctrl+PageUp: %s", u.cur.name)
	}
	shortcut(t, u, fyne.KeyDelete)
	key(c, fyne.KeyReturn) // Cancel is Enter's for a delete
	if c.Overlays().Top() != nil || u.find("eyes") == nil || h.runner.called() != "" {
		t.Fatalf("Enter in the delete dialog deleted (or did not close it): %q", h.runner.called())
	}
	shortcut(t, u, fyne.KeyDelete)
	pressTab(c, true) // from Cancel to Delete
	if !isButton(c.Focused(), "Delete") {
		t.Fatalf("Shift+Tab: focus on %T", c.Focused())
	}
	key(c, fyne.KeyReturn)
	if got := h.runner.called(); !strings.HasPrefix(got, "delete eyes") {
		t.Errorf("Enter on Delete ran %q", got)
	}
}

// TestDialogsCloseWithEscAndEnter: with the focus anywhere in a dialog,
// or nowhere, Esc closes it and Enter answers it.
func TestDialogsCloseWithEscAndEnter(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	c := u.win.Canvas()
	yes := 0
	u.confirm("Sure?", "Really?", "Yes", func() { yes++ })
	c.Unfocus()
	key(c, fyne.KeyEscape)
	if c.Overlays().Top() != nil || yes != 0 {
		t.Errorf("Esc with nothing focused: open %v, yes %d", c.Overlays().Top() != nil, yes)
	}
	u.confirm("Sure?", "Really?", "Yes", func() { yes++ })
	key(c, fyne.KeyReturn)
	if c.Overlays().Top() != nil || yes != 1 {
		t.Errorf("Enter: open %v, yes %d", c.Overlays().Top() != nil, yes)
	}
	u.errorDialog("Broken", "something")
	c.Unfocus()
	key(c, fyne.KeyReturn)
	if c.Overlays().Top() != nil {
		t.Error("Enter did not close an error dialog")
	}
	u.showReset(u.cur)
	pressTab(c, true)
	pressTab(c, true) // the preset select
	if _, ok := c.Focused().(*keySelect); !ok {
		t.Fatalf("focus on %T, want the preset select", c.Focused())
	}
	key(c, fyne.KeyEscape)
	if c.Overlays().Top() != nil || u.cur.dirty() {
		t.Error("Esc on the select did not close the reset dialog untouched")
	}
	// The key handler of the window is its own again.
	if c.OnTypedKey() != nil {
		key(c, fyne.KeyEscape)
	}
}

// TestMenusStayOpen: the state refresh does not redraw the menu bar (a
// redraw closes an open menu) unless an item changed; the theme choice
// applies and is marked.
func TestMenusStayOpen(t *testing.T) {
	h := setup(t, "eyes=xeyes", "clock=xclock")
	u := h.open()
	menu := u.win.MainMenu()
	before := u.menus.refreshes
	for i := 0; i < 5; i++ {
		u.refreshStatus(context.Background())
	}
	if u.menus.refreshes != before || u.win.MainMenu() != menu {
		t.Errorf("the menu bar was redrawn %d times by unchanged states", u.menus.refreshes-before)
	}
	h.backend.setState(u.cur.name, launcher.Stopped)
	u.refreshStatus(context.Background())
	if u.menus.refreshes != before+1 || u.menus.build.Label != "Rebuild container" {
		t.Errorf("a changed item: %d redraws, label %q", u.menus.refreshes-before, u.menus.build.Label)
	}
	for _, pref := range []string{"light", "dark", ""} {
		u.setTheme(pref)
		for p, i := range u.menus.themes {
			if i.Checked != (p == pref) {
				t.Errorf("theme %q chosen: %q marked %v", pref, p, i.Checked)
			}
		}
		if got := u.app.Preferences().String(themePref); got != pref {
			t.Errorf("preference %q, want %q", got, pref)
		}
	}
	u.setTheme("light")
	if th, ok := u.app.Settings().Theme().(variantTheme); !ok || th.variant != theme.VariantLight {
		t.Errorf("light theme not applied: %#v", u.app.Settings().Theme())
	}
}

// TestNewProfileLeastPrivilege: New profile starts empty, with its own
// windows and nothing else; a preset made to run another program takes
// the new name, not the preset's.
func TestNewProfileLeastPrivilege(t *testing.T) {
	h := setup(t)
	u := h.open()
	w := u.newWizard()
	if w.preset.Selected != emptyPreset || w.x11.Selected != x11Switch.Get(&profiles.Access{X11: x11True()}) || w.sound.Checked || w.gpu.Checked || w.network.Selected != profiles.NetworkOff {
		t.Errorf("new profile starts with preset %q, x11 %q, sound %v, gpu %v, network %q",
			w.preset.Selected, w.x11.Selected, w.sound.Checked, w.gpu.Checked, w.network.Selected)
	}
	if !strings.Contains(w.presets.of["chrome"], "Google Chrome, kept away") {
		t.Errorf("presets listed without descriptions: %v", w.preset.Options)
	}
	retype(w.name, "tool")
	w.command.SetText("xterm")
	w.create()
	p, err := profiles.LoadName(h.dir, "tool")
	if err != nil || p.Access.X11 != x11True() || p.Access.PulseAudio || p.Access.GPU || p.Access.Network != profiles.NetworkOff {
		t.Fatalf("empty profile: %+v %v", p, err)
	}

	w = u.newWizard()
	w.preset.SetSelected(w.presets.of["xeyes"])
	retype(w.name, "broken")
	w.command.SetText("no-such-program")
	w.create()
	p, err = profiles.LoadName(h.dir, "broken")
	if err != nil {
		t.Fatal(err)
	}
	if p.Description != "broken" || p.Desktop.Name != "" || strings.Contains(h.file("broken"), "xeyes") {
		t.Errorf("another program kept the preset's identity:\n%s", h.file("broken"))
	}
	// Only other arguments: still the preset's app.
	w = u.newWizard()
	w.preset.SetSelected(w.presets.of["xeyes"])
	retype(w.name, "eyes2")
	w.command.SetText("xeyes\n-fg\nred")
	w.create()
	if p, _ := profiles.LoadName(h.dir, "eyes2"); p == nil || !strings.Contains(p.Description, "xeyes") {
		t.Errorf("same program lost the preset's description: %+v", p)
	}
}

// TestOnlySetKeysWritten: Save writes the keys the user set, not zero
// limits, defaults or a header pointing at a file users do not have.
func TestOnlySetKeysWritten(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	retype(u.ed.entries["description"], "changed")
	retype(u.ed.entries["limits.pids"], "")
	retype(u.ed.entries["limits.cpu_weight"], "")
	if err := u.save(u.cur); err != nil {
		t.Fatal(err)
	}
	text := h.file("eyes")
	for _, bad := range []string{"pids", "cpu_weight", "DESIGN.md", "user =", "mode =", "seccomp =", "level =", `network = "off"`, `dbus = "none"`, `type = "host"`} {
		if strings.Contains(text, bad) {
			t.Errorf("saved file holds %q:\n%s", bad, text)
		}
	}
	if !strings.Contains(text, `description = "changed"`) {
		t.Errorf("the change is missing:\n%s", text)
	}
}

// TestStopShowsAtOnce: after Stop the state is "stopped" at once, not at
// the next status refresh.
func TestStopShowsAtOnce(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	h.backend.setState("eyes", launcher.Running)
	u.refreshStatus(context.Background())
	h.runner.do["stop eyes"] = func() { h.backend.setState("eyes", launcher.Stopped) }
	test.Tap(u.ed.stop)
	if got := rowState(u.cur); got != "stopped" {
		t.Errorf("right after Stop: %q", got)
	}
	if !strings.Contains(u.ed.state.Text, "stopped") {
		t.Errorf("header: %q", u.ed.state.Text)
	}
}

// luminance and contrast follow WCAG 2.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	ch := func(v uint32) float64 {
		x := float64(v) / 0xffff
		if x <= 0.03928 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(r) + 0.7152*ch(g) + 0.0722*ch(b)
}

func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestHintsAreReadable: hints, risk lines and problems are drawn with at
// least the contrast WCAG asks of body text (4.5:1), in the light and
// the dark theme.
func TestHintsAreReadable(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	for _, pref := range []string{"light", "dark"} {
		u.setTheme(pref)
		th := u.app.Settings().Theme()
		v := theme.VariantDark
		if pref == "light" {
			v = theme.VariantLight
		}
		bg := th.Color(theme.ColorNameBackground, v)
		for _, imp := range []widget.Importance{widget.MediumImportance, widget.WarningImportance, widget.DangerImportance} {
			l := hint("Account inside the container; it has your own uid, never root.")
			l.Importance = imp
			w := test.NewWindow(l)
			n := 0
			walkObjects(l, func(o fyne.CanvasObject) {
				if txt, ok := o.(*canvas.Text); ok && txt.Text != "" {
					n++
					if r := contrast(txt.Color, bg); r < 4.5 {
						t.Errorf("%s theme, importance %d: contrast %.1f:1, want 4.5:1 or more", pref, imp, r)
					}
				}
			})
			w.Close()
			if n == 0 {
				t.Fatalf("%s theme: no text drawn for the hint", pref)
			}
		}
	}
}

// TestWizardHintsFollowChoices: the hints under the image type and the
// X11 level say what the chosen one means.
func TestWizardHintsFollowChoices(t *testing.T) {
	h := setup(t)
	u := h.open()
	w := u.newWizard()
	for _, typ := range []string{profiles.ImageDownload, profiles.ImageHost} {
		w.image.SetSelected(typ)
		it, _ := profiles.ImageTypeNamed(typ)
		if w.imageHint.Text != it.Doc || it.Doc == "" {
			t.Errorf("image %s: hint %q", typ, w.imageHint.Text)
		}
	}
	for _, v := range x11Switch.Values {
		w.x11.SetSelected(v)
		r := x11Switch.Risks[v]
		if w.x11Hint.Text != r.Text || (w.x11Hint.Importance == widget.WarningImportance) != r.High {
			t.Errorf("x11 %s: hint %q (importance %v)", v, w.x11Hint.Text, w.x11Hint.Importance)
		}
	}
}

// absRect is where an object is on the canvas.
type absRect struct{ x, y, w, h float32 }

func (a absRect) overlaps(b absRect) bool {
	return a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h
}

// visibleLabels lists the visible labels under o with their places.
func visibleLabels(o fyne.CanvasObject, at fyne.Position, out map[*widget.Label]absRect) {
	if o == nil || !o.Visible() {
		return
	}
	pos := at.Add(o.Position())
	if l, ok := o.(*widget.Label); ok && l.Text != "" {
		out[l] = absRect{pos.X, pos.Y, o.Size().Width, o.Size().Height}
		return
	}
	if c, ok := o.(*fyne.Container); ok {
		for _, x := range c.Objects {
			visibleLabels(x, pos, out)
		}
	}
	if w, ok := o.(fyne.Widget); ok {
		for _, x := range test.WidgetRenderer(w).Objects() {
			visibleLabels(x, pos, out)
		}
	}
}

// TestWizardTextDoesNotOverlap: with errors shown, no text of the
// new-profile dialog is drawn over another, and long lines wrap within it.
func TestWizardTextDoesNotOverlap(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	w := u.newWizard()
	u.showDialog(w.d, w.keys)
	retype(w.name, "Bad Name")
	w.create()
	if w.errMsg.Hidden || !strings.Contains(w.errMsg.Text, "invalid profile name") {
		t.Fatalf("no error shown: %q", w.errMsg.Text)
	}
	top := u.win.Canvas().Overlays().Top()
	labels := map[*widget.Label]absRect{}
	visibleLabels(top, fyne.Position{}, labels)
	var ls []*widget.Label
	for l := range labels {
		ls = append(ls, l)
	}
	size := top.Size()
	for i, a := range ls {
		ra := labels[a]
		if ra.x+ra.w > size.Width+1 {
			t.Errorf("%q runs past the dialog's edge", a.Text)
		}
		for _, b := range ls[i+1:] {
			if ra.overlaps(labels[b]) {
				t.Errorf("%q is drawn over %q", a.Text, b.Text)
			}
		}
	}
	if len(ls) < 5 {
		t.Errorf("only %d labels found", len(ls))
	}
}

// TestMinimumWidth: the window fits a screen much narrower than it is
// laid out for, every section and page included.
func TestMinimumWidth(t *testing.T) {
	h := setup(t, "web=chrome", "eyes=xeyes", "games=steam")
	u := h.open()
	const most = 700
	for i := range u.ed.tabs.Items {
		u.ed.tabs.SelectIndex(i)
		if m := u.win.Content().MinSize(); m.Width > most {
			t.Errorf("tab %s: the window needs %.0f px wide, want at most %d", sections[i], m.Width, most)
		}
	}
	for _, page := range []func(){u.showHostCheck, u.showLive} {
		page()
		if m := u.win.Content().MinSize(); m.Width > most {
			t.Errorf("page %q: the window needs %.0f px wide", u.win.Title(), m.Width)
		}
	}
}

// TestLogWraps: a long line of a command's output wraps in the Log tab.
func TestLogWraps(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	if u.pv.log.Wrapping == fyne.TextWrapOff {
		t.Error("the log does not wrap")
	}
	u.logLine(u.cur, strings.Repeat("lxc-start: a long message ", 30))
	if m := u.pv.log.MinSize(); m.Width > 400 {
		t.Errorf("a long log line makes the pane %.0f px wide", m.Width)
	}
}

// TestLiveView: running sandboxes with their figures, refreshed in place,
// gone when stopped, and Stop from the page.
func TestLiveView(t *testing.T) {
	h := setup(t, "eyes=xeyes", "clock=xclock")
	u := h.open()
	h.backend.setState("eyes", launcher.Running)
	h.backend.stats["eyes"] = &launcher.Stats{Name: "eyes", InitPID: 4004, CPU: 2.5, Memory: 12 << 20, MemoryLimit: 256 << 20, Pids: 3, PidsLimit: 100,
		Uptime: 65 * time.Second, Procs: []launcher.Proc{{PID: 4242, Name: "xeyes", Cmd: "xeyes -fg red", RSS: 3 << 20, Age: time.Minute},
			{PID: 4250, Name: "sleep", Cmd: "sleep 0.5", Age: time.Second}}}
	u.refreshStatus(context.Background())
	u.showLive()
	lv := u.live
	card := lv.byName["eyes"]
	if card == nil || len(lv.byName) != 1 {
		t.Fatalf("cards: %v", lv.byName)
	}
	for _, want := range []string{"CPU 2%", "12.0 MiB of 256 MiB", "3 of 100", "up 1m"} {
		if !strings.Contains(card.figures.Text, want) {
			t.Errorf("figures %q lack %q", card.figures.Text, want)
		}
	}
	if !strings.Contains(card.procs.Text, "4242") || !strings.Contains(card.procs.Text, "xeyes -fg red") || strings.Contains(card.procs.Text, "sleep 0.5") || card.mem.value < 0.04 || card.mem.value > 0.05 {
		t.Errorf("processes %q, memory bar %.3f", card.procs.Text, card.mem.value)
	}
	if !strings.Contains(lv.summary.Text, "1 sandbox running") {
		t.Errorf("summary %q", lv.summary.Text)
	}
	// The next second: the same card, new figures.
	h.backend.stats["eyes"].CPU = 40
	lv.show(lv.read(u.liveTargets()))
	if lv.byName["eyes"] != card || !strings.Contains(card.figures.Text, "CPU 40%") {
		t.Errorf("not updated in place: %q", card.figures.Text)
	}
	h.runner.do["stop eyes"] = func() { h.backend.setState("eyes", launcher.Stopped) }
	test.Tap(&card.stop.Button)
	if got := h.runner.called(); got != "stop eyes" {
		t.Errorf("Stop ran %q", got)
	}
	lv.show(lv.read(u.liveTargets()))
	if len(lv.byName) != 0 || !strings.Contains(lv.summary.Text, "No sandbox is running") {
		t.Errorf("after the stop: %d cards, %q", len(lv.byName), lv.summary.Text)
	}
	shortcut(t, u, fyne.KeyPageDown)
	if u.onPage || lv.cancel != nil {
		t.Errorf("leaving the page did not stop its readings")
	}
}
