package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/profiles"
)

// risk is the one line shown under an access switch: what the app gains,
// said as what it could do to you. high marks what an untrusted app
// should not be given lightly.
type risk struct {
	text string
	high bool
}

// x11Risks explain each X11 mode. The X11 protocol lets any client with
// the user's cookie read every window and key; that is the point of
// choosing a mode.
var x11Risks = map[string]risk{
	"off":       {"No windows at all: for command-line and background tools.", false},
	"untrusted": {"Its own windows only: it cannot read other windows or log keys (X SECURITY extension). Some apps' GPU paths fail this way.", false},
	"trusted":   {"Full access to your display: it can read every window and log every key you type, passwords included.", true},
	"nested":    {"A private X server in a window of its own: cut off from your other windows.", false},
}

// switchRisks explain the boolean access keys, in the order shown.
var switchRisks = []struct {
	key   string
	label string
	get   func(*profiles.Access) *bool
	on    risk
}{
	{"access.wayland", "Wayland", func(a *profiles.Access) *bool { return &a.Wayland }, risk{"Shows windows through your Wayland compositor, which keeps other apps' windows and keys from it.", false}},
	{"access.pulseaudio", "PulseAudio", func(a *profiles.Access) *bool { return &a.PulseAudio }, risk{"Plays sound, and can also record from your microphone.", true}},
	{"access.pipewire", "PipeWire", func(a *profiles.Access) *bool { return &a.PipeWire }, risk{"Audio and video streams: may reach microphones, cameras and screen capture.", true}},
	{"access.gpu", "GPU", func(a *profiles.Access) *bool { return &a.GPU }, risk{"Fast graphics and video (/dev/dri), at the cost of a large kernel driver to attack.", false}},
	{"access.sound", "Sound devices", func(a *profiles.Access) *bool { return &a.Sound }, risk{"Raw sound cards (/dev/snd): records the microphone without asking any sound server.", true}},
	{"access.webcam", "Webcam", func(a *profiles.Access) *bool { return &a.Webcam }, risk{"Sees through your cameras (/dev/video*).", true}},
	{"access.input", "Game controllers", func(a *profiles.Access) *bool { return &a.Input }, risk{"Reads joysticks and gamepads (/dev/input/js*).", false}},
}

var dbusRisks = map[string]risk{
	profiles.DBusNone:     {"No session bus: no notifications, tray icons or portals.", false},
	profiles.DBusFiltered: {"Only the bus names listed below, through xdg-dbus-proxy.", false},
	profiles.DBusFull:     {"Your whole session bus: it can talk to any desktop service, the keyring included.", true},
}

var networkRisks = map[string]risk{
	profiles.NetworkOff:    {"No network at all.", false},
	profiles.NetworkHost:   {"Your network as it is: the internet, your LAN, and services listening on localhost.", true},
	profiles.NetworkBridge: {"An address of its own behind NAT on lxcbr0: reaches the internet, not your localhost.", false},
}

// showRisk puts r under its switch, in the warning colour when the
// access is on and the risk high.
func showRisk(l *widget.Label, r risk, on bool) {
	l.SetText(r.text)
	l.Importance = widget.MediumImportance
	if on && r.high {
		l.Importance = widget.WarningImportance
	}
	l.Refresh()
}

// accessSection: what the app reaches on the host, each switch with the
// risk it brings.
func (ed *editor) accessSection() fyne.CanvasObject {
	a := func(p *profiles.Profile) *profiles.Access { return &p.Access }
	box := container.NewVBox(heading("Display"))

	x11Label := hint("")
	x11 := widget.NewSelect([]string{"off", "untrusted", "trusted", "nested"}, nil)
	ed.choices["access.x11"] = x11
	x11.SetSelected(x11Name(ed.it.draft.Access.X11))
	showRisk(x11Label, x11Risks[x11.Selected], true)
	x11.OnChanged = func(v string) {
		ed.it.draft.Access.X11 = x11Mode(v)
		showRisk(x11Label, x11Risks[v], true)
		ed.changed()
	}
	box.Add(widget.NewForm(formItem("X11", container.NewVBox(x11, x11Label), "")))

	box.Add(heading("Devices and services"))
	for _, s := range switchRisks {
		l := hint("")
		c := ed.check(s.key, s.label, func(p *profiles.Profile) *bool { return s.get(a(p)) }, func(on bool) { showRisk(l, s.on, on) })
		showRisk(l, s.on, c.Checked)
		box.Add(container.NewVBox(c, indent(l)))
	}

	box.Add(heading("D-Bus and network"))
	dbusLabel := hint("")
	talk := ed.list("access.dbus_talk", "org.freedesktop.Notifications", 2, func(p *profiles.Profile) *[]string { return &p.Access.DBusTalk })
	dbus := ed.choice("access.dbus", []string{profiles.DBusNone, profiles.DBusFiltered, profiles.DBusFull}, func(p *profiles.Profile) *string { return &p.Access.DBus },
		func(v string) {
			showRisk(dbusLabel, dbusRisks[v], true)
			setEnabled(talk, v == profiles.DBusFiltered)
		})
	showRisk(dbusLabel, dbusRisks[dbus.Selected], true)
	setEnabled(talk, dbus.Selected == profiles.DBusFiltered)

	netLabel := hint("")
	net := ed.choice("access.network", []string{profiles.NetworkOff, profiles.NetworkHost, profiles.NetworkBridge}, func(p *profiles.Profile) *string { return &p.Access.Network },
		func(v string) { showRisk(netLabel, networkRisks[v], true) })
	showRisk(netLabel, networkRisks[net.Selected], true)

	box.Add(widget.NewForm(
		formItem("D-Bus", container.NewVBox(dbus, dbusLabel), ""),
		formItem("Bus names", talk, "With filtered D-Bus: the names the app may talk to, one per line."),
		formItem("Network", container.NewVBox(net, netLabel), ""),
	))
	return box
}

// indent shifts a hint under its check box's label.
func indent(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, widgetSpace(), nil, o)
}

func widgetSpace() fyne.CanvasObject {
	r := container.NewGridWrap(fyne.NewSize(28, 1))
	return r
}

// x11Name is the select's word for a mode.
func x11Name(m profiles.X11Mode) string {
	if m == profiles.X11Off {
		return "off"
	}
	return string(m)
}

func x11Mode(name string) profiles.X11Mode {
	if name == "off" {
		return profiles.X11Off
	}
	return profiles.X11Mode(name)
}
