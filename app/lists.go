package app

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/profiles"
)

// rows is a list of editable rows with an "add" button. Rows are rebuilt
// whole on add and remove, because the keys of the validator (share[2])
// follow the index.
type rows struct {
	box   *fyne.Container
	build func() []fyne.CanvasObject
}

func (r *rows) rebuild() {
	r.box.Objects = r.build()
	r.box.Refresh()
}

// removeButton drops row i of a list and rebuilds it.
func (ed *editor) removeButton(label string, r *rows, drop func(p *profiles.Profile)) *widget.Button {
	b := widget.NewButtonWithIcon(label, theme.ContentRemoveIcon(), func() {
		drop(ed.it.draft)
		r.rebuild()
		ed.changed()
	})
	b.Importance = widget.LowImportance
	return b
}

// sharesList edits [[share]]: a host folder with a picker, where it
// appears inside, and its switches.
func (ed *editor) sharesList() fyne.CanvasObject {
	r := &rows{box: container.NewVBox()}
	r.build = func() []fyne.CanvasObject {
		ed.forget("share[")
		var out []fyne.CanvasObject
		for i := range ed.it.draft.Shares {
			out = append(out, ed.shareRow(i, r), widget.NewSeparator())
		}
		add := widget.NewButtonWithIcon("Add folder", theme.ContentAddIcon(), func() {
			ed.it.draft.Shares = append(ed.it.draft.Shares, profiles.Share{})
			r.rebuild()
			ed.changed()
		})
		return append(out, container.NewHBox(add))
	}
	r.rebuild()
	return r.box
}

func (ed *editor) shareRow(i int, r *rows) fyne.CanvasObject {
	key := fmt.Sprintf("share[%d]", i)
	sh := func(p *profiles.Profile) *profiles.Share { return &p.Shares[i] }
	host := ed.text(key+".host", "~/Downloads", func(p *profiles.Profile) *string { return &sh(p).Host })
	inside := ed.text(key+".path", "", func(p *profiles.Profile) *string { return &sh(p).Path })
	placeholder := func() {
		inside.SetPlaceHolder(profiles.DefaultSharePath(sh(ed.it.draft).Host, ed.it.draft.Home()))
	}
	placeholder()
	onHost := host.OnChanged
	host.OnChanged = func(s string) { onHost(s); placeholder() }
	browse := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() {
		dialog.ShowFolderOpen(func(dir fyne.ListableURI, err error) {
			if err == nil && dir != nil {
				host.SetText(tildePath(dir.Path()))
			}
		}, ed.u.win)
	})
	ro := ed.check(key+".readonly", "Read-only", func(p *profiles.Profile) *bool { return &sh(p).Readonly }, nil)
	opt := ed.check(key+".optional", "Optional", func(p *profiles.Profile) *bool { return &sh(p).Optional }, nil)
	sens := ed.check(key+".allow_sensitive", "Allow sensitive folder", func(p *profiles.Profile) *bool { return &sh(p).AllowSensitive }, nil)
	remove := ed.removeButton("Remove", r, func(p *profiles.Profile) { p.Shares = slices.Delete(p.Shares, i, i+1) })
	return widget.NewForm(
		formItem("Folder", container.NewBorder(nil, nil, nil, browse, host), "", host),
		formItem("Inside", inside, "Where the app sees it; empty = the same place under its home."),
		formItem("", container.NewBorder(nil, nil, nil, remove, newFlow(ed.reflow, ro, opt, sens)),
			"Optional: start even when the folder is missing. Sensitive: your home itself, ~/.ssh, ~/.config…"),
	)
}

// tildePath writes a path under the home as "~/…", as profiles do.
func tildePath(p string) string {
	home := homeDir()
	if home == "" {
		return p
	}
	if p == home {
		return "~"
	}
	if rel, err := filepath.Rel(home, p); err == nil && !strings.HasPrefix(rel, "..") {
		return "~/" + rel
	}
	return p
}

// envVar is one row of the environment table. The table keeps rows (and
// their order) while the draft holds a map, so a variable can be renamed
// without losing its place.
type envVar struct{ name, value string }

// envTable edits [env] as NAME = value rows.
func (ed *editor) envTable() fyne.CanvasObject {
	ed.env = nil
	for _, k := range slices.Sorted(maps.Keys(ed.it.draft.Env)) {
		ed.env = append(ed.env, &envVar{k, ed.it.draft.Env[k]})
	}
	r := &rows{box: container.NewVBox()}
	r.build = func() []fyne.CanvasObject {
		ed.forget("env")
		var out []fyne.CanvasObject
		for i := range ed.env {
			out = append(out, ed.envRow(i, r))
		}
		add := widget.NewButtonWithIcon("Add variable", theme.ContentAddIcon(), func() {
			ed.env = append(ed.env, &envVar{})
			r.rebuild()
		})
		return append(out, container.NewHBox(add))
	}
	r.rebuild()
	return r.box
}

