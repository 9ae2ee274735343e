package app

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/profiles"
)

// showRisk puts r under its switch, in the warning colour when the
// access is on and the risk high.
func showRisk(l *widget.Label, r profiles.Risk, on bool) {
	imp := widget.MediumImportance
	if on && r.High {
		imp = widget.WarningImportance
	}
	setHint(l, r.Text, imp)
}

// accessSection: what the app reaches on the host, each switch with the
// risk it brings, built from profiles.AccessSwitches (a new switch needs
// no code here).
func (ed *editor) accessSection() fyne.CanvasObject {
	box := container.NewVBox()
	widgets := map[string]fyne.Disableable{}
	var after []func()
	for _, group := range []string{profiles.GroupDisplay, profiles.GroupDevices, profiles.GroupDBusNet} {
		box.Add(heading(group))
		form := widget.NewForm()
		for _, s := range profiles.AccessSwitches {
			if s.Group != group {
				continue
			}
			switch s.Kind {
			case profiles.SwitchBool:
				box.Add(ed.accessCheck(s))
			case profiles.SwitchChoice:
				w, then := ed.accessChoice(s, widgets)
				form.Append(s.Label, w)
				after = append(after, then)
			case profiles.SwitchPorts:
				w := ed.ports(s)
				widgets[s.Key] = w
				form.AppendItem(formItem(s.Label, w, s.Doc))
			case profiles.SwitchList:
				s := s
				w := ed.list("access."+s.Key, "org.freedesktop.Notifications", 2, func(p *profiles.Profile) *[]string { return s.GetList(&p.Access) })
				widgets[s.Key] = w
				form.AppendItem(formItem(s.Label, w, s.Doc))
			}
		}
		if len(form.Items) > 0 {
			box.Add(form)
		}
	}
	for _, f := range after {
		f()
	}
	return box
}

// accessCheck is a check box for a Bool switch, its risk under it.
func (ed *editor) accessCheck(s profiles.AccessSwitch) fyne.CanvasObject {
	l := hint("")
	risk := s.Risks["true"]
	c := widget.NewCheck(s.Label, nil)
	ed.checks["access."+s.Key] = c
	c.SetChecked(s.On(&ed.it.draft.Access))
	c.OnChanged = func(on bool) {
		s.Set(&ed.it.draft.Access, strconv.FormatBool(on))
		showRisk(l, risk, on)
		ed.changed()
	}
	showRisk(l, risk, c.Checked)
	return container.NewVBox(c, indent(l))
}

// accessChoice is a select for a Choice switch, with the risk of the
// chosen value. The returned func enables the widgets that depend on it
// (the bus names follow dbus = "filtered") once all exist.
func (ed *editor) accessChoice(s profiles.AccessSwitch, widgets map[string]fyne.Disableable) (fyne.CanvasObject, func()) {
	l := hint("")
	sel := widget.NewSelect(s.Values, nil)
	ed.choices["access."+s.Key] = sel
	sel.SetSelected(s.Get(&ed.it.draft.Access))
	follow := func(v string) {
		if s.Key == "dbus" {
			if talk, ok := widgets["dbus_talk"]; ok {
				setEnabled(talk, v == profiles.DBusFiltered)
			}
		}
	}
	sel.OnChanged = func(v string) {
		s.Set(&ed.it.draft.Access, v)
		showRisk(l, s.Risks[v], true)
		follow(v)
		ed.changed()
	}
	showRisk(l, s.Risks[sel.Selected], true)
	return container.NewVBox(sel, l), func() { follow(sel.Selected) }
}

// indent shifts a hint under its check box's label.
func indent(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, widgetSpace(), nil, o)
}

func widgetSpace() fyne.CanvasObject {
	r := container.NewGridWrap(fyne.NewSize(28, 1))
	return r
}

// x11Switch is the X11 entry of the access table (the wizard asks it).
var x11Switch = profiles.AccessSwitchNamed("x11")

// ports is a one-line entry for a list of port numbers, separated by
// spaces.
func (ed *editor) ports(s profiles.AccessSwitch) *widget.Entry {
	e := widget.NewEntry()
	var words []string
	for _, p := range *s.GetPorts(&ed.it.draft.Access) {
		words = append(words, strconv.Itoa(p))
	}
	e.SetText(strings.Join(words, " "))
	e.SetPlaceHolder("631")
	ed.bind(e, "access."+s.Key, func(p *profiles.Profile, text string) error {
		var ports []int
		for _, w := range strings.Fields(text) {
			n, err := strconv.Atoi(w)
			if err != nil {
				return fmt.Errorf("%q is not a port number", w)
			}
			ports = append(ports, n)
		}
		*s.GetPorts(&p.Access) = ports
		return nil
	})
	return e
}
