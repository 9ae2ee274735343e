#!/bin/sh
# Prepare this machine (as root, idempotently) to run lxcage's tests:
# Debian packages, a test user with subordinate ids and delegated cgroups,
# and the user's desktop services: Xvfb (with access control), a session
# dbus-daemon and PulseAudio. Prints the environment the tests need as
# shell assignments on stdout (eval them); everything else goes to stderr.
set -eu

TEST_USER=${LXCAGE_TEST_USER:-lxcage-test}
TEST_UID=${LXCAGE_TEST_UID:-2345}
NOSUB_USER=${LXCAGE_NOSUB_USER:-lxcage-nosub}
DISPLAY_NUM=${LXCAGE_TEST_DISPLAY_NUM:-77}
CG=lxcage-test
CG_NODELEG=lxcage-nodeleg

log() { echo "setup-host: $*" >&2; }

[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }

PACKAGES="lxc uidmap xvfb x11-apps x11-utils xdotool xauth dbus dbus-x11 pulseaudio pulseaudio-utils xdg-utils
desktop-file-utils debootstrap busybox-static bubblewrap libgl1-mesa-dev xorg-dev imagemagick
libglib2.0-bin procps psmisc ca-certificates git make gcc
xterm zenity python3 python3-pyqt5 weston wayland-utils pipewire pipewire-bin acl xserver-xephyr xdg-dbus-proxy
passt slirp4netns iproute2 nftables dnsmasq-base
xcb-proto mesa-utils xclip x11-xkb-utils x11-xserver-utils chromium
pipewire-pulse wireplumber firefox-esr openssh-client
zsh fish groff-base xz-utils"
# Every program a test runs must come from here (or the base system):
# tests/integration/programs_test.go lists them and fails when one is not.
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2
fi

# Test users: one with subordinate ids (not uid 1000: nothing may assume
# it), one without (to see the error a user without ranges gets).
if ! id "$TEST_USER" >/dev/null 2>&1; then
	if getent passwd "$TEST_UID" >/dev/null; then
		useradd -m -s /bin/sh "$TEST_USER"
	else
		useradd -m -s /bin/sh -u "$TEST_UID" "$TEST_USER"
	fi
fi
id "$NOSUB_USER" >/dev/null 2>&1 || useradd -m -s /bin/sh "$NOSUB_USER"
for f in /etc/subuid /etc/subgid; do
	touch "$f"
	sed -i "/^$NOSUB_USER:/d" "$f"
	grep -q "^$TEST_USER:" "$f" || {
		# A free range above everything listed.
		start=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' "$f")
		echo "$TEST_USER:$start:65536" >>"$f"
	}
done
uid=$(id -u "$TEST_USER")
home=$(getent passwd "$TEST_USER" | cut -d: -f6)
chmod 755 "$home" # the container's root must traverse to ~/.local/share/lxc

# Delegated cgroups: one directory per hierarchy owned by the test user.
# lxcage-nodeleg is one the user can be moved into but cannot create
# cgroups in (for the systemd delegation test).
for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
	[ -f "$d/cgroup.procs" ] || continue
	for c in $CG $CG_NODELEG; do
		mkdir -p "$d$c"
		if [ -f "$d/cpuset.cpus" ]; then
			cat "$d/cpuset.cpus" >"$d$c/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d$c/cpuset.mems"
		fi
	done
	chown -R "$TEST_USER:" "$d$CG"
	chown "$TEST_USER:" "$d$CG_NODELEG/cgroup.procs"
done
# User-mode networking (pasta, slirp4netns) opens /dev/net/tun as the
# user: udev makes it 0666 on Debian; where no udev runs, do it here.
[ ! -c /dev/net/tun ] || chmod 0666 /dev/net/tun
# Bridged networking for the test user.
[ -f /etc/lxc/lxc-usernet ] || touch /etc/lxc/lxc-usernet
grep -q "^$TEST_USER veth lxcbr0" /etc/lxc/lxc-usernet || echo "$TEST_USER veth lxcbr0 10" >>/etc/lxc/lxc-usernet

