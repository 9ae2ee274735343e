package desktop

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/assets"
	"github.com/lxcage/lxcage/launcher"
)

// files lists every file under dir, relative.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestInstallHostileContainer(t *testing.T) {
	f := newFixture(t)
	env := fixtureEnv(t, f, "evil")
	var warnings []string
	env.Warn = func(m string) { warnings = append(warnings, m) }
	p := parseProfile(t, "evil", strings.Replace(containerProfile, "%s", "evil", 1))
	if err := Install(context.Background(), env, p); err != nil {
		t.Fatal(err)
	}
	// No [desktop] icon: the app's own .desktop says Icon=evil, and
	// every candidate is refused, so lxcage's icon is used.
	got := files(t, env.DataHome)
	want := []string{"applications/lxcage-evil.desktop", "icons/hicolor/scalable/apps/lxcage-evil.svg"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("installed %q, want %q", got, want)
	}
	icon, _ := os.ReadFile(filepath.Join(env.DataHome, want[1]))
	if !bytes.Equal(icon, assets.Icon()) {
		t.Error("icon is not lxcage's own")
	}
	secret, _ := os.ReadFile(f.secretPNG)
	entry, _ := os.ReadFile(filepath.Join(env.DataHome, want[0]))
	for _, bad := range [][]byte{secret, []byte("rm -rf"), []byte("SECRET-HASH"), []byte("shadow")} {
		if bytes.Contains(entry, bad) || bytes.Contains(icon, bad) {
			t.Errorf("%q reached the host", bad)
		}
	}
	// The user hears why the app's icon was not taken.
	if !IsInstalled(env, "evil") || len(warnings) != 1 || !strings.Contains(warnings[0], "file too large") || !strings.Contains(warnings[0], "neither PNG nor SVG") {
		t.Errorf("installed %v, warnings %q", IsInstalled(env, "evil"), warnings)
	}
	if calls := env.Runner.(*fakeRunner).Calls(); len(calls) != 1 || calls[0] != "update-desktop-database -q "+ApplicationsDir(env) {
		t.Errorf("tool calls %q", calls)
	}
	// An app without an icon of its own gets lxcage's silently.
	warnings = nil
	p = parseProfile(t, "evil", strings.Replace(containerProfile, "%s", "iconless", 1))
	if err := Install(context.Background(), env, p); err != nil || len(warnings) != 0 {
		t.Errorf("iconless: %v, warnings %q", err, warnings)
	}
}

func TestInstallRemoveLeavesNothing(t *testing.T) {
	f := newFixture(t)
	env := fixtureEnv(t, f, "good")
	p := parseProfile(t, "good", strings.Replace(containerProfile, "%s", "good", 1)+"[desktop]\nmime_types = [\"text/plain\", \"x-scheme-handler/good\"]\n")
	mimeapps := filepath.Join(env.ConfigHome, "mimeapps.list")
	other := "[Default Applications]\ntext/plain=lxcage-good.desktop;gedit.desktop;\nx-scheme-handler/good=lxcage-good.desktop\nimage/png=eog.desktop;\n\n[Added Associations]\ntext/plain=lxcage-good.desktop;\n"
	write(t, mimeapps, []byte(other))
	if err := Install(context.Background(), env, p); err != nil {
		t.Fatal(err)
	}
	if got := files(t, filepath.Join(env.DataHome, "icons")); !reflect.DeepEqual(got, []string{"hicolor/scalable/apps/lxcage-good.svg"}) {
		t.Errorf("icons %q", got)
	}
	if !UpToDate(env, p) {
		t.Error("not up to date right after install")
	}
	if d := MimeDefaults(env, "good"); len(d) != 2 {
		t.Errorf("MimeDefaults %q", d)
	}
	entries, _ := Entries(env)
	if len(entries) != 1 || entries[0].Name != "good" {
		t.Errorf("Entries %+v", entries)
	}
	// A file of the same name that lxcage did not write is never touched.
	foreign := EntryPath(env, "foreign")
	write(t, foreign, []byte("[Desktop Entry]\nType=Application\nName=F\nExec=f\n"))
	if err := Remove(env, "foreign"); err == nil {
		t.Error("removed a foreign entry")
	}
	if err := Install(context.Background(), env, parseProfile(t, "foreign", `command = ["f"]`)); err == nil {
		t.Error("overwrote a foreign entry")
	}
	os.Remove(foreign)

	if err := Remove(env, "good"); err != nil {
		t.Fatal(err)
	}
	if got := files(t, env.DataHome); len(got) != 0 {
		t.Errorf("left behind: %q", got)
	}
	b, _ := os.ReadFile(mimeapps)
	wantList := "[Default Applications]\ntext/plain=gedit.desktop;\nimage/png=eog.desktop;\n\n[Added Associations]\n"
	if string(b) != wantList {
		t.Errorf("mimeapps.list:\n%s\nwant:\n%s", b, wantList)
	}
	if IsInstalled(env, "good") {
		t.Error("still installed")
	}
	if err := Remove(env, "good"); err != nil {
		t.Errorf("second remove: %v", err)
	}
}

