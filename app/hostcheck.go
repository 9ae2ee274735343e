package app

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/lxcage/lxcage/hostcheck"
)

// hostCheck is the page that shows `lxcage check`: each check with its
// detail and, when it fails, the command or step that fixes it.
type hostCheck struct {
	u       *UI
	summary *widget.Label
	rows    *fyne.Container
	again   *widget.Button
	content fyne.CanvasObject
}

// showHostCheck replaces the center pane with the host check and runs it.
func (u *UI) showHostCheck() {
	h := &hostCheck{u: u, summary: widget.NewLabel("Checking…"), rows: container.NewVBox()}
	h.summary.Wrapping = fyne.TextWrapWord
	h.again = widget.NewButtonWithIcon("Check again", theme.ViewRefreshIcon(), h.run)
	back := newKeyButton("Back to profiles", theme.NavigateBackIcon(), u.backToProfiles, nil)
	top := container.NewVBox(
		heading("Is this computer ready for lxcage?"),
		h.summary,
		container.NewHBox(h.again, back),
		widget.NewSeparator(),
	)
	h.content = container.NewBorder(top, nil, nil, nil, container.NewVScroll(container.NewPadded(h.rows)))
	u.list.UnselectAll()
	u.onPage = true
	u.showPage(h.content)
	u.win.SetTitle(Title + ": host check")
	h.run()
}

// backToProfiles leaves a page for the selected profile.
func (u *UI) backToProfiles() {
	if u.cur != nil {
		u.selectItem(u.cur)
	} else {
		u.selectFirst("")
	}
}

// run runs the checks off the Fyne goroutine (they start programs).
func (h *hostCheck) run() {
	h.again.Disable()
	h.summary.SetText("Checking…")
	h.u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		checks := h.u.opts.Backend.CheckHost(ctx)
		fyne.Do(func() { h.show(checks) })
	})
}

func (h *hostCheck) show(checks []hostcheck.Check) {
	h.again.Enable()
	h.rows.Objects = nil
	failed, warned := 0, 0
	for _, c := range checks {
		if !c.OK {
			if c.Required {
				failed++
			} else {
				warned++
			}
		}
		h.rows.Add(checkRow(c))
	}
	switch {
	case failed > 0:
		h.summary.SetText(fmt.Sprintf("%s failed: containers will not start until they are fixed. Each shows its fix.", plural(failed, "required check", "required checks")))
		h.summary.Importance = widget.DangerImportance
	case warned > 0:
		h.summary.SetText(fmt.Sprintf("Ready. %s only matter to some profiles (bridged network, X11…).", plural(warned, "warning", "warnings")))
		h.summary.Importance = widget.WarningImportance
	default:
		h.summary.SetText("Ready: every check passed.")
		h.summary.Importance = widget.SuccessImportance
	}
	h.summary.Refresh()
	h.rows.Refresh()
}

// checkRow is one check: a mark, its name and detail, and its fix.
func checkRow(c hostcheck.Check) fyne.CanvasObject {
	icon := theme.ConfirmIcon()
	switch {
	case !c.OK && c.Required:
		icon = theme.NewErrorThemedResource(theme.ErrorIcon())
	case !c.OK:
		icon = theme.NewWarningThemedResource(theme.WarningIcon())
	default:
		icon = theme.NewSuccessThemedResource(theme.ConfirmIcon())
	}
	name := widget.NewLabelWithStyle(c.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	detail := widget.NewLabel(c.Detail)
	detail.Wrapping = fyne.TextWrapWord
	texts := container.NewVBox(name, detail)
	if !c.OK && c.Fix != "" {
		fix := mono()
		fix.SetText(c.Fix)
		fix.Wrapping = fyne.TextWrapWord
		texts.Add(container.NewBorder(nil, nil, widget.NewLabel("Fix:"), nil, fix))
	}
	return container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(icon)), nil, texts)
}
