package app

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// editor is the form of one profile. Its widgets write into it.draft as
// the user types; each entry's validator tries the typed value on a copy
// of the draft and shows what profiles.Validate says about that key.
type editor struct {
	u  *UI
	it *item

	// entries are the form's text fields by dotted key, so that Save can
	// mark the fields it refuses.
	entries map[string]*widget.Entry
	// choices and checks are the form's other widgets by key (tests and
	// keyboard focus find them there).
	choices  map[string]*widget.Select
	checks   map[string]*widget.Check
	tabs     *container.AppTabs
	sections []fyne.CanvasObject // each tab's content, attached when first shown
	content  fyne.CanvasObject
	banner   *widget.Label
	conflict *conflictBar
	// marked are the entries showOnFields put a problem on.
	marked map[*widget.Entry]bool

	icon             *widget.Icon
	title, state     *widget.Label
	launch, stop     *keyButton
	build, menuEntry *keyButton
	save, revert     *keyButton
	reset, remove    *keyButton
	progress         *widget.ProgressBarInfinite

	// imgStash keeps the image fields of types not chosen now, so that
	// switching the type back and forth loses nothing.
	imgStash profiles.Image
	imgBox   *fyne.Container
	env      []*envVar
}

// formMinHeight keeps a few fields of the form in view at the window's
// smallest.
const formMinHeight = 280

// Section tabs, in order; sectionOf maps a key to one.
var sections = []string{"General", "Access", "Files", "Image", "Limits", "Menu & log"}

func newEditor(u *UI, it *item) *editor {
	ed := &editor{u: u, it: it, entries: map[string]*widget.Entry{},
		choices: map[string]*widget.Select{}, checks: map[string]*widget.Check{}, imgStash: it.draft.Image}
	// Every section's widgets exist from the start (Save marks their
	// problems); a section joins the window only when its tab is first
	// shown: laying out the wrapped hints of six sections is most of what
	// opening a profile costs.
	ed.sections = []fyne.CanvasObject{ed.generalSection(), ed.accessSection(), ed.filesSection(),
		ed.imageSection(), ed.limitsSection(), ed.menuSection()}
	icons := []fyne.Resource{theme.DocumentIcon(), theme.VisibilityIcon(), theme.FolderIcon(), theme.StorageIcon(), theme.WarningIcon(), theme.MenuIcon()}
	ed.tabs = container.NewAppTabs()
	for i, name := range sections {
		ed.tabs.Append(container.NewTabItemWithIcon(name, icons[i], container.NewStack()))
	}
	ed.tabs.OnSelected = func(*container.TabItem) { ed.attach(ed.tabs.SelectedIndex()) }
	ed.attach(0)
	ed.banner = widget.NewLabel("")
	ed.banner.Wrapping = fyne.TextWrapWord
	ed.banner.Importance = widget.DangerImportance
	ed.conflict = ed.newConflictBar()
	ed.content = container.NewBorder(
		container.NewVBox(ed.header(), ed.conflict.box, ed.banner),
		ed.footer(), nil, nil, container.New(atLeast{formMinHeight}, ed.tabs))
	ed.updateHeader()
	ed.updateBanner()
	return ed
}

// attach puts section i into its tab, the first time it is shown.
func (ed *editor) attach(i int) {
	box := ed.tabs.Items[i].Content.(*fyne.Container)
	if len(box.Objects) == 0 {
		box.Objects = []fyne.CanvasObject{scroll(ed.sections[i])}
		box.Refresh()
	}
}

// section shows section i and returns its content.
func (ed *editor) section(i int) fyne.CanvasObject {
	ed.tabs.SelectIndex(i)
	ed.attach(i)
	return ed.tabs.Items[i].Content
}

func scroll(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVScroll(container.NewPadded(o))
}

// sectionOf is the tab holding key.
func sectionOf(key string) int {
	for prefix, i := range map[string]int{
		"access": 1, "share": 2, "env": 2, "image": 3, "setup": 3,
		"limits": 4, "security": 4, "desktop": 5, "log": 5,
	} {
		if key == prefix || strings.HasPrefix(key, prefix+".") || strings.HasPrefix(key, prefix+"[") {
			return i
		}
	}
	return 0
}

// header names the profile, shows its container's state and holds the
// actions on the container.
func (ed *editor) header() fyne.CanvasObject {
	u := ed.u
	ed.icon = widget.NewIcon(u.iconFor(ed.it))
	ed.title = widget.NewLabelWithStyle(ed.it.name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ed.state = widget.NewLabel("")
	ed.state.Truncation = fyne.TextTruncateEllipsis
	ed.launch = newKeyButton("Launch", theme.MediaPlayIcon(), func() { u.launch(ed.it) }, nil)
	ed.launch.Importance = widget.HighImportance
	ed.stop = newKeyButton("Stop", theme.MediaStopIcon(), func() { u.stop(ed.it) }, nil)
	ed.build = newKeyButton("Create container", theme.StorageIcon(), func() { u.build(ed.it) }, nil)
	ed.menuEntry = newKeyButton("Add to menu", theme.MenuIcon(), func() { u.toggleMenu(ed.it) }, nil)
	ed.progress = widget.NewProgressBarInfinite()
	ed.progress.Hide()
	top := container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSquareSize(48), ed.icon), nil,
		container.NewVBox(ed.title, ed.state))
	return container.NewVBox(top, newFlow(ed.reflow, ed.launch, ed.stop, ed.build, ed.menuEntry), ed.progress)
}

