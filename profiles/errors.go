package profiles

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoProfile is returned (wrapped) when a profile file does not exist.
var ErrNoProfile = errors.New("no such profile")

// Error is one problem in a profile, located as precisely as known.
type Error struct {
	// File is the profile's path (or just its base name).
	File string
	// Line is the 1-based line of the offending key, 0 when unknown.
	Line int
	// Key is the dotted key, e.g. "access.network" or "share[1].path".
	Key string
	// Msg says what is wrong.
	Msg string
	// Fix says what to write instead; may be empty.
	Fix string

	keyInMsg bool // Msg already names the key
}

func (e *Error) Error() string { return e.text(true) }

// text renders the problem, with its fix or without.
func (e *Error) text(withFix bool) string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Key != "" && !e.keyInMsg {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if withFix && e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Problems is every problem found in one profile. Validation collects
// them all so an editor can show each next to its field.
type Problems []*Error

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.As find each *Error.
func (ps Problems) Unwrap() []error {
	es := make([]error, len(ps))
	for i, p := range ps {
		es[i] = p
	}
	return es
}

// For returns the problems whose key is key or lies under it.
func (ps Problems) For(key string) Problems {
	var out Problems
	for _, p := range ps {
		if p.Key == key || strings.HasPrefix(p.Key, key+".") || strings.HasPrefix(p.Key, key+"[") {
			out = append(out, p)
		}
	}
	return out
}

// problems collects Errors while validating; file and lines locate them.
type problems struct {
	file  string
	lines map[string]int
	list  Problems
}

func (ps *problems) add(key, fix, format string, args ...any) {
	ps.list = append(ps.list, &Error{
		File: ps.file,
		Line: ps.line(key),
		Key:  key,
		Msg:  fmt.Sprintf(format, args...),
		Fix:  fix,
	})
}

// line finds the line of key, or of its nearest enclosing table.
func (ps *problems) line(key string) int {
	for k := key; k != ""; {
		if l, ok := ps.lines[k]; ok {
			return l
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return ps.list
}

// Cause implements fix.Fixable: the problem without its fix.
func (e *Error) Cause() string { return e.text(false) }

// HowToFix implements fix.Fixable.
func (e *Error) HowToFix() string { return e.Fix }
