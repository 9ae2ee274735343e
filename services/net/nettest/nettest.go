// Package nettest is what tests of container networking share: the
// stand-in internet that hack/setup-host.sh makes (a web and DNS server
// in a network namespace of their own), and probes that run inside a
// container and report what they reach. A test binary becomes a probe
// when the environment says so: call Main first in TestMain, then run
// the binary inside the container (lxc-attach, bound in) with
// ProbeEnv=serve and talk to it through a Prober.
package nettest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The stand-in internet (hack/setup-host.sh); LXCAGE_TEST_INET_* in the
// environment override the defaults.
var (
	// InetAddr is the web and DNS server's address.
	InetAddr = env("LXCAGE_TEST_INET_ADDR", "198.18.113.2")
	// InetName is the name its DNS server answers with InetAddr.
	InetName = env("LXCAGE_TEST_INET_NAME", "inet.lxcage.test")
	// InetMarker is the body of its web page "/".
	InetMarker = env("LXCAGE_TEST_INET_MARKER", "lxcage-stand-in-internet")
	// Bridge is the bridge leading to it that the test user may attach
	// containers to (network = "bridge"); it serves DHCP in 198.18.9.0/24.
	Bridge = env("LXCAGE_TEST_BRIDGE", "lxcagebr0")
)

// BigPath is a 64 MiB file on the stand-in web server, for throughput.
const BigPath = "/big"

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// InetUp reports whether the stand-in internet answers from here.
func InetUp() error {
	c, err := net.DialTimeout("tcp", InetAddr+":80", 2*time.Second)
	if err != nil {
		return fmt.Errorf("the stand-in internet (%s) does not answer: %w; as root: hack/setup-host.sh", InetAddr, err)
	}
	return c.Close()
}

// ProbeEnv names the probes a test binary runs instead of its tests:
// "serve" reads probes from stdin, one a line, and answers each with one
// line; anything else is probes separated by ";" (for a profile's [env]:
// LXCAGE_NET_PROBE = "get http://…/; abstract; netcaps"), answered one a
// line on stdout.
const ProbeEnv = "LXCAGE_NET_PROBE"

// Main runs the probe the environment asks for, then exits; without
// ProbeEnv it returns.
func Main() {
	spec := os.Getenv(ProbeEnv)
	if spec == "" {
		return
	}
	if spec != "serve" {
		for _, p := range strings.Split(spec, ";") {
			if w := strings.Fields(p); len(w) > 0 {
				fmt.Println(Probe(w))
			}
		}
		os.Exit(0)
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Println(Probe(strings.Fields(in.Text())))
	}
	os.Exit(0)
}

// Probe runs one probe and returns its one-line answer:
//
//	get URL              "ok STATUS FIRSTLINE" or the error
//	download URL         "ok BYTES NANOSECONDS"
//	rtt URL N            "ok NANOSECONDS": the mean of N small requests on one connection
//	dial HOST:PORT…      "connected GREETING", "refused", "unreachable", "timeout" or the error;
//	                     for several addresses (dialled at once) the answers joined by " | "
//	dialdev IF HOST:PORT dial from a socket bound to interface IF (SO_BINDTODEVICE, which
//	                     needs no privilege): an attempt to send to the host's loopback out of IF
//	senddev IF HOST:PORT send a UDP datagram ("probe") the same way: "sent" or the error
//	resolve NAME [DNS]   "ok ADDR…" or the error ("notfound" for an answer that there is none);
//	                     with DNS (an address) asks that server, else /etc/resolv.conf's
//	abstract             the host-visible abstract Unix socket names in /proc/net/unix, or "none"
//	gateway              the default gateway, or "none"
//	addrs                the addresses of the interfaces, loopback ones aside
//	arp                  the neighbours' MAC addresses ("IP=MAC …", or "none")
//	netcaps              "raw=… admin=…": whether a raw socket and an interface change work
func Probe(words []string) string {
	if len(words) == 0 {
		return "error: empty probe"
	}
	arg := func(i int) string {
		if i < len(words) {
			return words[i]
		}
		return ""
	}
	switch words[0] {
	case "get":
		return get(arg(1))
	case "download":
		return download(arg(1))
	case "rtt":
		return rtt(arg(1), arg(2))
	case "dial":
		return dialAll(words[1:])
	case "dialdev":
		return dialDev(arg(1), arg(2))
	case "senddev":
		return sendDev(arg(1), arg(2))
	case "resolve":
		return resolve(arg(1), arg(2))
	case "abstract":
		return abstract()
	case "gateway":
		return gateway()
	case "addrs":
		return addrs()
	case "arp":
		return arp()
	case "netcaps":
		return netcaps()
	}
	return "error: unknown probe " + strconv.Quote(words[0])
}

// client ignores proxies: the probe measures the network, not the env.
var client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{Proxy: nil, DisableCompression: true}}

func get(url string) string {
	resp, err := client.Get(url)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	line, _, _ := strings.Cut(string(b), "\n")
	return fmt.Sprintf("ok %d %s", resp.StatusCode, line)
}

func download(url string) string {
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	n, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 1<<20))
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("ok %d %d", n, time.Since(start).Nanoseconds())
}

func rtt(url, count string) string {
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return "error: count " + strconv.Quote(count)
	}
	if got := get(url); !strings.HasPrefix(got, "ok") {
		return got // and the connection is open for the rest
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if got := get(url); !strings.HasPrefix(got, "ok") {
			return got
		}
	}
	return fmt.Sprintf("ok %d", time.Since(start).Nanoseconds()/int64(n))
}

