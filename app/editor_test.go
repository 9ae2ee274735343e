package app

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/lxcage/lxcage/assets"
	"github.com/lxcage/lxcage/hostcheck"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// TestEditSaveWritesExactlyTheNewValues: edits in several sections, then
// Save; the file loads back as the preset with exactly those changes,
// and defaults are not written out.
func TestEditSaveWritesExactlyTheNewValues(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	ed := u.ed
	if ed == nil || u.cur.name != "eyes" {
		t.Fatalf("eyes is not selected")
	}
	retype(ed.entries["description"], "Eyes, boxed")
	ed.entries["command"].SetText("xeyes\n-fg\nred\n")
	retype(ed.entries["limits.memory"], "512M")
	retype(ed.entries["limits.pids"], "256")
	ed.choices["access.network"].SetSelected(profiles.NetworkBridge)
	ed.choices["access.x11"].SetSelected("nested")
	test.Tap(ed.checks["access.gpu"])
	if !u.cur.dirty() || !strings.Contains(u.win.Title(), "*") {
		t.Fatalf("edits not marked unsaved (title %q)", u.win.Title())
	}

	test.Tap(ed.save)

	got, err := profiles.LoadName(h.dir, "eyes")
	if err != nil {
		t.Fatalf("saved file does not load: %v\n%s", err, h.file("eyes"))
	}
	want, err := parsePreset("eyes", "xeyes")
	if err != nil {
		t.Fatal(err)
	}
	want.Description = "Eyes, boxed"
	want.Command = []string{"xeyes", "-fg", "red"}
	want.Limits.Memory = "512M"
	want.Limits.Pids = 256
	want.Access.Network = profiles.NetworkBridge
	want.Access.X11 = profiles.X11Nested
	want.Access.GPU = true
	if !reflect.DeepEqual(got, want) {
		t.Errorf("saved profile:\n%+v\nwant:\n%+v", got, want)
	}
	text := h.file("eyes")
	for _, s := range []string{`memory = "512M"`, "pids = 256", `network = "bridge"`, `x11 = "nested"`, "gpu = true", `command = ["xeyes", "-fg", "red"]`} {
		if !strings.Contains(text, s) {
			t.Errorf("file lacks %s:\n%s", s, text)
		}
	}
	for _, s := range []string{"user =", "mode =", "seccomp =", `level = "ERROR"`} {
		if strings.Contains(text, s) {
			t.Errorf("file pins a default (%s):\n%s", s, text)
		}
	}
	if u.cur.dirty() || strings.Contains(u.win.Title(), "*") {
		t.Errorf("still marked unsaved after Save")
	}
	if !strings.Contains(u.message.Text, "Saved") {
		t.Errorf("status line %q", u.message.Text)
	}
}

// TestInvalidValueRefused: a bad value is flagged as it is typed; Save
// refuses, says why, opens the field's tab and leaves the file alone.
func TestInvalidValueRefused(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	before := h.file("eyes")
	ed := u.ed
	mem := ed.entries["limits.memory"]
	retype(mem, "lots")
	if err := mem.Validate(); err == nil || !strings.Contains(err.Error(), "size") {
		t.Errorf("validator on %q: %v, want an invalid size", mem.Text, err)
	}
	if ed.banner.Hidden || !strings.Contains(ed.banner.Text, "limits.memory") {
		t.Errorf("banner %q (hidden %v)", ed.banner.Text, ed.banner.Hidden)
	}

	test.Tap(ed.save)

	if after := h.file("eyes"); after != before {
		t.Errorf("file changed by a refused save:\n%s", after)
	}
	if !strings.Contains(u.message.Text, "Not saved") {
		t.Errorf("status line %q", u.message.Text)
	}
	if u.win.Canvas().Overlays().Top() == nil {
		t.Errorf("no dialog tells why")
	}
	if got := ed.tabs.SelectedIndex(); got != sectionOf("limits.memory") {
		t.Errorf("tab %d selected, want the Limits tab", got)
	}
	if !u.cur.dirty() {
		t.Errorf("a refused save dropped the draft")
	}
}

