package profiles

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/sandbox"
)

// FuzzParseCompile feeds arbitrary profile text through Parse and
// Compile. Whatever the input, a profile that is accepted must compile to
// a config in which every line is exactly one key that Compile meant to
// write (no value ever crosses a line or smuggles a key), and every mount
// entry is one fstab line of six fields whose paths decode back.
func FuzzParseCompile(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.toml")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Add([]byte("command = [\"x\"]\n[env]\nA = \"b\\nlxc.init.cmd = /evil\"\n"))
	f.Add([]byte("command = [\"x\"]\n[[share]]\nhost = \"/a b\\\\c\"\npath = \"/d\\te\"\n"))
	f.Add([]byte("command = [\"x\"]\n[log]\nfile = \"~/a\\rlxc.x = y\"\n"))
	allowed := map[string]bool{}
	for _, k := range []string{"lxc.uts.name", "lxc.rootfs.path", "lxc.idmap", "lxc.init.cmd", "lxc.console.path",
		"lxc.signal.halt", "lxc.autodev", "lxc.tty.max", "lxc.pty.max", "lxc.net.0.type", "lxc.net.0.link",
		"lxc.net.0.flags", "lxc.mount.auto", "lxc.mount.entry", "lxc.cap.drop", "lxc.cap.keep", "lxc.no_new_privs",
		"lxc.seccomp.profile", "lxc.apparmor.profile", "lxc.apparmor.allow_nesting", "lxc.cgroup.memory.limit_in_bytes",
		"lxc.cgroup.memory.memsw.limit_in_bytes", "lxc.cgroup.pids.max", "lxc.cgroup.cpu.shares",
		"lxc.log.file", "lxc.log.level", "lxc.hook.mount", "lxc.net.0.name", "lxc.cgroup.dir.monitor",
		"lxc.cgroup.dir.container", "lxc.cgroup.dir.container.inner", "lxc.cgroup.dir.monitor.pivot"} {
		allowed[k] = true
	}
	h := testHost()
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				panic(fmt.Sprintf("parse/compile hangs on %q", data))
			}
		}()
		defer close(done)
		p, err := Parse("fuzz", "fuzz.toml", data)
		if err != nil {
			return
		}
		plan, err := Compile(p, h, testKind)
		if err != nil {
			return
		}
		text := plan.Config.String()
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if len(lines) != len(plan.Config.Lines) {
			t.Fatalf("%d config lines rendered as %d text lines:\n%s", len(plan.Config.Lines), len(lines), text)
		}
		if strings.ContainsAny(text, "\r\x00") {
			t.Fatalf("config contains CR or NUL:\n%q", text)
		}
		for i, line := range lines {
			if strings.HasPrefix(line, "#") {
				continue
			}
			key, val, ok := strings.Cut(line, " = ")
			if !ok || !allowed[key] || key != plan.Config.Lines[i].Key {
				t.Fatalf("line %d is not a key compile writes: %q", i, line)
			}
			if key == "lxc.mount.entry" {
				fields := strings.Fields(val)
				if len(fields) != 6 || fields[4] != "0" || fields[5] != "0" {
					t.Fatalf("mount entry is not one fstab line: %q", val)
				}
				for _, p := range fields[:2] {
					if sandbox.UnescapeMountPath(p) == "" {
						t.Fatalf("empty mount path in %q", val)
					}
				}
			}
		}
		for _, e := range plan.Attach.Env {
			if strings.ContainsAny(e, "\x00") || !strings.Contains(e, "=") {
				t.Fatalf("bad environment entry %q", e)
			}
		}
	})
}