// footer holds the actions on the profile file.
func (ed *editor) footer() fyne.CanvasObject {
	u := ed.u
	ed.save = newKeyButton("Save", theme.DocumentSaveIcon(), func() { u.save(ed.it) }, nil)
	ed.save.Importance = widget.HighImportance
	ed.revert = newKeyButton("Revert", theme.ContentUndoIcon(), func() { u.revert(ed.it) }, nil)
	ed.reset = newKeyButton("Reset to preset…", theme.ViewRefreshIcon(), func() { u.showReset(ed.it) }, nil)
	ed.remove = newKeyButton("Delete…", theme.DeleteIcon(), func() { u.showDelete(ed.it) }, nil)
	ed.remove.Importance = widget.DangerImportance
	return container.NewBorder(nil, nil, nil, container.NewVBox(ed.remove), newFlow(ed.reflow, ed.save, ed.revert, ed.reset))
}

// reflow lays the form out again after a row of buttons wrapped.
func (ed *editor) reflow() {
	if ed.content != nil {
		ed.content.Refresh()
	}
}

// updateHeader shows the item's state and enables what can be done now.
func (ed *editor) updateHeader() {
	it := ed.it
	name := it.name
	if it.dirty() {
		name += " ● unsaved"
	}
	setText(ed.title, name)
	setText(ed.state, ed.stateLine())
	setIcon(ed.icon, ed.u.iconFor(it))
	ed.conflict.update(it)
	running := it.status != nil && it.status.State == launcher.Running
	exists := it.status != nil && it.status.State != launcher.NotCreated
	building := it.busy == "create" || it.busy == "destroy" || it.busy == "rebuild" || it.busy == "delete"
	setEnabled(ed.launch, !building)
	setEnabled(ed.stop, running && it.busy == "")
	build := "Create container"
	if exists {
		build = "Rebuild container"
	}
	setButtonText(ed.build, build)
	setEnabled(ed.build, it.busy == "" && it.status != nil)
	entry := "Add to menu"
	if it.menu {
		entry = "Remove from menu"
	}
	setButtonText(ed.menuEntry, entry)
	setEnabled(ed.menuEntry, it.busy == "")
	dirty := it.dirty()
	setEnabled(ed.save, dirty)
	setEnabled(ed.revert, dirty)
	setEnabled(ed.remove, it.busy == "")
	if it.busy != "" && !ed.progress.Visible() {
		ed.progress.Show()
		ed.progress.Start()
	} else if it.busy == "" && ed.progress.Visible() {
		ed.progress.Stop()
		ed.progress.Hide()
	}
}

// stateLine is the header's state, in more words than the sidebar's.
func (ed *editor) stateLine() string {
	it := ed.it
	s := "Container: " + stateText(it)
	if it.statusErr != nil {
		s += " (" + it.statusErr.Error() + ")"
	}
	if it.status != nil {
		if it.status.InitPID > 0 {
			s += fmt.Sprintf(", init pid %d", it.status.InitPID)
		}
		s += ", " + plural(len(it.status.Holders), "launch", "launches")
	}
	if it.menu {
		s += " · in the applications menu"
	}
	if it.busy != "" {
		s += " · " + it.busy + " running…"
	}
	return s
}

// updateBanner lists the draft's problems above the form as they appear
// and go: those that stop Save, else those a launch would refuse here,
// so that problems no single field owns (a download image without a
// release, no display) are seen before Save. The fields with problems
// show theirs under them.
func (ed *editor) updateBanner() {
	save, run := ed.u.checkAll(ed.it)
	ps, intro := save, ""
	if len(ps) == 0 {
		ps, intro = run, "It would not start on this computer: "
	}
	ed.showOnFields(ps)
	if len(ps) == 0 {
		ed.banner.SetText("")
		ed.banner.Hide()
		return
	}
	var b strings.Builder
	b.WriteString(intro)
	for i, p := range ps {
		if i == 3 {
			fmt.Fprintf(&b, "… and %d more", len(ps)-3)
			break
		}
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(problemText(p))
	}
	setText(ed.banner, b.String())
	ed.banner.Show()
}

// showOnFields puts problems on the entries they are about (an entry
// validates itself only when typed in), and takes them off those that
// no longer have one. It touches only those entries: it runs on every
// keystroke.
func (ed *editor) showOnFields(ps profiles.Problems) {
	marked := map[*widget.Entry]bool{}
	for key, e := range ed.entries {
		if mine := ps.For(key); len(mine) > 0 && e.Validator != nil {
			e.SetValidationError(fieldError(mine))
			marked[e] = true
		}
	}
	for e := range ed.marked {
		if !marked[e] {
			e.SetValidationError(nil)
		}
	}
	ed.marked = marked
}