# --- The stand-in internet (network = "nat" and "bridge" tests) ----------
# A network namespace of its own, reached from the host through a veth
# pair: a web server (busybox httpd, port 80, / answers the marker below,
# /big is 64 MiB for throughput) and a DNS server (dnsmasq) that answers
# $INET_NAME with the server's address. A bridge the test user may attach
# containers to (lxc-usernet) leads into the same namespace, which also
# serves DHCP on it. User-mode networking relays a container's DNS to the
# host's own resolver only, so a second dnsmasq on the host's end of the
# veth knows $INET_NAME and asks the host's resolvers for every other
# name: tests bind $INET_DIR/resolv.conf (naming it) over /etc/resolv.conf
# in a mount namespace of their own. Nothing here touches the host's own
# routes, forwarding, firewall or resolv.conf.
INET_NS=lxcage-inet
INET_HOST_IF=lxcage-inet0 INET_HOST_ADDR=198.18.113.1
INET_ADDR=198.18.113.2 INET_NAME=inet.lxcage.test
INET_BRIDGE=lxcagebr0 INET_BRIDGE_ADDR=198.18.9.2
INET_DIR=/var/lib/lxcage-inet
INET_MARKER=lxcage-stand-in-internet
inet() { ip netns exec "$INET_NS" "$@"; }
ip netns list | grep -q "^$INET_NS\b" || ip netns add "$INET_NS"
inet ip link set lo up
if ! ip link show "$INET_HOST_IF" >/dev/null 2>&1; then
	ip link add "$INET_HOST_IF" type veth peer name inet0 netns "$INET_NS"
	ip addr add "$INET_HOST_ADDR/24" dev "$INET_HOST_IF"
	ip link set "$INET_HOST_IF" up
	inet ip addr add "$INET_ADDR/24" dev inet0
	inet ip link set inet0 up
fi
if ! ip link show "$INET_BRIDGE" >/dev/null 2>&1; then
	ip link add "$INET_BRIDGE" type bridge
	ip link set "$INET_BRIDGE" up
fi
if ! ip link show lxcage-inetb >/dev/null 2>&1; then
	ip link add lxcage-inetb type veth peer name br0 netns "$INET_NS"
	ip link set lxcage-inetb master "$INET_BRIDGE" up
	inet ip addr add "$INET_BRIDGE_ADDR/24" dev br0
	inet ip link set br0 up
fi
grep -q "^$TEST_USER veth $INET_BRIDGE " /etc/lxc/lxc-usernet || echo "$TEST_USER veth $INET_BRIDGE 10" >>/etc/lxc/lxc-usernet
mkdir -p "$INET_DIR/www"
echo "$INET_MARKER" >"$INET_DIR/www/index.html"
[ "$(stat -c %s "$INET_DIR/www/big" 2>/dev/null)" = 67108864 ] || head -c 67108864 /dev/zero >"$INET_DIR/www/big"
# Each server is checked by using it; a stale one is replaced.
stop_pid() { if [ -f "$1" ]; then kill "$(cat "$1")" 2>/dev/null || true; rm -f "$1"; fi; }
if ! inet busybox wget -q -O /dev/null "http://$INET_ADDR/" 2>/dev/null; then
	log "starting the stand-in internet's web server"
	stop_pid "$INET_DIR/httpd.pid"
	ip netns exec "$INET_NS" setsid busybox httpd -f -p 80 -h "$INET_DIR/www" </dev/null >/dev/null 2>&1 &
	echo $! >"$INET_DIR/httpd.pid"
fi
if ! inet busybox nslookup "$INET_NAME" "$INET_ADDR" >/dev/null 2>&1; then
	log "starting the stand-in internet's DNS and DHCP server"
	stop_pid "$INET_DIR/dnsmasq.pid"
	inet dnsmasq --pid-file="$INET_DIR/dnsmasq.pid" --conf-file=/dev/null --no-resolv --no-hosts \
		--bind-interfaces --listen-address="$INET_ADDR" --listen-address="$INET_BRIDGE_ADDR" \
		--local=/lxcage.test/ --host-record="$INET_NAME,$INET_ADDR" \
		--dhcp-range=198.18.9.100,198.18.9.200,1h --dhcp-leasefile="$INET_DIR/leases" \
		--dhcp-option=option:router,"$INET_BRIDGE_ADDR" --dhcp-option=option:dns-server,"$INET_BRIDGE_ADDR"
fi
echo "nameserver $INET_HOST_ADDR" >"$INET_DIR/resolv.conf"
if ! busybox nslookup "$INET_NAME" "$INET_HOST_ADDR" >/dev/null 2>&1; then
	log "starting the host's resolver for the tests"
	stop_pid "$INET_DIR/dnsmasq-host.pid"
	dnsmasq --pid-file="$INET_DIR/dnsmasq-host.pid" --conf-file=/dev/null --no-hosts --resolv-file=/etc/resolv.conf \
		--bind-interfaces --listen-address="$INET_HOST_ADDR" --except-interface=lo \
		--local=/lxcage.test/ --host-record="$INET_NAME,$INET_ADDR"
fi
i=0
until inet busybox wget -q -O /dev/null "http://$INET_ADDR/" && inet busybox nslookup "$INET_NAME" "$INET_ADDR" >/dev/null 2>&1 &&
	busybox nslookup "$INET_NAME" "$INET_HOST_ADDR" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 50 ] || { log "the stand-in internet did not start"; exit 1; }; sleep 0.1
done
# --- end of the stand-in internet ------------------------------------------

# A tiny filesystem the test user can fill (the disk-full test): few
# inodes, so a container's rootfs cannot be written there.
FULLFS=/tmp/lxcage-fullfs
mkdir -p "$FULLFS"
mountpoint -q "$FULLFS" || mount -t tmpfs -o size=1m,nr_inodes=24,mode=0755 tmpfs "$FULLFS"
chown "$TEST_USER:" "$FULLFS"

