package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/internal/run/runtest"
)

func newFake(t *testing.T, answers map[string]runtest.Answer) (*LXC, *runtest.Recorder) {
	f := runtest.New(t, answers)
	dir := t.TempDir()
	return &LXC{Path: dir, Runner: f, LogFile: "/tmp/l.log", LogLevel: "DEBUG"}, f
}

func TestToolCallsCarryPathNameAndLogOptions(t *testing.T) {
	l, f := newFake(t, map[string]runtest.Answer{
		"lxc-info":  {Out: "RUNNING\n"},
		"lxc-start": {},
		"lxc-stop":  {},
	})
	os.MkdirAll(filepath.Join(l.Path, "eyes"), 0o755)
	os.WriteFile(l.ConfigPath("eyes"), []byte("x"), 0o644)
	ctx := context.Background()
	if s, err := l.State(ctx, "eyes"); err != nil || s != Running {
		t.Fatalf("state %v %v", s, err)
	}
	l.Start(ctx, "eyes")
	l.Stop(ctx, "eyes", 0)
	want := []string{
		"lxc-info -P " + l.Path + " -n eyes -o /tmp/l.log -l DEBUG -s -H",
		"lxc-start -P " + l.Path + " -n eyes -o /tmp/l.log -l DEBUG -d",
		"lxc-stop -P " + l.Path + " -n eyes -o /tmp/l.log -l DEBUG -k",
	}
	if strings.Join(f.Calls(), "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.Calls(), "\n"), strings.Join(want, "\n"))
	}
}

func TestStateOfMissingContainerAsksNobody(t *testing.T) {
	l, f := newFake(t, nil)
	if s, err := l.State(context.Background(), "ghost"); err != nil || s != NotCreated {
		t.Errorf("%v %v", s, err)
	}
	if len(f.Calls()) != 0 {
		t.Errorf("calls: %v", f.Calls())
	}
}

func TestAttachCmdClearsEnvAndKeepsArgvPositional(t *testing.T) {
	l, _ := newFake(t, nil)
	cmd := l.AttachCmd("eyes", AttachOptions{UID: 1001, GID: 1002, Env: []string{"A=1", "B=two words"}, Cwd: "/home/user", Argv: []string{"xeyes", "$(rm -rf ~)", "; echo"}})
	got := strings.Join(cmd.Args[1:], "|")
	want := "-P|" + l.Path + "|-n|eyes|-o|/tmp/l.log|-l|DEBUG|--clear-env|-u|1001|-g|1002|-v|A=1|-v|B=two words|--|/bin/sh|-c|cd \"$0\" 2>/dev/null; exec \"$@\"|/home/user|xeyes|$(rm -rf ~)|; echo"
	if got != want {
		t.Errorf("args:\n%s\nwant:\n%s", got, want)
	}
}

func TestStopTreatsAlreadyStoppedAsDone(t *testing.T) {
	l, _ := newFake(t, map[string]runtest.Answer{
		"lxc-stop": {Err: &run.ToolError{Tool: "lxc-stop", Err: errors.New("exit status 2"), Stderr: "not running"}},
		"lxc-info": {Out: "STOPPED"},
	})
	os.MkdirAll(filepath.Join(l.Path, "eyes"), 0o755)
	os.WriteFile(l.ConfigPath("eyes"), []byte("x"), 0o644)
	if err := l.Stop(context.Background(), "eyes", 0); err != nil {
		t.Errorf("stop of a stopped container: %v", err)
	}
}

func TestDefaultPathReadsLXCConf(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	if p, _ := DefaultPath(); p != filepath.Join(home, ".local/share/lxc") {
		t.Errorf("default %s", p)
	}
	os.MkdirAll(filepath.Join(home, ".config/lxc"), 0o755)
	os.WriteFile(filepath.Join(home, ".config/lxc/lxc.conf"), []byte("# x\nlxc.lxcpath = /srv/lxc\n"), 0o644)
	if p, _ := DefaultPath(); p != "/srv/lxc" {
		t.Errorf("from lxc.conf %s", p)
	}
}

func TestSafePathRefusesSymlinkParents(t *testing.T) {
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "etc"), 0o755)
	os.Symlink("/", filepath.Join(root, "evil"))
	if _, err := safePath(root, "etc/passwd"); err != nil {
		t.Errorf("plain path refused: %v", err)
	}
	for _, bad := range []string{"evil/passwd", "../x", "/"} {
		if _, err := safePath(root, bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCgroupMountsParse(t *testing.T) {
	cg, err := ReadCgroups()
	if err != nil {
		t.Fatal(err)
	}
	if len(cg.Hierarchies) == 0 {
		t.Skip("no cgroup hierarchies visible")
	}
	for _, h := range cg.Hierarchies {
		if !strings.HasPrefix(h.Dir, h.Mount) {
			t.Errorf("hierarchy %+v: dir outside mount", h)
		}
	}
	if fix := cg.Fix("alice"); !strings.Contains(fix, "chown -R alice:") {
		t.Errorf("fix: %s", fix)
	}
}
