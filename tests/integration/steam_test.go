//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/assets"
	"github.com/lxcage/lxcage/internal/run"
)

// steamChecks runs in the steam preset's container: the installer and
// the 32-bit libraries are there, /dev/shm is large, and bwrap builds a
// sandbox as Steam's pressure-vessel does (user, PID, network and mount
// namespaces, a read-only root, its own /dev and /proc).
const steamChecks = `set -u
n=$(dpkg-query -W -f='${Status}\n' steam-installer libgl1-mesa-dri:i386 libglx-mesa0:i386 libpulse0:i386 | grep -cx 'install ok installed')
test "$n" = 4 || echo "MISSING PACKAGES"
dpkg --print-foreign-architectures | grep -qx i386 || echo "NO I386"
test -x /usr/games/steam || echo "NO STEAM LAUNCHER"
shm=$(df -k --output=size /dev/shm | tail -1)
test "$shm" -ge 524288 || echo "SMALL SHM $shm"
bwrap --unshare-all --ro-bind / / true && echo BWRAP-OK
bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp sh -c 'test "$(cat /proc/self/stat | cut -d" " -f1)" -lt 10' && echo BWRAP-PROC-OK
unshare -Urm true && echo UNSHARE-OK
`

// TestPresetSteamNestedSandbox builds the steam preset (debootstrap with
// contrib and non-free, i386, steam-installer with its licence answered
// ahead, plus Debian's bubblewrap for the test) and shows that a sandbox
// built inside works with nested_sandbox = true — and, the attacker's
// side, that without it the same container refuses new user namespaces
// and mounts with EPERM.
func TestPresetSteamNestedSandbox(t *testing.T) {
	_, err := os.Stat("/usr/sbin/debootstrap")
	need(t, err == nil, "debootstrap")
	e := newEnv(t)
	preset, _ := assets.Preset("steam")
	text := string(preset)
	// The preset as shipped, with bubblewrap installed for the test and a
	// shell instead of the Steam client (which downloads itself from
	// Valve on first start).
	for old, repl := range map[string]string{
		`packages = ["ca-certificates", "debconf"]`: `packages = ["ca-certificates", "debconf", "bubblewrap"]`,
		`command = ["steam"]`:                       `command = ["sh", "-c"]`,
	} {
		if !strings.Contains(text, old) {
			t.Fatalf("the steam preset no longer has %s", old)
		}
		text = strings.Replace(text, old, repl, 1)
	}
	if !strings.Contains(text, "nested_sandbox = true") {
		t.Fatal("the steam preset does not ask for nested_sandbox")
	}
	e.profile("steam", text)
	start := time.Now()
	r := e.run("create", "steam")
	if r.code != 0 && mirrorOutOfStep(r.stderr) {
		// A mirror caught between two syncs of its security archive (this
		// test machine's served bookworm-security's i386 index with another
		// size than its Release file says, for days) is the mirror's
		// fault, not the preset's: the test goes on without the archives,
		// and says so.
		t.Logf("the mirror's update archives are out of step; building without them:\n%s", run.Tail(r.stderr, 1500))
		e.profile("steam", strings.Replace(text, "suite = \"bookworm\"", "suite = \"bookworm\"\nupdates = \"none\"", 1))
		r = e.run("create", "steam")
	}
	if r.code != 0 {
		t.Fatalf("create the steam preset: %d\n%s", r.code, r.stderr)
	}
	t.Logf("built in %v", time.Since(start).Round(time.Second))

	r = e.run("launch", "steam", steamChecks)
	for _, want := range []string{"BWRAP-OK", "BWRAP-PROC-OK", "UNSHARE-OK"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("nested_sandbox = true: %s missing\nstdout:\n%s\nstderr:\n%s", want, r.stdout, r.stderr)
		}
	}
	for _, bad := range []string{"MISSING PACKAGES", "NO I386", "NO STEAM LAUNCHER", "SMALL SHM"} {
		if strings.Contains(r.stdout, bad) {
			t.Errorf("steam container: %s\n%s", bad, r.stdout)
		}
	}

	// The same container without nested_sandbox: seccomp answers EPERM.
	e.profile("steam", strings.Replace(text, "nested_sandbox = true", "nested_sandbox = false", 1))
	r = e.run("launch", "steam", `bwrap --unshare-all --ro-bind / / true; echo "bwrap=$?"; unshare -Urm true; echo "unshare=$?"`)
	if !strings.Contains(r.stdout, "bwrap=1") || !strings.Contains(r.stdout, "unshare=1") {
		t.Errorf("without nested_sandbox a nested sandbox was built:\n%s%s", r.stdout, r.stderr)
	}
	// bwrap words EPERM from unshare(2) as "No permissions to create new
	// namespace"; unshare(1) prints strerror.
	if !strings.Contains(r.stderr, "bwrap: No permissions to create new namespace") || !strings.Contains(r.stderr, "unshare: unshare failed: Operation not permitted") {
		t.Errorf("without nested_sandbox: want EPERM from bwrap and unshare, got:\n%s", r.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(e.lxcpath, "steam", "config")); err == nil && strings.Contains(string(b), "dev/.lxc/proc") {
		t.Error("the unmasked procfs is still mounted without nested_sandbox")
	}
}

// mirrorOutOfStep says apt failed on an index of the distribution's
// security or update archive whose size or hashes differ from its Release
// file: a mirror in the middle of a sync (apt says so).
func mirrorOutOfStep(out string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "Mirror sync in progress?") && (strings.Contains(l, "-security/") || strings.Contains(l, "-updates/")) {
			return true
		}
	}
	return false
}
