package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config")
	for i := 0; i < 3; i++ {
		if err := WriteAtomic(p, []byte(fmt.Sprint(i)), 0o640); err != nil {
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

func TestWriteNewNeverClobbers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "profile.toml")
	if err := WriteNew(p, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteNew(p, []byte("second"), 0o600)
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("second WriteNew: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "first" {
		t.Errorf("content %q", b)
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Errorf("%d files left", len(ents))
	}
}