func (ed *editor) envRow(i int, r *rows) fyne.CanvasObject {
	v := ed.env[i]
	name := widget.NewEntry()
	name.SetText(v.name)
	name.SetPlaceHolder("NAME")
	value := widget.NewEntry()
	value.SetText(v.value)
	value.SetPlaceHolder("value")
	name.Validator = func(s string) error { return ed.envProblem(i, s, v.value, s) }
	value.Validator = func(s string) error { return ed.envProblem(i, v.name, s, v.name) }
	name.OnChanged = func(s string) { v.name = s; ed.syncEnv() }
	value.OnChanged = func(s string) { v.value = s; ed.syncEnv() }
	ed.entries["env."+v.name] = value
	remove := widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() {
		ed.env = slices.Delete(ed.env, i, i+1)
		r.rebuild()
		ed.syncEnv()
	})
	remove.Importance = widget.LowImportance
	return container.NewBorder(nil, nil, nil, remove, container.NewGridWithColumns(2, name, value))
}

// envFrom builds the [env] map from rows; empty rows are skipped. It
// fails on what a map cannot hold: two rows with one name, a value
// without a name.
func envFrom(vars []*envVar) (map[string]string, error) {
	m := map[string]string{}
	for _, v := range vars {
		switch {
		case v.name == "" && v.value == "":
			continue
		case v.name == "":
			return m, fmt.Errorf("the value %q has no variable name", v.value)
		}
		if _, dup := m[v.name]; dup {
			return m, fmt.Errorf("%s is set twice", v.name)
		}
		m[v.name] = v.value
	}
	return m, nil
}

// envProblem validates the table with row i set to name = value and
// returns the problems of the variable key.
func (ed *editor) envProblem(i int, name, value, key string) error {
	vars := slices.Clone(ed.env)
	vars[i] = &envVar{name, value}
	m, err := envFrom(vars)
	if err != nil {
		return err
	}
	c := clone(ed.it.draft)
	c.Env = m
	return ed.u.fieldProblems(c, "env."+key)
}

// syncEnv writes the table into the draft.
func (ed *editor) syncEnv() {
	m, err := envFrom(ed.env)
	if err != nil {
		ed.it.viewErrs["env"] = err
	} else {
		delete(ed.it.viewErrs, "env")
	}
	ed.it.draft.Env = m
	ed.changed()
}

// urlsList edits [setup] urls: a URL and the checksum it must have.
func (ed *editor) urlsList() fyne.CanvasObject {
	r := &rows{box: container.NewVBox()}
	r.build = func() []fyne.CanvasObject {
		ed.forget("setup.urls")
		var out []fyne.CanvasObject
		for i := range ed.it.draft.Setup.URLs {
			key := fmt.Sprintf("setup.urls[%d]", i)
			u := func(p *profiles.Profile) *profiles.URL { return &p.Setup.URLs[i] }
			url := ed.text(key+".url", "https://example.com/app.deb", func(p *profiles.Profile) *string { return &u(p).URL })
			sum := ed.text(key+".sha256", "sha256sum of the file", func(p *profiles.Profile) *string { return &u(p).SHA256 })
			remove := ed.removeButton("", r, func(p *profiles.Profile) { p.Setup.URLs = slices.Delete(p.Setup.URLs, i, i+1) })
			out = append(out, container.NewBorder(nil, nil, nil, remove, container.NewGridWithColumns(2, url, sum)))
		}
		add := widget.NewButtonWithIcon("Add download", theme.ContentAddIcon(), func() {
			ed.it.draft.Setup.URLs = append(ed.it.draft.Setup.URLs, profiles.URL{})
			r.rebuild()
			ed.changed()
		})
		return append(out, container.NewHBox(add))
	}
	r.rebuild()
	return r.box
}

// runList edits [setup] run: commands as root, each an argv with one
// argument per line.
func (ed *editor) runList() fyne.CanvasObject {
	r := &rows{box: container.NewVBox()}
	r.build = func() []fyne.CanvasObject {
		ed.forget("setup.run")
		var out []fyne.CanvasObject
		for i := range ed.it.draft.Setup.Run {
			key := fmt.Sprintf("setup.run[%d]", i)
			e := ed.list(key, "sh\n-c\necho hello", 3, func(p *profiles.Profile) *[]string { return &p.Setup.Run[i] })
			remove := ed.removeButton("", r, func(p *profiles.Profile) { p.Setup.Run = slices.Delete(p.Setup.Run, i, i+1) })
			out = append(out, container.NewBorder(nil, nil, nil, remove, e))
		}
		add := widget.NewButtonWithIcon("Add command", theme.ContentAddIcon(), func() {
			ed.it.draft.Setup.Run = append(ed.it.draft.Setup.Run, nil)
			r.rebuild()
			ed.changed()
		})
		return append(out, container.NewHBox(add), hint("One argument per line; a shell only when you write sh, -c, … yourself."))
	}
	r.rebuild()
	return r.box
}