# A directory with a filesystem mounted below it (the read-only share
# test: a submount must not be writable through a read-only share).
SUBMOUNT=/srv/lxcage-submount
mkdir -p "$SUBMOUNT/sub"
mountpoint -q "$SUBMOUNT/sub" || mount -t tmpfs -o size=1m,mode=0755 tmpfs "$SUBMOUNT/sub"
chown "$TEST_USER:" "$SUBMOUNT" "$SUBMOUNT/sub"
chmod 755 /srv "$SUBMOUNT"

# The user's session: runtime dir, Xvfb, dbus, pulseaudio.
rt=/run/user/$uid
mkdir -p "$rt" && chown "$TEST_USER:" "$rt" && chmod 700 "$rt"
mkdir -p /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix
as_user() { runuser -u "$TEST_USER" -- env -i HOME="$home" USER="$TEST_USER" LOGNAME="$TEST_USER" \
	PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="$rt" DISPLAY=":$DISPLAY_NUM" \
	DBUS_SESSION_BUS_ADDRESS="unix:path=$rt/bus" XAUTHORITY="$home/.Xauthority" "$@"; }

if ! [ -S "/tmp/.X11-unix/X$DISPLAY_NUM" ] || ! as_user xdpyinfo >/dev/null 2>&1; then
	log "starting Xvfb :$DISPLAY_NUM with access control"
	rm -f "/tmp/.X11-unix/X$DISPLAY_NUM" "/tmp/.X$DISPLAY_NUM-lock"
	as_user sh -c "rm -f \$HOME/.Xauthority; xauth -q add :$DISPLAY_NUM . \$(mcookie)"
	as_user sh -c "setsid Xvfb :$DISPLAY_NUM -auth \$HOME/.Xauthority -nolisten tcp -noreset -screen 0 1280x800x24 >/tmp/lxcage-xvfb.log 2>&1 &"
	i=0
	until as_user xdpyinfo >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || { log "Xvfb did not start"; cat /tmp/lxcage-xvfb.log >&2; exit 1; }
		sleep 0.1
	done
fi
if ! [ -S "$rt/bus" ] || ! as_user dbus-send --session --dest=org.freedesktop.DBus --print-reply / org.freedesktop.DBus.GetId >/dev/null 2>&1; then
	log "starting the session dbus-daemon"
	rm -f "$rt/bus"
	as_user sh -c "setsid dbus-daemon --session --address=unix:path=$rt/bus --nofork --nopidfile >/tmp/lxcage-dbus.log 2>&1 &"
	i=0
	until [ -S "$rt/bus" ]; do i=$((i + 1)); [ $i -lt 100 ] || { log "dbus-daemon did not start"; exit 1; }; sleep 0.1; done
fi
if ! as_user pactl info >/dev/null 2>&1; then
	log "starting pulseaudio with a null sink"
	as_user sh -c "pulseaudio --daemonize=yes --exit-idle-time=-1 --system=false -n \
		--load='module-native-protocol-unix' --load='module-null-sink sink_name=lxcage_null' \
		--load='module-always-sink' >/tmp/lxcage-pulse.log 2>&1" || true
	i=0
	until as_user pactl info >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 50 ] || { log "pulseaudio did not start"; cat /tmp/lxcage-pulse.log >&2; break; }
		sleep 0.1
	done
fi

if ! [ -S "$rt/pipewire-0" ] || ! as_user timeout 5 pw-cli info 0 >/dev/null 2>&1; then
	log "starting pipewire"
	rm -f "$rt/pipewire-0" "$rt/pipewire-0.lock"
	as_user sh -c "setsid pipewire >/tmp/lxcage-pipewire.log 2>&1 &"
	i=0
	until [ -S "$rt/pipewire-0" ]; do i=$((i + 1)); [ $i -lt 50 ] || { log "pipewire did not start"; break; }; sleep 0.1; done
fi

cat <<EOF
LXCAGE_TEST_USER=$TEST_USER
LXCAGE_TEST_HOME=$home
LXCAGE_TEST_RUNTIME=$rt
LXCAGE_TEST_DISPLAY=:$DISPLAY_NUM
LXCAGE_NOSUB_USER=$NOSUB_USER
LXCAGE_CGROUP=$CG
LXCAGE_CGROUP_NODELEG=$CG_NODELEG
LXCAGE_TEST_FULLFS=$FULLFS
LXCAGE_TEST_SUBMOUNT=$SUBMOUNT
LXCAGE_TEST_INET_ADDR=$INET_ADDR
LXCAGE_TEST_INET_NAME=$INET_NAME
LXCAGE_TEST_INET_MARKER=$INET_MARKER
LXCAGE_TEST_BRIDGE=$INET_BRIDGE
LXCAGE_TEST_RESOLV=$INET_DIR/resolv.conf
EOF