func TestSetDefaultArgv(t *testing.T) {
	env := testEnv(t)
	p := parseProfile(t, "web", "command = [\"w\"]\n[desktop]\nmime_types = [\"text/html\", \"x-scheme-handler/https\"]\n")
	if err := SetDefault(context.Background(), env, p); err != nil {
		t.Fatal(err)
	}
	if calls := env.Runner.(*fakeRunner).Calls(); !reflect.DeepEqual(calls, []string{"xdg-mime default lxcage-web.desktop text/html x-scheme-handler/https"}) {
		t.Errorf("calls %q", calls)
	}
	if err := SetDefault(context.Background(), env, parseProfile(t, "none", `command = ["w"]`)); err == nil {
		t.Error("default handler without mime types")
	}
}

// TestSetDefaultXdgMime registers with the real xdg-mime and removes it
// again.
func TestSetDefaultXdgMime(t *testing.T) {
	needTool(t, "xdg-mime")
	env := testEnv(t)
	env.Runner = nil
	t.Setenv("XDG_CURRENT_DESKTOP", "")
	t.Setenv("DESKTOP_SESSION", "")
	p := parseProfile(t, "web", "command = [\"w\"]\n[desktop]\nmime_types = [\"x-scheme-handler/lxcagetest\"]\n")
	if err := Install(context.Background(), env, p); err != nil {
		t.Fatal(err)
	}
	if err := SetDefault(context.Background(), env, p); err != nil {
		t.Fatal(err)
	}
	if d := MimeDefaults(env, "web"); !reflect.DeepEqual(d, []string{"x-scheme-handler/lxcagetest"}) {
		b, _ := os.ReadFile(filepath.Join(env.ConfigHome, "mimeapps.list"))
		t.Fatalf("defaults %q; mimeapps.list:\n%s", d, b)
	}
	if err := Remove(env, "web"); err != nil {
		t.Fatal(err)
	}
	if d := MimeDefaults(env, "web"); len(d) != 0 {
		t.Errorf("defaults left: %q", d)
	}
}

func TestHostProfileIcon(t *testing.T) {
	env := testEnv(t)
	// A host-image profile finds icons in the user's own theme too.
	write(t, filepath.Join(env.DataHome, "icons/hicolor/scalable/apps/myhostapp.svg"), []byte(goodSVG))
	p := parseProfile(t, "h", "command = [\"myhostapp\"]\n")
	if ic := ProfileIcon(env, p); string(ic.Data) != goodSVG {
		t.Errorf("host icon: %s", ic.Source)
	}
	p = parseProfile(t, "h", "command = [\"no-such-app-here\"]\n")
	if ic := ProfileIcon(env, p); !bytes.Equal(ic.Data, assets.Icon()) {
		t.Errorf("fallback: %s", ic.Source)
	}
}

func TestNewEnv(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "relative/ignored")
	t.Setenv("HOME", "/home/someone")
	t.Setenv("XDG_DATA_DIRS", "/a:relative:/b/")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	bin := filepath.Join(t.TempDir(), "lxcage")
	write(t, bin, []byte("#!/bin/sh\n"))
	os.Chmod(bin, 0o755)
	t.Setenv("PATH", filepath.Dir(bin))
	newEnv := func(lxcpath string) Env {
		t.Helper()
		l, err := launcher.New(launcher.Options{LXCPath: lxcpath})
		if err != nil {
			t.Fatal(err)
		}
		env, err := NewEnv(l)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	env := newEnv("")
	if env.Bin != bin {
		t.Errorf("Bin %q, want the lxcage on PATH %q", env.Bin, bin)
	}
	if env.DataHome != "/home/someone/.local/share" || !reflect.DeepEqual(env.DataDirs, []string{"/a", "/b"}) || env.PinLXCPath {
		t.Errorf("%+v", env)
	}
	if EntryPath(env, "x") != "/home/someone/.local/share/applications/lxcage-x.desktop" {
		t.Error(EntryPath(env, "x"))
	}
	if env = newEnv("/elsewhere/lxc"); !env.PinLXCPath || env.LXCPath != "/elsewhere/lxc" {
		t.Errorf("pinned %+v", env)
	}
	if env = newEnv("/home/someone/.local/share/lxc"); env.PinLXCPath {
		t.Error("default path pinned")
	}
}
