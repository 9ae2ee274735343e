package sound_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/sound"
	"github.com/lxcage/lxcage/services/sound/soundtest"
)

// The app's name as the tests give it; the user's mixer must show it.
const testApp = "Test App (lxcage)"

// need skips (or, in CI, fails) a test whose prerequisite is missing.
func need(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("missing prerequisite: %s (hack/setup-host.sh installs it)", what)
	}
	t.Skipf("missing prerequisite: %s", what)
}

func have(prog string) bool {
	_, err := exec.LookPath(prog)
	return err == nil
}

// shortDir is a temporary directory with a short path: a stand-in user
// server's socket must fit a socket address, and t.TempDir's paths
// (they carry the test's name) may not.
func shortDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "lxs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// userServer starts the stand-in for the user's own server.
func userServer(t testing.TB) *soundtest.UserServer {
	t.Helper()
	for _, p := range []string{"pulseaudio", "pactl", "paplay", "parecord", "timeout"} {
		need(t, have(p), p)
	}
	u, err := soundtest.StartUserServer(context.Background(), run.Exec{}, shortDir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Stop() })
	return u
}

// mode is how the daemon runs: in bwrap or unconfined.
type mode struct {
	name  string
	bwrap string
}

// modes runs f once per mode; the confined one needs bubblewrap.
func modes(t *testing.T, f func(t *testing.T, m mode)) {
	t.Run("unconfined", func(t *testing.T) { f(t, mode{name: "unconfined"}) })
	t.Run("bwrap", func(t *testing.T) {
		p, err := exec.LookPath("bwrap")
		need(t, err == nil, "bwrap")
		f(t, mode{name: "bwrap", bwrap: p})
	})
}

// mediator is a started Service with a client of it and of the user's
// server.
type mediator struct {
	svc  *sound.Service
	undo services.Undo
	app  soundtest.Client // what the app reaches
	user soundtest.Client // the user's own server
}

func startMediator(t testing.TB, u *soundtest.UserServer, m mode, mic bool) *mediator {
	t.Helper()
	s := &sound.Service{
		Dir:        filepath.Join(shortDir(t), "sound"),
		Server:     u.Socket,
		RuntimeDir: "/run/user/1000",
		App:        testApp,
		Icon:       "lxcage",
		Microphone: mic,
		Bwrap:      m.bwrap,
	}
	undo, err := s.Start(context.Background(), services.Env{Runner: run.Exec{}})
	if err != nil {
		t.Fatal(err)
	}
	// The app's socket, as the container finds it in the directory the
	// grant binds.
	b := s.Grant().Binds[0]
	if !b.Dir || b.Inside != path.Dir(s.InsideSocket()) {
		t.Fatalf("the grant's first bind is not the socket's directory: %+v", b)
	}
	md := &mediator{svc: s, undo: undo, user: u.Client(run.Exec{}),
		app: soundtest.Client{Exec: soundtest.Host(run.Exec{}), Server: "unix:" + filepath.Join(b.Host, path.Base(s.InsideSocket()))}}
	t.Cleanup(func() { md.stop() })
	return md
}

func (md *mediator) stop() {
	md.undo.Run(context.Background(), run.Exec{})
	md.undo = nil
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func names[T any](xs []T, name func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, name(x))
	}
	slices.Sort(out)
	return out
}

// TestClientSeesOnlyItsOwnServer: a client of the mediator sees its four
// modules, one output and one input, and nothing of the user's server:
// not its modules, not its devices, not its socket's path.
func TestClientSeesOnlyItsOwnServer(t *testing.T) {
	modes(t, func(t *testing.T, m mode) {
		u := userServer(t)
		md := startMediator(t, u, m, false)
		ctx := ctxT(t)
		mods, err := md.app.Modules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"module-native-protocol-unix", "module-null-source", "module-suspend-on-idle", "module-tunnel-sink-new"}
		if got := names(mods, func(m soundtest.Module) string { return m.Name }); !slices.Equal(got, want) {
			t.Errorf("modules: got %v, want %v", got, want)
		}
		listed, _ := md.app.Pactl(ctx, "list")
		for _, leak := range []string{soundtest.UserSink, soundtest.UserMic, "module-sine-source", "module-null-sink"} {
			if strings.Contains(listed, leak) {
				t.Errorf("pactl list through the mediator shows the user's %q", leak)
			}
		}
		if m.bwrap != "" {
			// Confined, not even a host path shows: not the user's
			// socket's, not the mediator's own directory.
			for _, leak := range []string{filepath.Dir(filepath.Dir(u.Socket)), md.svc.Dir} {
				if strings.Contains(listed, leak) {
					t.Errorf("pactl list through the mediator shows the host path %s", leak)
				}
			}
		}
		sinks, _ := md.app.Sinks(ctx)
		sources, _ := md.app.Sources(ctx)
		if got := names(sinks, func(d soundtest.Device) string { return d.Name }); !slices.Equal(got, []string{"lxcage_output"}) {
			t.Errorf("sinks: %v", got)
		}
		if got := names(sources, func(d soundtest.Device) string { return d.Name }); !slices.Equal(got, []string{"lxcage_input", "lxcage_output.monitor"}) {
			t.Errorf("sources: %v", got)
		}
	})
}