// TestFormOnlyErrorsRefused: values the form itself cannot turn into a
// profile (not a number, one variable twice) also stop Save.
func TestFormOnlyErrorsRefused(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	before := h.file("eyes")
	retype(u.ed.entries["limits.pids"], "many")
	if err := u.ed.entries["limits.pids"].Validate(); err == nil {
		t.Errorf("pids %q accepted", "many")
	}
	if err := u.save(u.cur); err == nil {
		t.Fatalf("saved with pids = many")
	}
	retype(u.ed.entries["limits.pids"], "")
	u.ed.env = []*envVar{{"A", "1"}, {"A", "2"}}
	u.ed.syncEnv()
	if err := u.save(u.cur); err == nil || !strings.Contains(err.Error(), "set twice") {
		t.Fatalf("save with a duplicate variable: %v", err)
	}
	if h.file("eyes") != before {
		t.Errorf("file changed")
	}
}

// TestCompiledPaneFollowsEdits: the LXC config pane recompiles on each
// edit, and says what to fix when the draft does not validate.
func TestCompiledPaneFollowsEdits(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	if !strings.Contains(u.pv.config.Text, "lxc.idmap = u 1001 1001 1") {
		t.Fatalf("config pane:\n%s", u.pv.config.Text)
	}
	if strings.Contains(u.pv.config.Text, "268435456") {
		t.Fatalf("memory limit before it was set")
	}
	retype(u.ed.entries["limits.memory"], "256M")
	if !strings.Contains(u.pv.config.Text, "268435456") {
		t.Errorf("config pane lacks the 256M limit:\n%s", u.pv.config.Text)
	}
	if !strings.Contains(u.pv.toml.Text, `memory = "256M"`) {
		t.Errorf("TOML pane:\n%s", u.pv.toml.Text)
	}
	u.ed.choices["access.network"].SetSelected(profiles.NetworkBridge)
	if !strings.Contains(u.pv.config.Text, "lxc.net.0.type = veth") {
		t.Errorf("config pane does not follow network = bridge:\n%s", u.pv.config.Text)
	}
	retype(u.ed.entries["limits.memory"], "1X")
	if !strings.Contains(u.pv.config.Text, "Fix these") || !strings.Contains(u.pv.config.Text, "limits.memory") {
		t.Errorf("config pane with an invalid draft:\n%s", u.pv.config.Text)
	}
}

// TestRevertAndResetToPreset: Revert drops the draft; Reset to preset
// replaces it without writing.
func TestRevertAndResetToPreset(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	before := h.file("eyes")
	retype(u.ed.entries["description"], "changed")
	u.revert(u.cur)
	if u.cur.dirty() || u.ed.entries["description"].Text == "changed" {
		t.Errorf("revert kept the edit")
	}
	if err := u.resetTo(u.cur, "xclock"); err != nil {
		t.Fatal(err)
	}
	if u.cur.draft.Command[0] != "xclock" || !u.cur.dirty() {
		t.Errorf("reset: command %v, dirty %v", u.cur.draft.Command, u.cur.dirty())
	}
	if !strings.HasPrefix(u.ed.entries["command"].Text, "xclock\n") {
		t.Errorf("form not refilled: %q", u.ed.entries["command"].Text)
	}
	if h.file("eyes") != before {
		t.Errorf("reset wrote the file")
	}
	if got := guessPreset(&profiles.Profile{Name: "other", Command: []string{"xeyes"}}); got != "xeyes" {
		t.Errorf("guessPreset = %q", got)
	}
}

// TestImageTypeSwitchKeepsFields: switching the image type shows that
// type's fields, and switching back brings the old values back.
func TestImageTypeSwitchKeepsFields(t *testing.T) {
	h := setup(t, "web=chrome")
	u := h.open()
	typ := u.ed.choices["image.type"]
	if typ.Selected != profiles.ImageDownload || u.ed.entries["image.release"].Text != "noble" {
		t.Fatalf("image fields of the chrome preset not shown")
	}
	typ.SetSelected(profiles.ImageHost)
	if _, ok := u.ed.entries["image.release"]; ok {
		t.Errorf("download fields still shown for a host image")
	}
	if problems := u.cur.problems(); len(problems) > 0 {
		t.Errorf("host image has problems: %v", problems)
	}
	typ.SetSelected(profiles.ImageDownload)
	if e := u.ed.entries["image.release"]; e == nil || e.Text != "noble" {
		t.Errorf("release lost across type switches")
	}
	if u.cur.dirty() {
		t.Errorf("switching back and forth left the profile changed")
	}
}

