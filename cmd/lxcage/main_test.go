package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestImportsStayLean pins what the launcher binary may pull in: no GUI
// toolkit and no cgo outside the standard library, so it builds with
// CGO_ENABLED=0 and starts fast when an icon is clicked.
func TestImportsStayLean(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}} {{len .CgoFiles}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if strings.HasPrefix(f[0], "fyne.io/") || strings.HasPrefix(f[0], "github.com/lxcage/lxcage/app") {
			t.Errorf("lxcage imports %s", f[0])
		}
		if f[1] != "0" {
			t.Errorf("%s uses cgo", f[0])
		}
	}
	for _, pkg := range []string{"../../profiles", "../../sandbox", "../../launcher"} {
		out, _ := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if strings.Contains(string(out), "fyne.io/") {
			t.Errorf("%s imports fyne", pkg)
		}
	}
}

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, nil, &out, &errb)
	return out.String(), errb.String(), code
}

func TestUsageAndHelp(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if _, e, code := runCLI(t); code != 2 || !strings.Contains(e, "Usage: lxcage") {
		t.Errorf("no args: %d %s", code, e)
	}
	if _, e, code := runCLI(t, "lanch", "x"); code != 2 || !strings.Contains(e, `unknown command "lanch"`) {
		t.Errorf("typo: %d %s", code, e)
	}
	for _, c := range commands {
		if c.hidden {
			continue
		}
		o, _, code := runCLI(t, c.name, "--help")
		if code != 0 || !strings.Contains(o, "Usage: lxcage "+c.name) {
			t.Errorf("%s --help: %d %s", c.name, code, o)
		}
	}
}

func TestNewPresetsAndCompileFlow(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	o, e, code := runCLI(t, "new", "eyes", "--preset", "xeyes")
	if code != 0 || !strings.Contains(o, "wrote ") {
		t.Fatalf("new: %d %s %s", code, o, e)
	}
	if _, e, code := runCLI(t, "new", "eyes", "--preset", "xeyes"); code == 0 || !strings.Contains(e, "already exists") {
		t.Errorf("second new: %d %s", code, e)
	}
	if _, e, code := runCLI(t, "new", "x", "--preset", "nope"); code == 0 || !strings.Contains(e, "xeyes") {
		t.Errorf("unknown preset: %d %s", code, e)
	}
	o, _, _ = runCLI(t, "presets")
	for _, p := range []string{"xeyes", "xclock", "chrome", "skype", "steam"} {
		if !strings.Contains(o, p) {
			t.Errorf("presets lacks %s:\n%s", p, o)
		}
	}
	if b, err := os.ReadFile(dir + "/lxcage/profiles/eyes.toml"); err != nil || !strings.Contains(string(b), `command = ["xeyes"]`) {
		t.Errorf("profile: %s %v", b, err)
	}
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	o, e, code := runCLI(t, "import", "--command", "google-chrome --disable-setuid-sandbox", "../../profiles/testdata/article-precise-gui.conf.in", "precise-gui")
	if code != 0 {
		t.Fatalf("import: %d %s %s", code, o, e)
	}
	b, _ := os.ReadFile(dir + "/lxcage/profiles/precise-gui.toml")
	for _, want := range []string{`command = ["google-chrome", "--disable-setuid-sandbox"]`, `x11 = "trusted"`, "gpu = true", `dist = "ubuntu"`, `release = "precise"`, "passed through"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("imported profile lacks %q:\n%s", want, b)
		}
	}
}

// TestRefreshEntryOfGoneProfile: a profile deleted (or broken) while its
// container was being created leaves the menu entry alone; the refresh
// must not dereference a profile that did not load.
func TestRefreshEntryOfGoneProfile(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	e := &env{}
	e.refreshEntry("nosuch")
}