// problemText is one problem without the file name (the header shows
// which profile it is).
func problemText(p *profiles.Error) string {
	s := p.Msg
	if p.Key != "" {
		s = p.Key + ": " + s
	}
	if p.Fix != "" {
		s += "; " + p.Fix
	}
	return s
}

// changed is called after every edit of the draft.
func (ed *editor) changed() {
	ed.updateBanner()
	ed.u.draftChanged(ed.it)
}

// markProblems shows Save's problems on their fields and opens the tab of
// the first one.
func (ed *editor) markProblems(ps profiles.Problems) {
	for _, p := range ps {
		for key, e := range ed.entries {
			if key == p.Key || strings.HasPrefix(p.Key, key+"[") || strings.HasPrefix(p.Key, key+".") {
				e.AlwaysShowValidationError = true
				e.SetValidationError(fieldError(profiles.Problems{p}))
			}
		}
	}
	if len(ps) > 0 {
		ed.tabs.SelectIndex(sectionOf(ps[0].Key))
	}
}

// bind wires an entry to the draft. apply puts a typed value into a
// profile; it fails when the text cannot become a value at all (a
// number that does not parse). OnChanged applies to the draft; the
// validator applies to a copy and asks profiles.Validate about key.
func (ed *editor) bind(e *widget.Entry, key string, apply func(p *profiles.Profile, s string) error) {
	e.Validator = func(s string) error {
		c := clone(ed.it.draft)
		if err := apply(c, s); err != nil {
			return err
		}
		return ed.u.fieldProblems(c, key)
	}
	e.OnChanged = func(s string) {
		if err := apply(ed.it.draft, s); err != nil {
			ed.it.viewErrs[key] = err
		} else {
			delete(ed.it.viewErrs, key)
		}
		ed.changed()
	}
	ed.entries[key] = e
}

// text is an entry for the string field get points at.
func (ed *editor) text(key, placeholder string, get func(*profiles.Profile) *string) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(*get(ed.it.draft))
	e.SetPlaceHolder(placeholder)
	ed.bind(e, key, func(p *profiles.Profile, s string) error { *get(p) = s; return nil })
	return e
}

// list is a multi-line entry for a list field, one item per line. Lists
// are never split on spaces: an argument may hold one. Tab leaves it for
// the next field (see multiEntry).
func (ed *editor) list(key, placeholder string, rows int, get func(*profiles.Profile) *[]string) *multiEntry {
	me := newMultiEntry(nil)
	e := &me.Entry
	// Room for every item and one more, within reason.
	e.SetMinRowsVisible(min(max(rows, len(*get(ed.it.draft))+1), 8))
	e.SetText(joinLines(*get(ed.it.draft)))
	e.SetPlaceHolder(placeholder)
	ed.bind(e, key, func(p *profiles.Profile, s string) error { *get(p) = lines(s); return nil })
	return me
}

// number is an entry for an integer field; empty means unset (0).
func (ed *editor) number(key, placeholder string, get func(*profiles.Profile) *int64) *widget.Entry {
	e := widget.NewEntry()
	if v := *get(ed.it.draft); v != 0 {
		e.SetText(strconv.FormatInt(v, 10))
	}
	e.SetPlaceHolder(placeholder)
	ed.bind(e, key, func(p *profiles.Profile, s string) error {
		s = strings.TrimSpace(s)
		if s == "" {
			*get(p) = 0
			return nil
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("write a whole number, or leave it empty for no limit")
		}
		*get(p) = v
		return nil
	})
	return e
}

// choice is a select for an enumerated string field; then, when set,
// runs after each change (to show what the choice means).
func (ed *editor) choice(key string, options []string, get func(*profiles.Profile) *string, then func(string)) *widget.Select {
	s := widget.NewSelect(options, nil)
	ed.choices[key] = s
	s.SetSelected(*get(ed.it.draft))
	s.OnChanged = func(v string) {
		*get(ed.it.draft) = v
		if then != nil {
			then(v)
		}
		ed.changed()
	}
	return s
}

// check is a check box for a boolean field.
func (ed *editor) check(key, label string, get func(*profiles.Profile) *bool, then func(bool)) *widget.Check {
	c := widget.NewCheck(label, nil)
	ed.checks[key] = c
	c.SetChecked(*get(ed.it.draft))
	c.OnChanged = func(v bool) {
		*get(ed.it.draft) = v
		if then != nil {
			then(v)
		}
		ed.changed()
	}
	return c
}

// forget drops the entries under prefix before a list is rebuilt.
func (ed *editor) forget(prefix string) {
	for k := range ed.entries {
		if strings.HasPrefix(k, prefix) {
			delete(ed.entries, k)
		}
	}
	for k := range ed.checks {
		if strings.HasPrefix(k, prefix) {
			delete(ed.checks, k)
		}
	}
	for k := range ed.it.viewErrs {
		if strings.HasPrefix(k, prefix) {
			delete(ed.it.viewErrs, k)
		}
	}
}

func setEnabled(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}
