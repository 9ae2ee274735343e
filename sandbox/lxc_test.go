package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRunner records tool calls as text and answers from a table; an
// unexpected call fails the test.
type fakeRunner struct {
	t       *testing.T
	calls   []string
	answers map[string]fakeAnswer
}

type fakeAnswer struct {
	out string
	err error
}

func (f *fakeRunner) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	call := name + " " + strings.Join(args, " ")
	f.calls = append(f.calls, call)
	for prefix, a := range f.answers {
		if strings.HasPrefix(call, prefix) {
			return []byte(a.out), a.err
		}
	}
	f.t.Errorf("unexpected call: %s", call)
	return nil, errors.New("unexpected")
}

func (f *fakeRunner) Command(name string, args ...string) *exec.Cmd {
	f.calls = append(f.calls, name+" "+strings.Join(args, " "))
	return exec.Command(name, args...)
}

func newFake(t *testing.T, answers map[string]fakeAnswer) (*LXC, *fakeRunner) {
	f := &fakeRunner{t: t, answers: answers}
	dir := t.TempDir()
	return &LXC{Path: dir, Runner: f, LogFile: "/tmp/l.log", LogLevel: "DEBUG"}, f
}

func TestToolCallsCarryPathNameAndLogOptions(t *testing.T) {
	l, f := newFake(t, map[string]fakeAnswer{
		"lxc-info":  {out: "RUNNING\n"},
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
	if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
}

func TestStateOfMissingContainerAsksNobody(t *testing.T) {
	l, f := newFake(t, nil)
	if s, err := l.State(context.Background(), "ghost"); err != nil || s != NotCreated {
		t.Errorf("%v %v", s, err)
	}
	if len(f.calls) != 0 {
		t.Errorf("calls: %v", f.calls)
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
	l, _ := newFake(t, map[string]fakeAnswer{
		"lxc-stop": {err: &ToolError{Tool: "lxc-stop", Err: errors.New("exit status 2"), Stderr: "not running"}},
		"lxc-info": {out: "STOPPED"},
	})
	os.MkdirAll(filepath.Join(l.Path, "eyes"), 0o755)
	os.WriteFile(l.ConfigPath("eyes"), []byte("x"), 0o644)
	if err := l.Stop(context.Background(), "eyes", 0); err != nil {
		t.Errorf("stop of a stopped container: %v", err)
	}
}

func TestToolErrorCarriesStderr(t *testing.T) {
	_, err := ExecRunner{}.Run(context.Background(), nil, "sh", "-c", "echo boom >&2; exit 3")
	var te *ToolError
	if !errors.As(err, &te) || te.ExitCode() != 3 || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), `running "sh -c`) {
		t.Errorf("got %v", err)
	}
	out, err := ExecRunner{}.Run(context.Background(), nil, "sh", "-c", "echo $LC_ALL")
	if err != nil || strings.TrimSpace(string(out)) != "C" {
		t.Errorf("LC_ALL: %q %v", out, err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config")
	for i := 0; i < 3; i++ {
		if err := WriteFileAtomic(p, []byte(fmt.Sprint(i)), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	ents, _ := os.ReadDir(dir)
	if string(b) != "2" || fi.Mode().Perm() != 0o640 || len(ents) != 1 {
		t.Errorf("content %q mode %v entries %d", b, fi.Mode(), len(ents))
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

func TestUIDReachesByACL(t *testing.T) {
	if _, err := exec.LookPath("setfacl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("setfacl (package acl) missing in CI")
		}
		t.Skip("setfacl not installed")
	}
	f := filepath.Join(t.TempDir(), "node")
	os.WriteFile(f, nil, 0o660)
	uid := os.Getuid() + 4242
	if uidReaches(f, uid) {
		t.Fatal("a stranger reaches a 0660 file")
	}
	if out, err := exec.Command("setfacl", "-m", fmt.Sprintf("u:%d:rw", uid), f).CombinedOutput(); err != nil {
		t.Skipf("setfacl: %v %s", err, out)
	}
	if !uidReaches(f, uid) {
		t.Error("ACL entry for the uid not honoured")
	}
	os.Chmod(f, 0o666)
	if !uidReaches(f, uid+1) {
		t.Error("world rw not honoured")
	}
}