// TestSharesAddRemove: a share added in the form is saved; removing it
// renumbers the rest.
func TestSharesAddRemove(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	add := findButton(u.ed.section(2), "Add folder")
	test.Tap(add)
	test.Tap(add)
	retype(u.ed.entries["share[0].host"], "~/Music")
	test.Tap(u.ed.checks["share[0].readonly"])
	retype(u.ed.entries["share[1].host"], "relative/path")
	if err := u.ed.entries["share[1].host"].Validate(); err == nil {
		t.Errorf("relative share path accepted")
	}
	test.Tap(findButton(u.ed.section(2), "Remove")) // the first row's
	if got := u.cur.draft.Shares; len(got) != 1 || got[0].Host != "relative/path" {
		t.Fatalf("after remove: %+v", got)
	}
	retype(u.ed.entries["share[0].host"], "~/Pictures")
	if err := u.save(u.cur); err != nil {
		t.Fatal(err)
	}
	p, err := profiles.LoadName(h.dir, "eyes")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Shares) != 1 || p.Shares[0].Host != "~/Pictures" || p.Shares[0].Readonly {
		t.Errorf("saved shares %+v", p.Shares)
	}
}

// TestNewFromPreset: the wizard writes a valid profile from a preset, as
// the preset's own text when nothing was changed.
func TestNewFromPreset(t *testing.T) {
	h := setup(t)
	u := h.open()
	if u.cur != nil {
		t.Fatalf("a profile is selected in an empty directory")
	}
	w := u.newWizard()
	w.preset.SetSelected(w.presets.of["xeyes"])
	if w.name.Text != "xeyes" {
		t.Errorf("name not filled from the preset: %q", w.name.Text)
	}
	retype(w.name, "eyes")
	w.create()
	data, _ := parsePresetText("xeyes")
	if got := h.file("eyes"); got != data {
		t.Errorf("unchanged preset not written as is:\n%s", got)
	}
	if u.cur == nil || u.cur.name != "eyes" || u.cur.loadErr != nil {
		t.Fatalf("new profile not selected")
	}

	w = u.newWizard()
	w.preset.SetSelected(w.presets.of["chrome"])
	retype(w.name, "web")
	w.image.SetSelected(profiles.ImageHost)
	w.network.SetSelected(profiles.NetworkBridge)
	w.sound.SetChecked(false)
	w.create()
	p, err := profiles.LoadName(h.dir, "web")
	if err != nil {
		t.Fatalf("new profile does not load: %v", err)
	}
	if p.Image.Type != profiles.ImageHost || p.Image.Release != "" || p.Access.Network != profiles.NetworkBridge || p.Access.PulseAudio || p.Access.X11 != profiles.X11Proxy {
		t.Errorf("wizard choices not applied: %+v", p)
	}
	if len(u.items) != 2 {
		t.Errorf("sidebar has %d profiles, want 2", len(u.items))
	}
}

// TestWizardFromScratchAndBadName: an empty profile needs only a name
// and a command; a bad or taken name keeps the dialog open.
func TestWizardFromScratchAndBadName(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	w := u.newWizard()
	w.preset.SetSelected(emptyPreset)
	retype(w.name, "Bad Name")
	w.command.SetText("true")
	w.create()
	if w.errMsg.Hidden || !strings.Contains(w.errMsg.Text, "invalid profile name") {
		t.Errorf("bad name: message %q", w.errMsg.Text)
	}
	retype(w.name, "eyes")
	w.create()
	if !strings.Contains(w.errMsg.Text, "already") {
		t.Errorf("taken name: message %q", w.errMsg.Text)
	}
	retype(w.name, "tool")
	w.command.SetText("")
	w.create()
	if !strings.Contains(w.errMsg.Text, "command") {
		t.Errorf("no command: message %q", w.errMsg.Text)
	}
	w.command.SetText("sh\n-c\necho hello world")
	w.create()
	p, err := profiles.LoadName(h.dir, "tool")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Command, []string{"sh", "-c", "echo hello world"}) {
		t.Errorf("command %q", p.Command)
	}
}

