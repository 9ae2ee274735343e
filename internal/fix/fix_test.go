package fix

import (
	"errors"
	"fmt"
	"testing"
)

func TestFixIsSaidOnce(t *testing.T) {
	inner := New("xauth is not installed", "apt-get install xauth")
	outer := Wrap(inner, "X11 (untrusted cookie)", inner.HowToFix())
	if got := outer.Error(); got != "X11 (untrusted cookie): xauth is not installed; apt-get install xauth" {
		t.Errorf("Error() = %q", got)
	}
	wrapped := fmt.Errorf("launch eyes: %w", outer)
	cause, howto := Split(wrapped)
	if cause != "launch eyes: X11 (untrusted cookie): xauth is not installed" || howto != "apt-get install xauth" {
		t.Errorf("Split = %q, %q", cause, howto)
	}
	if !errors.Is(wrapped, inner) {
		t.Error("the chain lost the inner error")
	}
	if c, h := Split(errors.New("plain")); c != "plain" || h != "" {
		t.Errorf("plain error split into %q, %q", c, h)
	}
}
