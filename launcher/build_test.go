package launcher

import (
	"strings"
	"testing"
)

// A failed setup step says which step, what it printed last, where the
// full output is and, when the step has one, its fix, last.
func TestSetupErrorNamesTheFix(t *testing.T) {
	e := &SetupError{Step: 6, Steps: 13, Name: "package lists", Argv: []string{"apt-get", "-q", "update"}, Status: 100,
		Tail: "E: Some index files failed to download.", Log: "/tmp/app-setup.log", Hint: `write updates = "none" under [image] in app.toml`}
	got := e.Error()
	for _, want := range []string{"setup step 6 of 13 (package lists) failed: apt-get -q update exited with status 100",
		"\nlast lines of its output:\nE: Some index files", "\nfull output: /tmp/app-setup.log"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if !strings.HasSuffix(got, "\nfix: write updates = \"none\" under [image] in app.toml") {
		t.Errorf("the fix is not the last line: %q", got)
	}
	e.Hint = ""
	if strings.Contains(e.Error(), "fix:") {
		t.Errorf("a fix without a hint: %q", e.Error())
	}
}
