package net

import (
	"context"
	"fmt"
	stdnet "net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/net/nettest"
)

// tools are the programs installed here, each a subtest; in CI both
// must be.
func tools(t *testing.T) []Tool {
	var out []Tool
	for _, tool := range []Tool{Pasta, Slirp4netns} {
		_, err := exec.LookPath(string(tool))
		if err != nil && os.Getenv("CI") != "" {
			t.Errorf("%s is not installed (hack/setup-host.sh installs it)", tool)
		}
		if err == nil {
			out = append(out, tool)
		}
	}
	if len(out) == 0 {
		need(t, fmt.Errorf("neither pasta nor slirp4netns"), "user-mode networking")
	}
	return out
}

// killOf returns the process an Undo ends.
func killOf(t testing.TB, u services.Undo) services.Proc {
	for _, s := range u {
		if s.Kill != nil {
			return *s.Kill
		}
	}
	t.Fatalf("undo %+v ends no process", u)
	return services.Proc{}
}

// TestNAT: from inside a container on the user-mode network, the
// stand-in internet answers by address and by name, and nothing of the
// host's answers: not its loopback at 127.0.0.1, at the gateway, at any
// address of the host's or from a socket bound to eth0; not a server on
// all of its addresses; not an abstract socket. After the Undo
// the program is gone.
func TestNAT(t *testing.T) {
	need(t, nettest.InetUp(), "the stand-in internet")
	for _, tool := range tools(t) {
		t.Run(string(tool), func(t *testing.T) {
			c := startCtr(t)
			// The host's loopback services: a TCP server and an abstract
			// socket, both reachable from the host itself.
			srv := newHostServer(t, "127.0.0.1:0", "host-loopback-secret")
			port := srv.port
			// A server on all of the host's addresses, as sshd or a
			// database: not the internet, not for the container.
			all := newHostServer(t, ":0", "host-all-addresses")
			abs, err := stdnet.Listen("unix", "@lxcage-net-test-"+strconv.Itoa(os.Getpid()))
			if err != nil {
				t.Fatal(err)
			}
			defer abs.Close()
			if got := nettest.Probe([]string{"dial", "127.0.0.1:" + strconv.Itoa(port)}); got != "connected host-loopback-secret" {
				t.Fatalf("the host cannot reach its own loopback server: %s", got)
			}
			srv.accepted.Store(0)
			if got := c.do("get", "http://"+nettest.InetAddr+"/"); strings.HasPrefix(got, "ok") {
				t.Fatalf("reached the stand-in internet before the network started: %s", got)
			}

			undo := c.startNet(t, &Service{Tool: tool})
			proc := killOf(t, undo)

			if got, want := c.do("get", "http://"+nettest.InetAddr+"/"), "ok 200 "+nettest.InetMarker; got != want {
				t.Errorf("stand-in internet by address: %s, want %s", got, want)
			}
			checkDNS(t, c)
			checkIdentity(t, c)

			// The host's loopback, every way in.
			targets := []string{"127.0.0.1", "10.0.2.2"}
			if gw := c.do("gateway"); gw != "none" {
				targets = append(targets, gw)
			}
			targets = append(targets, hostIPs()...)
			slices.Sort(targets)
			targets = slices.Compact(targets)
			checkUnreached(t, c, targets, port, "host-loopback-secret")
			checkUnreached(t, c, targets, all.port, "host-all-addresses")
			// A socket bound to eth0 (no privilege needed) sends to 127.0.0.1
			// out of the interface; the relay would pass it to the host's.
			udp := newHostUDP(t, "127.0.0.1:"+strconv.Itoa(port))
			for _, a := range []string{"127.0.0.1", "127.0.0.2", "0.0.0.0"} {
				addr := a + ":" + strconv.Itoa(port)
				t.Logf("from a socket bound to eth0 to %s: tcp %s, udp %s", addr, c.do("dialdev", "eth0", addr), c.do("senddev", "eth0", addr))
			}
			if n := srv.accepted.Load() + all.accepted.Load(); n > 0 {
				t.Errorf("the host's servers accepted %d connections from inside", n)
			}
			if n := udp.received.Load(); n > 0 {
				t.Errorf("the host's loopback UDP server received %d datagrams from inside", n)
			}
			if got := c.do("abstract"); slices.Contains(strings.Fields(got), abs.Addr().String()[1:]) || got != "none" {
				t.Errorf("abstract sockets inside: %s (the host's %s must not be among them)", got, abs.Addr())
			}
			if got := c.do("netcaps"); got != "raw=denied admin=denied" {
				t.Errorf("inside, the container's root may: %s", got)
			}

			undo.Run(context.Background(), run.Exec{})
			if !waitGone(proc) {
				t.Errorf("%s (pid %d) still runs after the undo", tool, proc.PID)
			}
			if got := c.do("get", "http://"+nettest.InetAddr+"/"); strings.HasPrefix(got, "ok") {
				t.Errorf("the stand-in internet still answers after the undo: %s", got)
			}
		})
	}
}

