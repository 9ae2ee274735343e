package app

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/profiles"
)

// diskVersion is a version of a profile file that someone else wrote
// (or removed: gone) while the editor held unsaved changes to it.
type diskVersion struct {
	stamp string // "" when the file is gone
}

// gone says the file was removed.
func (d *diskVersion) gone() bool { return d.stamp == "" }

// errConflict is Save's answer while the file on disk changed since the
// draft was based on it: the user chooses first.
var errConflict = errors.New("the file changed on disk; choose reload or keep your changes first")

// fileChanged handles a change to profile name's file made outside the
// editor. Without unsaved changes the editor shows the new version; with
// them it never overwrites anything by itself: it offers to reload, or
// to keep the draft (which Save then writes over the new version).
func (u *UI) fileChanged(name string) {
	it := u.find(name)
	stamp := safefile.Stamp(profiles.Path(u.dir, name))
	if it == nil {
		if stamp != "" {
			u.relist() // a new profile
		}
		return
	}
	if stamp == it.stamp || (it.conflict != nil && stamp == it.conflict.stamp) {
		return // our own save, or a change already offered
	}
	if !it.dirty() {
		if it.busy != "" {
			return // the next rescan looks again
		}
		if stamp == "" {
			u.relist()
			return
		}
		u.loadItem(it)
		if it == u.cur && !u.onPage {
			u.selectItem(it)
		}
		u.refreshItem(it)
		return
	}
	it.conflict = &diskVersion{stamp: stamp}
	u.say("%s was changed outside the editor: reload it, or keep your changes", profiles.Path(u.dir, name))
	u.refreshItem(it)
}

// keepMine keeps the draft over a version changed on disk: Save will
// write it over that version. The draft counts as unsaved against what
// is on disk now.
func (u *UI) keepMine(it *item) {
	c := it.conflict
	if c == nil {
		return
	}
	it.conflict, it.stamp = nil, c.stamp
	if !c.gone() {
		if p, err := profiles.LoadName(u.dir, it.name); err == nil {
			it.saved = p
		}
	}
	u.say("Keeping your changes to %s; Save writes them over the file", it.name)
	u.draftChanged(it)
}

// reloadFromDisk drops the draft for the version on disk.
func (u *UI) reloadFromDisk(it *item) {
	if it.conflict != nil && it.conflict.gone() {
		it.setSaved(it.saved) // drop the draft, then the item with its file
		it.conflict = nil
		u.relist()
		u.say("%s was removed outside the editor", it.name)
		return
	}
	u.loadItem(it)
	if it == u.cur {
		u.selectItem(it)
	}
	u.refreshItem(it)
	u.say("Reloaded %s from disk", it.name)
}

// checkDisk is Save's last look before writing: a file changed since
// the draft's version (the watcher may not have told yet) is a conflict,
// and the user is asked; then is called again once they chose to write.
func (u *UI) checkDisk(it *item, then func()) bool {
	if it.conflict == nil {
		if now := safefile.Stamp(profiles.Path(u.dir, it.name)); now != it.stamp {
			it.conflict = &diskVersion{stamp: now}
		}
	}
	if it.conflict == nil {
		return true
	}
	what := "was changed outside the editor since you opened it"
	if it.conflict.gone() {
		what = "was removed outside the editor"
	}
	msg := widget.NewLabel(fmt.Sprintf("%s %s. Saving would replace that version with yours.", profiles.Path(u.dir, it.name), what))
	msg.Wrapping = fyne.TextWrapWord
	u.ask("Save over the changed file?", msg, fyne.NewSize(520, 200), nil,
		askButton{label: "Reload from disk", action: func() { u.reloadFromDisk(it) }},
		cancelButton(),
		askButton{label: "Save mine over it", importance: widget.WarningImportance, action: func() {
			u.keepMine(it)
			then()
		}})
	u.refreshItem(it)
	return false
}

// conflictBar is the line above the form while the file changed on disk
// under unsaved changes: what happened and the two ways out.
type conflictBar struct {
	box  *fyne.Container
	text *widget.Label
}

func (ed *editor) newConflictBar() *conflictBar {
	u, it := ed.u, ed.it
	b := &conflictBar{text: widget.NewLabel("")}
	b.text.Wrapping = fyne.TextWrapWord
	b.text.Importance = widget.WarningImportance
	reload := newKeyButton("Reload from disk", nil, func() { u.reloadFromDisk(it) }, nil)
	keep := newKeyButton("Keep my changes", nil, func() { u.keepMine(it) }, nil)
	keep.Importance = widget.HighImportance
	b.box = container.NewVBox(b.text, newFlow(ed.reflow, reload, keep))
	b.box.Hide()
	return b
}

// update shows or hides the bar for the item's state.
func (b *conflictBar) update(it *item) {
	if it.conflict == nil {
		b.box.Hide()
		return
	}
	t := it.name + profiles.Ext + " was changed outside the editor while you had unsaved changes."
	if it.conflict.gone() {
		t = it.name + profiles.Ext + " was removed outside the editor while you had unsaved changes."
	}
	setText(b.text, t)
	b.box.Show()
}
