// Package dhcp gives an app container on a bridge its address, route and
// DNS server. An app container runs no network daemon of its own (its
// init only waits), and its root keeps no CAP_NET_ADMIN, so lxcage runs
// a DHCP client for it from the host: busybox udhcpc, as the user, in
// the container's user and network namespaces (nsenter: the user owns
// that user namespace), where it may configure the container's interface
// and nothing of the host's.
package dhcp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/services"
)

// Resolv is the resolver config of a container on a bridge: written
// (waiting for a lease) before the start and bound read-only; the client
// fills it in place from the lease (the bind keeps the inode).
type Resolv struct {
	// File is the config on the host, in a directory of the launcher's;
	// Inside where it is bound (/etc/resolv.conf).
	File, Inside string
}

// Name implements services.Service.
func (r *Resolv) Name() string { return "resolver config" }

// Phase implements services.Service: LXC binds the file at start.
func (r *Resolv) Phase() services.Phase { return services.BeforeStart }

// Grant implements services.Service.
func (r *Resolv) Grant() services.Grant {
	return services.Grant{Binds: []services.Bind{{Host: r.File, Inside: r.Inside, ReadOnly: true}}}
}

// Start implements services.Service: it writes the placeholder.
func (r *Resolv) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	if err := os.MkdirAll(filepath.Dir(r.File), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(r.File, []byte("# lxcage: waiting for a DHCP lease\n"), 0o644); err != nil {
		return nil, fmt.Errorf("resolver config: %w", err)
	}
	return services.Undo{{Remove: r.File}}, nil
}

// Client is the DHCP client of one container on a bridge.
type Client struct {
	// Dir holds the client's script, log and lease mark: a directory of
	// the launcher's.
	Dir string
	// Interface is the container's interface on the bridge.
	Interface string
	// ResolvFile is the Resolv's file, filled from the lease.
	ResolvFile string
}

// Name implements services.Service.
func (c *Client) Name() string { return "DHCP client" }

// Phase implements services.Service: it needs the container's interface.
func (c *Client) Phase() services.Phase { return services.AfterStart }

// Grant implements services.Service: nothing (Resolv binds the config).
func (c *Client) Grant() services.Grant { return services.Grant{} }

// Start implements services.Service: it runs udhcpc in the container's
// namespaces until it holds a lease, and keeps it running to renew it.
func (c *Client) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	if env.InitPID <= 0 {
		return nil, errors.New("DHCP client: no container init")
	}
	script := filepath.Join(c.Dir, "udhcpc.script")
	bound := filepath.Join(c.Dir, "bound")
	os.Remove(bound)
	if err := os.WriteFile(script, []byte(scriptText(c.ResolvFile, bound)), 0o755); err != nil {
		return nil, fmt.Errorf("DHCP client: %w", err)
	}
	// As the container's root in its user namespace (nsenter's default):
	// that root may configure the container's interface, and only that.
	argv := []string{"nsenter", "--target", fmt.Sprint(env.InitPID), "--user", "--net", "--",
		"busybox", "udhcpc", "-f", "-n", "-i", c.Interface, "-s", script, "-t", "10", "-T", "1", "-A", "5"}
	p, err := services.StartProcess(ctx, env, "udhcpc", argv, filepath.Join(c.Dir, "udhcpc.log"), fileExists(bound))
	if err != nil {
		return nil, fix.Wrap(err, "network = \"bridge\": no lease", "check that the bridge has a DHCP server (lxc-net's dnsmasq on lxcbr0), and that busybox is installed")
	}
	return services.Undo{{Kill: &p}}, nil
}

func fileExists(p string) func() bool {
	return func() bool { _, err := os.Stat(p); return err == nil }
}

// scriptText is udhcpc's event script: it configures the interface from
// the lease with the ip tool (run in the container's network namespace,
// where it was started), writes the resolver config in place and marks
// the lease.
func scriptText(resolv, bound string) string {
	return `#!/bin/sh
# Written by lxcage: udhcpc's events for a container on a bridge.
PATH=/usr/sbin:/sbin:/usr/bin:/bin
# The lease's values are split into words, never expanded as patterns: a
# DHCP server on the bridge (another container) chooses them.
set -f
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface" 2>/dev/null
	ip link set "$interface" up
	;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	ip link set "$interface" up
	for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
	{ echo "# Written by lxcage from the DHCP lease."; for d in $dns; do echo "nameserver $d"; done; } >` + shellQuote(resolv) + `
	: >` + shellQuote(bound) + `
	;;
esac
exit 0
`
}

// shellQuote quotes s for sh in single quotes; a quote inside closes
// them, adds an escaped quote and opens them again.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
