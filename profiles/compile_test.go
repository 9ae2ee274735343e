package profiles

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden .conf files")

// testHost is a fixed host: uid 1001 (not 1000, so nothing can assume it),
// cgroup v1, no AppArmor, merged /usr.
func testHost() *Host {
	return &Host{
		UID: 1001, GID: 1002, UserName: "alice", Home: "/home/alice",
		SubUIDs:        []IDRange{{Start: 100000, Count: 65536}},
		SubGIDs:        []IDRange{{Start: 200000, Count: 65536}},
		LXCPath:        "/home/alice/.local/share/lxc",
		StateDir:       "/run/user/1001/lxcage/0a1b2c3d",
		CacheDir:       "/home/alice/.cache",
		ConfigHome:     "/home/alice/.config",
		Lang:           "en_US.UTF-8",
		Display:        ":0",
		XSocket:        "/tmp/.X11-unix/X0",
		UsrLinks:       []string{"bin", "lib", "lib64", "sbin"},
		HostEtc:        map[string]bool{"fonts": true, "ld.so.cache": false, "alternatives": true, "localtime": false},
		InitPath:       "/usr/sbin/init.lxc.static",
		XDGRuntimeDir:  "/run/user/1001",
		WaylandDisplay: "wayland-0",
		SessionBus:     "unix:path=/run/user/1001/bus",
		SeccompDefault: "/usr/share/lxc/config/common.seccomp",
		SwapAccounting: true,
		OverlayOK:      true,
		LXCBridge:      "lxcbr0",
	}
}

func testKind(p string) PathKind {
	switch {
	case strings.Contains(p, "missing"):
		return PathMissing
	case strings.HasSuffix(p, ".txt"):
		return PathFile
	}
	return PathDir
}

func compileFile(t *testing.T, file string, h *Host) *Plan {
	t.Helper()
	p, err := Load(file)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	plan, err := Compile(p, h, testKind)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return plan
}

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.toml")
	if len(files) < 5 {
		t.Fatalf("only %d golden profiles", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			h := testHost()
			if strings.Contains(f, "cgroup2") {
				h.Cgroup2 = true
			}
			if strings.Contains(f, "full") {
				h.AppArmor = true
			}
			if strings.Contains(f, "devices") {
				// Stand-ins for nodes this test machine may not have.
				h.Devices = Devices{
					Video:     []string{"/dev/video0", "/dev/video1"},
					Joysticks: []string{"/dev/input/event12", "/dev/input/js0"},
					NVIDIA:    []string{"/dev/nvidia-modeset", "/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidiactl"},
				}
			}
			got := compileFile(t, f, h).Config.String()
			golden := strings.TrimSuffix(f, ".toml") + ".conf"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./profiles -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the compiled config; got:\n%s", golden, got)
			}
			// Deterministic: a second compile gives the same bytes.
			if again := compileFile(t, f, h).Config.String(); again != got {
				t.Errorf("compile is not deterministic")
			}
		})
	}
}

// TestGoldenLoadsInLXC feeds every golden config to LXC's own parser,
// which refuses any key LXC does not know.
func TestGoldenLoadsInLXC(t *testing.T) {
	if _, err := exec.LookPath("lxc-info"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("lxc-info missing in CI")
		}
		t.Skip("lxc-info not installed")
	}
	files, _ := filepath.Glob("testdata/*.conf")
	if len(files) == 0 {
		t.Fatal("no golden configs")
	}
	dir := t.TempDir()
	for _, f := range files {
		out, err := exec.Command("lxc-info", "-P", dir, "-n", "t", "--rcfile", f, "-c", "lxc.uts.name", "-c", "lxc.idmap").CombinedOutput()
		if err != nil {
			t.Errorf("LXC refuses %s: %v\n%s", f, err, out)
			continue
		}
		if !strings.Contains(string(out), "lxc.uts.name = ") || !strings.Contains(string(out), "lxc.idmap = u 0 100000") {
			t.Errorf("LXC read %s wrongly:\n%s", f, out)
		}
	}
}

func TestIDMapPassesOwnIDThrough(t *testing.T) {
	r := []IDRange{{100000, 65536}}
	for _, tc := range []struct {
		own  int
		want string
	}{
		{1001, "u 0 100000 1001|u 1001 1001 1|u 1002 101002 64534"},
		{1000, "u 0 100000 1000|u 1000 1000 1|u 1001 101001 64535"},
		{65535, "u 0 100000 65535|u 65535 65535 1"},
		{70000, "u 0 100000 65536|u 70000 70000 1"},
		{1, "u 0 100000 1|u 1 1 1|u 2 100002 65534"},
	} {
		m, err := IDMap('u', tc.own, "alice", r, "/etc/subuid")
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, e := range m {
			s = append(s, e.String())
		}
		if got := strings.Join(s, "|"); got != tc.want {
			t.Errorf("own %d: got %s, want %s", tc.own, got, tc.want)
		}
	}
}

