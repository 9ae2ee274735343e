package app

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// newSidebar is the profile list with the buttons that do not belong to
// one profile.
func (u *UI) newSidebar() fyne.CanvasObject {
	u.list = widget.NewList(
		func() int { return len(u.items) },
		newRow,
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(u.items) {
				u.fillRow(u.items[id], o)
			}
		})
	u.list.OnSelected = func(id widget.ListItemID) {
		if id < len(u.items) && (u.items[id] != u.cur || u.onPage) {
			u.selectItem(u.items[id])
		}
	}
	newBtn := newKeyButton("New profile…", theme.ContentAddIcon(), u.showWizard, nil)
	newBtn.Importance = widget.HighImportance
	live := newKeyButton("Running sandboxes", theme.MediaPlayIcon(), u.showLive, nil)
	check := newKeyButton("Host check", theme.InfoIcon(), u.showHostCheck, nil)
	title := widget.NewLabelWithStyle("Profiles", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewBorder(title, container.NewVBox(newBtn, live, check), nil, nil, u.list)
}

// newRow is the template of a sidebar row: icon, name, description and
// state.
func newRow() fyne.CanvasObject {
	icon := widget.NewIcon(appIcon)
	name := widget.NewLabelWithStyle("name", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	desc := widget.NewLabel("description")
	state := widget.NewLabel("state")
	for _, l := range []*widget.Label{name, desc, state} {
		l.Truncation = fyne.TextTruncateEllipsis
	}
	state.TextStyle.Italic = true
	texts := container.New(&tightVBox{}, name, desc, state)
	return container.NewBorder(nil, nil, container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(40), icon)), nil, texts)
}

// fillRow shows it in a row made by newRow.
func (u *UI) fillRow(it *item, o fyne.CanvasObject) {
	b := o.(*fyne.Container)
	texts := b.Objects[0].(*fyne.Container)
	icon := b.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container).Objects[0].(*widget.Icon)
	name, desc, state := texts.Objects[0].(*widget.Label), texts.Objects[1].(*widget.Label), texts.Objects[2].(*widget.Label)
	p := it.draft
	setIcon(icon, u.iconFor(it))
	n := it.name
	if it.dirty() {
		n = "● " + n // unsaved changes
	}
	setText(name, n)
	switch {
	case it.loadErr != nil:
		setText(desc, "cannot load: fix the file")
		setImportance(desc, widget.DangerImportance)
	case p.Description != "":
		setText(desc, p.Description)
		setImportance(desc, widget.MediumImportance)
	default:
		setText(desc, strings.Join(p.Command, " "))
		setImportance(desc, widget.MediumImportance)
	}
	setText(state, rowState(it))
}

// rowState is the sidebar's third line: container state, launches, the
// menu entry and what is running for the profile.
func rowState(it *item) string {
	parts := []string{stateText(it)}
	if it.status != nil && len(it.status.Holders) > 0 {
		parts = append(parts, plural(len(it.status.Holders), "launch", "launches"))
	}
	if it.menu {
		parts = append(parts, "in menu")
	}
	if it.busy != "" {
		parts = append(parts, it.busy+"…")
	}
	if it.conflict != nil {
		parts = append(parts, "changed on disk")
	}
	return strings.Join(parts, " · ")
}

