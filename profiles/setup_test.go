package profiles

import (
	"strings"
	"testing"

	"github.com/lxcage/lxcage/sandbox"
)

func TestSetupStepsOrderAndArgv(t *testing.T) {
	p, err := Parse("app", "app.toml", []byte(`command = ["x"]
user = "chris"
[image]
type = "debootstrap"
suite = "bookworm"
[setup]
packages = ["ca-certificates", "curl"]
debs = ["~/Downloads/a b.deb"]
urls = [{ url = "https://example.org/x/tool.deb?v=1", sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }]
run = [["sh", "-c", "echo $HOME; rm -rf /tmp/x"]]
`))
	if err != nil {
		t.Fatal(err)
	}
	steps, err := SetupSteps(p, PMApt, 1001, 1002, "/home/alice", "/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	want := "network configuration|debootstrap second stage|update and security archives|account chris|no services during setup|package lists|dist-upgrade|packages ca-certificates curl|copy a b.deb|install a b.deb|download https://example.org/x/tool.deb?v=1|install tool.deb|run sh -c echo $HOME; rm -rf /tmp/x|clean up|resolver config still a file"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("steps:\n%s\nwant:\n%s", got, want)
	}
	acct := steps[3].Argv
	if acct[len(acct)-6] != "chris" || acct[len(acct)-5] != "1001" || acct[len(acct)-4] != "1002" || acct[len(acct)-3] != "/home/chris" || acct[len(acct)-2] != "home/alice" || acct[len(acct)-1] != "chris" {
		t.Errorf("account argv %q", acct)
	}
	// Values travel as argv, never inside a script.
	for _, s := range steps {
		if s.Argv[0] == "/bin/sh" && strings.Contains(s.Argv[2], "example.org") {
			t.Errorf("a profile value is inside a script: %q", s.Argv[2])
		}
	}
	if steps[8].StdinFile != "~/Downloads/a b.deb" {
		t.Errorf("deb copy reads %q", steps[8].StdinFile)
	}
	if !strings.HasSuffix(steps[10].Argv[len(steps[10].Argv)-2], "url-0-tool.deb") {
		t.Errorf("download target %q", steps[10].Argv)
	}
}

