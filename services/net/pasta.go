package net

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
)

// pastaArgs is pasta's command line for the container whose init is
// pid. Each flag is there for a reason:
//   - -t none -u none: no host port is forwarded into the container;
//   - -T/-U: pasta's default forwards every port bound on the host's
//     loopback into the container's; only the listed TCP ports are;
//   - --no-map-gw: by default the gateway address inside is the host's
//     loopback; with this it is just the gateway;
//   - --address, --netmask, --gateway, --mac-addr: the container sees the
//     network slirp4netns shows (10.0.2.100/24, gateway 10.0.2.2), not
//     the host's address, gateway and MAC address, which pasta copies
//     by default (the MAC address is a stable identifier of the machine);
//   - --dns-forward: queries to Nameserver go to the host's resolver;
//   - -4: one family halves the buffers pasta prepares at start;
//   - no --log-file: Debian's AppArmor profile for pasta refuses the
//     log's open (read and write) anywhere; its errors at start come on
//     its stderr, which the runner keeps, and later ones go to syslog.
//
// pasta daemonizes once the interface inside is configured: its exit is
// the ready signal, and the daemon's pid is in the pid file.
func (s *Service) pastaArgs(pidFile string, pid int, v4, v6 bool) []string {
	fwd := "none"
	if len(s.ForwardTCP) > 0 {
		fwd = s.ports()
	}
	ns := "/proc/" + strconv.Itoa(pid) + "/ns/"
	args := []string{"--quiet", "--pid", pidFile,
		"--config-net", "--ns-ifname", "eth0", "--no-map-gw",
		"--address", Address, "--netmask", "24", "--gateway", Gateway, "--mac-addr", GatewayMAC,
		"--tcp-ports", "none", "--udp-ports", "none", "--tcp-ns", fwd, "--udp-ns", "none",
		"--dns-forward", Nameserver}
	switch {
	case v4 && (!s.IPv6 || !v6):
		args = append(args, "--ipv4-only")
	case v6 && !v4:
		args = append(args, "--ipv6-only")
	}
	return append(args, "--userns", ns+"user", "--netns", ns+"net")
}

// pastaPidFile is pasta's pid file in the directory startPasta made.
func pastaPidFile(dir string) string { return dir + "/pasta.pid" }

// startPasta runs pasta and waits for it to daemonize; it returns the
// daemon and the directory of its pid file. v4 and v6 say which default
// routes the host has.
func (s *Service) startPasta(ctx context.Context, env services.Env, v4, v6 bool) (services.Proc, string, error) {
	// Debian's AppArmor profile for pasta lets it write its pid file and
	// log only below /tmp or the user's home, not in Dir (under
	// XDG_RUNTIME_DIR): a directory of its own in /tmp, private (0700)
	// and fresh, so that no stale pid file passes for this run's. The
	// container has a /tmp of its own and may not share the host's.
	dir, err := os.MkdirTemp("/tmp", "lxcage-pasta-")
	if err != nil {
		return services.Proc{}, "", fmt.Errorf("pasta: a directory for its pid file: %w", err)
	}
	pidFile := pastaPidFile(dir)
	fail := func(err error) (services.Proc, string, error) {
		os.Remove(pidFile)
		os.Remove(dir)
		return services.Proc{}, "", err
	}
	if _, err := env.Runner.Run(ctx, nil, string(Pasta), s.pastaArgs(pidFile, env.InitPID, v4, v6)...); err != nil {
		return fail(pastaError(err))
	}
	pid, err := readPID(pidFile)
	if err != nil {
		return fail(fmt.Errorf("pasta started but left no pid: %w", err))
	}
	start, err := services.ProcStartTime(pid)
	if err != nil {
		return fail(fmt.Errorf("pasta (pid %d) ended right after it started (its messages are in the system log)", pid))
	}
	return services.Proc{Name: string(Pasta), PID: pid, Start: start, ExitSuffices: true}, dir, nil
}

// pastaError turns a failed pasta run into what the user can act on: its
// own error lines (from its stderr), with a fix where the cause is known.
func pastaError(err error) error {
	var te *run.ToolError
	if !errors.As(err, &te) {
		return fmt.Errorf("pasta: %w", err)
	}
	if te.NotFound() {
		return fix.Wrap(err, "pasta is not installed", "as root: apt-get install passt")
	}
	msg := pastaMessages(te.Stderr)
	if msg == "" {
		return fmt.Errorf("pasta: %w", err)
	}
	// pasta's message says it all; the exit status and argv would only
	// bury it.
	cause := "pasta: " + msg
	switch {
	case strings.Contains(msg, "tun"):
		return fix.New(cause, "as root: chmod 0666 /dev/net/tun (Debian's default; where udev does not set it, add that to the boot)")
	case strings.Contains(msg, "routable interface"), strings.Contains(msg, "template interface"):
		return fix.New(cause, `connect the host to a network with a default route, or set network = "off"`)
	}
	return errors.New(cause)
}

// pastaMessages are pasta's lines on stderr, without its banner and
// its complaints that there is no syslog to copy them to.
func pastaMessages(stderr string) string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "", strings.HasSuffix(l, "to syslog"), strings.HasPrefix(l, "pasta ") && strings.Contains(l, "version"):
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "; ")
}