// checkIdentity: the container sees the network both programs show, and
// neither the host's addresses nor its MAC addresses (pasta copies them
// unless told otherwise).
func checkIdentity(t *testing.T, c *ctr) {
	t.Helper()
	if got := c.do("addrs"); !strings.HasPrefix(got, Address+"/24") {
		t.Errorf("addresses inside: %s, want %s/24 first", got, Address)
	}
	arp := c.do("arp")
	if !strings.Contains(arp, Gateway+"="+GatewayMAC) {
		t.Errorf("neighbours inside: %s, want %s at %s", arp, Gateway, GatewayMAC)
	}
	ifs, err := stdnet.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if len(i.HardwareAddr) > 0 && strings.Contains(arp, i.HardwareAddr.String()) {
			t.Errorf("the host's MAC address %s (%s) is seen inside: %s", i.HardwareAddr, i.Name, arp)
		}
	}
	inside := c.do("addrs")
	for _, a := range hostIPs() {
		if ip := stdnet.ParseIP(a); ip != nil && !ip.IsLoopback() && strings.Contains(" "+inside, " "+a+"/") {
			t.Errorf("the host's address %s is the container's: %s", a, inside)
		}
	}
}

// checkUnreached dials port at each address from inside; none may lead
// to the host's server that greets with greeting.
func checkUnreached(t *testing.T, c *ctr, addrs []string, port int, greeting string) {
	t.Helper()
	words := []string{"dial"}
	for _, a := range addrs {
		words = append(words, stdnet.JoinHostPort(a, strconv.Itoa(port)))
	}
	got := strings.Split(c.do(words...), " | ")
	var seen []string
	for i, a := range words[1:] {
		if i >= len(got) {
			t.Fatalf("no answer for %s: %v", a, got)
		}
		if strings.Contains(got[i], greeting) {
			t.Errorf("the host's server %q answered inside at %s", greeting, a)
		}
		seen = append(seen, a+" "+got[i])
	}
	t.Logf("inside: %s", strings.Join(seen, ", "))
}

// checkDNS: the container's resolver (its resolv.conf, ours) answers
// with what the host's resolver answers, through Go's resolver and the C
// library's (getent). Under the test setup (hack/setup-host.sh, and the
// tests run as root) the host's resolver knows the stand-in's name.
func checkDNS(t *testing.T, c *ctr) {
	t.Helper()
	if got, err := c.attach("cat", "/etc/resolv.conf"); err != nil || !strings.Contains(got, "nameserver "+Nameserver) {
		t.Errorf("resolv.conf inside: %v %q", err, got)
	}
	// The container's root cannot point the resolver elsewhere: the
	// file is bound read-only.
	if _, err := c.attach("sh", "-c", "echo nameserver 192.0.2.99 > /etc/resolv.conf"); err == nil {
		t.Error("the container's root rewrote its resolv.conf")
	}
	want := "ok " + nettest.InetAddr
	if host := nettest.Probe([]string{"resolve", nettest.InetName}); host != want {
		if os.Getenv("CI") != "" {
			t.Errorf("the host's resolver answers %s for %s: run the tests as root after hack/setup-host.sh", host, nettest.InetName)
		}
		t.Logf("the host's resolver does not know %s (%s); not checking DNS", nettest.InetName, host)
		return
	}
	if got := c.do("resolve", nettest.InetName); got != want {
		t.Errorf("resolve %s inside: %s, want %s", nettest.InetName, got, want)
	}
	out, err := c.attach("getent", "hosts", nettest.InetName)
	if f := strings.Fields(out); err != nil || len(f) == 0 || f[0] != nettest.InetAddr {
		t.Errorf("getent hosts %s: %v %q", nettest.InetName, err, out)
	}
	if got := c.do("get", "http://"+nettest.InetName+"/"); got != "ok 200 "+nettest.InetMarker {
		t.Errorf("stand-in internet by name: %s", got)
	}
}

