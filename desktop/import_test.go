package desktop

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/profiles"
)

// fixtureEnv is an Env whose LXC path holds the fixture as container NAME.
func fixtureEnv(t *testing.T, f *fixture, name string) Env {
	t.Helper()
	env := testEnv(t)
	if err := os.MkdirAll(filepath.Join(env.LXCPath, name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(f.root, filepath.Join(env.LXCPath, name, "rootfs")); err != nil {
		t.Fatal(err)
	}
	f.root = filepath.Join(env.LXCPath, name, "rootfs")
	return env
}

const containerProfile = `command = ["%s"]
[image]
type = "download"
dist = "debian"
release = "bookworm"
arch = "amd64"
`

func TestImportHostile(t *testing.T) {
	f := newFixture(t)
	env := fixtureEnv(t, f, "evil")
	p := parseProfile(t, "evil", strings.Replace(containerProfile, "%s", "evil", 1))
	d, notes, err := Import(env, p, "", false)
	if err != nil {
		t.Fatal(err)
	}
	// The injected "\nExec=…" in Name is refused with it; the bad items
	// of the lists are dropped one by one; Exec, TryExec and
	// DBusActivatable are never read.
	want := profiles.Desktop{
		Comment:    "Totally harmless",
		Icon:       "evil",
		Categories: []string{"Network", "Bad", "Category"},
		MimeTypes:  []string{"text/html", "x-scheme-handler/https"},
		Keywords:   []string{"a", "b"},
		WMClass:    "Evil",
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("imported %+v\nwant     %+v\nnotes: %q", d, want, notes)
	}
	all := strings.Join(notes, "\n")
	for _, w := range []string{"dropped desktop.name", "dropped desktop.mime_types[1]"} {
		if !strings.Contains(all, w) {
			t.Errorf("notes lack %q:\n%s", w, all)
		}
	}
	if strings.Contains(all, "rm -rf") {
		t.Errorf("notes carry the hostile Exec:\n%s", all)
	}
	for _, n := range notes {
		if strings.ContainsAny(n, "\n\r\x1b") {
			t.Errorf("note with a raw control character: %q", n)
		}
	}
	q := *p
	q.Desktop = d
	if err := profiles.Validate(&q); err != nil {
		t.Errorf("imported values make the profile invalid: %v", err)
	}
}

func TestImportByExecAndSymlink(t *testing.T) {
	f := newFixture(t)
	env := fixtureEnv(t, f, "good")
	// "good" is not the file name, and the command is a symlink to the
	// binary good.desktop's Exec names through another symlink.
	p := parseProfile(t, "good", strings.Replace(containerProfile, "%s", "good", 1)+"[desktop]\nname = \"Mine\"\n")
	d, _, err := Import(env, p, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Mine" || d.Icon != "good" || d.WMClass != "Good" || !reflect.DeepEqual(d.MimeTypes, []string{"text/plain"}) {
		t.Errorf("imported %+v", d)
	}
	d, _, err = Import(env, p, "good", true)
	if err != nil || d.Name != "Good App (sandboxed)" {
		t.Errorf("--from good --replace: %+v %v", d, err)
	}
	if _, _, err := Import(env, p, "../../etc/passwd", false); err == nil {
		t.Error("--from with a path accepted")
	}
	// Installing uses the imported icon, resolved inside the rootfs.
	p.Desktop = d
	ic := ProfileIcon(env, p)
	if ic.Ext != "svg" || string(ic.Data) != goodSVG {
		t.Errorf("icon %s", ic.Source)
	}
}

func TestSetProfileDesktop(t *testing.T) {
	src := `# My profile, with comments to keep.
description = "x" # trailing comment
command = ["good"]

[desktop] # the old table
name = "Old"
categories = [
  "Utility",
]

[access]
# keep me
x11 = true
`
	d := profiles.Desktop{Name: `New "quoted" name`, Icon: "good", MimeTypes: []string{"text/plain"}}
	out, note, err := SetProfileDesktop("p", []byte(src), d)
	if err != nil || note != "" {
		t.Fatalf("%v %q", err, note)
	}
	s := string(out)
	for _, keep := range []string{"# My profile, with comments to keep.", "# trailing comment", "# keep me", "[access]"} {
		if !strings.Contains(s, keep) {
			t.Errorf("lost %q:\n%s", keep, s)
		}
	}
	if strings.Contains(s, "Old") || strings.Contains(s, "the old table") {
		t.Errorf("old table kept:\n%s", s)
	}
	got, err := profiles.Parse("p", "p.toml", out)
	if err != nil || !reflect.DeepEqual(got.Desktop, d) || !got.Access.X11.On() {
		t.Errorf("parsed back: %+v %v\n%s", got, err, s)
	}
	// Dotted keys cannot be cut out line by line: the profile is
	// encoded anew, and the note says so.
	out, note, err = SetProfileDesktop("p", []byte("command = [\"x\"]\ndesktop.name = \"Old\"\n"), d)
	if err != nil || note == "" {
		t.Fatalf("dotted: %v %q", err, note)
	}
	if got, err := profiles.Parse("p", "p.toml", out); err != nil || !reflect.DeepEqual(got.Desktop, d) {
		t.Errorf("dotted parsed back: %+v %v", got, err)
	}
}

func TestParseKeyFile(t *testing.T) {
	kf, err := ParseKeyFile([]byte("# c\n[Desktop Entry]\nName = A\\sB\nName[de]=x\nKeywords=a\\;b;c;;\nName=second\n[Other]\nk=v\n"))
	if err != nil {
		t.Fatal(err)
	}
	if kf.Get("Desktop Entry", "Name") != "A B" || kf.Get("Desktop Entry", "Name[de]") != "x" {
		t.Errorf("Name %q", kf.Get("Desktop Entry", "Name"))
	}
	if got := kf.List("Desktop Entry", "Keywords"); !reflect.DeepEqual(got, []string{"a;b", "c"}) {
		t.Errorf("Keywords %q", got)
	}
	if !reflect.DeepEqual(kf.Groups(), []string{"Desktop Entry", "Other"}) {
		t.Errorf("groups %q", kf.Groups())
	}
	for _, bad := range []string{"k=v\n", "[A]\nnoequals\n", "[A]\n[A]\n", "[A\n", "[A]\nk=\xff\n"} {
		if _, err := ParseKeyFile([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseExec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"evil; rm -rf ~", []string{"evil;", "rm", "-rf", "~"}},
		{`"/opt/a b/app" --x %U`, []string{"/opt/a b/app", "--x", "%U"}},
		{`env FOO=1 /usr/bin/app %%`, []string{"env", "FOO=1", "/usr/bin/app", "%"}},
	} {
		got, err := ParseExec(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseExec(%q) = %q, %v", tc.in, got, err)
		}
	}
	if programOf([]string{"env", "FOO=1", "/usr/bin/app"}) != "/usr/bin/app" {
		t.Error("programOf skips env")
	}
}
