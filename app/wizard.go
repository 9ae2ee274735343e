package app

import (
	"errors"
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/assets"
	"github.com/lxcage/lxcage/profiles"
)

// emptyPreset is the wizard's "from scratch" choice.
const emptyPreset = "(empty profile)"

// wizard is the new-profile dialog: a name, a preset to start from, the
// image, and what the app may reach. Choosing a preset fills the rest in.
type wizard struct {
	u       *UI
	d       *dialog.CustomDialog
	name    *widget.Entry
	preset  *widget.Select
	command *widget.Entry
	image   *widget.Select
	dist    *widget.Entry
	release *widget.Entry
	x11     *widget.Select
	sound   *widget.Check
	gpu     *widget.Check
	network *widget.Select
	errMsg  *widget.Label
	// named is true once the user typed a name, so that choosing a
	// preset no longer renames the profile.
	named bool
}

// showWizard opens the new-profile dialog.
func (u *UI) showWizard() {
	w := u.newWizard()
	w.d.Show()
	u.win.Canvas().Focus(w.name)
}

func (u *UI) newWizard() *wizard {
	w := &wizard{u: u}
	w.name = widget.NewEntry()
	w.name.SetPlaceHolder("e.g. chrome")
	w.name.Validator = w.checkName
	w.name.OnChanged = func(string) { w.named = true }
	w.command = widget.NewMultiLineEntry()
	w.command.SetMinRowsVisible(2)
	w.command.SetPlaceHolder("program\nargument")
	w.image = widget.NewSelect([]string{profiles.ImageHost, profiles.ImageDownload}, func(v string) { w.showImage(v) })
	w.dist, w.release = widget.NewEntry(), widget.NewEntry()
	w.dist.SetPlaceHolder("ubuntu")
	w.release.SetPlaceHolder("noble")
	w.x11 = widget.NewSelect(x11Switch.Values, nil)
	w.sound = widget.NewCheck("Sound (PulseAudio; can also record the microphone)", nil)
	w.gpu = widget.NewCheck("GPU acceleration", nil)
	w.network = widget.NewSelect(accessSwitchNamed("network").Values, nil)
	w.errMsg = widget.NewLabel("")
	w.errMsg.Wrapping = fyne.TextWrapWord
	w.errMsg.Importance = widget.DangerImportance
	w.errMsg.Hide()
	w.preset = widget.NewSelect(append([]string{emptyPreset}, assets.Presets()...), w.choosePreset)

	form := widget.NewForm(
		formItem("Name", w.name, "Lower-case letters, digits and dashes; names the file and the container."),
		formItem("Start from", w.preset, "A preset fills in everything below; change what you like."),
		formItem("Command", w.command, "Program and arguments, one per line."),
		formItem("Image", w.image, "host: your own /usr, read-only (fast, nothing to download)."),
		formItem("Distribution", w.dist, ""),
		formItem("Release", w.release, ""),
		formItem("Windows (X11)", w.x11, "untrusted: its own windows only; trusted: can read all windows and keys."),
		formItem("", container.NewVBox(w.sound, w.gpu), ""),
		formItem("Network", w.network, "off: none; host: yours as is; bridge: its own address behind NAT."),
	)
	create := widget.NewButton("Create", w.create)
	create.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { w.d.Hide() })
	content := container.NewBorder(nil, container.NewVBox(w.errMsg, container.NewHBox(layoutSpacer(), cancel, create)), nil, nil, form)
	w.d = dialog.NewCustomWithoutButtons("New profile", content, u.win)
	w.d.Resize(fyne.NewSize(640, 620))
	if ps := assets.Presets(); len(ps) > 0 {
		w.preset.SetSelected(ps[0])
	} else {
		w.preset.SetSelected(emptyPreset)
	}
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

// choosePreset fills the fields from a preset.
func (w *wizard) choosePreset(name string) {
	p := &profiles.Profile{}
	if name != emptyPreset {
		q, err := parsePreset("new", name)
		if err != nil {
			w.showError(err)
			return
		}
		p = q
		if !w.named {
			w.name.SetText(name)
			w.named = false
		}
	}
	p.Defaults()
	w.command.SetText(joinLines(p.Command))
	w.image.SetSelected(p.Image.Type)
	if p.Image.Type != profiles.ImageHost && p.Image.Type != profiles.ImageDownload {
		// The wizard offers the two common types; others stay as the
		// preset has them and are edited in the form.
		w.image.Options = append(w.image.Options[:2:2], p.Image.Type)
		w.image.SetSelected(p.Image.Type)
	}
	w.dist.SetText(p.Image.Dist)
	w.release.SetText(p.Image.Release)
	w.x11.SetSelected(x11Switch.Get(&p.Access))
	w.sound.SetChecked(p.Access.PulseAudio)
	w.gpu.SetChecked(p.Access.GPU)
	w.network.SetSelected(p.Access.Network)
}

// showImage shows the download fields only for download images.
func (w *wizard) showImage(typ string) {
	setEnabled(w.dist, typ == profiles.ImageDownload)
	setEnabled(w.release, typ == profiles.ImageDownload)
}

// profile builds the new profile from the dialog, starting from the
// preset so that what the wizard does not ask about is the preset's.
func (w *wizard) profile() (*profiles.Profile, error) {
	p := &profiles.Profile{}
	if w.preset.Selected != emptyPreset {
		q, err := parsePreset(w.name.Text, w.preset.Selected)
		if err != nil {
			return nil, err
		}
		p = q
	}
	p.Name = w.name.Text
	p.Command = lines(w.command.Text)
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
	if w.preset.Selected != emptyPreset {
		orig, err := parsePreset(p.Name, w.preset.Selected)
		if err != nil {
			return "", err
		}
		a, errA := encode(orig)
		b, errB := encode(p)
		if errA == nil && errB == nil && string(a) == string(b) {
			data, _ := assets.Preset(w.preset.Selected)
			return profiles.WriteFile(w.u.dir, p.Name, data, false)
		}
	}
	return profiles.Save(w.u.dir, stripDefaults(p), saveHeader, false)
}

func (w *wizard) showError(err error) {
	var ps profiles.Problems
	if errors.As(err, &ps) {
		msg := ""
		for i, p := range ps {
			if i > 0 {
				msg += "\n"
			}
			msg += problemText(p)
		}
		w.errMsg.SetText(msg)
	} else {
		w.errMsg.SetText(err.Error())
	}
	w.errMsg.Show()
}
