package profiles

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/assets"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"typo table", "command = [\"x\"]\n[acess]\nx11 = true\n", []string{"eyes.toml:2: unknown key [acess]; did you mean [access]?"}},
		{"typo key", "command = [\"x\"]\n[access]\nx1l = true\n", []string{"eyes.toml:3: unknown key access.x1l; did you mean access.x11?"}},
		{"misplaced", "command = [\"x\"]\nnetwork = \"host\"\n", []string{"eyes.toml:2: unknown key network; did you mean access.network?"}},
		{"share typo", "command = [\"x\"]\n[[share]]\nhost = \"~/a\"\n[[share]]\nhots = \"~/b\"\n", []string{"eyes.toml:5: unknown key share.hots", "did you mean share.host?"}},
		{"command string", "command = \"xeyes -a\"\n", []string{"eyes.toml:1: command: must be a list", "never one shell string"}},
		{"bool as string", "command = [\"x\"]\n[access]\ngpu = \"yes\"\n", []string{"eyes.toml:3: access.gpu: must be true or false"}},
		{"int as string", "command = [\"x\"]\n[limits]\npids = \"many\"\n", []string{"limits.pids: must be a whole number"}},
		{"missing command", "description = \"x\"\n", []string{"command: is missing"}},
		{"bad x11", "command = [\"x\"]\n[access]\nx11 = \"maybe\"\n", []string{"eyes.toml:3", "unknown x11 mode"}},
		{"env reserved", "command = [\"x\"]\n[env]\nDISPLAY = \":1\"\n", []string{"env.DISPLAY: DISPLAY is set by lxcage"}},
		{"root user", "command = [\"x\"]\nuser = \"root\"\n", []string{"user: invalid account name \"root\""}},
		{"image field for other type", "command = [\"x\"]\n[image]\ntype = \"host\"\ndist = \"ubuntu\"\n", []string{"image.dist: is not used by image type \"host\""}},
		{"bad updates", "command = [\"x\"]\n[image]\ntype = \"debootstrap\"\nsuite = \"bookworm\"\nupdates = \"off\"\n", []string{"eyes.toml:5", "image.updates: unknown value \"off\"", "updates = \"none\""}},
		{"updates for other type", "command = [\"x\"]\n[image]\ntype = \"host\"\nupdates = \"none\"\n", []string{"image.updates: is not used by image type \"host\""}},
		{"download needs release", "command = [\"x\"]\n[image]\ntype = \"download\"\ndist = \"ubuntu\"\n", []string{"needs dist and release"}},
		{"url without sum", "command = [\"x\"]\n[setup]\nurls = [{url = \"https://x.org/a.deb\", sha256 = \"\"}]\n", []string{"setup.urls[0].sha256"}},
		{"mime", "command = [\"x\"]\n[desktop]\nmime_types = [\"text html\"]\n", []string{"desktop.mime_types[0]"}},
		{"dbus talk without filter", "command = [\"x\"]\n[access]\ndbus_talk = [\"org.a.B\"]\n", []string{"access.dbus_talk", "filtered"}},
		{"cap", "command = [\"x\"]\n[security]\ndrop_caps = [\"sys_moduel\"]\n", []string{"security.drop_caps[0]: unknown capability"}},
		{"share into proc", "command = [\"x\"]\n[[share]]\nhost = \"~/a\"\npath = \"/proc/x\"\n", []string{"share[0].path", "under /proc"}},
		{"relative host", "command = [\"x\"]\n[[share]]\nhost = \"Downloads\"\n", []string{"share[0].host", "relative"}},
		{"read-only share in system mode", "command = [\"x\"]\nmode = \"system\"\n[[share]]\nhost = \"~/a\"\nreadonly = true\n", []string{"eyes.toml:5: share[0].readonly", "remount", "mode = \"app\""}},
		{"log level", "command = [\"x\"]\n[log]\nlevel = \"LOUD\"\n", []string{"log.level", "\"TRACE\""}},
		{"two problems", "command = [\"x\"]\n[access]\nnetwork = \"wifi\"\n[limits]\nmemory = \"1Q\"\n", []string{"eyes.toml:3: access.network", "eyes.toml:5: limits.memory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("eyes", "eyes.toml", []byte(tc.src))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.File != "eyes.toml" {
				t.Errorf("not a located *Error: %#v", err)
			}
		})
	}
}

