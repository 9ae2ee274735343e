package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

// heading is a section title inside a tab (it wraps, like every text
// of the form: no text sets the window's minimum width).
func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Wrapping = fyne.TextWrapWord
	return l
}

// hint is a small explanatory line under a widget. It wraps (a long
// hint takes more lines, never more width) and is drawn in the normal
// text colour: Fyne's own form hints are single-line placeholder text,
// faint and clipped.
func hint(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	if text == "" {
		l.Hide()
	}
	return l
}

// setHint changes a hint, hiding it while empty.
func setHint(l *widget.Label, text string, imp widget.Importance) {
	l.Text, l.Importance = text, imp
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
	l.Refresh()
}

// validating is an entry whose validation the row shows.
type validating interface {
	SetOnValidationChanged(func(error))
}

// formItem is a form row: the widget with a line under it that holds the
// hint, or in red the problem of the entry e (when given), wrapped to
// the row's width. e is the widget itself when it is an entry.
func formItem(label string, w fyne.CanvasObject, hintText string, e ...validating) *widget.FormItem {
	l := hint(hintText)
	if v, ok := w.(validating); ok && len(e) == 0 {
		e = []validating{v}
	}
	for _, v := range e {
		v.SetOnValidationChanged(func(err error) {
			if err != nil {
				setHint(l, err.Error(), widget.DangerImportance)
			} else {
				setHint(l, hintText, widget.MediumImportance)
			}
		})
	}
	return widget.NewFormItem(label, container.NewVBox(w, l))
}

// flow lays its objects out in a row and wraps them onto more rows when
// the row is too narrow, so that a row of buttons never sets the
// window's minimum width. Its minimum height follows the width it was
// last given; when that changes the number of rows, reflow (the
// enclosing content's Refresh) lays the parents out again.
type flow struct {
	width  float32
	rows   int
	reflow func()
}

func newFlow(reflow func(), objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(&flow{reflow: reflow}, objs...)
}

// place computes each object's position for width and returns the size
// needed.
func (f *flow) place(objs []fyne.CanvasObject, width float32, apply bool) (fyne.Size, int) {
	pad := theme.Padding()
	x, y, rowH, rows := float32(0), float32(0), float32(0), 0
	var size fyne.Size
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		if rows == 0 {
			rows = 1
		} else if x > 0 && x+m.Width > width {
			x, y, rowH = 0, y+rowH+pad, 0
			rows++
		}
		if apply {
			o.Move(fyne.NewPos(x, y))
			o.Resize(m)
		}
		x += m.Width + pad
		rowH = max(rowH, m.Height)
		size.Width = max(size.Width, x-pad)
		size.Height = y + rowH
	}
	return size, rows
}

// MinSize is as wide as the widest object, as high as the rows at the
// last width.
func (f *flow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var widest float32
	for _, o := range objs {
		if o.Visible() {
			widest = max(widest, o.MinSize().Width)
		}
	}
	w := f.width
	if w <= 0 {
		w = 1 << 20 // not laid out yet: one row
	}
	s, _ := f.place(objs, w, false)
	return fyne.NewSize(widest, s.Height)
}

// Layout places the objects in rows of the given width.
func (f *flow) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	f.width = size.Width
	_, rows := f.place(objs, size.Width, true)
	if rows != f.rows {
		first := f.rows == 0
		f.rows = rows
		if !first && f.reflow != nil {
			f.reflow()
		}
	}
}

// atLeast gives its one object a minimum height of its own: the form's
// tabs stay usable at the window's smallest.
type atLeast struct{ height float32 }

// MinSize is the object's, at least height high.
func (a atLeast) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := objs[0].MinSize()
	return fyne.NewSize(m.Width, max(m.Height, a.height))
}

// Layout gives the object all the room.
func (a atLeast) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Move(fyne.Position{})
	objs[0].Resize(size)
}

// Setters that leave a widget alone when nothing changes: each change
// redraws the window, and the status refresh sets the same values every
// few seconds.

func setText(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

func setButtonText(b *keyButton, text string) {
	if b.Text != text {
		b.SetText(text)
	}
}

func setIcon(i *widget.Icon, r fyne.Resource) {
	if i.Resource != r {
		i.SetResource(r)
	}
}

func setImportance(l *widget.Label, imp widget.Importance) {
	if l.Importance != imp {
		l.Importance = imp
		l.Refresh()
	}
}
