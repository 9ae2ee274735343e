package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCLI writes a shell script standing in for lxcage.
func fakeCLI(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lxcage")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCLIRunStreamsOutputAndStatus: every line arrives, the exit status
// is reported, -P comes first and the output file is cleaned up.
func TestCLIRunStreamsOutputAndStatus(t *testing.T) {
	bin := fakeCLI(t, `echo "args: $*"; echo "to stderr" >&2; sleep 0.3; printf 'last line without newline'; exit 3`)
	logs := t.TempDir()
	c := &CLI{Bin: bin, LXCPath: "/tmp/lxc path", LogDir: logs, Poll: 20 * time.Millisecond}
	var mu sync.Mutex
	var got []string
	err := c.Run(context.Background(), []string{"create", "eyes"}, func(l string) {
		mu.Lock()
		got = append(got, l)
		mu.Unlock()
	})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 3 {
		t.Fatalf("err = %v, want exit status 3", err)
	}
	want := []string{"args: -P /tmp/lxc path create eyes", "to stderr", "last line without newline"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", got, want)
	}
	if ents, _ := os.ReadDir(logs); len(ents) != 0 {
		t.Errorf("output files left: %v", ents)
	}
}

// TestCLIRunOutlivesTheCaller: when the caller stops following (the
// editor closes), the command keeps running and keeps its output file.
func TestCLIRunOutlivesTheCaller(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "done")
	bin := fakeCLI(t, "echo started; sleep 0.5; echo finished > "+marker)
	logs := t.TempDir()
	c := &CLI{Bin: bin, LogDir: logs, Poll: 20 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	var lines []string
	err := c.Run(ctx, []string{"launch", "eyes"}, func(l string) { lines = append(lines, l) })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the command died with its caller")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ents, _ := os.ReadDir(logs)
	if len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), "launch-eyes-") {
		t.Errorf("output file of the running launch: %v", ents)
	}
}

func TestFindCLI(t *testing.T) {
	t.Setenv("LXCAGE_BIN", "/opt/lxcage")
	if b, err := FindCLI(); err != nil || b != "/opt/lxcage" {
		t.Errorf("FindCLI with LXCAGE_BIN = %q, %v", b, err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lxcage"), []byte("#!/bin/sh\n"), 0o755)
	t.Setenv("LXCAGE_BIN", "")
	t.Setenv("PATH", dir)
	if b, err := FindCLI(); err != nil || b != filepath.Join(dir, "lxcage") {
		t.Errorf("FindCLI on PATH = %q, %v", b, err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := FindCLI(); err == nil || !strings.Contains(err.Error(), "LXCAGE_BIN") {
		t.Errorf("FindCLI without lxcage: %v", err)
	}
}
