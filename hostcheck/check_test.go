package hostcheck

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/profiles"
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

func TestCheckAppArmor(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		h                     profiles.Host
		applies, ok, needsFix bool
	}{
		{"AppArmor off", profiles.Host{UID: 1001}, false, false, false},
		{"root loads its own", profiles.Host{UID: 0, AppArmor: true}, false, false, false},
		{"user with LXC's profiles", profiles.Host{UID: 1001, AppArmor: true, AppArmorShipped: true}, true, true, false},
		{"user without them", profiles.Host{UID: 1001, AppArmor: true}, true, false, true},
	} {
		c, applies := checkAppArmor(&tc.h)
		if applies != tc.applies || c.OK != tc.ok || (c.Fix != "") != tc.needsFix {
			t.Errorf("%s: applies %v, %+v", tc.name, applies, c)
		}
	}
}

func TestMissingControllers(t *testing.T) {
	if got := missingControllers([]string{"pids"}); strings.Join(got, " ") != "memory cpu" {
		t.Errorf("missingControllers = %q, want memory cpu", got)
	}
}
