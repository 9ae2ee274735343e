// Package fix is the one way lxcage's errors carry what the user can do
// about them. An error that knows its fix implements Fixable; front ends
// (the CLI, notifications, the editor, `lxcage check`) find it with
// errors.As and show cause and fix apart, instead of cutting strings.
package fix

import (
	"errors"
	"strings"
)

// Fixable is an error that says what the user can do about it.
type Fixable interface {
	error
	// Cause is what went wrong, without the fix.
	Cause() string
	// HowToFix is one short instruction ("" when there is none). When it
	// needs root it says so ("as root: …").
	HowToFix() string
}

// Error is a plain Fixable: a cause (with an optional wrapped error) and
// a fix.
type Error struct {
	// Msg is the cause in the user's words.
	Msg string
	// Err is the underlying error, if any (shown after Msg).
	Err error
	// Fix says what to do.
	Fix string
}

// New returns an error with cause msg and fix.
func New(msg, fix string) *Error { return &Error{Msg: msg, Fix: fix} }

// Wrap adds a fix to err, keeping it for errors.Is/As; msg may be "" to
// use err's own text as the cause.
func Wrap(err error, msg, fix string) *Error { return &Error{Msg: msg, Err: err, Fix: fix} }

// Cause implements Fixable. A wrapped error that knows its own fix
// contributes only its cause: the fix is said once.
func (e *Error) Cause() string {
	if e.Err == nil {
		return e.Msg
	}
	inner := e.Err.Error()
	var f Fixable
	if errors.As(e.Err, &f) && f.Error() == inner {
		inner = f.Cause()
	}
	if e.Msg == "" {
		return inner
	}
	return e.Msg + ": " + inner
}

// HowToFix implements Fixable.
func (e *Error) HowToFix() string { return e.Fix }

// Error renders "cause; fix" for a terminal.
func (e *Error) Error() string { return Join(e.Cause(), e.Fix) }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Join renders a cause and a fix on one line the way every lxcage error
// does.
func Join(cause, fix string) string {
	if fix == "" {
		return cause
	}
	return strings.TrimRight(cause, ". ") + "; " + fix
}

// Split returns the cause and the fix of err: those of the outermost
// Fixable in its chain (with the context wrapped around it kept in the
// cause), or err's text and "".
func Split(err error) (cause, howto string) {
	if err == nil {
		return "", ""
	}
	var f Fixable
	if !errors.As(err, &f) {
		return err.Error(), ""
	}
	cause = f.Cause()
	// Keep the context callers wrapped around it ("launch x: …").
	if full := err.Error(); full != f.Error() {
		if i := strings.Index(full, f.Error()); i > 0 {
			cause = full[:i] + cause
		}
	}
	return cause, f.HowToFix()
}
