package app

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCLIDoesNotLinkFyne pins the split between the GUI and the rest: the
// lxcage CLI (built with CGO_ENABLED=0, started from every menu entry)
// and the packages it uses must never pull in Fyne.
func TestCLIDoesNotLinkFyne(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to list dependencies with")
	}
	cmd := exec.Command(goBin, "list", "-deps", "github.com/lxcage/lxcage/cmd/lxcage")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "fyne.io/") || dep == "github.com/lxcage/lxcage/app" {
			t.Errorf("cmd/lxcage depends on %s", dep)
		}
	}
}
