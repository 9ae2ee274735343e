package app

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/assets"
	"github.com/lxcage/lxcage/profiles"
)

// emptyPreset is the wizard's "from scratch" choice, and its default: the
// app gets its own windows and nothing else until the user adds more.
const emptyPreset = "(empty profile: its own windows, nothing else)"

// wizard is the new-profile dialog: a name, a preset to start from, the
// image, and what the app may reach. Choosing a preset fills the rest in.
// Every hint follows the choice above it; Enter creates, Esc cancels.
type wizard struct {
	u       *UI
	d       *dialog.CustomDialog
	keys    *dialogKeys
	name    *keyEntry
	preset  *keySelect
	presets presetChoices
	command *multiEntry
	image   *keySelect
	dist    *keyEntry
	release *keyEntry
	x11     *keySelect
	sound   *keyCheck
	gpu     *keyCheck
	network *keySelect
	errMsg  *widget.Label
	// hints under the choices, following them.
	presetHint, imageHint, x11Hint, soundHint, gpuHint, networkHint *widget.Label
	// named is true once the user typed a name, so that choosing a
	// preset no longer renames the profile.
	named bool
}

// showWizard opens the new-profile dialog.
func (u *UI) showWizard() {
	w := u.newWizard()
	u.showDialog(w.d, w.keys)
	u.win.Canvas().Focus(w.name)
}

func (u *UI) newWizard() *wizard {
	w := &wizard{u: u, keys: &dialogKeys{}, presets: presetLabels()}
	w.name = newKeyEntry(w.keys)
	w.name.SetPlaceHolder("e.g. chrome")
	w.name.Validator = w.checkName
	w.name.OnChanged = func(string) { w.named = true }
	w.command = newMultiEntry(w.keys)
	w.command.SetMinRowsVisible(2)
	w.command.SetPlaceHolder("program\nargument")
	w.image = newKeySelect([]string{profiles.ImageHost, profiles.ImageDownload}, w.showImage, w.keys)
	w.dist, w.release = newKeyEntry(w.keys), newKeyEntry(w.keys)
	w.dist.SetPlaceHolder("ubuntu")
	w.release.SetPlaceHolder("noble")
	x11 := x11Switch
	w.x11 = newKeySelect(x11.Values, func(v string) { showRisk(w.x11Hint, x11.Risks[v], true) }, w.keys)
	pulse, gpu, network := profiles.AccessSwitchNamed("pulseaudio"), profiles.AccessSwitchNamed("gpu"), profiles.AccessSwitchNamed("network")
	w.sound = newKeyCheck("Sound (PulseAudio)", func(on bool) { showRisk(w.soundHint, pulse.Risks["true"], on) }, w.keys)
	w.gpu = newKeyCheck("GPU acceleration", func(on bool) { showRisk(w.gpuHint, gpu.Risks["true"], on) }, w.keys)
	w.network = newKeySelect(network.Values, func(v string) { showRisk(w.networkHint, network.Risks[v], true) }, w.keys)
	w.presetHint, w.imageHint, w.x11Hint = hint(""), hint(""), hint("")
	w.soundHint, w.gpuHint, w.networkHint = hint(""), hint(""), hint("")
	w.errMsg = hint("")
	w.errMsg.Importance = widget.DangerImportance
	w.preset = newKeySelect(append([]string{emptyPreset}, w.presets.list...), w.choosePreset, w.keys)

	form := widget.NewForm(
		formItem("Name", w.name, "Lower-case letters, digits and dashes; names the file and the container."),
		widget.NewFormItem("Start from", container.NewVBox(w.preset, w.presetHint)),
		formItem("Command", w.command, "Program and arguments, one per line."),
		widget.NewFormItem("Image", container.NewVBox(w.image, w.imageHint)),
		formItem("Distribution", w.dist, ""),
		formItem("Release", w.release, ""),
		widget.NewFormItem("Windows (X11)", container.NewVBox(w.x11, w.x11Hint)),
		widget.NewFormItem("", container.NewVBox(w.sound, indent(w.soundHint), w.gpu, indent(w.gpuHint))),
		widget.NewFormItem("Network", container.NewVBox(w.network, w.networkHint)),
	)
	create := newKeyButton("Create", nil, w.create, w.keys)
	create.Importance = widget.HighImportance
	cancel := newKeyButton("Cancel", nil, func() { w.d.Hide() }, w.keys)
	w.name.OnSubmitted = func(string) { w.create() }
	w.keys.esc, w.keys.enter = func() { w.d.Hide() }, w.create
	content := container.NewBorder(nil, container.NewVBox(w.errMsg, container.NewHBox(layoutSpacer(), cancel, create)), nil, nil,
		container.NewVScroll(form))
	w.d = dialog.NewCustomWithoutButtons("New profile", content, u.win)
	w.d.Resize(fyne.NewSize(640, 640))
	w.preset.SetSelected(emptyPreset)
	w.named = false
	return w
}

// checkName validates the name field: a valid profile name not yet used.
func (w *wizard) checkName(s string) error {
	if err := profiles.CheckName(s); err != nil {
		return err
	}
	if _, err := os.Stat(profiles.Path(w.u.dir, s)); err == nil {
		return fmt.Errorf("there is already a profile %s", s)
	}
	return nil
}

// emptyProfile is what "(empty profile)" starts from: its own windows
// (x11 = true) and nothing else, as `lxcage new NAME` writes it.
func emptyProfile(name string) *profiles.Profile {
	p := &profiles.Profile{Name: name}
	p.Access.X11 = x11True()
	return p
}

// x11True is the X11 mode `x11 = true` stands for: the safe default,
// whatever it is called.
func x11True() profiles.X11Mode {
	var m profiles.X11Mode
	m.UnmarshalTOML(true)
	return m
}

