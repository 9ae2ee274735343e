package desktop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lxcage/lxcage/desktop/notifytest"
	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
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
		if got.ReplacesID != first.ID || got.Summary != "X (sandboxed) could not start" || got.Body != "boom\nFix: fix it\nLog: /tmp/x.log" || got.Icon != "icon" {
			t.Errorf("failure %+v", got)
		}
		time.Sleep(50 * time.Millisecond)
		if more := srv.Drain(); len(more) != 0 {
			t.Errorf("sent after the failure: %+v", more)
		}
	})
}

func TestExplain(t *testing.T) {
	subuid := &profiles.Error{File: "eyes.toml", Msg: "user bob has no subordinate id range in /etc/subuid", Fix: "as root run: usermod --add-subuids 100000-165535 bob  (any free range of 65536 ids works)"}
	for _, tc := range []struct {
		name      string
		err       error
		cause     string
		fix       string
		logFile   string
		causeHint string
	}{
		{"subuid", subuid, "eyes.toml: user bob has no subordinate id range in /etc/subuid", "As root run: usermod --add-subuids 100000-165535 bob (any free range of 65536 ids works)", "", ""},
		{"start", &launcher.StartError{Name: "x", Err: errors.New(`running "lxc-start" failed: exit status 1`), LogFile: "/home/u/.cache/lxcage/x.log",
			LogTail: "lxc-start x 20250101 ERROR seccomp - seccomp.c:parse:123 - Failed to parse policy\nlxc-start x 20250101 ERROR start - start.c:x - Failed to start\n"},
			"Its container did not start.\nLXC: seccomp: Failed to parse policy", `Run "lxcage check"`, "/home/u/.cache/lxcage/x.log", ""},
		{"start without log", &launcher.StartError{Name: "x", Err: errors.New("init exited right after start")},
			"Its container did not start: init exited right after start", `Run "lxcage check"`, "", ""},
		{"profile problem", profiles.Problems{{File: "/p/x.toml", Line: 2, Msg: "unknown key [acess]", Fix: "did you mean [access]?"}, {File: "/p/x.toml", Key: "b", Msg: "bad"}},
			"/p/x.toml:2: unknown key [acess]\n(and 1 more problems)", "Edit /p/x.toml (or open it in lxcage-editor): did you mean [access]?", "", ""},
		{"missing profile", fmt.Errorf("/p/x.toml: %w", profiles.ErrNoProfile), "Its profile does not exist any more", "lxcage desktop remove x", "", ""},
		{"cgroups", fmt.Errorf("launch x: %w", fix.New("you may not create cgroups for containers (/sys/fs/cgroup/x not writable)", "as root: mkdir /sys/fs/cgroup/x")), "launch x: you may not create cgroups for containers (/sys/fs/cgroup/x not writable)", "As root: mkdir /sys/fs/cgroup/x", "", ""},
		{"plain", errors.New("something odd"), "something odd", `Run "lxcage launch x" in a terminal`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Explain("x", tc.err)
			if !strings.HasPrefix(f.Cause, tc.cause) || !strings.Contains(f.Fix, tc.fix) || f.LogFile != tc.logFile || !strings.Contains(f.Cause, tc.causeHint) {
				t.Errorf("cause %q\nfix %q\nlog %q", f.Cause, f.Fix, f.LogFile)
			}
		})
	}
	f, ok := ExplainExit("x", []string{"no-such-program"}, 127)
	if !ok || !strings.Contains(f.Cause, `"no-such-program" was not found`) {
		t.Errorf("127: %+v", f)
	}
	if _, ok := ExplainExit("x", nil, 1); ok {
		t.Error("exit 1 explained as a failure to start")
	}
}
