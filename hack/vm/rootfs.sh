#!/bin/sh
# Runs inside the VM's root tree at build time (chroot, from build.sh):
# makes a freshly bootstrapped Debian 12 what a systemd desktop is to
# lxcage, without the screen. A lingering USER (uid UID, subordinate ids,
# in none of the video/render/audio groups) whose systemd user manager
# runs its session bus, an Xvfb with access control and PulseAudio as
# user services; udev gives that user an ACL on the render node, as
# logind's uaccess does for the seat's user. Plus what the harness needs:
# sshd with its key, the 9p share the binaries arrive in, and no unit
# that would burn the emulated CPUs or delay the boot.
#
# Usage (in the chroot): rootfs.sh USER UID   (/tmp/harness.pub: ssh key)
set -eu
U=$1
ID=$2
DISPLAY_NUM=77

# The machine.
echo lxcage-vm >/etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 lxcage-vm\n::1 localhost ip6-localhost ip6-loopback\n' >/etc/hosts
cat >/etc/fstab <<'EOF'
/dev/vda  /            ext4  rw,relatime  0 1
lxcage    /mnt/lxcage  9p    trans=virtio,version=9p2000.L,msize=262144,ro,nofail  0 0
EOF
mkdir -p /mnt/lxcage
printf '9pnet_virtio\n9p\n' >/etc/modules-load.d/lxcage-vm.conf
# A fixed machine id: an empty one means "first boot" and may prompt.
systemd-machine-id-setup >/dev/null 2>&1 || tr -d - </proc/sys/kernel/random/uuid >/etc/machine-id
ln -sf /usr/share/zoneinfo/Etc/UTC /etc/localtime

# Network: DHCP on qemu's user-mode NIC (only the harness's ssh uses it).
cat >/etc/systemd/network/10-lxcage-vm.network <<'EOF'
[Match]
Name=en* eth*
[Network]
DHCP=ipv4
EOF
echo 'nameserver 10.0.2.3' >/etc/resolv.conf
systemctl enable systemd-networkd.service ssh.service
# Nothing waits for "online"; timers and autostarts that would use the
# emulated CPUs during a test are off. lxc.service waits 30 s for lxcbr0.
systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
	dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer logrotate.timer \
	man-db.timer systemd-firstboot.service lxc.service lxc-net.service
# A stop that hangs (a container whose init takes SIGTERM as "reboot")
# must not hold the poweroff for the default 90 s.
mkdir -p /etc/systemd/system.conf.d /etc/systemd/user.conf.d
printf '[Manager]\nDefaultTimeoutStopSec=10s\n' >/etc/systemd/system.conf.d/lxcage-vm.conf
printf '[Manager]\nDefaultTimeoutStopSec=10s\n' >/etc/systemd/user.conf.d/lxcage-vm.conf
# Root on the serial console without a password (its log is kept).
mkdir -p /etc/systemd/system/serial-getty@ttyS0.service.d
cat >/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
EOF

# sshd: key logins only, for root and the user.
ssh-keygen -A
printf 'UseDNS no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n' >/etc/ssh/sshd_config.d/lxcage-vm.conf
install -d -m 700 /root/.ssh
install -m 600 /tmp/harness.pub /root/.ssh/authorized_keys

# The desktop user.
id -u "$U" >/dev/null 2>&1 || useradd -m -u "$ID" -s /bin/bash "$U"
for f in /etc/subuid /etc/subgid; do
	sed -i "/^$U:/d" "$f"
	echo "$U:100000:65536" >>"$f"
done
mkdir -p /var/lib/systemd/linger
touch "/var/lib/systemd/linger/$U" # what loginctl enable-linger does
H=$(getent passwd "$U" | cut -d: -f6)
install -d -m 700 -o "$U" -g "$U" "$H/.ssh"
install -m 600 -o "$U" -g "$U" /tmp/harness.pub "$H/.ssh/authorized_keys"

# The session's X server: Xvfb with a cookie (access control on), started
# by the user manager like a display server of a desktop session.
cat >/etc/systemd/user/lxcage-xvfb.service <<EOF
[Unit]
Description=Xvfb :$DISPLAY_NUM with access control (the session's X server)
[Service]
ExecStartPre=/bin/sh -c 'rm -f %h/.Xauthority && xauth -q -f %h/.Xauthority add :$DISPLAY_NUM . \$\$(mcookie)'
ExecStart=/usr/bin/Xvfb :$DISPLAY_NUM -auth %h/.Xauthority -nolisten tcp -noreset -screen 0 1280x800x24
[Install]
WantedBy=default.target
EOF
# The session bus (dbus-user-session) and PulseAudio, started at login.
systemctl --global enable dbus.socket pulseaudio.socket pulseaudio.service lxcage-xvfb.service
cat >/etc/profile.d/lxcage-vm.sh <<EOF
export DISPLAY=:$DISPLAY_NUM XAUTHORITY=\$HOME/.Xauthority
EOF

# logind gives the seat's user an ACL on GPU nodes (udev's uaccess tag).
# The harness's user logs in over ssh, which has no seat, so udev does
# the same for it here: the render node, not the primary (card) node;
# after 73-seat-late.rules, whose uaccess builtin resets the ACL to the
# seat's sessions.
cat >/etc/udev/rules.d/99-lxcage-vm-uaccess.rules <<EOF
SUBSYSTEM=="drm", KERNEL=="renderD*", RUN+="/usr/bin/setfacl -m u:$U:rw \$env{DEVNAME}"
EOF
