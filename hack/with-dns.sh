#!/bin/sh
# with-dns.sh RESOLV CMD…: run CMD with RESOLV bound over /etc/resolv.conf
# (as root, in a mount namespace of its own: run it under unshare --mount).
set -eu
resolv=$1
shift
mount --bind "$resolv" /etc/resolv.conf
exec "$@"
