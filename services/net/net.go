// Package net gives a container that has a network namespace of its own
// (network = "nat") outbound access to the host's networks through
// user-mode networking run as the user: slirp4netns or pasta (Debian's
// passt; Service.Tool says which and why). The program joins the
// container's init's user and network namespaces, makes a tap interface
// there, and turns the container's packets into ordinary sockets of the
// user's on the host. The host itself stays out of reach: no address
// inside maps to its loopback, and a filter in the container's namespace
// drops what would leave for the host's loopback or its own addresses.
// The only way in is the TCP ports a profile lists (ForwardTCP), which
// pasta listens for inside and relays to the host's 127.0.0.1.
//
// Two units make it up: ResolvConf (before the container starts) writes
// the resolv.conf bound over the image's, Service (after it starts) runs
// the network. What neither can enforce, the container's config must: no
// process inside may hold CAP_NET_ADMIN or CAP_NET_RAW, or it could take
// the filter away and send packets for 127.0.0.1 out of the interface,
// which both programs deliver to the host's loopback.
package net

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	stdnet "net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
)

// Nameserver is the address the container's resolv.conf names. Both
// programs relay DNS queries sent there to the host's first resolver in
// its /etc/resolv.conf, read when they start (a local stub such as
// systemd-resolved's 127.0.0.53 works): pasta with --dns-forward,
// slirp4netns by itself (the third address of its default 10.0.2.0/24).
// One address for both keeps the resolv.conf independent of which
// program runs. Neither can be pointed at other resolvers: pasta's
// --dns only changes what its DHCP hands out.
const Nameserver = "10.0.2.3"

// The container's side of the network, the same with either program
// (slirp4netns's defaults): its address in 10.0.2.0/24, and the gateway
// with the MAC address it answers with.
const (
	Address    = "10.0.2.100"
	Gateway    = "10.0.2.2"
	GatewayMAC = "52:55:0a:00:02:02"
)

// Tool is a user-mode networking program.
type Tool string

// The programs Service can run.
const (
	Pasta       Tool = "pasta"
	Slirp4netns Tool = "slirp4netns"
)

// Service is the user-mode network of one running container. It gives
// nothing to bind (the resolver config is ResolvConf's) and starts after
// the container, since it joins its init's namespaces.
type Service struct {
	// Dir holds the program's pid file and log: a directory of the
	// launcher's that the container cannot write.
	Dir string
	// Tool picks the program. "" takes pasta, or slirp4netns when pasta
	// is missing or the host has no IPv4 default route (and no
	// ForwardTCP is set: only pasta opens exactly those ports).
	// Measured here, pasta moves 0.52-0.66 of the host's bytes per
	// second to the stand-in internet where slirp4netns moves 0.41-0.47
	// (pasta spends ~25% less CPU per byte). slirp4netns is ready sooner
	// (~6 ms against ~20 ms for Debian 12's pasta, which spends most of
	// it clearing its buffers), but a cold launch does not wait for that
	// alone any more: the app's lxc-attach runs meanwhile in the frozen
	// container (launcher.ensureRunning), and with pasta a cold launch
	// takes 1.20-1.29 times one with network "off".
	Tool Tool
	// ForwardTCP are TCP ports of the host's loopback that the container
	// reaches at 127.0.0.1:PORT (the profile's forward_host_ports); no
	// other port of the host's loopback is reachable. pasta only.
	ForwardTCP []int
	// IPv6 also connects IPv6 where the host has an IPv6 default route.
	// Off, the container has IPv4 only, which starts pasta ~7 ms faster.
	IPv6 bool
}

// Name implements services.Service.
func (s *Service) Name() string { return "user-mode network" }

// Phase implements services.Service.
func (s *Service) Phase() services.Phase { return services.AfterStart }

// Grant implements services.Service: nothing; ResolvConf binds the
// resolver config.
func (s *Service) Grant() services.Grant { return services.Grant{} }

