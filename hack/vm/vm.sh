#!/bin/bash
# The integration tests on a systemd desktop (make test-vm, as root): a
# Debian 12 VM under qemu with cgroup v2 only, a lingering user whose
# systemd user manager runs the session bus, Xvfb and PulseAudio, and the
# tests run there as that user, from a login session and from a desktop
# app's scope (hack/vm/guest-test.sh). Output and exit status come back.
#
#   vm.sh test       build lxcage and the integration tests, build or reuse
#                    the image, boot, run the tests, power off; exit status
#                    is the tests'
#   vm.sh build      build the image unless one for the current key is cached
#   vm.sh boot       boot a VM and leave it running (for a look around)
#   vm.sh ssh [-u USER] CMD…   run CMD in that VM (as root by default)
#   vm.sh stop       power it off
#   vm.sh key        the image's cache key
#
# The image is cached in $LXCAGE_VM_CACHE (default /var/cache/lxcage-vm)
# under a key made of hack/vm/packages and the scripts that build it, so
# a later run boots it again without building; every boot starts from the
# same pristine disk (qemu's snapshot mode). Qemu runs with software
# emulation (TCG): KVM is not usable on the CI machines.
#
# Env: LXCAGE_TEST_RUN (tests to run, regex; default: guest-test.sh's
# subsets), LXCAGE_VM_MEM (MiB, 4096), LXCAGE_VM_SMP (2), GO.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${LXCAGE_VM_CACHE:-/var/cache/lxcage-vm}
STATE=${LXCAGE_VM_STATE:-/run/lxcage-vm}
VM_USER=lxcage-test
VM_UID=2345
MEM=${LXCAGE_VM_MEM:-4096}
SMP=${LXCAGE_VM_SMP:-2}
# Everything the lane needs on this machine, installed when missing.
HOST_PACKAGES="qemu-system-x86 debootstrap e2fsprogs openssh-client gzip iproute2"

log() { printf 'vm %s: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (make test-vm does, in CI)"

host_deps() {
	local missing="" p
	for p in $HOST_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >/tmp/lxcage-vm-apt.log 2>&1; then
		cat /tmp/lxcage-vm-apt.log >&2
		die "could not install:$missing"
	fi
}

# key is a hash of everything that goes into the image.
key() {
	cat "$HERE/packages" "$HERE/build.sh" "$HERE/rootfs.sh" "$HERE/initramfs-init" |
		{ cat; echo "$VM_USER $VM_UID"; } | sha256sum | cut -c1-16
}
IMAGE=$CACHE/image-$(key)

build() {
	if [ -f "$IMAGE/disk.img" ]; then
		log "image $IMAGE is cached"
		return 0
	fi
	host_deps
	local t0=$SECONDS
	LXCAGE_VM_USER=$VM_USER LXCAGE_VM_UID=$VM_UID LXCAGE_VM_DEBS=$CACHE/debs "$HERE/build.sh" "$IMAGE.new"
	rm -rf "$IMAGE"
	mv "$IMAGE.new" "$IMAGE"
	# Older images are of older scripts: keep only this one.
	find "$CACHE" -mindepth 1 -maxdepth 1 -name 'image-*' ! -path "$IMAGE" -exec rm -rf {} +
	log "image built in $((SECONDS - t0))s"
}

# free_port prints a loopback TCP port nothing listens on.
free_port() {
	local p
	for p in $(shuf -i 20000-40000 -n 50); do
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	die "no free port"
}

ssh_opts() {
	echo -i "$(cat "$STATE/image")/id_ed25519" -p "$(cat "$STATE/port")" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=yes \
		-o ServerAliveInterval=15
}

# vm_ssh USER CMD: run CMD (a shell command line) in the VM as USER.
vm_ssh() {
	local user=$1
	shift
	# shellcheck disable=SC2046
	ssh $(ssh_opts) "$user@127.0.0.1" "$@"
}

running() { [ -f "$STATE/qemu.pid" ] && kill -0 "$(cat "$STATE/qemu.pid")" 2>/dev/null; }

# boot SHARE: start the VM with SHARE at /mnt/lxcage (read-only) and wait
# for sshd and the user's session.
boot() {
	local share=$1
	running && die "a VM is already running (pid $(cat "$STATE/qemu.pid")); vm.sh stop"
	mkdir -p "$STATE"
	free_port >"$STATE/port"
	echo "$IMAGE" >"$STATE/image"
	local t0=$SECONDS
	BOOT_EPOCH=$(date +%s)
	qemu-system-x86_64 -name lxcage-vm -machine q35 -accel tcg,thread=multi -cpu max \
		-smp "$SMP" -m "$MEM" \
		-kernel "$IMAGE/vmlinuz" -initrd "$IMAGE/initrd.img" \
		-append "console=ttyS0 root=/dev/vda rw systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all systemd.firstboot=off quiet loglevel=4" \
		-drive "file=$IMAGE/disk.img,if=virtio,format=raw,cache=unsafe,snapshot=on" \
		-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$(cat "$STATE/port")-:22" \
		-device virtio-net-pci,netdev=n0 \
		-virtfs "local,path=$share,mount_tag=lxcage,security_model=none,readonly=on,id=lxcage" \
		-device virtio-rng-pci -device virtio-gpu-pci \
		-display none -vga none -monitor none -serial "file:$STATE/serial.log" \
		-daemonize -pidfile "$STATE/qemu.pid"
	until vm_ssh root true 2>/dev/null; do
		running || { tail -40 "$STATE/serial.log" >&2; die "qemu died while booting"; }
		[ $((SECONDS - t0)) -lt 600 ] || { tail -40 "$STATE/serial.log" >&2; die "no sshd after 600s"; }
		sleep 1
	done
	BOOT_SSH=$((SECONDS - t0))
	log "sshd answers ${BOOT_SSH}s after qemu started"
}

stop() {
	running || return 0
	local pid t0=$SECONDS
	pid=$(cat "$STATE/qemu.pid")
	vm_ssh root 'systemctl poweroff' >/dev/null 2>&1 || true
	while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt 40 ]; do sleep 1; done
	kill -0 "$pid" 2>/dev/null && { log "qemu still running; killing it"; kill "$pid"; }
	rm -f "$STATE/qemu.pid"
	log "powered off in $((SECONDS - t0))s"
}

