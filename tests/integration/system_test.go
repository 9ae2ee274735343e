//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forkProbe starts 100 background sleeps in a subshell (which a failed
// fork ends) and prints "PROCS n", the processes there are then (counted
// with shell builtins alone: at the limit a fork fails), and ends the
// sleeps again.
const forkProbe = `rm -f /tmp/sleepers
(
	i=0
	while [ $i -lt 100 ]; do
		sleep 10 &
		echo $! >> /tmp/sleepers
		i=$((i+1))
	done
) 2>/dev/null
set -- /proc/[0-9]*
echo "PROCS $#"
while read -r p; do kill $p; done < /tmp/sleepers
`

// cgroupProbe mounts the cgroup tree as a process with CAP_SYS_ADMIN over
// a mount namespace of its own may (each hierarchy shows the cgroup
// namespace's root), and tries to raise every memory and pids limit it
// finds there. "SEEN" lines show what it found, so that the test cannot
// pass by finding nothing; each "BAD" line is a success it must not have.
const cgroupProbe = `mkdir -p /tmp/cg/memory /tmp/cg/pids /tmp/cg/unified 2>/dev/null
mount -t cgroup -o memory none /tmp/cg/memory 2>/dev/null
mount -t cgroup -o pids none /tmp/cg/pids 2>/dev/null
mount -t cgroup2 none /tmp/cg/unified 2>/dev/null
for f in /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max \
	/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max \
	/tmp/cg/memory/memory.memsw.limit_in_bytes /tmp/cg/memory/memory.limit_in_bytes \
	/tmp/cg/pids/pids.max /tmp/cg/unified/memory.max /tmp/cg/unified/pids.max; do
	[ -e "$f" ] || continue
	before=$(cat "$f")
	echo "SEEN $f $before"
	case $f in
	*limit_in_bytes) more=9223372036854771712 ;;
	*) more=max ;;
	esac
	(echo $more > "$f") 2>/dev/null
	after=$(cat "$f")
	[ "$after" = "$before" ] || echo "BAD raised $f from $before to $after"
done
`

// checkLimitProbe fails the test on the probes' "BAD" lines, and unless
// the fork probe pressed against the pids limit (at least three quarters
// of it ran) and the limit held. Where the probe could mount no cgroup
// (AppArmor in the systemd VM refuses the mount), the limit holding is
// what is left to show.
func checkLimitProbe(t *testing.T, out string, limit int) {
	t.Helper()
	if !strings.Contains(out, "SEEN ") {
		t.Logf("the probe could mount no cgroup here; checking that the limit holds")
	}
	counted := false
	for _, line := range strings.Split(out, "\n") {
		if bad, ok := strings.CutPrefix(line, "BAD "); ok {
			t.Error(bad)
		}
		if n, ok := strings.CutPrefix(line, "PROCS "); ok {
			counted = true
			if k, err := strconv.Atoi(n); err != nil || k > limit {
				t.Errorf("%s processes ran in a container whose pids limit is %d", n, limit)
			} else if k < limit*3/4 {
				t.Errorf("only %d processes ran: the probe did not reach the limit of %d, so it proves nothing", k, limit)
			}
		}
	}
	if !counted {
		t.Errorf("the probe did not count its processes:\n%s", out)
	}
	if t.Failed() {
		t.Logf("probe:\n%s", out)
	}
}