// TestDeleteRunsTheOneDelete goes through the dialog: the editor runs
// the same `lxcage delete` as the CLI (stop first, destroy, menu entry,
// file) and shows the list without the profile.
func TestDeleteRunsTheOneDelete(t *testing.T) {
	h := setup(t, "eyes=xeyes", "clock=xclock")
	u := h.open()
	u.selectItem(u.find("eyes"))
	test.Tap(u.ed.menuEntry)
	if !h.backend.MenuInstalled("eyes") || !u.cur.menu {
		t.Fatalf("menu entry not installed; status %q, log:\n%s", u.message.Text, u.cur.log)
	}
	if !strings.Contains(rowState(u.cur), "in menu") {
		t.Errorf("sidebar does not show the menu entry: %q", rowState(u.cur))
	}
	h.backend.setState("eyes", launcher.Running)
	u.refreshStatus(context.Background())
	h.runner.do["delete eyes --destroy --stop"] = func() { os.Remove(profiles.Path(h.dir, "eyes")) }

	u.showDelete(u.cur)
	h.tapDialog("Delete")

	if got, want := h.runner.called(), "delete eyes --destroy --stop"; got != want {
		t.Errorf("commands run:\n%s\nwant:\n%s", got, want)
	}
	if len(u.items) != 1 || u.cur == nil || u.cur.name != "clock" {
		t.Errorf("after delete: %d items, current %v", len(u.items), u.cur)
	}
}

// TestDeleteKeepsWhatTheUserKeeps: unticking the menu entry keeps it;
// a failed delete keeps the profile listed, so the user can try again.
func TestDeleteKeepsWhatTheUserKeeps(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	h.backend.setState("eyes", launcher.Stopped)
	u.refreshStatus(context.Background())
	h.runner.fail["delete eyes --destroy --stop --keep-menu"] = &ExitError{Args: []string{"delete", "eyes"}, Code: 1}
	u.deleteProfile(u.cur, true, false)
	if got := h.runner.called(); got != "delete eyes --destroy --stop --keep-menu" {
		t.Errorf("command %q", got)
	}
	if _, err := os.Stat(profiles.Path(h.dir, "eyes")); err != nil || u.find("eyes") == nil {
		t.Errorf("profile gone although delete failed: %v", err)
	}
	if !strings.Contains(u.message.Text, "not deleted") {
		t.Errorf("status line %q", u.message.Text)
	}
}

