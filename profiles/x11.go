package profiles

import (
	"fmt"
	"strconv"
)

// X11Mode is how the app reaches the X server. A profile may write a
// boolean (true = the filtering proxy) or one of the mode names.
type X11Mode string

// X11 isolation levels.
const (
	X11Off = X11Mode("")
	// X11Proxy (x11 = true) connects the app through lxcage's filtering
	// proxy: its own windows at full speed, nothing of anyone else's.
	X11Proxy = X11Mode("proxy")
	// X11Untrusted gives the app a cookie made with the X SECURITY
	// extension, on the host's X socket. An X server that admits the user
	// by uid ignores the cookie; most extensions are hidden.
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
			*m = X11Proxy
		} else {
			*m = X11Off
		}
		return nil
	case string:
		switch X11Mode(v) {
		case X11Proxy, X11Untrusted, X11Trusted, X11Nested:
			*m = X11Mode(v)
			return nil
		case "true":
			*m = X11Proxy
			return nil
		case "false", "off", "none":
			*m = X11Off
			return nil
		}
		return fmt.Errorf("unknown x11 mode %q: use true (the filtering proxy), false, \"nested\", \"trusted\" or \"untrusted\"", v)
	}
	return fmt.Errorf("x11 must be true, false or a mode name, not %T", v)
}

// MarshalTOML writes the proxy as true and no X11 as false, the way a
// user writes them; other modes by name.
func (m X11Mode) MarshalTOML() ([]byte, error) {
	switch m {
	case X11Off:
		return []byte("false"), nil
	case X11Proxy:
		return []byte("true"), nil
	}
	return []byte(strconv.Quote(string(m))), nil
}

// On reports whether the app reaches any X server.
func (m X11Mode) On() bool { return m != X11Off }
