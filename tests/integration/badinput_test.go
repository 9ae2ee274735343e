//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadProfilesRefused: each bad profile is refused by compile and by
// launch with a message naming the file and the key, a non-zero status,
// and nothing written.
func TestBadProfilesRefused(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"syntax", "command = [\"xeyes\"\nx11 = true\n", []string{"syntax.toml:2:", "expected a comma"}},
		{"unknown", "command = [\"true\"]\n[acess]\nx11 = true\n", []string{"unknown.toml:2", "unknown key [acess]", "did you mean [access]"}},
		{"envnl", "command = [\"true\"]\n[env]\nFOO = \"a\\nlxc.mount.entry = / x none bind 0 0\"\n", []string{"envnl.toml:3", "env.FOO", "control character"}},
		{"envkey", "command = [\"true\"]\n[env]\n\"FOO\\nBAR\" = \"x\"\n", []string{"envkey.toml", "invalid variable name"}},
		{"dotdot", "command = [\"true\"]\n[[share]]\nhost = \"~/Downloads\"\npath = \"/home/user/../../etc\"\n", []string{"dotdot.toml:4", "share[0].path", "must stay inside"}},
		{"hostnl", "command = [\"true\"]\n[[share]]\nhost = \"/tmp/a\\nb\"\n", []string{"hostnl.toml:3", "share[0].host", "control character"}},
		{"cmdstring", "command = \"xeyes -geometry 10x10\"\n", []string{"cmdstring.toml:1", "command", "must be a list"}},
		{"network", "command = [\"true\"]\n[access]\nnetwork = \"wifi\"\n", []string{"network.toml:3", "access.network", `"wifi"`, `"off"`}},
		{"memory", "command = [\"true\"]\n[limits]\nmemory = \"lots\"\n", []string{"memory.toml:3", "limits.memory", `"512M"`}},
		{"cr", "command = [\"true\"]\ndescription = \"a\\rlxc.init.cmd = /evil\"\n", []string{"cr.toml:2", "description", "control character"}},
		{"nul", "command = [\"true\\u0000x\"]\n", []string{"nul.toml", "command[0]", "control character"}},
		{"nularg", "command = [\"true\", \"a\\u0000b\"]\n", []string{"nularg.toml", "command[1]", "cannot be passed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.profile(tc.name, tc.text)
			for _, verb := range []string{"compile", "launch"} {
				r := e.run(verb, tc.name)
				if r.code == 0 {
					t.Fatalf("%s accepted it:\n%s", verb, r.stdout)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("%s: message lacks %q:\n%s", verb, w, r.stderr)
					}
				}
			}
			assertNothingWritten(t, e)
		})
	}
	t.Run("slash-in-name", func(t *testing.T) {
		r := e.run("launch", "a/b")
		if r.code == 0 || !strings.Contains(r.stderr, `invalid profile name "a/b"`) {
			t.Errorf("status %d: %s", r.code, r.stderr)
		}
		r = e.run("new", "../evil", "--preset", "xeyes")
		if r.code == 0 || !strings.Contains(r.stderr, "invalid profile name") {
			t.Errorf("new ../evil: status %d: %s", r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(e.config, "lxcage", "evil.toml")); err == nil {
			t.Error("new wrote outside the profile directory")
		}
	})
}

func assertNothingWritten(t *testing.T, e *tenv) {
	t.Helper()
	ents, _ := os.ReadDir(e.lxcpath)
	for _, x := range ents {
		t.Errorf("left in the LXC path: %s", x.Name())
	}
}

// TestNoSubordinateIDs runs as a user without /etc/subuid ranges
// (hack/test.sh runs it separately as that user).
func TestNoSubordinateIDs(t *testing.T) {
	need(t, os.Getenv("LXCAGE_TEST_NOSUB") != "", "running as the user without subordinate ids (LXCAGE_TEST_NOSUB=1)")
	e := newEnv(t)
	e.mustRun("new", "eyes", "--preset", "xeyes")
	for _, verb := range []string{"compile", "launch"} {
		r := e.run(verb, "eyes")
		if r.code == 0 {
			t.Fatalf("%s worked without subordinate ids", verb)
		}
		for _, w := range []string{"eyes.toml", "/etc/subuid", "usermod --add-subuids"} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: message lacks %q:\n%s", verb, w, r.stderr)
			}
		}
	}
	assertNothingWritten(t, e)
	r := e.run("check")
	if r.code == 0 || !strings.Contains(r.stdout, "FAIL subordinate uids") {
		t.Errorf("check: %d\n%s", r.code, r.stdout)
	}
}
