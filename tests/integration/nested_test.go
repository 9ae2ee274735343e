//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nestedProbe is an app with nested_sandbox = true trying to use its
// mounts against the container: mount in the container's own mount
// namespace, and from a user and mount namespace of its own, unmount the
// masks over /proc, make /usr or the read-only share writable, write
// the rootfs, rename the container. Each "BAD" line is a success it must not have; the "OK"
// lines show the nested sandbox itself works (so the test can fail).
const nestedProbe = `. /mnt/probe/funcs.sh
sys mount tmpfs /tmp tmpfs 0 0 >/dev/null && echo "BAD mounted a tmpfs in the container's own namespace"
unshare -Urm sh -c '
. /mnt/probe/funcs.sh
sys mount tmpfs /mnt tmpfs 0 0 >/dev/null && echo "OK nested mount"
sys umount2 /proc/keys 2 >/dev/null && echo "BAD unmounted the mask over /proc/keys"
sys umount2 /usr 2 >/dev/null && echo "BAD unmounted /usr"
mount -o remount,bind,rw /usr 2>/dev/null && echo "BAD remounted /usr read-write"
touch /usr/lxcage-nested-probe 2>/dev/null && echo "BAD wrote into /usr"
mount -o remount,bind,rw /mnt/probe 2>/dev/null && echo "BAD remounted the read-only share read-write"
touch /mnt/probe/lxcage-nested-probe 2>/dev/null && echo "BAD wrote into the read-only share"
hostname lxcage-evil 2>/dev/null && echo "BAD renamed the container"
echo lxcage-evil > /dev/.lxc/proc/sys/kernel/hostname 2>/dev/null && echo "BAD renamed the container through the unmasked /proc"
mount --bind /tmp /etc && echo "OK nested bind"
'
grep -q " /mnt tmpfs " /proc/self/mountinfo && echo "BAD the nested tmpfs shows in the container"
test -s /etc/passwd || echo "BAD the nested bind over /etc shows in the container"
test "$(hostname)" = nested || echo "BAD hostname is $(hostname)"
true
`

// nestedFuncs makes the system calls themselves (mount(8) and umount(8)
// second-guess an unprivileged caller before calling the kernel).
const nestedFuncs = `sys() { python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
args = [int(a) if a.isdigit() else a.encode() for a in sys.argv[2:]]
r = getattr(libc, sys.argv[1])(*args)
print(sys.argv[1], sys.argv[2:], "=", r, "errno", ctypes.get_errno())
sys.exit(0 if r == 0 else 1)' "$@"; }
`

// probeShare writes files (name → script) into a directory of their own
// and returns the [[share]] that shows it read-only at /mnt/probe.
func probeShare(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return `[[share]]
host = "` + dir + `"
path = "/mnt/probe"
readonly = true
`
}

// TestNestedSandboxStaysInside is the attacker's side of nested_sandbox
// on a host-image container: the app's mounts work only in namespaces it
// made, and nothing it does there reaches the container's own mounts,
// rootfs or names.
func TestNestedSandboxStaysInside(t *testing.T) {
	_, err := exec.LookPath("python3")
	need(t, err == nil, "python3")
	e := newEnv(t)
	e.profile("nested", `command = ["sh", "/mnt/probe/probe.sh"]
[security]
nested_sandbox = true
`+probeShare(t, map[string]string{"probe.sh": nestedProbe, "funcs.sh": nestedFuncs}))
	r := e.run("launch", "nested")
	if r.code != 0 {
		t.Fatalf("probe: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "BAD ") {
			t.Error(strings.TrimPrefix(line, "BAD "))
		}
	}
	for _, want := range []string{"OK nested mount", "OK nested bind"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%q missing: the nested sandbox does not work, so the probe proves nothing\n%s%s", want, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat("/usr/lxcage-nested-probe"); err == nil {
		t.Error("the probe's file is in the host's /usr")
	}
}