// Start implements services.Service: it connects the network namespace
// of env.InitPID and returns once the container's interface is up and the
// filter is loaded. slirp4netns ends with the container's init; pasta
// does not (it holds the namespace): the Undo ends either.
func (s *Service) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	if env.InitPID <= 0 {
		return nil, errors.New("user-mode network: no container init to connect")
	}
	// pick and the program's flags both follow the host's default routes.
	v4, v6 := defaultRoutes()
	tool, err := s.pick(v4)
	if err != nil {
		return nil, err
	}
	if err := s.check(tool); err != nil {
		return nil, err
	}
	if s.Dir == "" {
		return nil, errors.New("user-mode network: no directory for its files")
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("user-mode network: %w", err)
	}
	start := time.Now()
	// The filter (then the watcher of the host's addresses) and the
	// program touch different things: starting them at once costs about
	// the longer of the two, not their sum. That is safe only while no
	// process in the container runs (env.Frozen): else the relay could
	// carry a packet to the host's loopback before the filter is in
	// (init.lxc runs the image's sleep), and the filter goes first. The
	// watcher starts once the first rules are in, so that its own loads
	// come after them; it is not waited for beyond its start: it compares
	// the addresses with those loaded as soon as it listens for changes.
	addrs := hostAddrs()
	guard := func() watcher {
		if err := loadGuard(ctx, env.Runner, env.InitPID, addrs); err != nil {
			return watcher{err: err}
		}
		return s.beginWatcher(ctx, env, addrs)
	}
	guarded := make(chan watcher, 1)
	if env.Frozen {
		go func() { guarded <- guard() }()
	} else {
		w := guard()
		if w.err != nil {
			return nil, w.err
		}
		guarded <- w
	}
	var proc services.Proc
	var undo services.Undo
	if tool == Pasta {
		var dir string
		if proc, dir, err = s.startPasta(ctx, env, v4, v6); err == nil {
			undo = services.Undo{{Remove: dir}, {Remove: pastaLog(dir)}, {Kill: &proc}}
		}
	} else if proc, err = s.startSlirp(ctx, env, v6); err == nil {
		undo = services.Undo{{Remove: s.pidFile(tool)}, {Kill: &proc}}
	}
	if g := <-guarded; g.proc != nil {
		undo = append(undo, services.Step{Kill: g.proc})
	} else if err == nil {
		err = g.err
	}
	if err != nil {
		undo.Run(ctx, env.Runner)
		return nil, err
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "%s (pid %d) connected container init %d in %v\n", tool, proc.PID, env.InitPID, time.Since(start).Round(100*time.Microsecond))
	}
	return undo, nil
}

// watcher is the watcher of the host's addresses begun, or why the guard
// or the watcher could not start.
type watcher struct {
	proc *services.Proc
	err  error
}

// beginWatcher starts `lxcage _serve netguard` for the container (none
// without the lxcage binary: tests of the relay alone).
func (s *Service) beginWatcher(ctx context.Context, env services.Env, addrs []netip.Addr) watcher {
	if env.Self == "" {
		return watcher{}
	}
	w, err := services.BeginProcess(ctx, env, GuardKind, guardArgs(env.Self, env.InitPID, addrs), s.logFile(GuardKind))
	if err != nil {
		return watcher{err: fmt.Errorf("user-mode network: watch the host's addresses: %w", err)}
	}
	return watcher{proc: &w.Proc}
}

