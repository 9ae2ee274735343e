package sound

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/sound/soundtest"
)

func testService() *Service {
	return &Service{Dir: "/run/user/1000/lxcage/web/sound", Server: "/run/user/1000/pulse/native",
		RuntimeDir: "/run/user/1000", App: "Web (lxcage)"}
}

func TestGrant(t *testing.T) {
	g := testService().Grant()
	want := []services.Bind{
		{Host: "/run/user/1000/lxcage/web/sound/sock", Inside: "/run/user/1000/pulse", Dir: true, ReadOnly: true},
		{Host: "/run/user/1000/lxcage/web/sound/client.conf", Inside: "/run/user/1000/pulse-client.conf", ReadOnly: true},
	}
	if !slices.Equal(g.Binds, want) {
		t.Errorf("binds:\n got %+v\nwant %+v", g.Binds, want)
	}
	if g.Env["PULSE_SERVER"] != "unix:/run/user/1000/pulse/native" || g.Env["PULSE_CLIENTCONFIG"] != "/run/user/1000/pulse-client.conf" || len(g.Env) != 2 {
		t.Errorf("env: %v", g.Env)
	}
}

func TestValidate(t *testing.T) {
	long := "/run/user/1000/" + strings.Repeat("x", 100)
	for _, tc := range []struct {
		name    string
		edit    func(*Service)
		wantErr string
		fixable bool
	}{
		{"ok", func(*Service) {}, "", false},
		{"relative dir", func(s *Service) { s.Dir = "sound" }, "Dir must be", false},
		{"unclean server", func(s *Service) { s.Server = "/run/user/1000/pulse/../pulse/native" }, "Server must be", false},
		{"no app", func(s *Service) { s.App = "" }, "App must", false},
		{"newline in app", func(s *Service) { s.App = "a\nload-module x" }, "printable", false},
		{"bad utf8 icon", func(s *Service) { s.Icon = "\xff" }, "printable", false},
		{"long socket unconfined", func(s *Service) { s.Dir = long }, "longer than a Unix socket", true},
		{"long server unconfined", func(s *Service) { s.Server = long }, "longer than a Unix socket", true},
		{"long paths confined", func(s *Service) { s.Dir, s.Server, s.Bwrap = long, long+"/native", "bwrap" }, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testService()
			tc.edit(s)
			err := s.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate: %v, want %q", err, tc.wantErr)
			}
			var f fix.Fixable
			if errors.As(err, &f) != tc.fixable {
				t.Errorf("fixable = %v, want %v", !tc.fixable, tc.fixable)
			}
		})
	}
}

// A profile's app name reaches the daemon's environment verbatim and
// never its command line, where it could add a module argument.
func TestAppNameStaysOutOfModuleArguments(t *testing.T) {
	for _, bwrap := range []string{"", "/usr/bin/bwrap"} {
		s := testService()
		s.App, s.Icon, s.Bwrap = `x' sink_properties="a=b" y`, "evil icon", bwrap
		l := s.layout()
		for _, a := range s.daemonArgs(l) {
			if strings.Contains(a, "sink_properties=\"a=b\"") || strings.Contains(a, "evil") {
				t.Errorf("the app's name reached the daemon's argument %q", a)
			}
		}
		env := s.daemonEnv(l)
		if !slices.Contains(env, "PULSE_PROP_OVERRIDE_application.name="+s.App) ||
			!slices.Contains(env, "PULSE_PROP_OVERRIDE_application.icon_name=evil icon") {
			t.Errorf("env: %q", env)
		}
	}
}

// The microphone switch decides the daemon's input: silence, or a tunnel
// to the user's default source.
func TestMicrophoneSwitch(t *testing.T) {
	s := testService()
	if m := strings.Join(s.modules(s.layout()), "\n"); !strings.Contains(m, "module-null-source") || strings.Contains(m, "tunnel-source") {
		t.Errorf("without microphone: %s", m)
	}
	s.Microphone = true
	if m := strings.Join(s.modules(s.layout()), "\n"); strings.Contains(m, "module-null-source") || !strings.Contains(m, "module-tunnel-source-new server=unix:/run/user/1000/pulse/native") {
		t.Errorf("with microphone: %s", m)
	}
}