// TestLaunchStopRebuild: the container actions run lxcage with the
// profile's name; a launch of an unsaved profile asks to save first.
func TestLaunchStopRebuild(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	h.runner.out = []string{"lxcage: creating container eyes"}
	test.Tap(u.ed.launch)
	h.backend.setState("eyes", launcher.Running)
	u.refreshStatus(context.Background())
	test.Tap(u.ed.stop)
	if got, want := h.runner.called(), "--notify launch eyes\nstop eyes"; got != want {
		t.Errorf("commands:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(u.pv.log.Text, "$ lxcage --notify launch eyes") || !strings.Contains(u.pv.log.Text, "creating container eyes") {
		t.Errorf("log pane:\n%s", u.pv.log.Text)
	}
	if u.pv.tabs.Selected() != u.pv.logTab {
		t.Errorf("the log tab is not shown while commands run")
	}
	if u.ed.build.Text != "Rebuild container" {
		t.Errorf("build button %q for an existing container", u.ed.build.Text)
	}

	h.runner.calls = nil
	retype(u.ed.entries["description"], "changed")
	test.Tap(u.ed.launch)
	if h.runner.called() != "" {
		t.Fatalf("launched an unsaved profile")
	}
	h.tapDialog("Save")
	if !strings.Contains(h.file("eyes"), "changed") || h.runner.called() != "--notify launch eyes" {
		t.Errorf("save-then-launch: file saved %v, commands %q", strings.Contains(h.file("eyes"), "changed"), h.runner.called())
	}

	h.runner.calls = nil
	test.Tap(u.ed.build)
	h.tapDialog("Rebuild")
	if got, want := h.runner.called(), "stop eyes\ndestroy eyes\ncreate eyes"; got != want {
		t.Errorf("rebuild ran:\n%s\nwant:\n%s", got, want)
	}
	if u.cur.busy != "" || !u.ed.progress.Hidden {
		t.Errorf("still busy after the rebuild: %q", u.cur.busy)
	}
}

// TestSidebarShowsStateAndUnsaved: each row says the container's state,
// its launches, and whether the profile has unsaved changes.
func TestSidebarShowsStateAndUnsaved(t *testing.T) {
	h := setup(t, "eyes=xeyes", "clock=xclock")
	u := h.open()
	if got := rowState(u.find("clock")); got != "not created" {
		t.Errorf("clock: %q", got)
	}
	h.backend.setState("eyes", launcher.Stopped)
	u.refreshStatus(context.Background())
	if got := rowState(u.find("eyes")); got != "stopped" {
		t.Errorf("eyes: %q", got)
	}
	retype(u.ed.entries["description"], "x")
	row := newRow()
	u.fillRow(u.cur, row)
	if b := findLabel(row, "● "+u.cur.name); b == nil {
		t.Errorf("unsaved marker missing:\n%s", test.RenderObjectToMarkup(row))
	}
	u.step(+1)
	if u.cur.name != "eyes" || !u.find("clock").dirty() {
		t.Errorf("switching profiles lost the draft or did not move")
	}
}

// TestBrokenFileCanBeFixed: a profile that does not load is listed, its
// text shown; fixed text is validated and saved.
func TestBrokenFileCanBeFixed(t *testing.T) {
	h := setup(t)
	os.MkdirAll(h.dir, 0o700)
	os.WriteFile(profiles.Path(h.dir, "bad"), []byte("command = \"not a list\"\n"), 0o600)
	u := h.open()
	if u.cur == nil || u.cur.loadErr == nil {
		t.Fatalf("broken profile not shown as broken")
	}
	view := u.center.Objects[0]
	save := findButton(view, "Save text")
	if save == nil {
		t.Fatal("no Save text button")
	}
	test.Tap(save)
	if !strings.Contains(u.message.Text, "Not saved") {
		t.Errorf("broken text saved? %q", u.message.Text)
	}
	os.WriteFile(profiles.Path(h.dir, "bad"), []byte("command = [\"xeyes\"]\n"), 0o600)
	u.loadItem(u.cur)
	u.selectItem(u.cur)
	if u.cur.loadErr != nil || u.ed == nil {
		t.Errorf("fixed file still broken: %v", u.cur.loadErr)
	}
}

// TestHostCheckShowsFixes: failed checks show their fix.
func TestHostCheckShowsFixes(t *testing.T) {
	h := setup(t, "eyes=xeyes")
	u := h.open()
	h.backend.checks = []hostcheck.Check{
		{Name: "LXC tools", OK: true, Required: true, Detail: "LXC 5.0.2"},
		{Name: "subordinate uids", Required: true, Detail: "no range", Fix: "usermod --add-subuids 100000-165535 alice"},
		{Name: "lxc-usernet", Detail: "no bridge allowance", Fix: "echo 'alice veth lxcbr0 10' >> /etc/lxc/lxc-usernet"},
	}
	u.showHostCheck()
	markup := test.RenderObjectToMarkup(u.right.Objects[0])
	for _, s := range []string{"1 required check failed", "usermod --add-subuids 100000-165535 alice", "lxc-usernet", "LXC 5.0.2"} {
		if !strings.Contains(markup, s) {
			t.Errorf("host check page lacks %q", s)
		}
	}
	u.list.Select(0)
	if u.onPage || u.right.Objects[0] != u.main || u.center.Objects[0] != u.ed.content {
		t.Errorf("selecting the profile again did not leave the host check")
	}
}

// TestFitsSmallScreen: the window's content fits 1280×800 at scale 1.
func TestFitsSmallScreen(t *testing.T) {
	h := setup(t, "web=chrome", "eyes=xeyes", "games=steam")
	u := h.open()
	for i := range u.ed.tabs.Items {
		u.ed.tabs.SelectIndex(i)
		if m := u.win.Content().MinSize(); m.Width > 1280 || m.Height > 800 {
			t.Errorf("tab %s: window needs %v", sections[i], m)
		}
	}
}

// TestThemeSwitch: the View menu's theme choice holds the variant.
func TestThemeSwitch(t *testing.T) {
	h := setup(t)
	u := h.open()
	setThemePref(u.app, "dark")
	th, ok := u.app.Settings().Theme().(variantTheme)
	if !ok || th.variant != theme.VariantDark {
		t.Errorf("dark theme not applied: %#v", u.app.Settings().Theme())
	}
	setThemePref(u.app, "")
	if th, ok := u.app.Settings().Theme().(variantTheme); !ok || th.fixed {
		t.Errorf("system theme not restored")
	}
}

// parsePresetText is a preset's file text.
func parsePresetText(name string) (string, bool) {
	b, ok := assets.Preset(name)
	return string(b), ok
}
