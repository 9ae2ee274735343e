package app

import (
	"errors"
	"time"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/profiles"
)

// What the launch would refuse shows before Save: the editor compiles
// the draft with the Backend's Compile — the launcher's own, with this
// computer's facts (shared folders that must exist, the share guard, the
// display, subordinate ids) — and shows its problems on their fields
// and above the form, next to the profile validator's.

// compileCacheTTL bounds how long a compile result is reused: the
// validator of a field, the banner and the config pane compile the same
// draft on one keystroke, while a folder made in a terminal should count
// within moments.
const compileCacheTTL = 2 * time.Second

// compileResult is one cached compile.
type compileResult struct {
	key    string
	at     time.Time
	config string
	err    error
}

// compile compiles p through the Backend, reusing the result for the same
// profile text for a moment.
func (u *UI) compile(p *profiles.Profile) (string, error) {
	b, err := profiles.Encode(p, "")
	key := p.Name + "\x00" + string(b)
	now := time.Now()
	if err == nil {
		for _, c := range u.compiles {
			if c.key == key && now.Sub(c.at) < compileCacheTTL {
				return c.config, c.err
			}
		}
	}
	config, cerr := u.opts.Backend.Compile(p)
	if err == nil {
		u.compiles = append(u.compiles[max(0, len(u.compiles)-3):], compileResult{key, now, config, cerr})
	}
	return config, cerr
}

// runProblems are the problems a launch would refuse p for on this
// computer; nil when it compiles. Profile validation comes first: call
// it on a valid profile.
func (u *UI) runProblems(p *profiles.Profile) profiles.Problems {
	_, err := u.compile(p)
	return asProblems(p.Name, err)
}

// asProblems turns a compile error into problems: a profile's problems as
// they are, anything else (a fact of the host) as one problem without a
// key, its fix kept apart.
func asProblems(name string, err error) profiles.Problems {
	if err == nil {
		return nil
	}
	var ps profiles.Problems
	if errors.As(err, &ps) {
		return ps
	}
	var pe *profiles.Error
	if errors.As(err, &pe) {
		return profiles.Problems{pe}
	}
	cause, howto := fix.Split(err)
	return profiles.Problems{{File: name + profiles.Ext, Msg: cause, Fix: howto}}
}

// checkAll is everything wrong with the draft: what stops Save (the
// form's and the validator's problems), then what stops a launch here.
func (u *UI) checkAll(it *item) (save, run profiles.Problems) {
	if save = it.problems(); len(save) > 0 {
		return save, nil
	}
	return nil, u.runProblems(it.draft)
}

// fieldProblems is the text under the field key for profile p (the
// draft with the typed value): the validator's problems at key, else
// those a launch would have there.
func (u *UI) fieldProblems(p *profiles.Profile, key string) error {
	err := profiles.Validate(p)
	if err != nil {
		var ps profiles.Problems
		if !errors.As(err, &ps) {
			return err
		}
		return fieldError(ps.For(key))
	}
	return fieldError(u.runProblems(p).For(key))
}
