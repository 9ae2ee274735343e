package net

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/services"
	"golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"
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
//     log's open (read and write) anywhere; startPasta gives it a log
//     of its own opening as stdout and stderr instead.
//
// With pidFile, pasta daemonizes once it is set up and writes the
// daemon's pid there (the bench's raw runs); without, it stays in the
// foreground (--foreground), as startPasta runs it.
func (s *Service) pastaArgs(pidFile string, pid int, v4, v6 bool) []string {
	fwd := "none"
	if len(s.ForwardTCP) > 0 {
		fwd = s.ports()
	}
	ns := "/proc/" + strconv.Itoa(pid) + "/ns/"
	args := []string{"--quiet"}
	if pidFile != "" {
		args = append(args, "--pid", pidFile)
	} else {
		args = append(args, "--foreground")
	}
	args = append(args, "--config-net", "--ns-ifname", "eth0", "--no-map-gw",
		"--address", Address, "--netmask", "24", "--gateway", Gateway, "--mac-addr", GatewayMAC,
		"--tcp-ports", "none", "--udp-ports", "none", "--tcp-ns", fwd, "--udp-ns", "none",
		"--dns-forward", Nameserver)
	switch {
	case v4 && (!s.IPv6 || !v6):
		args = append(args, "--ipv4-only")
	case v6 && !v4:
		args = append(args, "--ipv6-only")
	}
	return append(args, "--userns", ns+"user", "--netns", ns+"net")
}

// pastaLog is pasta's output in the directory startPasta made.
func pastaLog(dir string) string { return dir + "/pasta.log" }

// startPasta runs pasta in a session of its own, in the foreground, and
// waits until the container's interface is configured; it returns pasta
// and the directory of its log. v4 and v6 say which default routes the
// host has.
//
// Ready means: the default route(s) pasta sets up are in the container's
// namespace, and so is a listener for each forwarded port. pasta
// configures the interface early in its start (a quarter of its ~20 ms
// here); its socket and pipe pools and the page faults of its buffers
// come after, and now overlap the thaw of the container. A packet the
// app sends meanwhile waits in the tap device's queue until pasta reads
// it. (Waiting for pasta to daemonize, as before, held every cold
// launch with a network for that whole time.)
func (s *Service) startPasta(ctx context.Context, env services.Env, v4, v6 bool) (services.Proc, string, error) {
	// Debian's AppArmor profile for pasta lets it write only below /tmp
	// or the user's home, not in Dir (under XDG_RUNTIME_DIR), and that
	// holds for a log it inherits too: a directory of its own in /tmp,
	// private (0700) and fresh. The container has a /tmp of its own and
	// may not share the host's.
	dir, err := os.MkdirTemp("/tmp", "lxcage-pasta-")
	if err != nil {
		return services.Proc{}, "", fmt.Errorf("pasta: a directory for its log: %w", err)
	}
	logPath := pastaLog(dir)
	fail := func(err error) (services.Proc, string, error) {
		os.Remove(logPath)
		os.Remove(dir)
		return services.Proc{}, "", err
	}
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fail(fmt.Errorf("pasta: log: %w", err))
	}
	cmd := env.Runner.Command(string(Pasta), s.pastaArgs("", env.InitPID, v4, v6)...)
	if p := avx2Build(cmd.Path, cpu.X86.HasAVX2); p != "" {
		cmd.Path, cmd.Args[0] = p, p
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stdout, cmd.Stderr = log, log
	err = cmd.Start()
	log.Close()
	if err != nil {
		return fail(pastaStartError(err))
	}
	exited := make(chan struct{})
	// Reap it if it ends while this process lives.
	go func() { cmd.Wait(); close(exited) }()
	// On a host with both families, the IPv4 route comes first and the
	// IPv6 one in the same moment; without either, pasta fails at once.
	want := readiness{v4: v4 || !v6, v6: v6 && !v4, ports: s.ForwardTCP}
	if err := waitConfigured(ctx, env.InitPID, want, exited); err != nil {
		cmd.Process.Kill()
		<-exited
		b, _ := os.ReadFile(logPath)
		if msg := pastaMessages(string(b)); msg != "" && ctx.Err() == nil {
			return fail(pastaError(msg))
		}
		return fail(fmt.Errorf("pasta: %w", err))
	}
	pid := cmd.Process.Pid
	start, err := services.ProcStartTime(pid)
	if err != nil {
		return fail(fmt.Errorf("pasta (pid %d) ended right after it started", pid))
	}
	return services.Proc{Name: string(Pasta), PID: pid, Start: start, ExitSuffices: true}, dir, nil
}

