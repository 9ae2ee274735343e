package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/assets"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// showDelete asks before deleting a profile, offering to take its
// container and menu entry with it. Cancel is the default: Enter does
// not delete.
func (u *UI) showDelete(it *item) {
	if it == nil {
		return
	}
	exists := it.status != nil && it.status.State != launcher.NotCreated
	keys := &dialogKeys{}
	destroy := newKeyCheck("Also destroy its container (apps in it are stopped)", nil, keys)
	destroy.SetChecked(exists)
	setEnabled(destroy, exists)
	menu := newKeyCheck("Also remove its menu entry", nil, keys)
	menu.SetChecked(it.menu)
	setEnabled(menu, it.menu)
	msg := widget.NewLabel(fmt.Sprintf("The file %s is deleted. This cannot be undone.", profiles.Path(u.dir, it.name)))
	msg.Wrapping = fyne.TextWrapWord
	u.ask("Delete "+it.name+"?", container.NewVBox(msg, destroy, menu), fyne.NewSize(520, 240), keys,
		askButton{label: "Delete", importance: widget.DangerImportance, action: func() {
			u.deleteProfile(it, destroy.Checked, menu.Checked)
		}},
		askButton{label: "Cancel", isDefault: true})
}

// deleteProfile runs `lxcage delete`, the one delete of the CLI and the
// editor: it refuses nothing the user did not confirm (the dialog said
// a running container's apps are stopped), stops before it destroys, and
// removes nothing when something would stop it halfway.
func (u *UI) deleteProfile(it *item, destroy, menu bool) {
	args := []string{"delete", it.name}
	if destroy {
		args = append(args, "--destroy", "--stop")
	}
	if !menu {
		args = append(args, "--keep-menu")
	}
	u.run(it, "delete", [][]string{args}, func(err error) {
		if err != nil {
			u.fail(it.name+" was not deleted", err)
			return
		}
		u.loadAll()
		u.selectFirst("")
		u.say("Deleted %s", it.name)
	})
}

// showReset offers to replace the draft with a preset, like Flatseal's
// per-app reset. Nothing is written until Save.
func (u *UI) showReset(it *item) {
	if it == nil || it.loadErr != nil {
		return
	}
	labels := presetLabels()
	keys := &dialogKeys{}
	sel := newKeySelect(labels.list, nil, keys)
	sel.SetSelected(labels.of[guessPreset(it.draft)])
	msg := widget.NewLabel(fmt.Sprintf("Every setting of %s is replaced with the preset's. Nothing is written until you Save; Revert brings the saved file back.", it.name))
	msg.Wrapping = fyne.TextWrapWord
	u.ask("Reset "+it.name+" to a preset", container.NewVBox(msg, widget.NewForm(widget.NewFormItem("Preset", sel))), fyne.NewSize(560, 240), keys,
		cancelButton(),
		askButton{label: "Reset", importance: widget.HighImportance, action: func() {
			if p := labels.preset[sel.Selected]; p != "" {
				if err := u.resetTo(it, p); err != nil {
					u.fail("Not reset", err)
				}
			}
		}})
}

// presetChoices are the presets as a select shows them: name and
// description, mapped both ways.
type presetChoices struct {
	list   []string
	of     map[string]string // preset → label
	preset map[string]string // label → preset
}

// presetLabels lists the presets as "name — description".
func presetLabels() presetChoices {
	c := presetChoices{of: map[string]string{}, preset: map[string]string{}}
	for _, n := range assets.Presets() {
		label := n
		if p, err := parsePreset(n, n); err == nil && p.Description != "" {
			label = n + " — " + p.Description
		}
		c.list = append(c.list, label)
		c.of[n], c.preset[label] = label, n
	}
	return c
}

// resetTo replaces it's draft with preset.
func (u *UI) resetTo(it *item, preset string) error {
	p, err := parsePreset(it.name, preset)
	if err != nil {
		return err
	}
	it.draft = p
	it.viewErrs = map[string]error{}
	if it == u.cur {
		u.selectItem(it)
	}
	u.say("%s now holds the settings of preset %s; Save to keep them", it.name, preset)
	return nil
}

// parsePreset loads a built-in preset as profile name.
func parsePreset(name, preset string) (*profiles.Profile, error) {
	data, ok := assets.Preset(preset)
	if !ok {
		return nil, fmt.Errorf("there is no preset %q", preset)
	}
	return profiles.Parse(name, preset+profiles.Ext, data)
}

// guessPreset is the preset a profile most likely came from: the one of
// the same name, else one running the same program.
func guessPreset(p *profiles.Profile) string {
	names := assets.Presets()
	for _, n := range names {
		if n == p.Name {
			return n
		}
	}
	for _, n := range names {
		if q, err := parsePreset(n, n); err == nil && len(p.Command) > 0 && len(q.Command) > 0 && q.Command[0] == p.Command[0] {
			return n
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// brokenView is shown for a profile file that does not load: the error
// and the text, to fix by hand and save (validated before it is written).
func (u *UI) brokenView(it *item) fyne.CanvasObject {
	msg := widget.NewLabel(it.loadErr.Error())
	msg.Wrapping = fyne.TextWrapWord
	msg.Importance = widget.DangerImportance
	text := widget.NewMultiLineEntry()
	text.TextStyle = fyne.TextStyle{Monospace: true}
	text.SetText(string(it.raw))
	save := widget.NewButtonWithIcon("Save text", theme.DocumentSaveIcon(), func() {
		if _, err := profiles.WriteFile(u.dir, it.name, []byte(text.Text), true); err != nil {
			msg.SetText(err.Error())
			u.say("Not saved: the text still has problems")
			return
		}
		u.loadItem(it)
		u.selectItem(it)
		u.say("Saved %s", profiles.Path(u.dir, it.name))
	})
	save.Importance = widget.HighImportance
	del := widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), func() { u.showDelete(it) })
	del.Importance = widget.DangerImportance
	top := container.NewVBox(heading(it.name+": this file does not load"), msg)
	return container.NewPadded(container.NewBorder(top, container.NewHBox(save, layoutSpacer(), del), nil, nil, text))
}
