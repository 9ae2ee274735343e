package sound_test

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/sound/soundtest"
)

// pipewirePulse starts a private PipeWire with WirePlumber (on a private
// session bus) and pipewire-pulse, the stack of a PipeWire desktop, with
// a null sink as the default sink. It returns pipewire-pulse's socket.
func pipewirePulse(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"pipewire", "wireplumber", "pipewire-pulse", "dbus-daemon", "pw-cli"} {
		need(t, have(p), p)
	}
	dir := shortDir(t)
	base := []string{"env", "-i", "PATH=/usr/bin:/bin", "HOME=" + dir, "XDG_RUNTIME_DIR=" + dir,
		"XDG_CONFIG_HOME=" + dir, "XDG_STATE_HOME=" + dir, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + dir + "/bus"}
	r := run.Exec{}
	start := func(name string, ready func() bool, argv ...string) {
		p, err := services.StartProcess(context.Background(), services.Env{Runner: r}, name,
			append(append([]string(nil), base...), argv...), filepath.Join(dir, name+".log"), ready)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Stop)
	}
	answers := func(path string) func() bool {
		return func() bool {
			c, err := net.Dial("unix", path)
			if err == nil {
				c.Close()
			}
			return err == nil
		}
	}
	start("dbus", answers(dir+"/bus"), "dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=unix:path="+dir+"/bus")
	start("pipewire", answers(dir+"/pipewire-0"), "pipewire")
	start("wireplumber", func() bool {
		out, _ := r.Run(context.Background(), nil, "env", "XDG_RUNTIME_DIR="+dir, "pw-cli", "ls", "Client")
		return strings.Contains(string(out), "WirePlumber")
	}, "wireplumber")
	start("pipewire-pulse", answers(dir+"/pulse/native"), "pipewire-pulse")
	pp := soundtest.Client{Exec: soundtest.Host(r), Server: "unix:" + dir + "/pulse/native"}
	ctx := ctxT(t)
	if _, err := pp.Pactl(ctx, "load-module", "module-null-sink", "sink_name="+soundtest.UserSink); err != nil {
		t.Fatal(err)
	}
	if _, err := pp.Pactl(ctx, "set-default-sink", soundtest.UserSink); err != nil {
		t.Fatal(err)
	}
	return dir + "/pulse/native"
}

// TestPipeWirePulseUpstream: on a PipeWire desktop the user's server is
// pipewire-pulse; the mediator tunnels to it the same way, and its
// stream there carries the app's name.
func TestPipeWirePulseUpstream(t *testing.T) {
	modes(t, func(t *testing.T, m mode) {
		sock := pipewirePulse(t)
		md := startMediator(t, &soundtest.UserServer{Socket: sock}, m, false)
		ctx := ctxT(t)
		defer playing(t, md.app, "inside-client")()
		if p := hear(t, md.user, 0.3, 3*time.Second); p < 0.3 {
			t.Errorf("pipewire-pulse's sink got peak %.3f while the app played at 0.7", p)
		}
		ins, _ := md.user.SinkInputs(ctx)
		if !slices.ContainsFunc(ins, func(s soundtest.Stream) bool { return s.App() == testApp }) {
			t.Errorf("no stream named %q on pipewire-pulse: %v", testApp, ins)
		}
		mods, _ := md.app.Modules(ctx)
		if len(mods) != 4 {
			t.Errorf("the mediator shows %d modules: %v", len(mods), mods)
		}
	})
}
