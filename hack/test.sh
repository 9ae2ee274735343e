#!/bin/sh
# The whole test suite (make test). As root (CI): install and start what
# the tests need (hack/setup-host.sh), run the unit tests, then run the
# integration tests as the unprivileged test user against real containers,
# a real Xvfb, dbus-daemon and PulseAudio. As a normal user: unit tests,
# then the integration tests as yourself (they need what setup-host.sh
# sets up; outside CI they skip what is missing).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go
RUN=${LXCAGE_TEST_RUN:-}

step() { printf '\n=== %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	step "unit tests"
	"$GO" test ./...
	step "integration tests (as $(id -un))"
	"$GO" test -tags integration -count=1 ${RUN:+-run "$RUN"} ./tests/integration/
	exit 0
fi

step "host setup"
eval "$(hack/setup-host.sh)"

step "lint"
# The toolchain's own gofmt: go may be found where gofmt is not on PATH.
bad=$("$("$GO" env GOROOT)/bin/gofmt" -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
[ -z "$bad" ] || { echo "gofmt needed: $bad"; exit 1; }
"$GO" vet ./...
"$GO" vet -tags integration ./tests/integration/

step "unit tests"
"$GO" test -count=1 ./...

step "fuzzing (bounded)"
# Each target for a fixed time: a crash found here fails the run and
# leaves its input under testdata/fuzz for the regression test.
for target in $(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./tests/'); do
	pkg=./$(dirname "$target")
	for f in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$target"); do
		# Go's fuzzing coordinator can give up on a slow worker at the
		# end of the run ("context deadline exceeded") on a loaded
		# machine; that is retried once. A real crash leaves its input
		# under testdata/fuzz and fails.
		before=$(ls "$pkg/testdata/fuzz/$f" 2>/dev/null | wc -l)
		if ! "$GO" test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "${LXCAGE_FUZZTIME:-20s}"; then
			after=$(ls "$pkg/testdata/fuzz/$f" 2>/dev/null | wc -l)
			[ "$after" = "$before" ] || { echo "FAIL: $f found a crasher (see $pkg/testdata/fuzz/$f)"; exit 1; }
			echo "$f: the fuzzing run failed without a crasher; once more"
			"$GO" test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "${LXCAGE_FUZZTIME:-20s}"
		fi
	done
done

step "build"
# Not under /tmp: tests share the probe binary into containers, and
# lxcage refuses to share anything there (host sockets live in /tmp).
mkdir -p /var/lib/lxcage-test
OUT=$(mktemp -d /var/lib/lxcage-test/run.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
chmod 755 "$OUT"
CGO_ENABLED=0 "$GO" build -ldflags "-s -w" -o "$OUT/lxcage" ./cmd/lxcage
if ls cmd/lxcage-editor/*.go >/dev/null 2>&1; then
	"$GO" build -o "$OUT/lxcage-editor" ./cmd/lxcage-editor
fi
"$GO" test -c -tags integration -o "$OUT/integration.test" ./tests/integration/
# The editor's screenshot test runs hack/screenshot.sh and compares with
# the docs' pictures; the test user may not read the checkout.
cp hack/screenshot.sh docs/screenshot.png docs/screenshot-narrow.png "$OUT/"
chmod -R a+rX "$OUT"

# as_test_user CGROUP USER CMD…: run CMD as USER, first placing the shell
# in CGROUP of every hierarchy (root can; the user then owns what it
# creates below). No systemd here, so this is the user's "session".
as_test_user() {
	cg=$1 user=$2
	shift 2
	uid=$(id -u "$user")
	home=$(getent passwd "$user" | cut -d: -f6)
	rt=/run/user/$uid
	mkdir -p "$rt" && chown "$user:" "$rt" && chmod 700 "$rt"
	# The user-mode network of "nat" containers relays DNS to the host's
	# first resolver: in a mount namespace of its own, /etc/resolv.conf
	# names the stand-in internet's DNS (which forwards every other name).
	dns=""
	if [ -n "${LXCAGE_TEST_RESOLV:-}" ] && [ -f "$LXCAGE_TEST_RESOLV" ]; then
		dns="unshare --mount --propagation private $ROOT/hack/with-dns.sh $LXCAGE_TEST_RESOLV"
	fi
	$dns sh -c 'for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do [ -f "$d$0/cgroup.procs" ] && echo $$ >"$d$0/cgroup.procs"; done; exec "$@"' "$cg" \
		runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
		XDG_RUNTIME_DIR="$rt" DISPLAY="$LXCAGE_TEST_DISPLAY" XAUTHORITY="$LXCAGE_TEST_HOME/.Xauthority" \
		DBUS_SESSION_BUS_ADDRESS="unix:path=$LXCAGE_TEST_RUNTIME/bus" \
		CI="${CI:-}" LXCAGE_BIN="$OUT/lxcage" LXCAGE_EDITOR_BIN="$OUT/lxcage-editor" \
		LXCAGE_SCREENSHOT_SCRIPT="$OUT/screenshot.sh" LXCAGE_DOCS_SCREENSHOT="$OUT/screenshot.png" \
		LXCAGE_DOCS_SCREENSHOT_NARROW="$OUT/screenshot-narrow.png" \
		LXCAGE_TEST_FULLFS="$LXCAGE_TEST_FULLFS" LXCAGE_TEST_SUBMOUNT="$LXCAGE_TEST_SUBMOUNT" \
		LXCAGE_TEST_INET_ADDR="${LXCAGE_TEST_INET_ADDR:-}" LXCAGE_TEST_INET_NAME="${LXCAGE_TEST_INET_NAME:-}" \
		LXCAGE_TEST_INET_MARKER="${LXCAGE_TEST_INET_MARKER:-}" LXCAGE_TEST_BRIDGE="${LXCAGE_TEST_BRIDGE:-}" "$@"
}

cd "$OUT"
step "integration tests as $LXCAGE_TEST_USER"
as_test_user "$LXCAGE_CGROUP" "$LXCAGE_TEST_USER" ./integration.test -test.v -test.count=1 -test.timeout 25m \
	${RUN:+-test.run "$RUN"} -test.skip 'TestNoSubordinateIDs|TestSystemdDelegation|TestOtherUserCannotTouch'

if [ -z "$RUN" ]; then
	step "integration tests as $LXCAGE_NOSUB_USER (no subordinate ids; another user's container)"
	# A container of the test user's, running, for the second user to attack.
	vpath="$LXCAGE_TEST_HOME/.local/share/lxc"
	vname="victim-$$"
	vcfg=$(mktemp -d /tmp/lxcage-victim.XXXXXX)
	mkdir -p "$vcfg/lxcage/profiles" && printf 'command = ["sleep", "120"]\n' >"$vcfg/lxcage/profiles/$vname.toml"
	chown -R "$LXCAGE_TEST_USER:" "$vcfg"
	as_test_user "$LXCAGE_CGROUP" "$LXCAGE_TEST_USER" env XDG_CONFIG_HOME="$vcfg" "$OUT/lxcage" launch "$vname" >/dev/null 2>&1 &
	i=0
	until vpid=$(as_test_user "$LXCAGE_CGROUP" "$LXCAGE_TEST_USER" lxc-info -P "$vpath" -n "$vname" -p -H 2>/dev/null) && [ -n "$vpid" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "victim container did not start"; exit 1; }; sleep 0.1
	done
	as_test_user "$LXCAGE_CGROUP" "$LXCAGE_NOSUB_USER" env LXCAGE_TEST_NOSUB=1 DISPLAY= LXCAGE_TEST_VICTIM="$vpath:$vname:$vpid" \
		./integration.test -test.v -test.count=1 -test.run 'TestNoSubordinateIDs|TestOtherUserCannotTouch'
	state=$(as_test_user "$LXCAGE_CGROUP" "$LXCAGE_TEST_USER" lxc-info -P "$vpath" -n "$vname" -s -H)
	[ "$state" = RUNNING ] || { echo "FAIL: the victim container is $state after the other user's attempts"; exit 1; }
	as_test_user "$LXCAGE_CGROUP" "$LXCAGE_TEST_USER" env XDG_CONFIG_HOME="$vcfg" "$OUT/lxcage" stop "$vname"
	as_test_user "$LXCAGE_CGROUP" "$LXCAGE_TEST_USER" env XDG_CONFIG_HOME="$vcfg" "$OUT/lxcage" destroy "$vname"
	rm -rf "$vcfg"
	step "integration tests in a cgroup that is not delegated (systemd scope)"
	as_test_user "$LXCAGE_CGROUP_NODELEG" "$LXCAGE_TEST_USER" env LXCAGE_TEST_NODELEG=1 LXCAGE_TEST_SCOPE_PARENT="$LXCAGE_CGROUP" \
		./integration.test -test.v -test.count=1 -test.run 'TestSystemdDelegation'
fi
cd "$ROOT"
echo "PASS: all tests"
