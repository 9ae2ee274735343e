package app

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// saveHeader is written at the top of every profile the editor saves. The
// file is re-encoded from the form, so comments a user wrote by hand are
// not kept; the header says so where the user will look for them.
const saveHeader = `lxcage profile, saved by lxcage-editor.
Comments are not kept when the editor saves; the format is in DESIGN.md
and "lxcage help".`

// item is one profile in the sidebar: what is on disk, the copy the form
// edits, and what the container is doing. Only the Fyne goroutine touches
// an item.
type item struct {
	name string
	// saved is the profile as on disk (defaults filled); nil when the file
	// does not load, and then loadErr says why and raw holds its text.
	saved   *profiles.Profile
	loadErr error
	raw     []byte
	// draft is the copy the form edits; Save writes it, Revert drops it.
	draft *profiles.Profile
	// viewErrs are problems the form found before a value could reach the
	// draft (a number that does not parse, a duplicate variable name).
	viewErrs map[string]error

	status *launcher.Status
	// statusErr is why the last status query failed.
	statusErr error
	menu      bool
	// mtime is the file's modification time when last read or written,
	// to notice edits made outside the editor.
	mtime int64
	// busy names the lxcage command running for this profile ("" = none);
	// launches are not counted, they may run side by side.
	busy string
	log  *logBuffer
}

func newItem(name string) *item {
	return &item{name: name, viewErrs: map[string]error{}, log: newLogBuffer(2000)}
}

// setSaved records p as the profile on disk and resets the draft to it.
func (it *item) setSaved(p *profiles.Profile) {
	it.saved, it.loadErr, it.raw = p, nil, nil
	it.draft = clone(p)
	it.viewErrs = map[string]error{}
}

// dirty reports whether the draft differs from the file on disk. Both are
// compared as the TOML they encode to, so nil and empty lists, or a
// default written out and left unset, count as the same.
func (it *item) dirty() bool {
	if it.saved == nil || it.draft == nil {
		return false
	}
	if len(it.viewErrs) > 0 {
		return true
	}
	a, errA := encode(it.saved)
	b, errB := encode(it.draft)
	return errA != nil || errB != nil || !bytes.Equal(a, b)
}

// problems is every reason the draft cannot be saved: the form's own
// errors first, then the profile validator's.
func (it *item) problems() profiles.Problems {
	var ps profiles.Problems
	for _, k := range slices.Sorted(maps.Keys(it.viewErrs)) {
		ps = append(ps, &profiles.Error{File: it.name + profiles.Ext, Key: k, Msg: it.viewErrs[k].Error()})
	}
	if err := profiles.Validate(it.draft); err != nil {
		var vs profiles.Problems
		if errors.As(err, &vs) {
			ps = append(ps, vs...)
		} else {
			ps = append(ps, &profiles.Error{File: it.name + profiles.Ext, Msg: err.Error()})
		}
	}
	return ps
}

// encode renders p as the editor saves it: defaults left out, so a saved
// file says only what the user chose.
func encode(p *profiles.Profile) ([]byte, error) {
	return profiles.Encode(stripDefaults(p), saveHeader)
}

// stripDefaults returns a copy of p with every field that holds its
// default value unset. Loading fills defaults in (Profile.Defaults);
// writing them back would pin today's defaults into the user's file.
func stripDefaults(p *profiles.Profile) *profiles.Profile {
	q := clone(p)
	var d profiles.Profile
	d.Defaults()
	unset := func(v *string, def string) {
		if *v == def {
			*v = ""
		}
	}
	unset(&q.User, d.User)
	unset(&q.Mode, d.Mode)
	unset(&q.Image.Type, d.Image.Type)
	unset(&q.Access.Network, d.Access.Network)
	unset(&q.Access.DBus, d.Access.DBus)
	unset(&q.Security.Seccomp, d.Security.Seccomp)
	unset(&q.Log.Level, d.Log.Level)
	if len(q.Env) == 0 {
		q.Env = nil
	}
	return q
}

// clone is a deep copy of a profile: the form edits the copy, and the
// validators try each keystroke on a copy of that.
func clone(p *profiles.Profile) *profiles.Profile {
	c := *p
	c.Command = slices.Clone(p.Command)
	c.Image.Components = slices.Clone(p.Image.Components)
	c.Setup.Packages = slices.Clone(p.Setup.Packages)
	c.Setup.Debs = slices.Clone(p.Setup.Debs)
	c.Setup.URLs = slices.Clone(p.Setup.URLs)
	c.Setup.Run = nil
	for _, argv := range p.Setup.Run {
		c.Setup.Run = append(c.Setup.Run, slices.Clone(argv))
	}
	c.Access.DBusTalk = slices.Clone(p.Access.DBusTalk)
	c.Env = maps.Clone(p.Env)
	c.Shares = slices.Clone(p.Shares)
	c.Security.DropCaps = slices.Clone(p.Security.DropCaps)
	c.Desktop.Categories = slices.Clone(p.Desktop.Categories)
	c.Desktop.MimeTypes = slices.Clone(p.Desktop.MimeTypes)
	c.Desktop.Keywords = slices.Clone(p.Desktop.Keywords)
	return &c
}

// fieldError turns the validator's problems at one field into the short
// text shown under that field: what is wrong and how to fix it, without
// the file and key the field already makes plain.
func fieldError(ps profiles.Problems) error {
	if len(ps) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(ps))
	for _, p := range ps {
		m := p.Msg
		if p.Fix != "" {
			m += "; " + p.Fix
		}
		msgs = append(msgs, m)
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// problemsAt validates p and keeps the problems at key (and below it).
func problemsAt(p *profiles.Profile, key string) error {
	err := profiles.Validate(p)
	if err == nil {
		return nil
	}
	var ps profiles.Problems
	if !errors.As(err, &ps) {
		return err
	}
	return fieldError(ps.For(key))
}

// lines splits a multi-line entry into list items, one per line. Blank
// lines are dropped: in an argv or a package list they are almost always
// a stray Return, never an intended empty argument.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// joinLines is the inverse of lines, for filling an entry.
func joinLines(l []string) string { return strings.Join(l, "\n") }
