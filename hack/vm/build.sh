#!/bin/sh
# Build the systemd VM's boot files (as root) into OUT:
#   vmlinuz, initrd.img  Debian 12's kernel and a small busybox initramfs
#                        that loads virtio and ext4 and mounts /dev/vda
#   disk.img             ext4 made from a debootstrap tree with the
#                        packages in hack/vm/packages, set up by rootfs.sh
#   id_ed25519           the key the harness logs in with (root, the user)
#   info                 what was built, and how long each stage took
# hack/vm/vm.sh runs this when no image for the current key is cached.
# Downloaded .debs are kept in $LXCAGE_VM_DEBS so a rebuild after a script
# change does not fetch them again.
#
# Usage: build.sh OUT   (env: LXCAGE_VM_USER, LXCAGE_VM_UID, LXCAGE_VM_DEBS)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$1
VM_USER=${LXCAGE_VM_USER:-lxcage-test}
VM_UID=${LXCAGE_VM_UID:-2345}
DEBS=${LXCAGE_VM_DEBS:-/var/cache/lxcage-vm/debs}
SUITE=bookworm

log() { printf 'vm-build %s: %s\n' "$(date +%T)" "$*" >&2; }
STAGE_T=$(date +%s)
stage() {
	now=$(date +%s)
	echo "stage $1 $((now - STAGE_T))s" >>"$WORK/info"
	log "$1 took $((now - STAGE_T))s"
	STAGE_T=$now
}

[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
mkdir -p "$DEBS" "$(dirname "$OUT")"
WORK=$(mktemp -d /var/tmp/lxcage-vm-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
R=$WORK/rootfs
: >"$WORK/info"

# The mirror this machine's apt already uses (deb822 or one-line form).
mirror() {
	m=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
	[ -n "$m" ] || m=$(sed -n "s/^deb \(\[[^]]*\] \)\{0,1\}\(http[^ ]*\) $SUITE .*/\2/p" /etc/apt/sources.list 2>/dev/null | head -1)
	echo "${m:-http://deb.debian.org/debian}"
}

# The kernel linux-image-amd64 points at, e.g. 6.1.0-57-amd64.
kernel_version() {
	v=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -1)
	if [ -z "$v" ]; then
		apt-get update -qq >&2
		v=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -1)
	fi
	[ -n "$v" ] || { log "cannot tell which kernel linux-image-amd64 is"; exit 1; }
	echo "$v"
}

# 1. The root filesystem.
PKGS=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$HERE/packages" | tr -s ' \n' ',' | sed 's/,$//')
log "debootstrap $SUITE from $(mirror) (log: $WORK/debootstrap.log)"
if ! debootstrap --variant=minbase --cache-dir="$DEBS" --include="$PKGS" "$SUITE" "$R" "$(mirror)" >"$WORK/debootstrap.log" 2>&1; then
	tail -30 "$WORK/debootstrap.log" >&2
	exit 1
fi
stage debootstrap

# 2. The kernel and its modules, without drivers for hardware a VM never
# has; DRM stays for virtio-gpu's render node (the gpu = true tests).
KVER=$(kernel_version)
(cd "$DEBS" && { ls linux-image-"$KVER"_*.deb >/dev/null 2>&1 || apt-get download -q "linux-image-$KVER" >&2; })
dpkg-deb -x "$(ls "$DEBS"/linux-image-"$KVER"_*.deb | head -1)" "$WORK/kernel"
mkdir -p "$R/usr/lib/modules"
cp -a "$WORK/kernel/lib/modules/$KVER" "$R/usr/lib/modules/"
(
	cd "$R/usr/lib/modules/$KVER/kernel"
	rm -rf drivers/media drivers/infiniband drivers/staging drivers/net/wireless drivers/net/ethernet \
		drivers/iio drivers/bluetooth drivers/isdn drivers/scsi/qla2xxx drivers/scsi/lpfc net/wireless \
		net/mac80211 net/bluetooth sound
	find drivers/gpu -mindepth 1 -maxdepth 1 ! -name drm -exec rm -rf {} +
	find drivers/gpu/drm -mindepth 1 -maxdepth 1 -type d ! -name virtio -exec rm -rf {} +
)
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
chroot "$R" depmod "$KVER"
stage kernel

# 3. Configuration: users, services, ssh (see rootfs.sh).
ssh-keygen -q -t ed25519 -N '' -C lxcage-vm -f "$WORK/id_ed25519"
cp "$WORK/id_ed25519.pub" "$R/tmp/harness.pub"
cp "$HERE/rootfs.sh" "$R/tmp/rootfs.sh"
chroot "$R" /bin/sh /tmp/rootfs.sh "$VM_USER" "$VM_UID" >"$WORK/rootfs.log" 2>&1 || { cat "$WORK/rootfs.log" >&2; exit 1; }
rm -f "$R/tmp/rootfs.sh" "$R/tmp/harness.pub"
stage configure

# 4. The initramfs: busybox (static, from the tree) and the modules for
# the root disk, in the order modprobe would load them.
I=$WORK/initramfs
mkdir -p "$I/bin" "$I/dev" "$I/proc" "$I/sys" "$I/newroot" "$I/mods"
cp "$R/bin/busybox" "$I/bin/busybox"
chroot "$R" modprobe -S "$KVER" -a --show-depends virtio_pci virtio_blk crc32c_generic ext4 |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$WORK/modules"
while read -r m; do
	cp "$R$m" "$I/mods/"
	basename "$m" >>"$I/order"
done <"$WORK/modules"
install -m 755 "$HERE/initramfs-init" "$I/init"
(cd "$I" && find . | "$R/bin/busybox" cpio -o -H newc 2>/dev/null | gzip -1 >"$WORK/initrd.img")
stage initramfs

# 5. The disk: the tree plus room for containers and test data (sparse).
used=$(du -sm "$R" | cut -f1)
mkfs.ext4 -q -F -L lxcage-vm -d "$R" "$WORK/disk.img" "$((used + 3072))M"
stage image

{
	echo "suite $SUITE"
	echo "kernel $KVER"
	echo "user $VM_USER $VM_UID"
	echo "built $(date -u +%FT%TZ)"
} >>"$WORK/info"
rm -rf "$OUT"
mkdir -p "$OUT"
mv "$WORK/vmlinuz" "$WORK/initrd.img" "$WORK/disk.img" "$WORK/id_ed25519" "$WORK/id_ed25519.pub" "$WORK/info" "$OUT/"
log "image ready in $OUT"