// choosePreset fills the fields from a preset.
func (w *wizard) choosePreset(label string) {
	preset := w.presets.preset[label]
	p := emptyProfile("new")
	w.presetHint.Importance = widget.MediumImportance
	if preset == "" {
		setHint(w.presetHint, "Change what you like below; add folders, limits and the rest in the editor after.", widget.MediumImportance)
	} else {
		q, err := parsePreset("new", preset)
		if err != nil {
			w.showError(err)
			return
		}
		p = q
		if !w.named {
			w.name.SetText(preset)
			w.named = false
		}
		setHint(w.presetHint, "Reaches: "+reaches(p)+".", widget.MediumImportance)
	}
	p.Defaults()
	w.command.SetText(joinLines(p.Command))
	w.image.Options = []string{profiles.ImageHost, profiles.ImageDownload}
	if p.Image.Type != profiles.ImageHost && p.Image.Type != profiles.ImageDownload {
		// The wizard offers the two common types; others stay as the
		// preset has them and are edited in the form.
		w.image.Options = append(w.image.Options, p.Image.Type)
	}
	w.image.SetSelected(p.Image.Type)
	w.dist.SetText(p.Image.Dist)
	w.release.SetText(p.Image.Release)
	w.x11.SetSelected(x11Switch.Get(&p.Access))
	w.sound.SetChecked(p.Access.PulseAudio)
	w.gpu.SetChecked(p.Access.GPU)
	w.network.SetSelected(p.Access.Network)
	showRisk(w.soundHint, profiles.AccessSwitchNamed("pulseaudio").Risks["true"], w.sound.Checked)
	showRisk(w.gpuHint, profiles.AccessSwitchNamed("gpu").Risks["true"], w.gpu.Checked)
}

// reaches lists the access a profile turns on, in the editor's words.
func reaches(p *profiles.Profile) string {
	var on []string
	for _, s := range profiles.AccessSwitches {
		if !s.On(&p.Access) {
			continue
		}
		v := s.Label
		if s.Kind == profiles.SwitchChoice {
			v += " " + s.Get(&p.Access)
		}
		on = append(on, v)
	}
	if len(on) == 0 {
		return "nothing on your computer"
	}
	return strings.Join(on, ", ")
}

// showImage shows the download fields only for download images, and what
// the type means.
func (w *wizard) showImage(typ string) {
	setEnabled(w.dist, typ == profiles.ImageDownload)
	setEnabled(w.release, typ == profiles.ImageDownload)
	t, _ := profiles.ImageTypeNamed(typ)
	setHint(w.imageHint, t.Doc, widget.MediumImportance)
}

// profile builds the new profile from the dialog, starting from the
// preset so that what the wizard does not ask about is the preset's. A
// preset made to run another program is another app: it keeps nothing
// of the preset's name, description or menu entry.
func (w *wizard) profile() (*profiles.Profile, error) {
	name := w.name.Text
	p := emptyProfile(name)
	preset := w.presets.preset[w.preset.Selected]
	if preset != "" {
		q, err := parsePreset(name, preset)
		if err != nil {
			return nil, err
		}
		p = q
	}
	command := lines(w.command.Text)
	if preset != "" && (len(command) == 0 || len(p.Command) == 0 || command[0] != p.Command[0]) {
		p.Description = name
		p.Desktop = profiles.Desktop{}
	}
	p.Name, p.Command = name, command
	if w.image.Selected != p.Image.Type {
		p.Image = profiles.Image{Type: w.image.Selected}
	}
	if p.Image.Type == profiles.ImageDownload {
		p.Image.Dist, p.Image.Release = w.dist.Text, w.release.Text
	}
	x11Switch.Set(&p.Access, w.x11.Selected)
	p.Access.PulseAudio = w.sound.Checked
	p.Access.GPU = w.gpu.Checked
	p.Access.Network = w.network.Selected
	return p, nil
}

// create writes the new profile and selects it. A preset taken as it is
// is written as the preset's own text, comments included (as `lxcage new`
// does); otherwise the profile is saved from the form's values.
func (w *wizard) create() {
	if err := w.checkName(w.name.Text); err != nil {
		w.showError(err)
		return
	}
	p, err := w.profile()
	if err != nil {
		w.showError(err)
		return
	}
	if err := profiles.Validate(p); err != nil {
		w.showError(err)
		return
	}
	if _, err := w.write(p); err != nil {
		w.showError(err)
		return
	}
	w.d.Hide()
	u := w.u
	u.loadAll()
	u.selectFirst(p.Name)
	u.say("Created %s", profiles.Path(u.dir, p.Name))
	u.kickStatus()
}

func (w *wizard) write(p *profiles.Profile) (string, error) {
	if preset := w.presets.preset[w.preset.Selected]; preset != "" {
		orig, err := parsePreset(p.Name, preset)
		if err != nil {
			return "", err
		}
		a, errA := encode(orig)
		b, errB := encode(p)
		if errA == nil && errB == nil && string(a) == string(b) {
			data, _ := assets.Preset(preset)
			return profiles.WriteFile(w.u.dir, p.Name, data, false)
		}
	}
	return profiles.Save(w.u.dir, stripDefaults(p), saveHeader, false)
}

// showError shows why the profile was not created, under the form,
// wrapped.
func (w *wizard) showError(err error) {
	msg := err.Error()
	var ps profiles.Problems
	if errors.As(err, &ps) {
		var l []string
		for _, p := range ps {
			l = append(l, problemText(p))
		}
		msg = strings.Join(l, "\n")
	}
	setHint(w.errMsg, msg, widget.DangerImportance)
}
