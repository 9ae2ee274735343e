package profiles

import "fmt"

// X11Mode is how the app reaches the X server. A profile may write a
// boolean (true = the safe default) or one of the mode names.
type X11Mode string

// X11 isolation levels.
const (
	X11Off = X11Mode("")
	// X11Untrusted gives the app a cookie made with the X SECURITY
	// extension: it cannot read other clients' windows or grab input.
	X11Untrusted = X11Mode("untrusted")
	// X11Trusted gives the app the user's own cookie: full access to the
	// display, including keylogging. Only on request.
	X11Trusted = X11Mode("trusted")
	// X11Nested runs a private X server window for the container.
	X11Nested = X11Mode("nested")
)

// UnmarshalTOML accepts true, false or a mode name.
func (m *X11Mode) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case bool:
		if v {
			*m = X11Untrusted
		} else {
			*m = X11Off
		}
		return nil
	case string:
		switch X11Mode(v) {
		case X11Untrusted, X11Trusted, X11Nested:
			*m = X11Mode(v)
			return nil
		case "false", "off", "none":
			*m = X11Off
			return nil
		}
		return fmt.Errorf("unknown x11 mode %q: use true, false, \"untrusted\", \"trusted\" or \"nested\"", v)
	}
	return fmt.Errorf("x11 must be true, false or a mode name, not %T", v)
}

// MarshalText writes the mode name; an unset mode is written as "false"
// only when the field is not omitted.
func (m X11Mode) MarshalText() ([]byte, error) {
	if m == X11Off {
		return []byte("false"), nil
	}
	return []byte(m), nil
}

// On reports whether the app reaches any X server.
func (m X11Mode) On() bool { return m != X11Off }
