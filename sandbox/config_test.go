package sandbox

import (
	"strings"
	"testing"
)

func TestMountPathEscaping(t *testing.T) {
	for _, p := range []string{"/a b", "/a\tb", "/a\nb", `/a\b`, `/a\040b`, "/plain"} {
		e := EscapeMountPath(p)
		if strings.ContainsAny(e, " \t\n") {
			t.Errorf("%q escaped to %q, still has whitespace", p, e)
		}
		if back := UnescapeMountPath(e); back != p {
			t.Errorf("%q → %q → %q", p, e, back)
		}
	}
	if got := EscapeMountPath(`/x y\z`); got != `/x\040y\134z` {
		t.Errorf("got %s", got)
	}
}