// stateText names the container's state in the user's words.
func stateText(it *item) string {
	switch {
	case it.statusErr != nil:
		return "state unknown"
	case it.status == nil:
		return "…"
	}
	s := ""
	switch it.status.State {
	case launcher.NotCreated:
		s = "not created"
	case launcher.Running:
		s = "running"
	case launcher.Stopped:
		s = "stopped"
	default:
		s = strings.ToLower(string(it.status.State))
	}
	if it.status.RestartPending {
		s += " (restart pending)"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// loadAll reads every profile in the directory into the sidebar, keeping
// the drafts of profiles already open.
func (u *UI) loadAll() {
	names, err := profiles.List(u.dir)
	if err != nil {
		u.say("%v", err)
	}
	old := map[string]*item{}
	for _, it := range u.items {
		old[it.name] = it
	}
	var items []*item
	for _, n := range names {
		it, ok := old[n]
		if !ok {
			it = newItem(n)
			u.loadItem(it)
		}
		delete(old, n)
		items = append(items, it)
	}
	// A file removed by someone else while its draft had unsaved changes:
	// kept until the user chooses (Keep my changes saves it again).
	for _, it := range old {
		if it.dirty() {
			if it.conflict == nil || !it.conflict.gone() {
				it.conflict = &diskVersion{}
			}
			items = append(items, it)
		}
	}
	slices.SortFunc(items, func(a, b *item) int { return strings.Compare(a.name, b.name) })
	u.items = items
	u.list.Refresh()
}

// loadItem (re)reads it's file, dropping its draft.
func (u *UI) loadItem(it *item) {
	p, err := profiles.LoadName(u.dir, it.name)
	if err != nil {
		it.saved, it.draft, it.loadErr = nil, &profiles.Profile{Name: it.name}, err
		it.raw, _ = os.ReadFile(profiles.Path(u.dir, it.name))
	} else {
		it.setSaved(p)
	}
	it.stamp = safefile.Stamp(profiles.Path(u.dir, it.name))
	it.conflict = nil
}

// indexOf is it's row in the sidebar, or -1.
func (u *UI) indexOf(it *item) int {
	for i, x := range u.items {
		if x == it {
			return i
		}
	}
	return -1
}

// find is the item named name, or nil.
func (u *UI) find(name string) *item {
	for _, it := range u.items {
		if it.name == name {
			return it
		}
	}
	return nil
}

// selectFirst selects the profile named name, or the first one, or shows
// the welcome page when there is none.
func (u *UI) selectFirst(name string) {
	if it := u.find(name); it != nil {
		u.selectItem(it)
		return
	}
	if name != "" {
		u.say("There is no profile %q in %s", name, u.dir)
	}
	if len(u.items) > 0 {
		u.selectItem(u.items[0])
		return
	}
	u.cur = nil
	u.showWelcome()
}

// selectItem shows it in the editor and preview.
func (u *UI) selectItem(it *item) {
	u.cur = it
	u.onPage = false
	if i := u.indexOf(it); i >= 0 {
		u.list.Select(i)
	}
	if it.loadErr != nil {
		u.ed = nil
		u.show(u.brokenView(it))
	} else {
		u.ed = newEditor(u, it)
		u.show(u.ed.content)
	}
	u.pv.show(u, it)
	u.updateTitle()
	u.menus.update(u)
}

// step selects the profile delta rows away (keyboard navigation).
func (u *UI) step(delta int) {
	if len(u.items) == 0 {
		return
	}
	i := u.indexOf(u.cur) + delta
	if i < 0 || i >= len(u.items) {
		return
	}
	u.selectItem(u.items[i])
}

// refreshItem redraws everything that shows it.
func (u *UI) refreshItem(it *item) {
	if i := u.indexOf(it); i >= 0 {
		u.list.RefreshItem(i)
	}
	if it == u.cur {
		if u.ed != nil {
			u.ed.updateHeader()
		}
		u.updateTitle()
		u.menus.update(u)
	}
}

// showWelcome fills the center when there are no profiles.
func (u *UI) showWelcome() {
	msg := widget.NewLabel(fmt.Sprintf("There are no profiles in %s yet.\n\nA profile says which program to run in a container and what it may reach on your computer. Start from a preset (Chrome, Steam, xeyes…) or from scratch.", u.dir))
	msg.Wrapping = fyne.TextWrapWord
	newBtn := newKeyButton("New profile…", theme.ContentAddIcon(), u.showWizard, nil)
	newBtn.Importance = widget.HighImportance
	check := newKeyButton("Check this computer", theme.InfoIcon(), u.showHostCheck, nil)
	u.show(container.NewPadded(container.NewVBox(
		widget.NewLabelWithStyle("Welcome to lxcage", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		msg, container.NewHBox(newBtn, check))))
	u.pv.clear()
	u.updateTitle()
	u.menus.update(u)
}

// errNoSelection is reported by actions run with nothing selected.
var errNoSelection = errors.New("select a profile first")

// tightVBox stacks a row's labels without the theme's padding between
// them, so that more profiles fit in the sidebar.
type tightVBox struct{}

// MinSize is the widest child by the children's summed heights, less
// the labels' own inner padding that overlaps.
func (tightVBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height - overlap
	}
	return s.AddWidthHeight(0, overlap)
}

// Layout places the children top to bottom, overlapping their padding.
func (tightVBox) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - overlap
	}
}

// overlap is how much of each label's inner padding is shared.
const overlap = 10
