package hostcheck

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

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