// Confined, the daemon's arguments name sandbox paths only, and the
// sandbox holds no home and no host process.
func TestConfinedLayout(t *testing.T) {
	s := testService()
	s.Bwrap = "/usr/bin/bwrap"
	l := s.layout()
	args := s.daemonArgs(l)
	for _, a := range args {
		if strings.Contains(a, "/run/user/1000") {
			t.Errorf("daemon argument %q names a host path", a)
		}
	}
	b := strings.Join(s.bwrapArgs(args, s.daemonEnv(l)), " ")
	for _, want := range []string{"--unshare-all", "--cap-drop ALL", "--as-pid-1", "--clearenv",
		"--bind /run/user/1000/lxcage/web/sound/sock /run/lxcage", "--ro-bind /run/user/1000/pulse /run/server",
		"--ro-bind /run/user/1000/lxcage/web/sound/client.conf /run/client.conf",
		"--setenv HOME /tmp"} {
		if !strings.Contains(b, want) {
			t.Errorf("bwrap arguments lack %q: %s", want, b)
		}
	}
	for _, bad := range []string{"--share-net", "--die-with-parent", "/home", "/root", "--bind /run/user/1000/lxcage/web/sound "} {
		if strings.Contains(b, bad) {
			t.Errorf("bwrap arguments hold %q: %s", bad, b)
		}
	}
	// A user's socket outside a pulse directory: bound alone.
	s.Server = "/run/user/1000/native"
	b = strings.Join(s.bwrapArgs(args, s.daemonEnv(l)), " ")
	if !strings.Contains(b, "--ro-bind /run/user/1000/native /run/server/native") || strings.Contains(b, "--ro-bind /run/user/1000 ") {
		t.Errorf("a socket in the runtime dir itself: %s", b)
	}
}

func TestServerSocket(t *testing.T) {
	for _, tc := range []struct{ pulseServer, runtime, want string }{
		{"", "/run/user/1000", "/run/user/1000/pulse/native"},
		{"unix:/tmp/pulse-x/native", "/run/user/1000", "/tmp/pulse-x/native"},
		{"/tmp/p/native", "", "/tmp/p/native"},
		{"{3d1219c7}unix:/run/user/1000/pulse/native tcp:localhost", "", "/run/user/1000/pulse/native"},
		{"tcp:host:4713 unix:/run/p/native", "", "/run/p/native"},
		{"tcp:host:4713", "/run/user/1000", ""},
		{"", "", ""},
	} {
		got, err := ServerSocket(tc.pulseServer, tc.runtime)
		if got != tc.want || (tc.want == "") != errors.Is(err, ErrNoServer) {
			t.Errorf("ServerSocket(%q, %q) = %q, %v; want %q", tc.pulseServer, tc.runtime, got, err, tc.want)
		}
	}
}

// hasDevices speaks enough of the native protocol to tell a device that
// exists from one that does not.
func TestHasDevices(t *testing.T) {
	if _, err := exec.LookPath("pulseaudio"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("missing prerequisite: pulseaudio")
		}
		t.Skip("no pulseaudio")
	}
	dir, err := os.MkdirTemp("", "lxs")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	u, err := soundtest.StartUserServer(context.Background(), run.Exec{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Stop()
	for _, tc := range []struct {
		sinks, sources []string
		want           bool
	}{
		{[]string{soundtest.UserSink}, []string{soundtest.UserMic}, true},
		{[]string{soundtest.UserSink, "user_void"}, []string{soundtest.UserSink + ".monitor"}, true},
		{[]string{"lxcage_output"}, nil, false},
		{[]string{soundtest.UserSink}, []string{"lxcage_input"}, false},
	} {
		got, err := hasDevices(u.Socket, tc.sinks, tc.sources)
		if got != tc.want || err != nil {
			t.Errorf("hasDevices(%v, %v) = %v, %v; want %v", tc.sinks, tc.sources, got, err, tc.want)
		}
	}
	if _, err := hasDevices(filepath.Join(dir, "none"), nil, nil); err == nil {
		t.Error("hasDevices of no server: no error")
	}
}
