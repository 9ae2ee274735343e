package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/profiles"
)

// generalSection: what runs, as whom, how the container boots.
func (ed *editor) generalSection() fyne.CanvasObject {
	desc := ed.text("description", "one line for menus and lists", func(p *profiles.Profile) *string { return &p.Description })
	cmd := ed.list("command", "program\nargument\n…", 3, func(p *profiles.Profile) *[]string { return &p.Command })
	user := ed.text("user", profiles.DefaultUser, func(p *profiles.Profile) *string { return &p.User })
	modeHint := hint("")
	mode := ed.choice("mode", []string{profiles.ModeApp, profiles.ModeSystem}, func(p *profiles.Profile) *string { return &p.Mode },
		func(v string) { modeHint.SetText(modeText[v]) })
	modeHint.SetText(modeText[mode.Selected])
	return widget.NewForm(
		formItem("Description", desc, ""),
		formItem("Command", cmd, "The program and its arguments, one per line (never a shell string)."),
		formItem("User", user, "Account inside the container; it has your own uid, never root."),
		formItem("Mode", container.NewVBox(mode, modeHint), ""),
	)
}

var modeText = map[string]string{
	profiles.ModeApp:    "A tiny init just waits for the app: starts and stops in milliseconds.",
	profiles.ModeSystem: "Boots the image's own init and services (slower; for apps that expect them).",
}

// filesSection: shared folders and environment variables.
func (ed *editor) filesSection() fyne.CanvasObject {
	return container.NewVBox(
		heading("Shared folders"),
		hint("Each folder is bind-mounted into the container; the app can read (and unless read-only, change or delete) everything in it."),
		ed.sharesList(),
		widget.NewSeparator(),
		heading("Environment"),
		hint("Variables the app starts with. Nothing else from your session's environment reaches it."),
		ed.envTable(),
	)
}

// imageSection: where the root filesystem comes from, and the one-time
// setup run in it. Types and their fields come from profiles.ImageTypes.
func (ed *editor) imageSection() fyne.CanvasObject {
	ed.imgBox = container.NewVBox()
	typeHint := hint("")
	typ := widget.NewSelect(profiles.ImageTypeNames(), nil)
	ed.choices["image.type"] = typ
	typ.SetSelected(orDefault(ed.it.draft.Image.Type, profiles.ImageHost))
	doc := func(v string) string { t, _ := profiles.ImageTypeNamed(v); return t.Doc }
	typ.OnChanged = func(v string) {
		ed.setImageType(v)
		typeHint.SetText(doc(v))
		ed.changed()
	}
	typeHint.SetText(doc(typ.Selected))
	ed.fillImageFields()
	pkgs := ed.list("setup.packages", "ca-certificates\npulseaudio", 3, func(p *profiles.Profile) *[]string { return &p.Setup.Packages })
	debs := ed.list("setup.debs", "~/Downloads/app_amd64.deb", 2, func(p *profiles.Profile) *[]string { return &p.Setup.Debs })
	return container.NewVBox(
		heading("Image"),
		widget.NewForm(formItem("Type", container.NewVBox(typ, typeHint), "")),
		ed.imgBox,
		widget.NewSeparator(),
		heading("Setup (once, as root in the container, after it is created)"),
		widget.NewForm(
			formItem("Packages", pkgs, "Installed with the image's package manager, one per line."),
			formItem(".deb files", debs, "Files on this computer to install, one path per line."),
		),
		heading("Downloads"),
		ed.urlsList(),
		heading("Commands"),
		ed.runList(),
	)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// imageFields are the [image] fields of type typ, in the order shown.
func imageFields(typ string) []profiles.ImageField {
	t, _ := profiles.ImageTypeNamed(typ)
	return t.Fields
}

// moveImageFields copies the fields of type typ from one image to another.
func moveImageFields(typ string, from, to *profiles.Image) {
	for _, f := range imageFields(typ) {
		if f.List {
			to.Components = from.Components
			continue
		}
		*f.Get(to) = *f.Get(from)
	}
}

// setImageType switches the draft's image type, keeping the fields of
// the old type aside and bringing back those of the new one.
func (ed *editor) setImageType(typ string) {
	cur := ed.it.draft.Image
	moveImageFields(cur.Type, &cur, &ed.imgStash)
	next := profiles.Image{Type: typ}
	moveImageFields(typ, &ed.imgStash, &next)
	ed.it.draft.Image = next
	ed.fillImageFields()
}

// fillImageFields shows the fields of the draft's image type.
func (ed *editor) fillImageFields() {
	ed.forget("image.")
	form := widget.NewForm()
	for _, f := range imageFields(ed.it.draft.Image.Type) {
		f := f
		key := "image." + f.Key
		label := strings.ToUpper(f.Key[:1]) + f.Key[1:]
		if f.List {
			form.AppendItem(formItem(label, ed.components(f.Placeholder), "Archive areas, separated by spaces."))
			continue
		}
		e := ed.text(key, f.Placeholder, func(p *profiles.Profile) *string { return f.Get(&p.Image) })
		help := ""
		if f.Required {
			help = "Required."
		}
		form.AppendItem(formItem(label, e, help))
	}
	ed.imgBox.Objects = nil
	if len(form.Items) > 0 {
		ed.imgBox.Add(form)
	}
	ed.imgBox.Refresh()
}

// components is a one-line entry for the debootstrap archive areas.
// They are single words, so splitting on spaces cannot break one.
func (ed *editor) components(placeholder string) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(strings.Join(ed.it.draft.Image.Components, " "))
	e.SetPlaceHolder(placeholder)
	ed.bind(e, "image.components", func(p *profiles.Profile, s string) error {
		p.Image.Components = strings.Fields(s)
		return nil
	})
	return e
}

