#!/bin/sh
# make demo: xeyes from lxcage's built-in xeyes preset, in an unprivileged
# container on the host image.
#   - as a normal user with a display: the window opens on your display;
#     close it and the container stops.
#   - without a display (or as root on a fresh machine): on a private Xvfb;
#     the demo takes a screenshot, closes the window and shows that the
#     container stopped.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go
SHOT=${LXCAGE_DEMO_SHOT:-/tmp/lxcage-demo.png}

if [ "$(id -u)" = 0 ]; then
	# Root may not run containers through lxcage: prepare the machine as
	# make test does and run the demo as the unprivileged test user on its
	# private Xvfb.
	eval "$(hack/setup-host.sh)"
	OUT=$(mktemp -d /tmp/lxcage-demo.XXXXXX)
	chmod 755 "$OUT"
	CGO_ENABLED=0 "$GO" build -ldflags "-s -w" -o "$OUT/lxcage" ./cmd/lxcage
	cp hack/demo.sh "$OUT/demo.sh"
	chmod -R a+rX "$OUT"
	touch "$SHOT" && chown "$LXCAGE_TEST_USER" "$SHOT"
	uid=$(id -u "$LXCAGE_TEST_USER")
	sh -c 'for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do [ -f "$d$0/cgroup.procs" ] && echo $$ >"$d$0/cgroup.procs"; done; exec "$@"' "$LXCAGE_CGROUP" \
		runuser -u "$LXCAGE_TEST_USER" -- env -i HOME="$LXCAGE_TEST_HOME" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		LANG=C.UTF-8 XDG_RUNTIME_DIR="/run/user/$uid" DISPLAY="$LXCAGE_TEST_DISPLAY" XAUTHORITY="$LXCAGE_TEST_HOME/.Xauthority" \
		LXCAGE="$OUT/lxcage" LXCAGE_DEMO_SHOT="$SHOT" LXCAGE_DEMO_PRIVATE=1 sh "$OUT/demo.sh"
	status=$?
	rm -rf "$OUT"
	exit $status
fi

LXCAGE=${LXCAGE:-$(pwd)/bin/lxcage}
[ -x "$LXCAGE" ] || { CGO_ENABLED=0 "$GO" build -ldflags "-s -w" -o bin/lxcage ./cmd/lxcage; LXCAGE=$(pwd)/bin/lxcage; }
# The demo's profile lives in its own config dir, so it never touches
# yours; the container goes to your normal LXC path.
export XDG_CONFIG_HOME="${XDG_CACHE_HOME:-$HOME/.cache}/lxcage-demo/config"
mkdir -p "$XDG_CONFIG_HOME"

echo "== lxcage check"
"$LXCAGE" check || { echo "demo: fix the failed checks above first"; exit 1; }

private=${LXCAGE_DEMO_PRIVATE:-}
XVFB_PID=
if [ -z "$private" ] && ! xdpyinfo >/dev/null 2>&1; then
	n=90
	while [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
	echo "== no display here: starting a private Xvfb :$n"
	Xvfb ":$n" -nolisten tcp -noreset -screen 0 800x600x24 >/dev/null 2>&1 &
	XVFB_PID=$!
	export DISPLAY=":$n"
	unset XAUTHORITY
	i=0
	until xdpyinfo >/dev/null 2>&1; do i=$((i + 1)); [ $i -lt 50 ] || { echo "Xvfb did not start"; exit 1; }; sleep 0.1; done
	private=1
fi
trap '[ -n "$XVFB_PID" ] && kill $XVFB_PID 2>/dev/null || true' EXIT

echo "== lxcage new demo-xeyes --preset xeyes"
"$LXCAGE" new demo-xeyes --preset xeyes --force
echo "== lxcage compile demo-xeyes (the LXC config it runs with)"
"$LXCAGE" compile demo-xeyes

if [ -z "$private" ]; then
	echo "== lxcage launch demo-xeyes: xeyes opens on $DISPLAY; close its window to end"
	"$LXCAGE" launch demo-xeyes
	echo "== xeyes exited; container:"
	"$LXCAGE" status demo-xeyes
	exit 0
fi

echo "== lxcage launch demo-xeyes (on the private display $DISPLAY)"
"$LXCAGE" launch demo-xeyes -- -geometry 300x200 &
LAUNCH=$!
i=0
until win=$(xdotool search --name '^xeyes$' 2>/dev/null | head -1) && [ -n "$win" ]; do
	i=$((i + 1)); [ $i -lt 300 ] || { echo "no xeyes window"; exit 1; }; sleep 0.05
done
echo "xeyes window $win is up"
"$LXCAGE" status demo-xeyes
ps -o user,pid,comm -C xeyes | sed 's/^/  /'
sleep 1
xwd -root -silent | convert xwd:- "png:$SHOT" && echo "screenshot: $SHOT"
echo "== closing the window"
xdotool windowkill "$win" 2>/dev/null || true
wait $LAUNCH || true
"$LXCAGE" status demo-xeyes
echo "demo done: the container stopped when xeyes went away"
