#!/bin/sh
# make bench: launch speed of lxcage against the raw LXC tools on the same
# container, and the time from the app's exit to a stopped container
# (each benchmark BENCH_REPEAT times, averaged), the editor's start, and
# user-mode networking (network = "nat") against the stand-in internet.
# As root it prepares the host like make test and runs as the test user.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go
COUNT=${BENCH_COUNT:-30x}
OUT=$(mktemp -d /tmp/lxcage-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
chmod 755 "$OUT"
CGO_ENABLED=0 "$GO" build -ldflags "-s -w" -o "$OUT/lxcage" ./cmd/lxcage
"$GO" test -c -tags integration -o "$OUT/integration.test" ./tests/integration/
"$GO" test -c -o "$OUT/net.test" ./services/net/
"$GO" test -c -o "$OUT/x11proxy.test" ./services/x11/proxy/
"$GO" test -c -o "$OUT/x11svc.test" ./services/x11/
"$GO" test -c -o "$OUT/sound.test" ./services/sound/
"$GO" test -c -o "$OUT/sandbox.test" ./sandbox/
chmod -R a+rX "$OUT"
if ls cmd/lxcage-editor/*.go >/dev/null 2>&1; then
	"$GO" build -o "$OUT/lxcage-editor" ./cmd/lxcage-editor
fi
ARGS="-test.run ^$ -test.bench Launch|Raw|StopAfter|EditorStartup -test.benchtime $COUNT -test.count ${BENCH_REPEAT:-3}"
# A browser's window takes seconds: fewer runs (the first run builds the
# chromium preset once, under ~/.cache/lxcage-bench).
BROWSER_ARGS="-test.run ^$ -test.bench ChromiumWindow -test.benchtime ${BENCH_BROWSER_COUNT:-5x} -test.count ${BENCH_REPEAT:-3} -test.timeout 30m"
cd "$OUT"
if [ "$(id -u)" = 0 ]; then
	eval "$("$OLDPWD/hack/setup-host.sh")"
	uid=$(id -u "$LXCAGE_TEST_USER")
	# shellcheck disable=SC2086
	sh -c 'for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do [ -f "$d$0/cgroup.procs" ] && echo $$ >"$d$0/cgroup.procs"; done; exec "$@"' "$LXCAGE_CGROUP" \
		runuser -u "$LXCAGE_TEST_USER" -- env -i HOME="$LXCAGE_TEST_HOME" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		XDG_RUNTIME_DIR="/run/user/$uid" DISPLAY="$LXCAGE_TEST_DISPLAY" XAUTHORITY="$LXCAGE_TEST_HOME/.Xauthority" \
		LXCAGE_BIN="$OUT/lxcage" LXCAGE_EDITOR_BIN="$OUT/lxcage-editor" sh -c './integration.test $0; ./integration.test $1' "$ARGS" "$BROWSER_ARGS" | tee "$OUT/bench.txt"
else
	# shellcheck disable=SC2086
	LXCAGE_BIN="$OUT/lxcage" LXCAGE_EDITOR_BIN="$OUT/lxcage-editor" ./integration.test $ARGS | tee "$OUT/bench.txt"
	# shellcheck disable=SC2086
	LXCAGE_BIN="$OUT/lxcage" ./integration.test $BROWSER_ARGS | tee -a "$OUT/bench.txt"
fi
awk '
/^Benchmark/ { name=$1; sub(/-[0-9]+$/, "", name); sum[name]+=$3; cnt[name]++; ns[name]=sum[name]/cnt[name] }
/^BenchmarkChromiumWindow/ { for (i=1;i<=NF;i++) { if ($(i+1)=="ms-preset") wpre+=$i; if ($(i+1)=="ms-to-thaw") wthaw+=$i; if ($(i+1)=="ms-host") { whost+=$i; wcnt++ } } }
/ms-to-stopped/ { for (i=1;i<=NF;i++) if ($(i+1)=="ms-to-stopped") { ssum+=$i; scnt++; stop=ssum/scnt } }
END {
	printf "\ncold launch: lxcage %.1f ms, raw LXC %.1f ms, ratio %.2f (target <= 1.25)\n", ns["BenchmarkColdLaunch"]/1e6, ns["BenchmarkRawCold"]/1e6, ns["BenchmarkColdLaunch"]/ns["BenchmarkRawCold"]
	if (ns["BenchmarkColdLaunchNat"]) printf "cold launch with network = \"nat\": %.1f ms, ratio to no network %.2f (target <= 1.3)\n", ns["BenchmarkColdLaunchNat"]/1e6, ns["BenchmarkColdLaunchNat"]/ns["BenchmarkColdLaunch"]
	printf "warm launch: lxcage %.1f ms, raw lxc-attach %.1f ms, ratio %.2f (target <= 1.5)\n", ns["BenchmarkWarmLaunch"]/1e6, ns["BenchmarkRawAttach"]/1e6, ns["BenchmarkWarmLaunch"]/ns["BenchmarkRawAttach"]
	printf "app exit to container stopped: %.1f ms (target <= 1000)\n", stop
	if (ns["BenchmarkEditorStartup"]) printf "editor window mapped after: %.0f ms (target < 1500)\n", ns["BenchmarkEditorStartup"]/1e6
	if (wcnt) printf "chromium preset, cold container, launch to page window: %.0f ms (app let run after %.0f ms), chromium on the host %.0f ms, ratio %.2f (target <= 1.1)\n", wpre/wcnt, wthaw/wcnt, whost/wcnt, wpre/whost
}' "$OUT/bench.txt"
# User-mode networking (network = "nat") against the stand-in internet:
# start time, a container's start with and without it, throughput and
# the relay's CPU per byte next to the host's own. As root the binary
# re-runs itself as the test user.
./net.test -test.run '^$' -test.bench 'NAT' -test.benchtime "${NET_BENCHTIME:-20x}" -test.count "${BENCH_REPEAT:-3}" | tee "$OUT/net-bench.txt"
awk '
/^BenchmarkNAT/ { name=$1; sub(/-[0-9]+$/, "", name); sum[name]+=$3; cnt[name]++
	for (i=4; i<NF; i++) if ($(i+1)=="MB/s-inside") { mb[name]+=$i } }
function ms(n) { return cnt[n] ? sum[n]/cnt[n]/1e6 : 0 }
function mbs(n) { return cnt[n] ? mb[n]/cnt[n] : 0 }
END {
	printf "\nnat: network ready after: slirp4netns %.1f ms, pasta %.1f ms (raw pasta %.1f ms)\n", ms("BenchmarkNATStart/slirp4netns"), ms("BenchmarkNATStart/pasta"), ms("BenchmarkNATStart/raw-pasta")
	off = ms("BenchmarkNATColdStart/off")
	if (off) printf "nat: container start, off %.1f ms; with slirp4netns %.1f ms (x%.2f), with pasta %.1f ms (x%.2f)\n", off, ms("BenchmarkNATColdStart/slirp4netns"), ms("BenchmarkNATColdStart/slirp4netns")/off, ms("BenchmarkNATColdStart/pasta"), ms("BenchmarkNATColdStart/pasta")/off
	h = mbs("BenchmarkNATThroughput/host")
	if (h) printf "nat: download from the stand-in: host %.0f MB/s; slirp4netns %.0f MB/s (%.2f), pasta %.0f MB/s (%.2f) (target >= 0.5)\n", h, mbs("BenchmarkNATThroughput/slirp4netns"), mbs("BenchmarkNATThroughput/slirp4netns")/h, mbs("BenchmarkNATThroughput/pasta"), mbs("BenchmarkNATThroughput/pasta")/h
}' "$OUT/net-bench.txt"

# The X11 proxy, side by side with clients of a private Xvfb (any user).
# shellcheck disable=SC2086
LXCAGE_BIN="$OUT/lxcage" "$OUT/x11proxy.test" -test.run '^$' -test.bench '^BenchmarkX11$' \
	-test.benchtime "${BENCH_X11_COUNT:-10000x}" -test.count "${BENCH_REPEAT:-3}" | tee "$OUT/x11.txt"
LXCAGE_BIN="$OUT/lxcage" "$OUT/x11proxy.test" -test.run '^$' -test.bench '^BenchmarkX11Connect$' \
	-test.benchtime 300x -test.count "${BENCH_REPEAT:-3}" | tee -a "$OUT/x11.txt"
LXCAGE_BIN="$OUT/lxcage" "$OUT/x11svc.test" -test.run '^$' -test.bench '^BenchmarkStart$' \
	-test.benchtime 30x -test.count "${BENCH_REPEAT:-3}" | tee -a "$OUT/x11.txt"
awk '
/^BenchmarkStart/ { st+=$3; sc++ }
/^BenchmarkX11Connect\// { n=$1; sub(/-[0-9]+$/, "", n); sub(/^BenchmarkX11Connect\//, "", n); t["Connect/" n]+=$3; c["Connect/" n]++ }
/^BenchmarkX11\// { n=$1; sub(/-[0-9]+$/, "", n); sub(/^BenchmarkX11\//, "", n); v=$3
	for (i=4;i<NF;i++) if ($(i+1)=="ns/image") v=$i
	t[n]+=v; c[n]++
	for (i=4;i<NF;i++) if ($(i+1)=="proxy-RSS-kB" && $i>rss) rss=$i }
function r(k) { return (t[k "/proxy"]/c[k "/proxy"]) / (t[k "/direct"]/c[k "/direct"]) }
END {
	printf "\nX11 proxy, round trips: GetInputFocus %.2fx, InternAtom %.2fx direct (target <= 1.3)\n", r("GetInputFocus"), r("InternAtom")
	printf "X11 proxy, PutImage throughput: 100x100 %.2f, 500x500 %.2f of direct (target >= 0.9)\n", 1/r("PutImage100"), 1/r("PutImage500")
	if (c["X11perfPutImage100/proxy"]) printf "X11 proxy, x11perf -putimage100: %.2f of direct (the same target)\n", 1/r("X11perfPutImage100")
	if (c["Connect/proxy"]) printf "X11 proxy, connection setup: %.2f ms, %.1fx direct\n", t["Connect/proxy"]/c["Connect/proxy"]/1e6, r("Connect")
	printf "X11 proxy, resident memory with five clients: %.1f MB (target <= 10)\n", rss/1024
	if (sc) printf "X11 proxy, spawn to ready: %.1f ms\n", st/sc/1e6
}' "$OUT/x11.txt"

# The sound mediator (services/sound): its start to ready next to the bare
# daemon's, and the latency it adds to a click on its way to the user's
# sink. It needs no container: it runs as the caller, against a stand-in
# user server of its own.
"$OUT/sound.test" -test.run '^$' -test.bench 'Sound' -test.benchtime "${BENCH_SOUND_COUNT:-20x}" \
	-test.count "${BENCH_REPEAT:-3}" | tee "$OUT/sound.txt"
awk '
/^BenchmarkSound/ { name=$1; sub(/-[0-9]+$/, "", name); for (i=3;i<NF;i++) { u=$(i+1); if (u=="ns/op"||u=="ms/click"||u=="ms-reported") { s[name" "u]+=$i; c[name" "u]++ } } }
function v(k) { return c[k] ? s[k]/c[k] : 0 }
END {
	printf "\nsound mediator start to ready: %.1f ms unconfined, %.1f ms in bwrap (bare daemon %.1f ms); run alongside lxc-start (target: <= 20 ms added)\n", \
		v("BenchmarkSoundStart/unconfined ns/op")/1e6, v("BenchmarkSoundStart/bwrap ns/op")/1e6, v("BenchmarkSoundRawDaemon ns/op")/1e6
	d=v("BenchmarkSoundLatency/direct ms/click"); m=v("BenchmarkSoundLatency/mediator ms/click")
	dr=v("BenchmarkSoundLatency/direct ms-reported"); mr=v("BenchmarkSoundLatency/mediator ms-reported")
	printf "sound latency added by the mediator: %.1f ms click to sink (%.1f direct, %.1f through it); %.1f ms as PulseAudio reports it (target <= 30)\n", m-d, d, m, mr-dr
}' "$OUT/sound.txt"

# The kernel's wait before the first cgroup move after a pause (lxc-start's
# monitor, lxc-attach's app), cold and once a launch has primed it
# (sandbox.PrimeCgroupMoves), in the caller's own cgroup.
"$OUT/sandbox.test" -test.run '^$' -test.bench 'CgroupMove' -test.benchtime 10x -test.count "${BENCH_REPEAT:-3}" | tee "$OUT/cgroup.txt"
awk '
/^BenchmarkCgroupMove/ { n=$1; sub(/-[0-9]+$/, "", n); s[n]+=$3; c[n]++ }
END { if (c["BenchmarkCgroupMove/cold"]) printf "\nfirst cgroup move after a pause: %.1f ms cold, %.1f ms primed by the launch\n", s["BenchmarkCgroupMove/cold"]/c["BenchmarkCgroupMove/cold"]/1e6, s["BenchmarkCgroupMove/primed"]/c["BenchmarkCgroupMove/primed"]/1e6 }' "$OUT/cgroup.txt"
