#!/bin/sh
# make screenshot: docs/screenshot.png, lxcage-editor's main window at
# 1280x800 with the Access section of the chrome preset open, and
# docs/screenshot-narrow.png, the same window at its minimum size — on a
# private Xvfb (xwd + ImageMagick's convert), with profiles made from the
# built-in presets. The paths it uses are fixed, so that two runs give
# the same picture (the integration test compares a fresh one with
# docs/screenshot.png).
#   - as a normal user: the editor runs as you, with a profile directory
#     and LXC path of its own (nothing of yours is read or touched).
#   - as root: prepares the machine as make test does and runs the editor
#     as the unprivileged test user (root does not run lxcage containers,
#     so its editor would show only errors).
# LXCAGE_SCREENSHOT and LXCAGE_SCREENSHOT_NARROW name other output files.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go
PNG=${LXCAGE_SCREENSHOT:-$(pwd)/docs/screenshot.png}
NARROW=${LXCAGE_SCREENSHOT_NARROW:-$(pwd)/docs/screenshot-narrow.png}
WORK=/tmp/lxcage-screenshot

if [ "$(id -u)" = 0 ]; then
	eval "$(hack/setup-host.sh)"
	# A fixed place: the config shown names the lxcage binary.
	OUT=/tmp/lxcage-screenshot-bin
	rm -rf "$OUT"
	mkdir -m 755 "$OUT"
	CGO_ENABLED=0 "$GO" build -o "$OUT/lxcage" ./cmd/lxcage
	"$GO" build -o "$OUT/lxcage-editor" ./cmd/lxcage-editor
	cp hack/screenshot.sh "$OUT/screenshot.sh"
	touch "$OUT/shot.png" "$OUT/narrow.png"
	chown "$LXCAGE_TEST_USER" "$OUT/shot.png" "$OUT/narrow.png"
	chmod -R a+rX "$OUT"
	rm -rf "$WORK"
	uid=$(id -u "$LXCAGE_TEST_USER")
	status=0
	runuser -u "$LXCAGE_TEST_USER" -- env -i HOME="$LXCAGE_TEST_HOME" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		LANG=C.UTF-8 XDG_RUNTIME_DIR="/run/user/$uid" \
		LXCAGE_BIN="$OUT/lxcage" LXCAGE_EDITOR_BIN="$OUT/lxcage-editor" \
		LXCAGE_SCREENSHOT="$OUT/shot.png" LXCAGE_SCREENSHOT_NARROW="$OUT/narrow.png" \
		sh "$OUT/screenshot.sh" || status=$?
	[ $status = 0 ] && cp "$OUT/shot.png" "$PNG" && cp "$OUT/narrow.png" "$NARROW"
	rm -rf "$OUT"
	[ $status = 0 ] && echo "wrote $PNG and $NARROW"
	exit $status
fi

LXCAGE=${LXCAGE_BIN:-}
EDITOR=${LXCAGE_EDITOR_BIN:-}
if [ -z "$LXCAGE" ]; then
	CGO_ENABLED=0 "$GO" build -o bin/lxcage ./cmd/lxcage
	LXCAGE=$(pwd)/bin/lxcage
fi
if [ -z "$EDITOR" ]; then
	"$GO" build -o bin/lxcage-editor ./cmd/lxcage-editor
	EDITOR=$(pwd)/bin/lxcage-editor
fi

rm -rf "$WORK"
mkdir -m 700 "$WORK"
XVFB_PID= EDITOR_PID=
cleanup() {
	# The editor writes its preferences as it exits: wait before removing.
	if [ -n "$EDITOR_PID" ]; then kill "$EDITOR_PID" 2>/dev/null; wait "$EDITOR_PID" 2>/dev/null; fi
	if [ -n "$XVFB_PID" ]; then kill "$XVFB_PID" 2>/dev/null; wait "$XVFB_PID" 2>/dev/null; fi
	rm -rf "$WORK" || true
}
trap cleanup EXIT
export XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" XDG_CACHE_HOME="$WORK/cache"
for p in chrome skype steam xeyes; do
	"$LXCAGE" new "$p" --preset "$p" >/dev/null
done

n=90
while [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
Xvfb ":$n" -nolisten tcp -noreset -screen 0 1280x800x24 >/dev/null 2>&1 &
XVFB_PID=$!
export DISPLAY=":$n"
unset XAUTHORITY
i=0
until xdpyinfo >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { echo "screenshot: Xvfb :$n did not start" >&2; exit 1; }
	sleep 0.1
done

# The dark theme, whatever the desktop prefers: the same picture each time.
FYNE_THEME=dark LXCAGE_BIN="$LXCAGE" "$EDITOR" -P "$WORK/lxc" chrome >"$WORK/editor.log" 2>&1 &
EDITOR_PID=$!
wid=
i=0
while [ -z "$wid" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "screenshot: no editor window; its output:" >&2; cat "$WORK/editor.log" >&2; exit 1; }
	sleep 0.1
	wid=$(xdotool search --onlyvisible --name '^lxcage editor: chrome$' 2>/dev/null | head -n1) || true
done
# The Access section is the editor's reason to exist: open it (Ctrl+2;
# twice, in case the first came before the window took the keyboard),
# and give the first container-state refresh time to land.
xdotool windowfocus --sync "$wid" key --clearmodifiers ctrl+2
sleep 1
xdotool windowfocus --sync "$wid" key --clearmodifiers ctrl+2
sleep 2
xwd -silent -id "$wid" | convert xwd:- png:"$PNG"
# The smallest the window gets: asked for less, the editor keeps its
# minimum size.
xdotool windowsize "$wid" 1 1
sleep 1.5
xwd -silent -id "$wid" | convert xwd:- png:"$NARROW"
echo "wrote $PNG ($(identify -format %wx%h "$PNG")) and $NARROW ($(identify -format %wx%h "$NARROW"))"