# build_binaries DIR: lxcage and the integration test binary, as test.sh
# builds them.
build_binaries() {
	local go=${GO:-go}
	command -v "$go" >/dev/null 2>&1 || go=/usr/local/go/bin/go
	(cd "$ROOT" &&
		CGO_ENABLED=0 "$go" build -ldflags "-s -w" -o "$1/lxcage" ./cmd/lxcage &&
		"$go" test -c -tags integration -o "$1/integration.test" ./tests/integration/)
}

# cleanup powers the VM of a test run off and removes its files (globals:
# an EXIT trap runs after run_tests' locals are gone).
cleanup() {
	stop || true
	rm -rf "$SHARE" "$STATE"
}

run_tests() {
	local t0=$SECONDS rc out=$CACHE/last-tests.log share
	SHARE=$(mktemp -d /tmp/lxcage-vm-share.XXXXXX)
	STATE=$(mktemp -d /tmp/lxcage-vm-state.XXXXXX)
	trap cleanup EXIT
	share=$SHARE
	host_deps
	build_binaries "$share"
	cp "$HERE/guest-test.sh" "$share/"
	chmod -R a+rX "$share"
	local t_bin=$((SECONDS - t0))
	build
	local t_img=$((SECONDS - t0 - t_bin)) t_boot0=$SECONDS
	boot "$share"
	log "running the tests as $VM_USER (output: $out)"
	set +e
	vm_ssh "$VM_USER" "LXCAGE_TEST_RUN=$(printf %q "${LXCAGE_TEST_RUN:-}") bash /mnt/lxcage/guest-test.sh" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	set -e
	local t_tests=$((SECONDS - t_boot0 - BOOT_SSH)) first
	first=$(sed -n 's/^lxcage-vm: first test at \([0-9]*\)$/\1/p' "$out" | head -1)
	stop
	cp "$STATE/serial.log" "$CACHE/last-serial.log" || true
	[ "$rc" = 0 ] || { echo "--- serial console (last 30 lines; all in $CACHE/last-serial.log)"; tail -30 "$STATE/serial.log"; }
	printf 'vm: binaries %ss, image %ss, boot to sshd %ss, boot to first test %ss, tests %ss, lane %ss; exit %s\n' \
		"$t_bin" "$t_img" "$BOOT_SSH" "${first:+$((first - BOOT_EPOCH))}" "$t_tests" "$((SECONDS - t0))" "$rc"
	return "$rc"
}

cmd=${1:-test}
shift || true
case $cmd in
test) run_tests ;;
build) host_deps && build ;;
boot)
	build
	mkdir -p "$STATE/share"
	boot "$STATE/share"
	log "VM up; files for it go in $STATE/share (/mnt/lxcage inside); vm.sh ssh, vm.sh stop"
	;;
ssh)
	user=root
	if [ "${1:-}" = -u ]; then user=$2; shift 2; fi
	vm_ssh "$user" "$@"
	;;
stop) stop ;;
key) key ;;
*) die "usage: vm.sh test|build|boot|ssh [-u USER] CMD|stop|key" ;;
esac
