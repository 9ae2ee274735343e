package app

import (
	"bytes"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// saveHeader is written at the top of every profile the editor saves. The
// file is re-encoded from the form, so comments a user wrote by hand are
// not kept; the header says so where the user will look for them.
const saveHeader = `lxcage profile, saved by lxcage-editor, which shows what each key lets
the app reach. Comments written by hand are not kept when it saves.`

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
	// stamp is the version of the file (safefile.Stamp) the draft is based
	// on: last read, written, or accepted by "Keep my changes". A file
	// whose stamp differs was changed by someone else.
	stamp string
	// conflict is a version on disk, changed by someone else while the
	// draft had unsaved changes, that the user has not yet chosen
	// between (reload, or keep the draft); nil when there is none.
	conflict *diskVersion
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
// writing them back would pin today's defaults into the user's file, so
// the file says only what the user chose. Any field Defaults fills is
// found by comparison, so a new default needs no code here.
func stripDefaults(p *profiles.Profile) *profiles.Profile {
	q := clone(p)
	var d profiles.Profile
	d.Defaults()
	unsetDefaults(reflect.ValueOf(q).Elem(), reflect.ValueOf(&d).Elem())
	if len(q.Env) == 0 {
		q.Env = nil
	}
	return q
}

// unsetDefaults zeroes the fields of v that equal a non-zero default in d.
func unsetDefaults(v, d reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f, df := v.Field(i), d.Field(i)
		switch {
		case !f.CanSet():
		case f.Kind() == reflect.Struct:
			unsetDefaults(f, df)
		case !df.IsZero() && reflect.DeepEqual(f.Interface(), df.Interface()):
			f.SetZero()
		}
	}
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
