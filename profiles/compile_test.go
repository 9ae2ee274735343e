package profiles

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/sandbox"
	"github.com/lxcage/lxcage/services"
)

var update = flag.Bool("update", false, "rewrite the golden .conf files")

// testHost is a fixed host: uid 1001 (not 1000, so nothing can assume it),
// cgroup v1, no AppArmor, merged /usr.
func testHost() *Host {
	return &Host{
		UID: 1001, GID: 1002, UserName: "alice", Home: "/home/alice",
		SubUIDs:        []sandbox.IDRange{{Start: 100000, Count: 65536}},
		SubGIDs:        []sandbox.IDRange{{Start: 200000, Count: 65536}},
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
		PulseSocket:    "/run/user/1001/pulse/native",
		WaylandDisplay: "wayland-0",
		SessionBus:     "unix:path=/run/user/1001/bus",
		SeccompDefault: "/usr/share/lxc/config/common.seccomp",
		SwapAccounting: true,
		OverlayOK:      true,
		LXCBridge:      "lxcbr0",
		MemTotal:       8 << 30,
		Lxcage:         "/usr/local/bin/lxcage",
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
					HidRaw:    []string{"/dev/hidraw3"},
					Udev:      true,
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
		// Code execution on the host at the next login, shell or click.
		{`host = "~/.bashrc"`, "~/.bashrc, which your shell"},
		{`host = "~/.profile"`, "~/.profile"},
		{`host = "~/.bash_profile"`, "~/.bash_profile"},
		{`host = "~/.zshrc"`, "~/.zshrc"},
		{`host = "~/.local/bin"`, "~/.local/bin"},
		{`host = "~/.local/share/applications"`, "~/.local/share/applications"},
		{`host = "~/.local/share/systemd/user"`, "~/.local/share/systemd"},
		{`host = "~/.local/share"`, "LXC containers"},
		{`host = "~/.config/autostart"`, "~/.config"},
		{`host = "~/.config/some-app"`, "~/.config"},
		// Sockets that trust the user's uid (ssh-agent, X, the bus).
		{`host = "/tmp"`, "/tmp"},
		{`host = "/tmp/.X11-unix"`, "/tmp"},
		{`host = "/tmp/ssh-XXXX"`, "/tmp"},
		{`host = "/var/tmp"`, "/var/tmp"},
		{`host = "/run/user/1001"`, "/run/user"},
		{`host = "/run"`, "runtime state"},
		{`host = "/dev/shm"`, "/dev/shm"},
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

// planText renders the parts of a plan a launch carries out besides the
// config: host operations in order, what the container gets from them,
// the app's environment and command, the build.
func planText(p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rootfs: %s (%s)\n", p.Source.Describe(), strings.Join(p.RootfsLayers(), " over "))
	fmt.Fprintf(&b, "stop timeout: %v\n", p.StopTimeout)
	for _, s := range p.Services {
		fmt.Fprintf(&b, "service %s: %+v\n", s.Name(), services.Inner(s))
		if what, ok := services.CanGoWithout(s); ok {
			fmt.Fprintf(&b, "  optional: the app runs without %s\n", what)
		}
		g := s.Grant()
		for _, bd := range g.Binds {
			fmt.Fprintf(&b, "  bind %+v\n", bd)
		}
		for _, k := range sortedKeys(g.Env) {
			fmt.Fprintf(&b, "  env %s=%s\n", k, g.Env[k])
		}
	}
	for _, r := range p.Resources {
		fmt.Fprintf(&b, "resource %+v\n", r)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "warning %s\n", w)
	}
	for _, e := range p.Attach.Env {
		fmt.Fprintf(&b, "env %s\n", e)
	}
	fmt.Fprintf(&b, "command %q as %s (%d:%d) in %s\n", p.Attach.Command, p.Attach.User, p.Attach.UID, p.Attach.GID, p.Attach.Cwd)
	fmt.Fprintf(&b, "provision %v, upgradable %v\n", p.Provision, p.Upgradable)
	if p.Build != nil {
		for _, pm := range []string{PMApt, ""} {
			steps, err := p.Build.SetupSteps(pm)
			fmt.Fprintf(&b, "setup with %q: %v\n", pm, err)
			for _, st := range steps {
				fmt.Fprintf(&b, "  step %s (network %v)\n", st.Name, st.Network)
			}
		}
	}
	return b.String()
}

// TestGoldenPlans pins the host operations and build of each golden
// profile (NAME.plan), as TestGolden pins its config.
func TestGoldenPlans(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.toml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			h := testHost()
			got := planText(compileFile(t, f, h))
			golden := strings.TrimSuffix(f, ".toml") + ".plan"
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
				t.Errorf("%s differs from the compiled plan; got:\n%s", golden, got)
			}
		})
	}
}

// TestDefaultLimits: a profile whose [limits] is silent still gets a
// memory limit (half the RAM), a pids limit and bounded tmpfs; its own
// values win.
func TestDefaultLimits(t *testing.T) {
	p, err := Parse("d", "d.toml", []byte("command = [\"x\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := testHost()
	plan, err := Compile(p, h, testKind)
	if err != nil {
		t.Fatal(err)
	}
	conf := plan.Config.String()
	for _, want := range []string{
		"lxc.cgroup.memory.limit_in_bytes = 4294967296",
		"lxc.cgroup.pids.max = 4096",
		"tmpfs dev/shm tmpfs rw,nosuid,nodev,mode=1777,size=2048m,",
		"tmpfs tmp tmpfs rw,nosuid,nodev,mode=1777,size=1024m,",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("no %q in\n%s", want, conf)
		}
	}
	p.Limits = Limits{Memory: "256M", Pids: 50}
	plan, _ = Compile(p, h, testKind)
	conf = plan.Config.String()
	for _, want := range []string{"memory.limit_in_bytes = 268435456", "pids.max = 50", "dev/shm tmpfs rw,nosuid,nodev,mode=1777,size=512m,"} {
		if !strings.Contains(conf, want) {
			t.Errorf("profile's limits: no %q", want)
		}
	}
}

// TestShareUnderHomeGoesToTheAppsHome: an absolute host path in the
// user's home lands in the app's home (the host home's path is a link
// inside, which LXC refuses to mount through).
func TestShareUnderHomeGoesToTheAppsHome(t *testing.T) {
	p, err := Parse("s", "s.toml", []byte("command = [\"x\"]\n[[share]]\nhost = \"/home/alice/Music\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Compile(p, testHost(), testKind)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Shares[0].Path; got != "/home/user/Music" {
		t.Errorf("inside %s, want /home/user/Music", got)
	}
	// ~/.config is guarded even when XDG_CONFIG_HOME points elsewhere.
	h := testHost()
	h.ConfigHome = "/srv/config"
	p, _ = Parse("s", "s.toml", []byte("command = [\"x\"]\n[[share]]\nhost = \"~/.config/autostart\"\n"))
	if _, err := Compile(p, h, testKind); err == nil || !strings.Contains(err.Error(), "~/.config") {
		t.Errorf("~/.config/autostart with XDG_CONFIG_HOME elsewhere: %v", err)
	}
}