// TestLoadModuleFails: no module loads through the mediator — not a TCP
// listener, not one naming a file — and neither server's module list
// changes.
func TestLoadModuleFails(t *testing.T) {
	modes(t, func(t *testing.T, m mode) {
		u := userServer(t)
		md := startMediator(t, u, m, false)
		ctx := ctxT(t)
		userBefore, _ := md.user.Modules(ctx)
		appBefore, _ := md.app.Modules(ctx)
		lib := filepath.Join(shortDir(t), "evil.so")
		os.WriteFile(lib, []byte("not a library"), 0o644)
		port := freePort(t)
		for _, args := range [][]string{
			{"module-native-protocol-tcp", "auth-anonymous=1", "listen=127.0.0.1", "port=" + port},
			{"module-ladspa-sink", "sink_name=x", "plugin=" + lib, "label=x"},
			{lib},
			{"module-null-sink"},
			{"module-cli-protocol-unix", "socket=" + filepath.Join(shortDir(t), "cli")},
			{"module-tunnel-source-new", "server=unix:" + u.Socket},
		} {
			if out, err := md.app.Pactl(ctx, append([]string{"load-module"}, args...)...); err == nil {
				t.Errorf("pactl load-module %s succeeded through the mediator: %s", strings.Join(args, " "), out)
			}
		}
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			t.Errorf("something listens on 127.0.0.1:%s", port)
		}
		userAfter, _ := md.user.Modules(ctx)
		appAfter, _ := md.app.Modules(ctx)
		if !slices.Equal(userBefore, userAfter) || !slices.Equal(appBefore, appAfter) {
			t.Errorf("modules changed:\nuser %v\n  -> %v\nmediator %v\n  -> %v", userBefore, userAfter, appBefore, appAfter)
		}
	})
}

