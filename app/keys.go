package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Keyboard use. Tab and Shift+Tab move between every field (the window
// does that for any widget that does not take Tab itself); Esc closes a
// dialog and Enter answers it with its default button, whatever has the
// focus inside it. Fyne's widgets ignore Esc and Enter, so the widgets
// in dialogs are the small wrappers below.

// multiEntry is a multi-line entry that leaves Tab to the window: lists
// hold one item per line and never a tab, so Tab moves on to the next
// field as everywhere else (Fyne's multi-line entry would insert it).
type multiEntry struct {
	widget.Entry
	keys *dialogKeys
}

func newMultiEntry(keys *dialogKeys) *multiEntry {
	e := &multiEntry{keys: keys}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.ExtendBaseWidget(e)
	return e
}

// AcceptsTab implements fyne.Tabbable: no.
func (e *multiEntry) AcceptsTab() bool { return false }

// TypedKey closes the dialog on Esc; Enter starts a new line.
func (e *multiEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && e.keys.escape() {
		return
	}
	e.Entry.TypedKey(ev)
}

// dialogKeys are what Esc and Enter do in one dialog.
type dialogKeys struct {
	esc, enter func()
}

// escape runs the dialog's Esc action, if there is a dialog.
func (k *dialogKeys) escape() bool {
	if k == nil || k.esc == nil {
		return false
	}
	k.esc()
	return true
}

// handle runs Esc's or Enter's action for a key, and reports whether it
// did.
func (k *dialogKeys) handle(ev *fyne.KeyEvent) bool {
	if k == nil {
		return false
	}
	switch ev.Name {
	case fyne.KeyEscape:
		return k.escape()
	case fyne.KeyReturn, fyne.KeyEnter:
		if k.enter != nil {
			k.enter()
			return true
		}
	}
	return false
}

// keyEntry is a one-line entry in a dialog: Esc closes it, Enter
// answers it.
type keyEntry struct {
	widget.Entry
	keys *dialogKeys
}

func newKeyEntry(keys *dialogKeys) *keyEntry {
	e := &keyEntry{keys: keys}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey implements fyne.Focusable.
func (e *keyEntry) TypedKey(ev *fyne.KeyEvent) {
	if !e.keys.handle(ev) {
		e.Entry.TypedKey(ev)
	}
}

// keySelect is a select in a dialog.
type keySelect struct {
	widget.Select
	keys *dialogKeys
}

func newKeySelect(options []string, changed func(string), keys *dialogKeys) *keySelect {
	s := &keySelect{keys: keys}
	s.Options, s.OnChanged = options, changed
	s.ExtendBaseWidget(s)
	return s
}

// TypedKey implements fyne.Focusable.
func (s *keySelect) TypedKey(ev *fyne.KeyEvent) {
	if !s.keys.handle(ev) {
		s.Select.TypedKey(ev)
	}
}

// keyCheck is a check box in a dialog.
type keyCheck struct {
	widget.Check
	keys *dialogKeys
}

func newKeyCheck(label string, changed func(bool), keys *dialogKeys) *keyCheck {
	c := &keyCheck{keys: keys}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

// TypedKey implements fyne.Focusable.
func (c *keyCheck) TypedKey(ev *fyne.KeyEvent) {
	if !c.keys.handle(ev) {
		c.Check.TypedKey(ev)
	}
}

// keyButton is a button that Enter presses too (Fyne's takes only
// Space); in a dialog, Esc closes the dialog.
type keyButton struct {
	widget.Button
	keys *dialogKeys
}

func newKeyButton(label string, icon fyne.Resource, tapped func(), keys *dialogKeys) *keyButton {
	b := &keyButton{keys: keys}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey implements fyne.Focusable.
func (b *keyButton) TypedKey(ev *fyne.KeyEvent) {
	switch {
	case ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter:
		if !b.Disabled() {
			b.Tapped(nil)
		}
	case ev.Name == fyne.KeyEscape && b.keys.escape():
	default:
		b.Button.TypedKey(ev)
	}
}

// showDialog shows d with keys for Esc and Enter: widgets inside it that
// have the focus handle them themselves (see above); with nothing
// focused, the window's key handler does, until d closes.
func (u *UI) showDialog(d dialog.Dialog, keys *dialogKeys) {
	c := u.win.Canvas()
	prev := c.OnTypedKey()
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if !keys.handle(ev) && prev != nil {
			prev(ev)
		}
	})
	d.SetOnClosed(func() { c.SetOnTypedKey(prev) })
	d.Show()
}

// ask is a dialog with content and buttons. Enter presses the default
// button (the one marked so, else the last); Esc closes the dialog as
// Cancel does. Each button closes the dialog before its action runs.
// keys, when not nil, are shared with widgets of content made by the
// caller (so that Esc and Enter work when they have the focus).
func (u *UI) ask(title string, content fyne.CanvasObject, size fyne.Size, keys *dialogKeys, buttons ...askButton) dialog.Dialog {
	if keys == nil {
		keys = &dialogKeys{}
	}
	d := dialog.NewCustomWithoutButtons(title, content, u.win)
	var objs []fyne.CanvasObject
	var def *keyButton
	for i, ab := range buttons {
		ab := ab
		b := newKeyButton(ab.label, nil, func() {
			d.Hide()
			if ab.action != nil {
				ab.action()
			}
		}, keys)
		b.Importance = ab.importance
		objs = append(objs, b)
		if ab.isDefault || (def == nil && i == len(buttons)-1) {
			def = b
		}
	}
	keys.esc = d.Hide
	keys.enter = func() { def.Tapped(nil) }
	d.SetButtons(objs)
	d.Resize(size)
	u.showDialog(d, keys)
	u.win.Canvas().Focus(def)
	return d
}

// askButton is one button of ask.
type askButton struct {
	label      string
	importance widget.Importance
	action     func()
	// isDefault makes it Enter's (Cancel, where the action destroys).
	isDefault bool
}

func cancelButton() askButton { return askButton{label: "Cancel"} }