// TestForwardHostPorts: with forward_host_ports, exactly the listed
// ports of the host's loopback answer inside at 127.0.0.1, and they are
// the host's servers.
func TestForwardHostPorts(t *testing.T) {
	if _, err := exec.LookPath("pasta"); err != nil {
		need(t, err, "pasta")
	}
	c := startCtr(t)
	open := newHostServer(t, "127.0.0.1:0", "host-open").port
	closedSrv := newHostServer(t, "127.0.0.1:0", "host-closed")
	closed := closedSrv.port
	c.startNet(t, &Service{Tool: Pasta, ForwardTCP: []int{open}})
	if got := c.do("dial", "127.0.0.1:"+strconv.Itoa(open)); got != "connected host-open" {
		t.Errorf("forwarded port %d inside: %s", open, got)
	}
	checkUnreached(t, c, append([]string{"127.0.0.1", c.do("gateway"), "10.0.2.2"}, hostIPs()...), closed, "host-closed")
	if n := closedSrv.accepted.Load(); n > 0 {
		t.Errorf("the host's server on a port not listed accepted %d connections from inside", n)
	}
}

// TestEndsWithContainer: slirp4netns ends when the container's init
// does (its exit fd is a pidfd of the init); pasta does not (it holds the
// namespace and has no such option), which is why the Undo must run (the
// watchdog's, for a container stopped behind lxcage's back). After the
// Undo, nothing is left either way.
func TestEndsWithContainer(t *testing.T) {
	for _, tool := range tools(t) {
		t.Run(string(tool), func(t *testing.T) {
			c := startCtr(t)
			undo := c.startNet(t, &Service{Tool: tool})
			proc := killOf(t, undo)
			c.stop()
			gone := waitGone(proc)
			switch {
			case tool == Slirp4netns && !gone:
				t.Errorf("slirp4netns (pid %d) outlives the stopped container", proc.PID)
			case tool == Pasta && !gone:
				t.Logf("pasta outlives the stopped container until the undo")
			}
			undo.Run(context.Background(), run.Exec{})
			if !waitGone(proc) {
				t.Errorf("%s (pid %d) still runs after the undo", tool, proc.PID)
			}
		})
	}
}

// TestStartAgain: the service starts again for a container whose network
// was undone (a relaunch while it runs), and the guard is loaded once.
func TestStartAgain(t *testing.T) {
	need(t, nettest.InetUp(), "the stand-in internet")
	tool := tools(t)[0]
	c := startCtr(t)
	c.startNet(t, &Service{Tool: tool}).Run(context.Background(), run.Exec{})
	c.startNet(t, &Service{Tool: tool})
	if got, want := c.do("get", "http://"+nettest.InetAddr+"/"), "ok 200 "+nettest.InetMarker; got != want {
		t.Errorf("after a second start: %s, want %s", got, want)
	}
	out, err := exec.Command("nsenter", "--target", strconv.Itoa(c.pid), "--user", "--net", "--", sbin("nft"), "list", "ruleset").CombinedOutput()
	if n, want := strings.Count(string(out), " drop"), strings.Count(guardRules(hostAddrs()), " drop"); err != nil || n != want {
		t.Errorf("guard rules after two starts: %d drops (want %d), %v\n%s", n, want, err, out)
	}
}
