package dhcp

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestScriptTakesLeaseValuesAsWords: the values of a lease come from
// whatever DHCP server answers on the bridge (another container may run
// one); the event script writes them as they are, never expanded into
// the names of the host's files.
func TestScriptTakesLeaseValuesAsWords(t *testing.T) {
	dir := t.TempDir()
	resolv, bound, script := filepath.Join(dir, "resolv.conf"), filepath.Join(dir, "bound"), filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte(scriptText(resolv, bound)), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, "bound")
	// No such interface: the ip commands fail, as they may; the resolver
	// config is written regardless.
	cmd.Env = []string{"interface=lxcage-none0", "ip=192.0.2.9", "mask=24", "dns=/* 192.0.2.1", "router=/*"}
	cmd.Run()
	got, err := os.ReadFile(resolv)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Written by lxcage from the DHCP lease.\nnameserver /*\nnameserver 192.0.2.1\n"
	if string(got) != want {
		t.Errorf("resolv.conf from a hostile lease:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Stat(bound); err != nil {
		t.Errorf("lease not marked: %v", err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"": "''", "/a b": "'/a b'", "it's": `'it'\''s'`} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