func TestIDMapRefusesMissingOrSmallRange(t *testing.T) {
	_, err := IDMap('u', 1001, "alice", nil, "/etc/subuid")
	if err == nil || !strings.Contains(err.Error(), "usermod --add-subuids") || !strings.Contains(err.Error(), "no subordinate") {
		t.Errorf("no range: %v", err)
	}
	_, err = IDMap('g', 1001, "alice", []IDRange{{100000, 1000}}, "/etc/subgid")
	if err == nil || !strings.Contains(err.Error(), "too small") || !strings.Contains(err.Error(), "--add-subgids") {
		t.Errorf("small range: %v", err)
	}
	// A second, big enough range is used.
	m, err := IDMap('u', 1001, "alice", []IDRange{{100000, 1000}, {300000, 65536}}, "/etc/subuid")
	if err != nil || m[0].Outside != 300000 {
		t.Errorf("second range: %v %v", m, err)
	}
}

func TestParseSubIDs(t *testing.T) {
	in := "# comment\nbob:100000:65536\nalice:165536:65536\n1001:300000:70000\nalice:bad:1\n"
	got, err := ParseSubIDs(strings.NewReader(in), "alice", 1001)
	if err != nil || len(got) != 2 || got[0] != (IDRange{165536, 65536}) || got[1] != (IDRange{300000, 70000}) {
		t.Errorf("got %v %v", got, err)
	}
}

func TestCompileRefusesRootAndNoSubIDs(t *testing.T) {
	p, err := Parse("eyes", "eyes.toml", []byte(`command = ["xeyes"]`))
	if err != nil {
		t.Fatal(err)
	}
	h := testHost()
	h.SubUIDs = nil
	_, err = Compile(p, h, testKind)
	if err == nil || !strings.Contains(err.Error(), "eyes.toml") || !strings.Contains(err.Error(), "/etc/subuid") || !strings.Contains(err.Error(), "usermod") {
		t.Errorf("no subuid: %v", err)
	}
	h = testHost()
	h.UID = 0
	if _, err = Compile(p, h, testKind); err == nil || !strings.Contains(err.Error(), "root") {
		t.Errorf("root: %v", err)
	}
}

func TestCompileAttachEnv(t *testing.T) {
	plan := compileFile(t, "testdata/full.toml", testHost())
	env := strings.Join(plan.Attach.Env, "\n")
	for _, want := range []string{"DISPLAY=:0", "XAUTHORITY=/run/user/1001/Xauthority", "XDG_RUNTIME_DIR=/run/user/1001", "HOME=/home/chris", "QT_X11_NO_MITSHM=1", "LANG=en_US.UTF-8", "PATH=" + DefaultPath, "USER=chris"} {
		if !strings.Contains(env, want+"\n") && !strings.HasSuffix(env, want) {
			t.Errorf("env lacks %s:\n%s", want, env)
		}
	}
	if plan.Attach.UID != 1001 || plan.Attach.GID != 1002 || plan.Attach.Cwd != "/home/chris" {
		t.Errorf("attach %+v", plan.Attach)
	}
	// Without x11 there is no DISPLAY and no socket.
	p, _ := Parse("quiet", "quiet.toml", []byte(`command = ["true"]`))
	plan, err := Compile(p, testHost(), testKind)
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(plan.Attach.Env, " "); strings.Contains(s, "DISPLAY") {
		t.Errorf("no x11 but %s", s)
	}
	if c := plan.Config.String(); strings.Contains(c, "X11-unix") {
		t.Errorf("no x11 but socket bound:\n%s", c)
	}
}

func TestSharesRefuseSensitiveAndMissing(t *testing.T) {
	for _, tc := range []struct{ share, want string }{
		{`host = "~"`, "whole home"},
		{`host = "/"`, "whole host"},
		{`host = "~/.ssh"`, "credentials"},
		{`host = "~/.config"`, "~/.config"},
		{`host = "~/.config/lxcage/profiles"`, "lxcage's profiles"},
		{`host = "~/.local"`, "LXC containers"},
		{`host = "/etc"`, "/etc"},
		{`host = "~/missing-dir"`, "does not exist"},
	} {
		src := "command = [\"true\"]\n[[share]]\n" + tc.share + "\npath = \"/mnt/x\"\n"
		p, err := Parse("s", "s.toml", []byte(src))
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.share, err)
		}
		_, err = Compile(p, testHost(), testKind)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "share[0].host") {
			t.Errorf("%s: got %v, want it to mention %q", tc.share, err, tc.want)
		}
	}
	// allow_sensitive opens it; optional lets a missing path through.
	src := "command = [\"true\"]\n[[share]]\nhost = \"~/.ssh\"\nallow_sensitive = true\n[[share]]\nhost=\"~/missing\"\noptional = true\n"
	p, err := Parse("s", "s.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(p, testHost(), testKind); err != nil {
		t.Errorf("allowed shares refused: %v", err)
	}
}

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
