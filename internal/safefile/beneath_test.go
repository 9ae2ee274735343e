package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOpenBeneathRefusesLinksAndFIFOs: what a hostile container leaves in
// a tree it can write — links out to the user's files, links inside,
// FIFOs that would block a reader — is refused at once.
func TestOpenBeneathRefusesLinksAndFIFOs(t *testing.T) {
	root := t.TempDir()
	secret := filepath.Join(t.TempDir(), "id_rsa")
	os.WriteFile(secret, []byte("key"), 0o600)
	os.WriteFile(filepath.Join(root, "plain"), []byte("ok"), 0o644)
	os.Symlink(secret, filepath.Join(root, "out"))
	os.Symlink("plain", filepath.Join(root, "in"))
	os.Mkdir(filepath.Join(root, "d"), 0o755)
	os.Symlink("/", filepath.Join(root, "root"))
	syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644)

	f, err := OpenBeneath(root, "plain")
	if err != nil {
		t.Fatalf("plain file: %v", err)
	}
	f.Close()
	for _, rel := range []string{"out", "in", "root/etc/passwd", "../" + filepath.Base(root) + "/plain", "d", "fifo"} {
		done := make(chan error, 1)
		go func() {
			f, err := OpenBeneath(root, rel)
			if err == nil {
				f.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s opened", rel)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%s blocked", rel)
		}
	}
	if _, err := StatBeneath(root, "root/etc"); err == nil {
		t.Error("stat through a link to / succeeded")
	}
	if st, err := StatBeneath(root, "out"); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFLNK {
		t.Errorf("stat of the link itself: %v", err)
	}
	if _, err := OpenBeneath(root, "fifo"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("fifo: %v", err)
	}
}
