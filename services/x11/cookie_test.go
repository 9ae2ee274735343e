package x11

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/x11/xauth"
)

// TestCookieGoesWithContainer: the container's cookie file (with
// Trusted, the user's own cookie) is written at start and removed by the
// undo that runs at stop.
func TestCookieGoesWithContainer(t *testing.T) {
	dir := t.TempDir()
	user := xauth.Entry{Family: xauth.FamilyWild, Number: "77", Name: "MIT-MAGIC-COOKIE-1", Data: []byte("0123456789abcdef")}
	userFile := filepath.Join(dir, "user.Xauthority")
	if err := os.WriteFile(userFile, xauth.Marshal([]xauth.Entry{user}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XAUTHORITY", userFile)
	c := &Cookie{Display: ":77", Socket: "/tmp/.X11-unix/X77", Trusted: true,
		File: filepath.Join(dir, "svc", "Xauthority"), InsideFile: "/run/lxcage/Xauthority", TmpDir: dir}
	os.Mkdir(filepath.Dir(c.File), 0o700)
	undo, err := c.Start(context.Background(), services.Env{Runner: run.Exec{}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.File)
	if err != nil {
		t.Fatalf("no cookie file at start: %v", err)
	}
	if got, err := xauth.Parse(bytes.NewReader(b)); err != nil || len(got) != 1 || !bytes.Equal(got[0].Data, user.Data) {
		t.Fatalf("cookie file holds %v (%v), want the user's cookie", got, err)
	}
	undo.Run(context.Background(), run.Exec{})
	if _, err := os.Lstat(c.File); !os.IsNotExist(err) {
		t.Errorf("cookie file after stop: %v, want it gone", err)
	}
}