// TestSystemModeRootStaysInside: a system-mode container boots the
// image's own init (busybox here) and the app runs as the user beside
// it. The image's init script runs as the container's root, which in
// system mode keeps CAP_SYS_ADMIN and CAP_DAC_OVERRIDE: it mounts the
// cgroup tree and tries to lift the profile's limits. It reaches only the
// inner cgroup its processes run in; the limits are set one level up and
// hold.
func TestSystemModeRootStaysInside(t *testing.T) {
	e := newEnv(t)
	// The probe holds every process the limit allows, when no fork can
	// succeed: it waits until the app has started (lxc-attach forks in
	// the container), and the app waits for the probe without forking
	// (busybox's shell exits when a fork fails): a read with a timeout
	// on a FIFO nobody writes is its sleep.
	probe := "#!/bin/sh\nexec > /run/probe.out 2>&1\n" +
		"i=0; while [ ! -e /tmp/app.started ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done\n" +
		cgroupProbe + `echo "ROOT $(id -u)"` + "\n" + forkProbe +
		"chmod 644 /run/probe.out\ntouch /run/probe.done\n"
	image := busyboxSystemImage(t, map[string]string{"etc/inittab": "::sysinit:/bin/sh /etc/probe.sh\n", "etc/probe.sh": probe})
	e.profile("sys", `command = ["sh", "-c", "mkfifo /tmp/wait && exec 3<>/tmp/wait && : >/tmp/app.started && i=0; while [ ! -e /run/probe.done ] && [ $i -lt 300 ]; do read -t 0.1 x <&3; i=$((i+1)); done; id -un; cat /run/probe.out"]
mode = "system"
`+image+`
[limits]
memory = "256M"
pids = 60
`)
	e.mustRun("create", "sys")
	r := e.run("launch", "sys")
	if r.code != 0 {
		t.Fatalf("launch: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "user\n") || !strings.Contains(r.stdout, "ROOT 0") {
		t.Fatalf("the app did not run as the user beside the image's init running as root:\n%s%s", r.stdout, r.stderr)
	}
	checkLimitProbe(t, r.stdout, 60)
}

// TestEscapeNestedSandboxLimits: an app with nested_sandbox = true makes
// a user, mount and cgroup namespace of its own, where it may mount the
// cgroup tree; on cgroup v1 the files there belong to the user's uid,
// which the app has. It reaches only the inner cgroup; the limits hold.
func TestEscapeNestedSandboxLimits(t *testing.T) {
	e := newEnv(t)
	e.profile("nestlim", `command = ["unshare", "-Urm", "--cgroup", "sh", "/mnt/probe/probe.sh"]
[security]
nested_sandbox = true
[limits]
pids = 60
memory = "300M"
`+probeShare(t, map[string]string{"probe.sh": cgroupProbe + forkProbe}))
	r := e.run("launch", "nestlim")
	if r.code != 0 {
		t.Fatalf("probe: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkLimitProbe(t, r.stdout, 60)
}

// busyboxSystemImage builds a busybox image whose init is busybox's, with
// files (path in the image: content) added, and returns the profile's
// [image] table for it.
func busyboxSystemImage(t *testing.T, files map[string]string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "rootfs")
	busyboxRootfs(t, root)
	os.Symlink("../bin/busybox", filepath.Join(root, "sbin/init"))
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	imgs := t.TempDir()
	tarXZ(t, root, filepath.Join(imgs, "rootfs.tar.xz"))
	metaTarball(t, filepath.Join(imgs, "meta.tar.xz"))
	return `[image]
type = "local"
rootfs = "` + filepath.Join(imgs, "rootfs.tar.xz") + `"
metadata = "` + filepath.Join(imgs, "meta.tar.xz") + `"
`
}

// TestSystemModeCleanShutdown: when the app of a system container ends,
// the image's own init is asked to shut down in the way it understands,
// and its shutdown actions run (services stop, data is flushed) before
// the container stops. busybox's init ignores systemd's SIGRTMIN+3, which
// lxc-stop sends: it was killed after the whole timeout instead, and its
// shutdown action never ran.
func TestSystemModeCleanShutdown(t *testing.T) {
	e := newEnv(t)
	image := busyboxSystemImage(t, map[string]string{
		"etc/inittab": "::sysinit:/bin/true\n::shutdown:/bin/sh -c 'echo clean > /etc/shutdown.out'\n",
	})
	e.profile("sysdown", `command = ["true"]
mode = "system"
`+image)
	e.mustRun("create", "sysdown")
	if r := e.run("launch", "sysdown"); r.code != 0 {
		t.Fatalf("launch: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if s := e.state("sysdown"); s != "STOPPED" {
		t.Errorf("container %s after its app ended", s)
	}
	out, err := os.ReadFile(filepath.Join(e.lxcpath, "sysdown", "rootfs", "etc", "shutdown.out"))
	if strings.TrimSpace(string(out)) != "clean" {
		t.Errorf("the image's shutdown action did not run (%q, %v): its init was killed, not shut down", out, err)
	}
}