// guardRules are what keeps the container from the host itself through
// the program, loaded as an nftables filter in the container's namespace.
//
// A socket bound to eth0 (SO_BINDTODEVICE needs no privilege) sends
// packets for 127.0.0.1 out of the interface instead of to the
// container's own loopback, and both programs relay them to the host's:
// in the tests a TCP connect and UDP datagrams reached loopback-only
// servers of the host. No route can stop it (for a bound socket the
// kernel sends on-link when the lookup fails, and pasta answers ARP for
// any address). 0.0.0.0/8 and :: mean "this host" to the programs too.
//
// The host's own addresses (hostAddrs; a watcher reloads the rules when
// they change, see hostwatch.go) lead to its servers that listen on all
// addresses, past any firewall for its network (the connection is local
// to the host); the container reaches the host only through ForwardTCP.
//
// The namespace is the container's and nobody else can change its rules,
// so loading flushes first: a second Start for the same container does
// not pile up copies. Plain rules, no sets: nft loads them sooner.
func guardRules(hostAddrs []netip.Addr) string {
	var b strings.Builder
	b.WriteString("flush ruleset\ntable inet lxcage {\n\tchain out {\n\t\ttype filter hook output priority 0; policy accept;\n")
	rule := func(family, dst string) {
		fmt.Fprintf(&b, "\t\toifname != \"lo\" %s daddr %s drop\n", family, dst)
	}
	rule("ip", "127.0.0.0/8")
	rule("ip", "0.0.0.0/8")
	rule("ip6", "::1")
	rule("ip6", "::")
	for _, a := range hostAddrs {
		switch {
		case !guarded(a):
		case a.Is4():
			rule("ip", a.String())
		default:
			rule("ip6", a.String())
		}
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

// guarded reports whether the guard names a host address itself: the
// fixed rules cover loopback and "this host"; link-local addresses are
// not reachable through the relay.
func guarded(a netip.Addr) bool {
	return !a.IsLoopback() && !a.IsUnspecified() && !a.IsLinkLocalUnicast() && a.Zone() == ""
}

// hostAddrs are the host's own addresses now.
func hostAddrs() []netip.Addr {
	as, err := stdnet.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range as {
		if ipn, ok := a.(*stdnet.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out
}

// loadGuard loads guardRules(addrs) in the network namespace of pid. It
// needs the namespace's CAP_NET_ADMIN, which the user has as the owner of
// the container's user namespace and which the container must not have
// (or it could take the rules away).
func loadGuard(ctx context.Context, r run.Runner, pid int, addrs []netip.Addr) error {
	_, err := r.Run(ctx, strings.NewReader(guardRules(addrs)), "nsenter", "--target", strconv.Itoa(pid),
		"--user", "--net", "--", sbin("nft"), "-f", "-")
	if err != nil {
		var te *run.ToolError
		if errors.As(err, &te) && strings.Contains(te.Stderr, "No such file") {
			return fix.Wrap(err, "nft is not installed", "as root: apt-get install nftables")
		}
		return fmt.Errorf("close the host to the container: %w", err)
	}
	return nil
}

// sbin finds a program that users' PATHs often lack (/usr/sbin).
func sbin(name string) string {
	if p, err := lookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin/", "/sbin/"} {
		if _, err := os.Stat(d + name); err == nil {
			return d + name
		}
	}
	return name
}

// lookPath finds a program; tests replace it.
var lookPath = exec.LookPath

// pick returns the program to run (see Service.Tool): pasta for its
// throughput, slirp4netns where pasta is missing or the host has no IPv4
// default route (v4 false).
func (s *Service) pick(v4 bool) (Tool, error) {
	switch s.Tool {
	case Pasta, Slirp4netns:
		return s.Tool, nil
	case "":
	default:
		return "", fmt.Errorf("user-mode network: unknown program %q (pasta or slirp4netns)", s.Tool)
	}
	order := []Tool{Pasta, Slirp4netns}
	// pasta serves IPv4 only with the host's IPv4 default route as its
	// template; slirp4netns just connects through the host's routes.
	if !v4 {
		order = []Tool{Slirp4netns, Pasta}
	}
	if len(s.ForwardTCP) > 0 {
		order = []Tool{Pasta}
	}
	for _, t := range order {
		if _, err := lookPath(string(t)); err == nil {
			return t, nil
		}
	}
	if len(s.ForwardTCP) > 0 {
		return "", fix.New("forward_host_ports needs pasta, which is not installed", "as root: apt-get install passt")
	}
	return "", fix.New(`network = "nat" needs slirp4netns or pasta, and neither is installed`,
		"as root: apt-get install slirp4netns passt")
}

// check refuses settings the program cannot honour, and hostile values.
func (s *Service) check(tool Tool) error {
	for _, p := range s.ForwardTCP {
		if p < 1 || p > 65535 {
			return fmt.Errorf("forward_host_ports: %d is not a TCP port (1-65535)", p)
		}
	}
	if tool == Slirp4netns && len(s.ForwardTCP) > 0 {
		return fix.New("forward_host_ports needs pasta (slirp4netns can only open all of the host's loopback or none)",
			"as root: apt-get install passt")
	}
	return nil
}

func (s *Service) pidFile(t Tool) string { return s.Dir + "/" + string(t) + ".pid" }
func (s *Service) logFile(t Tool) string { return s.Dir + "/" + string(t) + ".log" }

// ports renders ForwardTCP for pasta's -T: sorted, without repeats.
func (s *Service) ports() string {
	ps := slices.Clone(s.ForwardTCP)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = strconv.Itoa(p)
	}
	return strings.Join(out, ",")
}

// defaultRoutes reports whether the host has an IPv4 and an IPv6
// default route: pasta takes its template interface from them and fails
// for a family without one.
func defaultRoutes() (v4, v6 bool) {
	v4 = anyLine("/proc/net/route", func(f []string) bool {
		_, ok := defaultRoute4(f)
		return ok
	})
	v6 = anyLine("/proc/net/ipv6_route", func(f []string) bool {
		// The kernel lists an unreachable default on lo; only a real
		// interface's counts.
		dev, ok := defaultRoute6(f)
		return ok && dev != "lo"
	})
	return v4, v6
}

// defaultRoute4 says a line of a "route" table of /proc (split into
// fields: "eth0 00000000 0202000A 0003 ...") is a default route, a
// destination and mask of zero, and names its device.
func defaultRoute4(f []string) (dev string, ok bool) {
	if len(f) > 7 && f[1] == "00000000" && f[7] == "00000000" {
		return f[0], true
	}
	return "", false
}

// defaultRoute6 says a line of an "ipv6_route" table of /proc is a
// default route, a destination of zero and prefix length 0, and names
// its device (the last field).
func defaultRoute6(f []string) (dev string, ok bool) {
	if len(f) > 9 && f[0] == strings.Repeat("0", 32) && f[1] == "00" {
		return f[9], true
	}
	return "", false
}

// anyLine says some line of a table of /proc, split into fields, passes
// match (false when the file cannot be read).
func anyLine(path string, match func(fields []string) bool) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if match(strings.Fields(sc.Text())) {
			return true
		}
	}
	return false
}
