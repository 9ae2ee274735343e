package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lxcage/lxcage/desktop/notifytest"
	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
)

// serve starts a private bus with a test notification server on it.
func serve(t *testing.T, caps ...string) (string, *notifytest.Server) {
	t.Helper()
	addr := startBus(t)
	srv, err := notifytest.Start(addr, caps...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return addr, srv
}

func TestNotifierSends(t *testing.T) {
	addr, srv := serve(t, "body", "body-markup")
	n, err := Dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	id, err := n.Send(context.Background(), Message{Summary: "S", Body: "a <b> & c", Icon: "file:///x.svg", DesktopEntry: "lxcage-x", Urgency: UrgencyCritical, Progress: 40, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := srv.Next(2 * time.Second)
	if !ok {
		t.Fatal("nothing received")
	}
	if got.ID != id || got.AppName != "lxcage" || got.Summary != "S" || got.Icon != "file:///x.svg" || got.Timeout != 2000 {
		t.Errorf("received %+v", got)
	}
	// The server reads markup: the text must not become markup.
	if got.Body != "a &lt;b&gt; &amp; c" {
		t.Errorf("body %q", got.Body)
	}
	if got.Hints["urgency"].Value() != byte(2) || got.Hints["desktop-entry"].Value() != "lxcage-x" || got.Hints["value"].Value() != int32(40) {
		t.Errorf("hints %v", got.Hints)
	}
}

func TestNotifierNoServer(t *testing.T) {
	if _, err := Dial(context.Background(), ""); !errors.Is(err, ErrNoSessionBus) {
		t.Errorf("no address: %v", err)
	}
	addr := startBus(t) // a bus without a notification server
	start := time.Now()
	if _, err := Dial(context.Background(), addr); err == nil {
		t.Error("dialed a bus without a notification server")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if _, err := Dial(context.Background(), "unix:path=/nonexistent/bus"); err == nil {
		t.Error("dialed a missing bus")
	}
}

func TestSetupNotice(t *testing.T) {
	addr, srv := serve(t, "body")
	n, err := Dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()

	t.Run("fast setup shows nothing", func(t *testing.T) {
		sn := NewSetupNotice(n, "X (sandboxed)", "icon", "lxcage-x")
		sn.Start(50*time.Millisecond, 10*time.Millisecond, func() bool { return true })
		sn.Progress("creating container x")
		time.Sleep(200 * time.Millisecond)
		if got := srv.Drain(); len(got) != 0 {
			t.Errorf("sent %+v", got)
		}
	})

	t.Run("slow setup then ready", func(t *testing.T) {
		var mu sync.Mutex
		done := false
		sn := NewSetupNotice(n, "X (sandboxed)", "icon", "lxcage-x")
		sn.Progress("creating container x")
		sn.Start(0, 10*time.Millisecond, func() bool { mu.Lock(); defer mu.Unlock(); return done })
		first, ok := srv.Next(2 * time.Second)
		if !ok || first.Summary != "Setting up X (sandboxed)…" || first.Body != "Creating container x" || first.Icon != "icon" {
			t.Fatalf("first %+v", first)
		}
		sn.Progress("downloading the image (2/4)")
		upd, _ := srv.Next(2 * time.Second)
		if upd.ReplacesID != first.ID || upd.Hints["value"].Value() != int32(50) {
			t.Errorf("update %+v", upd)
		}
		mu.Lock()
		done = true
		mu.Unlock()
		ready, _ := srv.Next(2 * time.Second)
		if ready.ReplacesID != first.ID || ready.Summary != "X (sandboxed) is ready" {
			t.Errorf("ready %+v", ready)
		}
	})

	t.Run("failure replaces it", func(t *testing.T) {
		sn := NewSetupNotice(n, "X (sandboxed)", "icon", "lxcage-x")
		sn.Start(0, 10*time.Millisecond, func() bool { return false })
		first, ok := srv.Next(2 * time.Second)
		if !ok {
			t.Fatal("no setup notice")
		}
		f := Failure{Name: "x", Title: "X (sandboxed)", Cause: "boom", Fix: "fix it", LogFile: "/tmp/x.log"}
		if _, err := sn.Fail(f.Message("")); err != nil {
			t.Fatal(err)
		}
		got, _ := srv.Next(2 * time.Second)
		if got.ReplacesID != first.ID || got.Summary != "X (sandboxed) could not start" || got.Body != "boom\nFix: fix it\nDetails: /tmp/x.log" || got.Icon != "icon" {
			t.Errorf("failure %+v", got)
		}
		time.Sleep(50 * time.Millisecond)
		if more := srv.Drain(); len(more) != 0 {
			t.Errorf("sent after the failure: %+v", more)
		}
	})
}

func TestExplain(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	subuid := &profiles.Error{File: "eyes.toml", Msg: "user bob has no subordinate id range in /etc/subuid", Fix: "as root run: usermod --add-subuids 100000-165535 bob  (any free range of 65536 ids works)"}
	// What the launcher said with sound on and no sound server.
	sound := fmt.Errorf("launch x: %w", fix.Wrap(fix.New(`pulseaudio = true, but the container cannot get a sound server socket: loading a socket module failed (running "pactl load-module module-native-protocol-unix socket=/run/user/1001/lxcage/0a1b2c3d/x/run/pulse/native" failed: exit status 1
Connection failure: Connection refused) and linking /run/user/1001/pulse/native failed (link /run/user/1001/pulse/native /run/user/1001/lxcage/0a1b2c3d/x/run/pulse/native: no such file or directory)`,
		"start PulseAudio or pipewire-pulse (pactl info must answer)"), "pulseaudio", "start PulseAudio or pipewire-pulse (pactl info must answer)"))
	// What it said with no delegated cgroup: a wall of paths and a root fix.
	cgroups := fmt.Errorf("launch x: %w", fix.New("you may not create cgroups for containers (/sys/fs/cgroup/blkio/x, /sys/fs/cgroup/cpu/x, /sys/fs/cgroup/cpuacct/x, /sys/fs/cgroup/cpuset/x, /sys/fs/cgroup/devices/x not writable; systemd: no session bus)",
		"as root: for d in /sys/fs/cgroup/blkio /sys/fs/cgroup/cpu; do mkdir -p \"$d/alice\" && chown -R alice: \"$d/alice\"; done\n(on cpuset also copy cpuset.cpus)"))
	noProfile := fmt.Errorf("/p/x.toml: %w", profiles.ErrNoProfile)
	for _, tc := range []struct {
		name    string
		err     error
		facts   Facts
		cause   string
		fix     string
		logFile string
		notFix  string
	}{
		{"subuid", subuid, Facts{}, "eyes.toml: user bob has no subordinate id range in /etc/subuid", "As root run: usermod --add-subuids 100000-165535 bob (any free range of 65536 ids works)", "", ""},
		{"start", &launcher.StartError{Name: "x", Err: errors.New(`running "lxc-start" failed: exit status 1`), LogFile: "/home/u/.cache/lxcage/x.log",
			LogTail: "lxc-start x 20250101 ERROR seccomp - seccomp.c:parse:123 - Failed to parse policy\nlxc-start x 20250101 ERROR start - start.c:x - Failed to start\n"},
			Facts{}, "Its container did not start: seccomp: Failed to parse policy", `Run "lxcage check"`, "/home/u/.cache/lxcage/x.log", ""},
		{"start without log", &launcher.StartError{Name: "x", Err: errors.New("init exited right after start")}, Facts{},
			"Its container did not start: init exited right after start", `Run "lxcage check"`, "", ""},
		{"profile problem", profiles.Problems{{File: "/p/x.toml", Line: 2, Msg: "unknown key [acess]", Fix: "did you mean [access]?"}, {File: "/p/x.toml", Key: "b", Msg: "bad"}}, Facts{},
			"x.toml:2: unknown key [acess] (and 1 more)", "Did you mean [access]? Edit /p/x.toml (or open it in lxcage-editor).", "", ""},
		{"profile problem, deep in the home", &profiles.Error{File: home + "/a/very/long/path/to/the/test/directory/of/a/test/that/runs/somewhere/config/lxcage/profiles/broken.toml", Line: 2, Msg: "unknown key [acess]", Fix: "did you mean [access]?"}, Facts{},
			"broken.toml:2: unknown key [acess]", "Did you mean [access]? Edit ~/a/very/long/path/", "", ""},
		{"no profile, from a script", noProfile, Facts{}, "There is no profile x.", "lxcage list", "", "desktop remove"},
		{"no profile, menu entry left", noProfile, Facts{MenuEntry: true}, "There is no profile x.", "lxcage desktop remove x", "", ""},
		{"sound", sound, Facts{}, "pulseaudio = true, but the container cannot get a sound server socket", "Start PulseAudio or pipewire-pulse", "", "pactl load-module"},
		{"cgroups, none of the user's", cgroups, Facts{NoCgroups: true}, "Containers cannot start here", "lxcage check", "", "/sys/fs/cgroup/cpu"},
		{"cgroups the user could join", cgroups, Facts{NoCgroups: true, JoinCgroups: []string{"/sys/fs/cgroup/cpu/alice", "/sys/fs/cgroup/memory/alice"}},
			"Containers cannot start here", "for d in /sys/fs/cgroup/*/alice/cgroup.procs; do echo $$ >$d; done 2>/dev/null", "", "as root"},
		{"plain", errors.New("something odd"), Facts{}, "something odd", `Run "lxcage launch x" in a terminal`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Explain("x", tc.err, tc.facts)
			f.Title = "X (sandboxed)"
			if !strings.HasPrefix(f.Cause, tc.cause) || !strings.Contains(f.Fix, tc.fix) || f.LogFile != tc.logFile {
				t.Errorf("cause %q\nfix %q\nlog %q", f.Cause, f.Fix, f.LogFile)
			}
			if tc.notFix != "" && strings.Contains(f.Cause+f.Fix, tc.notFix) {
				t.Errorf("notification says %q:\n%s", tc.notFix, f.Body())
			}
			// One line of cause and one of fix, short enough to be shown whole.
			if strings.Contains(f.Cause, "\n") || strings.Contains(f.Fix, "\n") || len([]rune(f.Cause)) > maxCause || len([]rune(f.Fix)) > maxFix {
				t.Errorf("cause or fix too long or not one line:\n%s", f.Body())
			}
			t.Logf("%s\n%s", f.Summary(), f.Body())
			if !strings.Contains(f.Details, firstLine(tc.err.Error())) {
				t.Errorf("details for the log lack the error:\n%s", f.Details)
			}
		})
	}
	f, ok := ExplainExit("x", []string{"no-such-program"}, 127)
	if !ok || !strings.Contains(f.Cause, `"no-such-program" was not found`) || strings.Contains(f.Cause, "\n") {
		t.Errorf("127: %+v", f)
	}
	if _, ok := ExplainExit("x", nil, 1); ok {
		t.Error("exit 1 explained as a failure to start")
	}
}

// TestJoinableCgroups finds the cgroups a user owns and could join
// without root, in a fake cgroup tree.
func TestJoinableCgroups(t *testing.T) {
	root := t.TempDir()
	uid := os.Getuid() // what the test creates, it owns
	mk := func(dirs ...string) {
		for _, d := range dirs {
			os.MkdirAll(filepath.Join(root, d), 0o755)
		}
	}
	touch := func(files ...string) {
		for _, f := range files {
			os.WriteFile(filepath.Join(root, f), nil, 0o644)
		}
	}
	mk("cpu/root-session", "memory/root-session", "unified/root-session", "cpu/alice", "memory/alice", "unified/alice")
	touch("cpu/alice/cgroup.procs", "memory/alice/cgroup.procs", "unified/alice/cgroup.procs")
	h := func(ctrl string, dir string) sandbox.Hierarchy {
		mount := filepath.Join(root, ctrl)
		if ctrl == "unified" {
			ctrl = ""
		}
		return sandbox.Hierarchy{Controllers: ctrl, Mount: mount, Dir: filepath.Join(mount, dir)}
	}
	hybrid := &sandbox.Cgroups{Hierarchies: []sandbox.Hierarchy{h("cpu", "root-session"), h("memory", "root-session"), h("unified", "root-session")}}
	got := JoinableCgroups(hybrid, uid)
	want := []string{filepath.Join(root, "cpu/alice"), filepath.Join(root, "memory/alice")}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("joinable %v, want %v", got, want)
	}
	if cmd := JoinCommand(got); cmd != "for d in "+root+"/*/alice/cgroup.procs; do echo $$ >$d; done 2>/dev/null" {
		t.Errorf("command %q", cmd)
	}
	// The command works: run by a shell, it writes the shell's PID into
	// each cgroup.procs (plain files here).
	if out, err := exec.Command("sh", "-c", JoinCommand(got)+"; echo $$").Output(); err != nil {
		t.Fatal(err)
	} else {
		for _, d := range got {
			if b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs")); string(b) != string(out) {
				t.Errorf("%s/cgroup.procs holds %q, want the shell's pid %q", d, b, out)
			}
		}
	}
	// One hierarchy without a cgroup of the user's: joining the rest
	// would not be enough.
	os.RemoveAll(filepath.Join(root, "memory/alice"))
	if got := JoinableCgroups(hybrid, uid); got != nil {
		t.Errorf("joinable with memory missing: %v", got)
	}
	// Only the unified hierarchy: moving needs the common ancestor (root's).
	v2 := &sandbox.Cgroups{Hierarchies: []sandbox.Hierarchy{h("unified", "root-session")}}
	if got := JoinableCgroups(v2, uid); got != nil {
		t.Errorf("joinable on v2 only: %v", got)
	}
	if got := JoinableCgroups(hybrid, uid+1); got != nil {
		t.Errorf("another user's cgroups offered: %v", got)
	}
}