// avx2Build is the AVX2 build of the pasta at path, installed beside it
// as pasta.avx2 (Debian's passt package), when the CPU has AVX2; "" when
// there is none to run. pasta itself would execute that build again at
// its start: running it directly saves one exec and load of the program
// on every launch with a network (about 1.5 ms here, BenchmarkNATStart).
// It is the same program (Debian's AppArmor profile for pasta covers
// both builds), and it takes its name, pasta, from argv[0] less ".avx2".
func avx2Build(path string, avx2 bool) string {
	if !avx2 || filepath.Base(path) != string(Pasta) {
		return ""
	}
	fi, err := os.Stat(path + ".avx2")
	if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return ""
	}
	return path + ".avx2"
}

// readiness is what pasta's start shows in the container's namespace
// once the container can use it.
type readiness struct {
	v4, v6 bool
	ports  []int
}

// waitConfigured polls the container's routes and listeners (the files
// of its namespace under /proc/PID/net) until want holds, pasta exits,
// ctx ends or ReadyTimeout passes.
func waitConfigured(ctx context.Context, initPID int, want readiness, exited <-chan struct{}) error {
	base := "/proc/" + strconv.Itoa(initPID) + "/net/"
	// The routes of this process's own namespace would pass for pasta's.
	if sameNetns(initPID) {
		return fmt.Errorf("process %d is in this process's network namespace, not a container's", initPID)
	}
	deadline := time.Now().Add(services.ReadyTimeout)
	for {
		if want.met(base) {
			select {
			case <-exited: // what it set up is gone with it
				return errors.New("exited at start")
			default:
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("exited at start")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Microsecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the container's interface not configured in %v", services.ReadyTimeout)
		}
	}
}

// sameNetns says process pid shares this process's network namespace.
func sameNetns(pid int) bool {
	var a, b unix.Stat_t
	return unix.Stat("/proc/self/ns/net", &a) == nil && unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/net", &b) == nil &&
		a.Dev == b.Dev && a.Ino == b.Ino
}

// met says the namespace whose /proc/PID/net is base shows want.
func (r readiness) met(base string) bool {
	if r.v4 && !anyLine(base+"route", onEth0(defaultRoute4)) || r.v6 && !anyLine(base+"ipv6_route", onEth0(defaultRoute6)) {
		return false
	}
	for _, p := range r.ports {
		if !listening(base+"tcp", p) && !listening(base+"tcp6", p) {
			return false
		}
	}
	return true
}

// onEth0 matches a default route through the container's interface.
func onEth0(route func([]string) (string, bool)) func([]string) bool {
	return func(f []string) bool {
		dev, ok := route(f)
		return ok && dev == "eth0"
	}
}

// listening says a tcp or tcp6 table of /proc/PID/net has a socket
// listening (state 0A) on port.
func listening(path string, port int) bool {
	suffix := fmt.Sprintf(":%04X", port)
	return anyLine(path, func(f []string) bool {
		return len(f) >= 4 && strings.HasSuffix(f[1], suffix) && f[3] == "0A"
	})
}

// pastaStartError is why pasta could not be run at all.
func pastaStartError(err error) error {
	if errors.Is(err, exec.ErrNotFound) {
		return fix.Wrap(err, "pasta is not installed", "as root: apt-get install passt")
	}
	return fmt.Errorf("start pasta: %w", err)
}

// pastaError turns pasta's own error lines into what the user can act
// on, with a fix where the cause is known. pasta's message says it all:
// its exit status and argv would only bury it.
func pastaError(msg string) error {
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