func TestParseAcceptsX11Forms(t *testing.T) {
	for src, want := range map[string]X11Mode{"true": X11Proxy, `"untrusted"`: X11Untrusted, "false": X11Off, `"trusted"`: X11Trusted, `"nested"`: X11Nested} {
		p, err := Parse("x", "x.toml", []byte("command = [\"x\"]\n[access]\nx11 = "+src+"\n"))
		if err != nil || p.Access.X11 != want {
			t.Errorf("x11 = %s: %v %v", src, p, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"512M": 512 << 20, "4G": 4 << 30, "1.5G": 3 << 29, "1024": 1024, "2GiB": 2 << 30, "100K": 100 << 10} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-1G", "4X", "1e9"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"eyes", "chrome-2", "a", "0day"} {
		if CheckName(ok) != nil {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "Eyes", "a/b", "../x", "-x", "a b", "a.b", strings.Repeat("a", 64), "é"} {
		if CheckName(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPresetsAreValid(t *testing.T) {
	names := assets.Presets()
	for _, want := range []string{"xeyes", "xclock", "chrome", "skype", "steam"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("preset %s missing", want)
		}
	}
	for _, n := range names {
		data, _ := assets.Preset(n)
		p, err := Parse(n, n+".toml", data)
		if err != nil {
			t.Errorf("preset %s: %v", n, err)
			continue
		}
		if p.Description == "" {
			t.Errorf("preset %s has no description", n)
		}
	}
}

func TestSaveRoundTripAndAtomic(t *testing.T) {
	dir := t.TempDir()
	p, err := Load("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	p.Name = "full"
	path, err := Save(dir, p, "saved by a test", false)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Load(path)
	if err != nil {
		b, _ := os.ReadFile(path)
		t.Fatalf("saved profile does not load: %v\n%s", err, b)
	}
	h := testHost()
	h.AppArmor = true
	a, _ := Compile(p, h, testKind)
	b, _ := Compile(q, h, testKind)
	if a.Config.String() != b.Config.String() {
		t.Errorf("round trip changed the config:\n%s\nvs\n%s", a.Config.String(), b.Config.String())
	}
	// No overwrite without asking; an invalid profile is never written.
	if _, err := Save(dir, p, "", false); err == nil {
		t.Error("overwrote without force")
	}
	before, _ := os.ReadFile(path)
	p.Access.Network = "wifi"
	if _, err := Save(dir, p, "", true); err == nil {
		t.Error("saved an invalid profile")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("a refused save changed the file")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

func TestImportArticleConfig(t *testing.T) {
	f, err := os.Open("testdata/article-precise-gui.conf.in")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := Import(f, "precise-gui", []string{"google-chrome", "--disable-setuid-sandbox"}, "/home/stgraber")
	if err != nil {
		t.Fatal(err)
	}
	p := im.Profile
	if p.Image.Type != ImageDownload || p.Image.Dist != "ubuntu" || p.Image.Release != "precise" || p.Image.Arch != "i386" {
		t.Errorf("image %+v", p.Image)
	}
	if p.Access.X11 != X11Trusted || !p.Access.GPU || !p.Access.Sound || !p.Access.Webcam || !p.Access.PulseAudio {
		t.Errorf("access %+v", p.Access)
	}
	if p.Access.Network != NetworkBridge || p.Limits.Memory != "2048M" || p.Log.File != "~/precise-gui.log" || p.Log.Level != "DEBUG" {
		t.Errorf("profile %+v", p)
	}
	if len(p.Shares) != 1 || p.Shares[0].Host != "~/Downloads" || p.Shares[0].Path != "/home/ubuntu/Downloads" {
		t.Errorf("shares %+v", p.Shares)
	}
	notes := strings.Join(im.Notes, "\n")
	if !strings.Contains(notes, "uid 1000 passed through") {
		t.Errorf("notes:\n%s", notes)
	}
	data, err := Encode(p, "imported")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("precise-gui", "precise-gui.toml", data); err != nil {
		t.Errorf("imported profile does not load: %v\n%s", err, data)
	}
}