// A debootstrap image gets its distribution's update and security
// archives and their fixes before anything else is installed, and `lxcage
// upgrade` adds the archives to an image built without them. A mirror
// value travels as an argument, never inside the script.
func TestDebootstrapImagesGetSecurityUpdates(t *testing.T) {
	for _, c := range []struct{ image, want string }{
		{`suite = "bookworm"`, "deb http://deb.debian.org/debian/ bookworm-updates main|deb http://deb.debian.org/debian-security/ bookworm-security main"},
		{`suite = "trixie"
mirror = "http://cache.lan:3142/deb.debian.org/debian"
components = ["main", "contrib"]`, "deb http://cache.lan:3142/deb.debian.org/debian trixie-updates main contrib|deb http://cache.lan:3142/deb.debian.org/debian-security/ trixie-security main contrib"},
		{`suite = "noble"`, "deb http://archive.ubuntu.com/ubuntu/ noble-updates main|deb http://archive.ubuntu.com/ubuntu/ noble-security main"},
		{`suite = "sid"`, ""},
		{`suite = "bookworm"
updates = "none"`, ""},
	} {
		p, err := Parse("app", "app.toml", []byte("command = [\"x\"]\n[image]\ntype = \"debootstrap\"\n"+c.image+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		setup, err := SetupSteps(p, PMApt, 1, 1, "", "")
		if err != nil {
			t.Fatal(err)
		}
		up, err := UpgradeSteps(p, PMApt, "")
		if err != nil {
			t.Fatal(err)
		}
		for i, steps := range [][]sandbox.SetupStep{setup, up} {
			var names []string
			got := ""
			for _, s := range steps {
				names = append(names, s.Name)
				// An apt step names the way out of a broken archive.
				apt := s.Argv[0] == "apt-get"
				if hinted := strings.Contains(s.Hint, `updates = "none" under [image] in app.toml`); hinted != (apt && c.want != "") {
					t.Errorf("%s: step %s hint %q", c.image, s.Name, s.Hint)
				}
				if s.Name == "update and security archives" {
					got = strings.Join(s.Argv[4:], "|")
					if strings.Contains(s.Argv[2], "deb ") {
						t.Errorf("archive lines inside the script: %q", s.Argv[2])
					}
				}
			}
			if got != c.want {
				t.Errorf("%s: archives %q, want %q", c.image, got, c.want)
			}
			// The fixes come after the lists and before any package.
			order := strings.Join(names, "|")
			if c.want != "" && !strings.Contains(order, "package lists|dist-upgrade") {
				t.Errorf("%s: steps %s", c.image, order)
			}
			if c.want == "" && i == 0 && strings.Contains(order, "dist-upgrade") {
				t.Errorf("%s: an upgrade at setup without update archives: %s", c.image, order)
			}
		}
	}
	// Other images keep their own sources.
	p, _ := Parse("app", "app.toml", []byte("command = [\"x\"]\n[image]\ntype = \"download\"\ndist = \"debian\"\nrelease = \"bookworm\"\n"))
	steps, _ := SetupSteps(p, PMApt, 1, 1, "", "")
	for _, s := range steps {
		if s.Name == "update and security archives" || s.Name == "dist-upgrade" {
			t.Errorf("a download image got %q", s.Name)
		}
	}
}

// Setup and upgrade end by making /etc/resolv.conf a file again when a
// package made it a link (LXC will not bind the container's resolver
// config over a link); a host image, which has no resolver file of its
// own to write, gets no such step.
func TestResolvConfStaysAFile(t *testing.T) {
	p, err := Parse("app", "app.toml", []byte("command = [\"x\"]\n[image]\ntype = \"debootstrap\"\nsuite = \"bookworm\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pm := range []string{PMApt, PMDnf, PMApk} {
		setup, _ := SetupSteps(p, pm, 1, 1, "", "/svc/net/resolv.conf")
		up, err := UpgradeSteps(p, pm, "/svc/net/resolv.conf")
		if err != nil {
			t.Fatal(err)
		}
		for _, steps := range [][]sandbox.SetupStep{setup, up} {
			last := steps[len(steps)-1]
			if last.Name != "resolver config still a file" || last.StdinFile != "/svc/net/resolv.conf" || !strings.Contains(last.Argv[2], "[ ! -L /etc/resolv.conf ]") {
				t.Errorf("%s: last step %+v", pm, last)
			}
		}
		setup, _ = SetupSteps(p, pm, 1, 1, "", "")
		up, _ = UpgradeSteps(p, pm, "")
		for _, s := range append(setup, up...) {
			if s.Name == "resolver config still a file" {
				t.Errorf("%s: a resolver step without a resolver file", pm)
			}
		}
	}
}

func TestSetupStepsNeedAKnownPackageManager(t *testing.T) {
	p, _ := Parse("app", "app.toml", []byte("command = [\"x\"]\n[setup]\npackages = [\"foo\"]\n"))
	if _, err := SetupSteps(p, "", 1, 1, "", ""); err == nil || !strings.Contains(err.Error(), "package manager") {
		t.Errorf("no package manager: %v", err)
	}
	p, _ = Parse("app", "app.toml", []byte("command = [\"x\"]\n[setup]\ndebs = [\"/a.deb\"]\n"))
	if _, err := SetupSteps(p, PMApk, 1, 1, "", ""); err == nil || !strings.Contains(err.Error(), "apt") {
		t.Errorf("debs on apk: %v", err)
	}
	for _, pm := range []string{PMApt, PMDnf, PMApk} {
		p, _ = Parse("app", "app.toml", []byte("command = [\"x\"]\n[setup]\npackages = [\"foo\"]\n"))
		steps, err := SetupSteps(p, pm, 1, 1, "", "")
		if err != nil || !strings.Contains(strings.Join(steps[len(steps)-1].Argv, " ")+strings.Join(steps[len(steps)-2].Argv, " "), "foo") {
			t.Errorf("%s: %v %+v", pm, err, steps)
		}
	}
}

// TestBuildProfileHasNetworkAndNoAccess: a build reaches the network and
// nothing of the app's access, and keeps the app's limits (maintainer
// scripts are no more trusted than the app).
func TestBuildProfileHasNetworkAndNoAccess(t *testing.T) {
	p, _ := Parse("app", "app.toml", []byte("command = [\"x\"]\nmode = \"system\"\n[access]\nx11 = true\npulseaudio = true\n[[share]]\nhost = \"/tmp\"\n[limits]\nmemory = \"64M\"\n"))
	b := BuildProfile(p)
	if b.Access.Network != NetworkNat || b.Access.X11.On() || b.Access.PulseAudio || len(b.Shares) != 0 || b.Limits.Memory != "64M" || b.Mode != ModeApp {
		t.Errorf("build profile %+v", b)
	}
	if p.Access.Network != "off" || !p.Access.X11.On() {
		t.Error("BuildProfile changed the original")
	}
}

func TestConfigAtMovesContainerPaths(t *testing.T) {
	h := testHost()
	p, _ := Parse("web", "web.toml", []byte("command = [\"x\"]\n[image]\ntype = \"clone\"\nbase = \"base\"\n"))
	plan, err := Compile(p, h, testKind)
	if err != nil {
		t.Fatal(err)
	}
	c := plan.Build.ConfigAt(h.LXCPath + "/web_build")
	if !strings.Contains(c, "lxc.rootfs.path = overlay:"+h.LXCPath+"/base/rootfs:"+h.LXCPath+"/web_build/delta0\n") {
		t.Errorf("rootfs not moved:\n%s", c)
	}
	if !strings.Contains(c, "lxc.seccomp.profile = "+h.LXCPath+"/web_build/lxcage.seccomp\n") {
		t.Errorf("seccomp not moved:\n%s", c)
	}
}

func TestHomeLink(t *testing.T) {
	for _, tc := range []struct{ host, home, link, target string }{
		{"/home/alice", "/home/user", "home/alice", "user"},
		{"/home/user", "/home/user", "", ""},
		{"/srv/people/bob", "/home/user", "srv/people/bob", "../../home/user"},
		{"/", "/home/user", "", ""},
		{"/tmp/x", "/home/user", "", ""},
		{"/home", "/home/user", "", ""},
	} {
		link, target, ok := HomeLink(tc.host, tc.home)
		if link != tc.link || target != tc.target || ok != (tc.link != "") {
			t.Errorf("%s: %q %q %v", tc.host, link, target, ok)
		}
	}
}