func dialAll(addrs []string) string {
	out := make([]string, len(addrs))
	done := make(chan struct{})
	for i, a := range addrs {
		go func() { out[i] = dial(a); done <- struct{}{} }()
	}
	for range addrs {
		<-done
	}
	return strings.Join(out, " | ")
}

// bindTo is a dialer Control that binds the socket to an interface.
func bindTo(dev string) func(_, _ string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = unix.BindToDevice(int(fd), dev) })
		if err == nil {
			err = serr
		}
		return err
	}
}

func dialDev(dev, addr string) string {
	return dialWith(&net.Dialer{Timeout: 2 * time.Second, Control: bindTo(dev)}, addr)
}

func sendDev(dev, addr string) string {
	d := net.Dialer{Control: bindTo(dev)}
	c, err := d.Dial("udp", addr)
	if err != nil {
		return "error: " + err.Error()
	}
	defer c.Close()
	for i := 0; i < 3; i++ {
		if _, err := c.Write([]byte("probe")); err != nil {
			return "error: " + err.Error()
		}
	}
	return "sent"
}

func dial(addr string) string {
	return dialWith(&net.Dialer{Timeout: 2 * time.Second}, addr)
}

func dialWith(d *net.Dialer, addr string) string {
	c, err := d.Dial("tcp", addr)
	switch {
	case err == nil:
		defer c.Close()
		// A server of the test greets; reading it proves whose it is.
		c.SetReadDeadline(time.Now().Add(time.Second))
		b := make([]byte, 128)
		n, _ := c.Read(b)
		return strings.TrimSpace("connected " + string(b[:n]))
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "unreachable"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "error: " + err.Error()
}

func resolve(name, server string) string {
	r := &net.Resolver{PreferGo: true}
	if server != "" {
		r.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, net.JoinHostPort(server, "53"))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := r.LookupHost(ctx, name)
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return "notfound"
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return "ok " + strings.Join(addrs, " ")
}

// AbstractSockets returns the abstract socket names in a /proc/net/unix
// listing (without the leading "@").
func AbstractSockets(procNetUnix string) []string {
	var out []string
	for _, l := range strings.Split(procNetUnix, "\n")[1:] {
		f := strings.Fields(l)
		if len(f) >= 8 && strings.HasPrefix(f[7], "@") {
			out = append(out, strings.TrimPrefix(f[7], "@"))
		}
	}
	return out
}

func abstract() string {
	b, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		return "error: " + err.Error()
	}
	if s := AbstractSockets(string(b)); len(s) > 0 {
		return strings.Join(s, " ")
	}
	return "none"
}

func gateway() string {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return "error: " + err.Error()
	}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) > 7 && f[1] == "00000000" && f[7] == "00000000" {
			g, err := strconv.ParseUint(f[2], 16, 32)
			if err != nil {
				break
			}
			// /proc/net/route prints the address in host (little-endian) order.
			return net.IPv4(byte(g), byte(g>>8), byte(g>>16), byte(g>>24)).String()
		}
	}
	return "none"
}

func addrs() string {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return "error: " + err.Error()
	}
	var out []string
	for _, a := range as {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() {
			out = append(out, ipn.String())
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, " ")
}

func arp() string {
	b, err := os.ReadFile("/proc/net/arp")
	if err != nil {
		return "error: " + err.Error()
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n")[1:] {
		if f := strings.Fields(l); len(f) >= 4 {
			out = append(out, f[0]+"="+f[3])
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, " ")
}

// netcaps tries what only CAP_NET_RAW and CAP_NET_ADMIN in the
// container's own namespaces allow: a packet socket (to send packets
// addressed to anything, 127.0.0.1 included, out of the interface) and
// changing an interface (here: setting eth0's MTU to what it is).
func netcaps() string {
	raw := "denied"
	if fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0); err == nil {
		unix.Close(fd)
		raw = "allowed"
	} else if !errors.Is(err, unix.EPERM) {
		raw = "error:" + err.Error()
	}
	admin := "denied"
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return "error: " + err.Error()
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("eth0")
	if err != nil {
		return "error: " + err.Error()
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFMTU, ifr); err != nil {
		return "error: no eth0: " + err.Error()
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFMTU, ifr); err == nil {
		admin = "allowed"
	} else if !errors.Is(err, unix.EPERM) {
		admin = "error:" + err.Error()
	}
	return "raw=" + raw + " admin=" + admin
}

// Prober talks to a probe serving in a container.
type Prober struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// StartProber starts cmd (which runs a test binary inside a container
// with ProbeEnv=serve) and returns a Prober talking to it.
func StartProber(cmd *exec.Cmd) (*Prober, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &Prober{cmd: cmd, in: in, out: bufio.NewScanner(out)}, nil
}

// Do runs one probe and returns its answer.
func (p *Prober) Do(words ...string) (string, error) {
	if _, err := fmt.Fprintln(p.in, strings.Join(words, " ")); err != nil {
		return "", fmt.Errorf("probe %v: %w", words, err)
	}
	if !p.out.Scan() {
		return "", fmt.Errorf("probe %v: no answer (%v)", words, p.out.Err())
	}
	return p.out.Text(), nil
}

// Close ends the probe.
func (p *Prober) Close() error {
	p.in.Close()
	return p.cmd.Wait()
}