// TestUnloadIsIgnored: pactl unload-module through the mediator reports
// success (PulseAudio's native protocol does not say no), but with
// --disallow-module-loading the daemon drops the request: neither
// server's modules change.
func TestUnloadIsIgnored(t *testing.T) {
	u := userServer(t)
	md := startMediator(t, u, mode{}, true)
	ctx := ctxT(t)
	userBefore, _ := md.user.Modules(ctx)
	appBefore, _ := md.app.Modules(ctx)
	for i := range appBefore {
		md.app.Pactl(ctx, "unload-module", strconv.Itoa(i))
	}
	time.Sleep(100 * time.Millisecond) // PulseAudio unloads on its next main-loop turn
	userAfter, _ := md.user.Modules(ctx)
	appAfter, err := md.app.Modules(ctx)
	if err != nil {
		t.Fatalf("the mediator stopped answering: %v", err)
	}
	if !slices.Equal(userBefore, userAfter) || !slices.Equal(appBefore, appAfter) {
		t.Errorf("modules changed:\nuser %v\n  -> %v\nmediator %v\n  -> %v", userBefore, userAfter, appBefore, appAfter)
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// TestClientCannotStopOrReconfigure: pactl exit fails and the mediator
// lives on; changing defaults and volumes through it changes the
// mediator only, never the user's server.
func TestClientCannotStopOrReconfigure(t *testing.T) {
	u := userServer(t)
	md := startMediator(t, u, mode{}, false)
	ctx := ctxT(t)
	userInfo, _ := md.user.Info(ctx)
	if _, err := md.app.Pactl(ctx, "exit"); err == nil {
		t.Error("pactl exit succeeded through the mediator")
	}
	for _, args := range [][]string{
		{"set-default-source", "lxcage_output.monitor"},
		{"set-default-sink", soundtest.UserSink},
		{"set-sink-volume", "@DEFAULT_SINK@", "150%"},
		{"set-sink-mute", "@DEFAULT_SINK@", "1"},
		{"suspend-sink", "@DEFAULT_SINK@", "1"},
	} {
		md.app.Pactl(ctx, args...) // what they do to the mediator is the app's business
	}
	if _, err := md.app.Info(ctx); err != nil {
		t.Fatalf("the mediator is gone after a client's exit: %v", err)
	}
	userNow, _ := md.user.Info(ctx)
	for _, k := range []string{"default_sink_name", "default_source_name"} {
		if userNow[k] != userInfo[k] {
			t.Errorf("the user's %s changed: %v -> %v", k, userInfo[k], userNow[k])
		}
	}
	vol, _ := md.user.Pactl(ctx, "get-sink-volume", soundtest.UserSink)
	mute, _ := md.user.Pactl(ctx, "get-sink-mute", soundtest.UserSink)
	if !strings.Contains(vol, "100%") || !strings.Contains(mute, "no") {
		t.Errorf("the user's sink changed: %s %s", vol, mute)
	}
}

// TestPlaybackReachesTheUser: a tone the app plays reaches the user's
// speakers, through one stream named after the app (the user's mixer
// controls it); the app's own client and stream names stay inside.
func TestPlaybackReachesTheUser(t *testing.T) {
	modes(t, func(t *testing.T, m mode) {
		u := userServer(t)
		md := startMediator(t, u, m, false)
		ctx := ctxT(t)
		stop := playing(t, md.app, "inside-client")
		if p := hear(t, md.user, 0.3, 3*time.Second); p < 0.3 {
			t.Errorf("the user's speakers got peak %.3f while the app played at 0.7", p)
		}
		ins, _ := md.user.SinkInputs(ctx)
		var apps []string
		for _, s := range ins {
			apps = append(apps, s.App())
			if strings.Contains(s.Properties["media.name"]+s.App(), "inside-client") {
				t.Errorf("the app's own stream name reached the user's server: %v", s.Properties)
			}
		}
		if !slices.Contains(apps, testApp) {
			t.Errorf("no stream named %q on the user's server: %v", testApp, apps)
		}
		if err := stop(); err != nil {
			t.Errorf("paplay through the mediator: %v", err)
		}
	})
}

// playing plays a tone at 0.7 through c for up to four seconds, named
// name; the function it returns stops it and returns paplay's error, if
// paplay failed before being stopped.
func playing(t testing.TB, c soundtest.Client, name string) func() error {
	ctx, cancel := context.WithCancel(ctxT(t))
	done := make(chan error, 1)
	go func() { done <- c.Play(ctx, soundtest.Tone(1000, 0.7, 4*time.Second), name) }()
	return func() error {
		select {
		case err := <-done: // paplay ended by itself: early, or failing
			cancel()
			return err
		default:
		}
		cancel()
		<-done
		return nil
	}
}

// hear records the user's speakers in short pieces until one peaks at
// least min or timeout passes, and returns the highest peak: on a loaded
// host the app's stream may take a moment to be set up.
func hear(t testing.TB, user soundtest.Client, min float64, timeout time.Duration) float64 {
	t.Helper()
	return hearOn(t, user, soundtest.UserSink+".monitor", min, timeout)
}

// hearOn records source of c in short pieces until one peaks at least
// min or timeout passes, and returns the highest peak.
func hearOn(t testing.TB, c soundtest.Client, source string, min float64, timeout time.Duration) float64 {
	t.Helper()
	ctx := ctxT(t)
	best := 0.0
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline) && best < min; {
		s, err := c.Record(ctx, source, 300*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		best = max(best, soundtest.Peak(s))
	}
	return best
}

// TestRecordingWithoutMicrophone: while the user's server plays a tone
// and its microphone hears one, every source the app has records
// silence, and the app opens no stream on the user's server.
func TestRecordingWithoutMicrophone(t *testing.T) {
	modes(t, func(t *testing.T, m mode) {
		u := userServer(t)
		md := startMediator(t, u, m, false)
		ctx := ctxT(t)
		played := make(chan error, 1)
		go func() { played <- md.user.Play(ctx, soundtest.Tone(1000, 0.7, 2*time.Second), "host-app") }()
		defer func() { <-played }()
		time.Sleep(300 * time.Millisecond)
		sources, _ := md.app.Sources(ctx)
		for _, src := range append([]string{""}, names(sources, func(d soundtest.Device) string { return d.Name })...) {
			got, err := md.app.Record(ctx, src, 400*time.Millisecond)
			if err != nil {
				t.Fatalf("parecord %q through the mediator: %v", src, err)
			}
			if len(got) == 0 {
				t.Errorf("parecord %q recorded nothing at all", src)
			}
			if p := soundtest.Peak(got); p > 0.001 {
				t.Errorf("recording %q inside heard the host (peak %.3f)", src, p)
			}
		}
		outs, _ := md.user.SourceOutputs(ctx)
		for _, o := range outs {
			if o.App() == testApp {
				t.Errorf("without microphone access the mediator records on the user's server: %v", o.Properties)
			}
		}
	})
}

// TestRecordingWithMicrophone: with microphone access the app's default
// source is the user's default source; the user's microphone is open
// only while the app records.
func TestRecordingWithMicrophone(t *testing.T) {
	modes(t, func(t *testing.T, m mode) {
		u := userServer(t)
		md := startMediator(t, u, m, true)
		// The tunnel's stream opens the user's microphone for a moment
		// when it connects, until the idle source is suspended.
		waitMicClosed(t, md, "after the mediator started")
		// The first moments are the silence of a stream starting: the
		// tunnel's stream on the user's server is uncorked on demand.
		if p := hearOn(t, md.app, "", 0.2, 3*time.Second); p < 0.2 {
			t.Errorf("recording inside with microphone access: peak %.3f, want the user's microphone (about 0.5)", p)
		}
		waitMicClosed(t, md, "after the app stopped recording")
	})
}

// waitMicClosed fails t unless the mediator's recording stream on the
// user's server is corked within a second.
func waitMicClosed(t testing.TB, md *mediator, when string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for micOpen(t, md) {
		if time.Now().After(deadline) {
			t.Fatalf("the user's microphone stays open %s", when)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gone reports whether p ends (or is a zombie) within two seconds: a
// zombie waits only for its parent to reap it.
func gone(p services.Proc) bool {
	deadline := time.Now().Add(2 * time.Second)
	for p.Alive() {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/stat"); err == nil {
			if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i:]), ") Z") {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// micOpen reports whether the mediator holds an uncorked recording
// stream on the user's server.
func micOpen(t testing.TB, md *mediator) bool {
	outs, err := md.user.SourceOutputs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if o.App() == testApp && !o.Corked {
			return true
		}
	}
	return false
}

// TestUndoLeavesNothing: after Undo the user's server has the modules it
// had before and no stream of the app; the daemon is gone, and so is the
// service's directory.
func TestUndoLeavesNothing(t *testing.T) {
	modes(t, func(t *testing.T, m mode) {
		u := userServer(t)
		ctx := ctxT(t)
		user := u.Client(run.Exec{})
		before, _ := user.Modules(ctx)
		md := startMediator(t, u, m, true)
		md.app.Play(ctx, soundtest.Tone(1000, 0.5, 200*time.Millisecond), "x")
		md.app.Record(ctx, "", 200*time.Millisecond)
		var procs []services.Proc
		for _, s := range md.undo {
			if s.Kill != nil {
				procs = append(procs, *s.Kill)
			}
		}
		md.stop()
		after, _ := user.Modules(ctx)
		if !slices.Equal(before, after) {
			t.Errorf("the user's modules: before %v\nafter %v", before, after)
		}
		ins, _ := user.SinkInputs(ctx)
		outs, _ := user.SourceOutputs(ctx)
		for _, s := range append(ins, outs...) {
			if s.App() == testApp {
				t.Errorf("a stream of the app outlived the mediator: %v", s.Properties)
			}
		}
		for _, p := range procs {
			if !gone(p) {
				t.Errorf("%s (PID %d) outlived Undo", p.Name, p.PID)
			}
		}
		if _, err := os.Lstat(md.svc.Dir); !errors.Is(err, os.ErrNotExist) {
			left, _ := filepath.Glob(filepath.Join(md.svc.Dir, "*"))
			t.Errorf("%s is left after Undo (%v): %v", md.svc.Dir, err, left)
		}
	})
}

// TestUserServerRestarts: when the user's server goes away and comes
// back at the same place, the mediator's output comes back within
// seconds, and the app's sound reaches the new server.
func TestUserServerRestarts(t *testing.T) {
	modes(t, func(t *testing.T, m mode) {
		u := userServer(t)
		md := startMediator(t, u, m, false)
		ctx := ctxT(t)
		dir := filepath.Dir(filepath.Dir(u.Socket)) // u.Socket is dir/pulse/native
		u.Stop()
		u2, err := soundtest.StartUserServer(ctx, run.Exec{}, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { u2.Stop() })
		deadline := time.Now().Add(5 * time.Second)
		for {
			ins, _ := md.user.SinkInputs(ctx)
			if slices.ContainsFunc(ins, func(s soundtest.Stream) bool { return s.App() == testApp }) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the mediator did not reconnect to the restarted user server")
			}
			time.Sleep(100 * time.Millisecond)
		}
		defer playing(t, md.app, "x")()
		if p := hear(t, md.user, 0.3, 3*time.Second); p < 0.3 {
			t.Errorf("after the restart the user's speakers got peak %.3f", p)
		}
	})
}

// TestNoServer: without a user's server Start fails with ErrNoServer
// (the launcher may run the app without sound) and leaves nothing.
func TestNoServer(t *testing.T) {
	dir := shortDir(t)
	s := &sound.Service{Dir: filepath.Join(dir, "sound"), Server: filepath.Join(dir, "none", "native"),
		RuntimeDir: "/run/user/1000", App: testApp}
	_, err := s.Start(context.Background(), services.Env{Runner: run.Exec{}})
	if !errors.Is(err, sound.ErrNoServer) {
		t.Fatalf("Start without a server: %v, want ErrNoServer", err)
	}
	if _, err := os.Lstat(s.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Start without a server left %s", s.Dir)
	}
}

// TestNoDaemon: without PulseAudio's daemon Start fails with
// ErrNoDaemon and leaves nothing.
func TestNoDaemon(t *testing.T) {
	u := userServer(t)
	s := &sound.Service{Dir: filepath.Join(shortDir(t), "sound"), Server: u.Socket, RuntimeDir: "/run/user/1000",
		App: testApp, Daemon: "/nonexistent/pulseaudio"}
	_, err := s.Start(context.Background(), services.Env{Runner: run.Exec{}})
	if !errors.Is(err, sound.ErrNoDaemon) {
		t.Fatalf("Start without a daemon: %v, want ErrNoDaemon", err)
	}
	if _, err := os.Lstat(s.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Start without a daemon left %s", s.Dir)
	}
}

// TestLongPaths: confined, the daemon serves and reaches sockets whose
// host paths are longer than a socket address; a crash's leftovers do
// not stop the next start.
func TestLongPaths(t *testing.T) {
	p, err := exec.LookPath("bwrap")
	need(t, err == nil, "bwrap")
	u := userServer(t)
	long := filepath.Join(shortDir(t), strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(long, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &sound.Service{Dir: filepath.Join(long, "sound"), Server: u.Socket, RuntimeDir: "/run/user/1000", App: testApp, Bwrap: p}
	for i := 0; i < 2; i++ {
		undo, err := s.Start(context.Background(), services.Env{Runner: run.Exec{}})
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		app := soundtest.Client{Exec: soundtest.Host(run.Exec{}), Server: "unix:/proc/self/cwd/native"}
		app.Exec = chdir(filepath.Join(s.Dir, "sock"), app.Exec)
		if _, err := app.Info(context.Background()); err != nil {
			t.Errorf("start %d: no answer at %s: %v", i, s.Dir, err)
		}
		if i == 0 {
			// A crash: the daemon killed, nothing undone.
			for _, st := range undo {
				if st.Kill != nil {
					syscallKill(st.Kill.PID)
				}
			}
			continue
		}
		undo.Run(context.Background(), run.Exec{})
	}
}

// chdir runs the tools in dir: a socket there is reachable by the short
// path /proc/self/cwd/NAME however long dir's path is.
func chdir(dir string, _ soundtest.Exec) soundtest.Exec {
	return func(ctx context.Context, stdin []byte, argv ...string) ([]byte, error) {
		cmd := run.Exec{}.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		return cmd.Output()
	}
}

func syscallKill(pid int) { syscall.Kill(pid, syscall.SIGKILL) }
