#!/bin/bash
# Runs in the systemd VM as the desktop user, from an ssh login (vm.sh
# test feeds it; the binaries are in /mnt/lxcage). First it checks that
# the VM is what the lane promises: cgroup v2 only, a logind session, the
# lingering user manager with its session bus, Xvfb, PulseAudio, a render
# node reachable through an ACL only. Then it runs the integration tests
# twice over, as a user starts lxcage:
#   desktop   in a scope of the user manager's app.slice, as a desktop
#             starts an app (GNOME: app-gnome-NAME-PID.scope), not delegated
#   terminal  right in the login's session-N.scope, as from a terminal or
#             ssh; a subset (see TERMINAL_RUN)
# Exit status: 0 when every test passed, 1 when a test failed, 2 when the
# VM itself was not ready.
set -u
BIN=/mnt/lxcage
say() { echo "lxcage-vm: $*"; }

# Tests that cannot run in the VM, and why:
#   TestImage*, TestPresetChromium   need the network and image downloads
#   TestSystemMode*                  a local image: LXC's template needs xz,
#                                    not in the image
#   TestEditor*                      the Fyne editor needs OpenGL
#   TestWayland, TestPipeWire, TestNestedX, TestHostImageGUIPrograms
#                                    weston, PipeWire, Xephyr, the GUI
#                                    toolkits: not in the image
#   TestNoSubordinateIDs, TestOtherUserCannotTouch, TestSystemdDelegation
#                                    need hack/test.sh's second user, victim
#                                    or stand-in systemd (the plain machine
#                                    runs them)
#   TestNat, TestBridge              the stand-in internet (a network namespace
#                                    setup-host.sh makes on the plain machine)
#   TestEscapeReadonlyShareSubmount  a submount fixture root makes (plain
#                                    machine only)
#   TestPreset*                      build images from the Debian mirror
#   TestHostBrowsersShowPage         chromium and firefox-esr: not in the image
#   TestSetupInstallsTestPrograms    checks the plain machine's setup script
#   TestFaultDiskFull                a tiny filesystem root mounts (plain
#                                    machine)
#   Benchmark*                       speed is measured on the plain machine
SKIP='^(TestImage.*|TestSystemMode.*|TestPresetChromium|TestEditor.*|TestWayland|TestPipeWire|TestNestedX|TestHostImageGUIPrograms|TestNoSubordinateIDs|TestOtherUserCannotTouch|TestSystemdDelegation|TestFaultDiskFull|TestNat|TestNatPastaStarts|TestBridge|TestEscapeReadonlyShareSubmount|TestPresetChromiumSandboxAndKeyboard|TestPresetSteamNestedSandbox|TestHostBrowsersShowPage|TestSetupInstallsTestPrograms)$'
# From a login shell: what a user does in a terminal (launch, a second
# launch, the exit status, signals, limits, check, the device ACL, a
# desktop entry started with gio), not the whole suite again.
TERMINAL_RUN='^(TestSystemd.*|TestXeyesWindow|TestExitStatusAndSignals|TestEscapeLimits|TestLimitsReachTheCgroup|TestGPU.*|TestDesktopExecPassesURL|TestDesktopClickShowsWindow|TestKilledLauncher)$'
DESKTOP_RUN=${LXCAGE_TEST_RUN:-.}
[ -n "${LXCAGE_TEST_RUN:-}" ] && TERMINAL_RUN=$LXCAGE_TEST_RUN

export DISPLAY=:77 XAUTHORITY=$HOME/.Xauthority CI=true LXCAGE_TEST_SYSTEMD=1

ready=0
expect() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then say "ready: $what"; else say "NOT READY: $what"; ready=1; fi
}
# waitfor SECONDS CMD…: poll CMD every 0.2 s.
waitfor() {
	local n=$(($1 * 5))
	shift
	until "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.2
	done
}

say "$(id) on $(uname -r); session $XDG_SESSION_ID; cgroup $(cut -d: -f3 /proc/self/cgroup)"
expect "cgroup v2 only" test "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs
expect "no cgroup v1 mounted" sh -c '! grep -q " cgroup " /proc/mounts'
expect "a logind session of class user" sh -c 'loginctl show-session "$XDG_SESSION_ID" -p Class | grep -qx Class=user'
expect "this shell in the login's session scope" grep -q '/session-[0-9]*\.scope$' /proc/self/cgroup
expect "lingering" sh -c 'loginctl show-user "$USER" -p Linger | grep -qx Linger=yes'
expect "the user manager is up" waitfor 300 sh -c 'systemctl --user is-system-running | grep -Eqx "running|degraded"'
expect "XDG_RUNTIME_DIR is /run/user/UID" test "${XDG_RUNTIME_DIR:-}" = "/run/user/$(id -u)"
expect "the session bus answers" busctl --user status
expect "systemd owns org.freedesktop.systemd1 there" busctl --user status org.freedesktop.systemd1
expect "Xvfb :77 with access control" waitfor 60 xdpyinfo
expect "X refuses a client without the cookie" sh -c '! XAUTHORITY=/dev/null xdpyinfo'
expect "PulseAudio" waitfor 60 pactl info
expect "not in the video/render groups" sh -c '! id -nG | grep -Eqw "video|render"'
expect "a render node with the user's ACL (logind's uaccess)" sh -c 'getfacl -p /dev/dri/renderD128 | grep -q "^user:$USER:rw"'
systemctl --user --no-pager --failed
if [ $ready != 0 ]; then
	say "the VM is not what the tests need; not running them"
	exit 2
fi

# The binaries on the VM's own disk: the tests share their own directory
# into containers, so not under /tmp, which lxcage refuses to share.
W=$(mktemp -d "$HOME/lxcage-vm.XXXXXX")
chmod 755 "$W"
cp "$BIN/lxcage" "$BIN/integration.test" "$W/"
export LXCAGE_BIN=$W/lxcage
cd "$W" || exit 2

status=0
say "first test at $(date +%s)"
say "=== desktop: the tests in an app.slice scope (-run '$DESKTOP_RUN')"
LXCAGE_TEST_ORIGIN=desktop systemd-run --user --scope --quiet --unit="lxcage-tests-$$" -- \
	./integration.test -test.v -test.count=1 -test.timeout 30m -test.run "$DESKTOP_RUN" -test.skip "$SKIP" || status=1
say "=== terminal: from the login's session scope (-run '$TERMINAL_RUN')"
LXCAGE_TEST_ORIGIN=terminal ./integration.test -test.v -test.count=1 -test.timeout 15m -test.run "$TERMINAL_RUN" -test.skip "$SKIP" || status=1
say "tests done at $(date +%s), status $status"
exit $status