// limitsSection: cgroup limits and confinement.
func (ed *editor) limitsSection() fyne.CanvasObject {
	mem := ed.text("limits.memory", "no limit (e.g. 4G)", func(p *profiles.Profile) *string { return &p.Limits.Memory })
	pids := ed.number("limits.pids", "no limit (e.g. 4096)", func(p *profiles.Profile) *int64 { return &p.Limits.Pids })
	cpu := ed.number("limits.cpu_weight", "100 (normal)", func(p *profiles.Profile) *int64 { return &p.Limits.CPUWeight })
	caps := ed.list("security.drop_caps", "sys_ptrace\nnet_raw", 3, func(p *profiles.Profile) *[]string { return &p.Security.DropCaps })
	aa := widget.NewSelectEntry([]string{"generated", "unconfined"})
	aa.SetText(ed.it.draft.Security.AppArmor)
	aa.SetPlaceHolder("LXC's default")
	ed.bind(&aa.Entry, "security.apparmor", func(p *profiles.Profile, s string) error { p.Security.AppArmor = s; return nil })
	sc := widget.NewSelectEntry([]string{"default", "none"})
	sc.SetText(ed.it.draft.Security.Seccomp)
	ed.bind(&sc.Entry, "security.seccomp", func(p *profiles.Profile, s string) error { p.Security.Seccomp = s; return nil })
	userns := ed.check("security.userns", "User namespaces inside", func(p *profiles.Profile) *bool { return &p.Security.UserNS }, nil)
	nested := ed.check("security.nested_sandbox", "Nested sandbox", func(p *profiles.Profile) *bool { return &p.Security.NestedSandbox }, nil)
	nnp := ed.noNewPrivsCheck()
	return container.NewVBox(
		heading("Limits"),
		widget.NewForm(
			formItem("Memory", mem, "A size such as 512M or 4G; the app is killed beyond it."),
			formItem("Processes", pids, "Caps processes and threads (stops fork bombs)."),
			formItem("CPU weight", cpu, "Relative CPU share, 1–10000."),
		),
		widget.NewSeparator(),
		heading("Security"),
		widget.NewForm(
			formItem("Drop capabilities", caps, "One per line, in addition to "+strings.Join(profiles.DefaultDropCaps, ", ")+"."),
			formItem("AppArmor", aa, `"generated", "unconfined" (no AppArmor confinement) or a profile name.`),
			formItem("Seccomp", sc, `"default" blocks dangerous system calls; "none" turns that off; or the path of a policy.`),
			formItem("", userns, "Chromium's own sandbox needs it; it widens the kernel's attack surface."),
			formItem("", nested, "For sandboxes the app builds itself (bwrap, Flatpak, Steam): user namespaces and mounts inside them, and no AppArmor profile where the host has AppArmor; widens it more."),
			formItem("", nnp, "no_new_privs, on by default: setuid programs cannot gain privileges. Off lets sudo work inside a system container."),
		),
	)
}

// noNewPrivsCheck is the check box of security.no_new_privs: unset
// means on, and the key is written only while the user has it off.
func (ed *editor) noNewPrivsCheck() *widget.Check {
	c := widget.NewCheck("Block setuid privileges", nil)
	ed.checks["security.no_new_privs"] = c
	nnp := ed.it.draft.Security.NoNewPrivs
	c.SetChecked(nnp == nil || *nnp)
	c.OnChanged = func(on bool) {
		if on {
			ed.it.draft.Security.NoNewPrivs = nil
		} else {
			off := false
			ed.it.draft.Security.NoNewPrivs = &off
		}
		ed.changed()
	}
	return c
}

// menuSection: the desktop menu entry and LXC's log.
func (ed *editor) menuSection() fyne.CanvasObject {
	d := func(f func(*profiles.Desktop) *string) func(*profiles.Profile) *string {
		return func(p *profiles.Profile) *string { return f(&p.Desktop) }
	}
	name := ed.text("desktop.name", "NAME (sandboxed)", d(func(x *profiles.Desktop) *string { return &x.Name }))
	comment := ed.text("desktop.comment", "", d(func(x *profiles.Desktop) *string { return &x.Comment }))
	icon := ed.text("desktop.icon", "icon name or absolute path", d(func(x *profiles.Desktop) *string { return &x.Icon }))
	cats := ed.list("desktop.categories", "Network\nWebBrowser", 2, func(p *profiles.Profile) *[]string { return &p.Desktop.Categories })
	mimes := ed.list("desktop.mime_types", "text/html", 2, func(p *profiles.Profile) *[]string { return &p.Desktop.MimeTypes })
	kw := ed.list("desktop.keywords", "", 2, func(p *profiles.Profile) *[]string { return &p.Desktop.Keywords })
	wm := ed.text("desktop.wm_class", "see xprop WM_CLASS", d(func(x *profiles.Desktop) *string { return &x.WMClass }))
	logFile := ed.text("log.file", "~/.cache/lxcage/NAME.log", func(p *profiles.Profile) *string { return &p.Log.File })
	level := ed.choice("log.level", profiles.LogLevels, func(p *profiles.Profile) *string { return &p.Log.Level }, nil)
	return container.NewVBox(
		heading("Menu entry"),
		widget.NewForm(
			formItem("Name", name, "As shown in the applications menu."),
			formItem("Comment", comment, ""),
			formItem("Icon", icon, "Looked up inside the container and copied to your icons."),
			formItem("Categories", cats, "One per line."),
			formItem("Opens", mimes, "MIME types the app is offered for, one per line."),
			formItem("Keywords", kw, "One per line."),
			formItem("Window class", wm, "Lets the dock group the app's windows under its icon."),
		),
		widget.NewSeparator(),
		heading("LXC log"),
		widget.NewForm(
			formItem("File", logFile, "Where LXC writes about this container."),
			formItem("Level", level, ""),
		),
	)
}
