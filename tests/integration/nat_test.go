//go:build integration

package integration

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/services/net/nettest"
)

// probeProfile is a profile running this test binary inside as the
// network probe, with probes run one a line (nettest.Probe).
func probeProfile(t *testing.T, access string, probes ...string) string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`command = ["/mnt/probe/%s"]
[access]
%s
[env]
LXCAGE_NET_PROBE = %q
[[share]]
host = %q
path = "/mnt/probe"
readonly = true
`, filepath.Base(self), access, strings.Join(probes, "; "), filepath.Dir(self))
}

// hostLoopbackServer listens on the host's 127.0.0.1 and counts what it
// accepts: what the app reaches of the host is what the host saw.
func hostLoopbackServer(t *testing.T) (port int, accepted func() int) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	n := make(chan int, 1)
	n <- 0
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n <- <-n + 1
			c.Write([]byte("host-loopback\n"))
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, func() int { v := <-n; n <- v; return v }
}

// TestNat: network = "nat" reaches the stand-in internet, by address and
// by name through the container's resolver, and nothing of the host's
// own: not its 127.0.0.1 (directly, through the gateway, or out of the
// interface with SO_BINDTODEVICE), no abstract socket, no raw socket;
// forward_host_ports opens exactly the ports listed.
func TestNat(t *testing.T) {
	need(t, nettest.InetUp() == nil, "the stand-in internet (hack/setup-host.sh)")
	e := newEnv(t)
	port, accepted := hostLoopbackServer(t)
	lo := "127.0.0.1:" + strconv.Itoa(port)
	e.profile("nat", probeProfile(t, `network = "nat"`,
		"get http://"+nettest.InetAddr+"/", "resolve "+nettest.InetName, "get http://"+nettest.InetName+"/",
		"dial "+lo, "dial 10.0.2.2:"+strconv.Itoa(port), "dialdev eth0 "+lo, "abstract", "netcaps"))
	r := e.run("launch", "nat")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 8 {
		t.Fatalf("probe: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	check := func(i int, what string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %s", what, lines[i])
		}
	}
	check(0, "the stand-in internet by address", strings.Contains(lines[0], nettest.InetMarker))
	check(1, "its name through the container's resolver", strings.Contains(lines[1], nettest.InetAddr))
	check(2, "the stand-in internet by name", strings.Contains(lines[2], nettest.InetMarker))
	check(3, "the host's 127.0.0.1 directly", !strings.HasPrefix(lines[3], "connected"))
	check(4, "the host's 127.0.0.1 through the gateway", !strings.HasPrefix(lines[4], "connected"))
	check(5, "the host's 127.0.0.1 out of eth0", !strings.HasPrefix(lines[5], "connected"))
	check(6, "no host abstract socket", lines[6] == "none")
	check(7, "no raw socket, no interface change", strings.Contains(lines[7], "raw=denied") && strings.Contains(lines[7], "admin=denied"))
	if n := accepted(); n != 0 {
		t.Errorf("the host's loopback server accepted %d connections from the app", n)
	}

	// forward_host_ports: exactly those ports, at 127.0.0.1 inside.
	other, otherAccepted := hostLoopbackServer(t)
	e.profile("fwd", probeProfile(t, fmt.Sprintf("network = \"nat\"\nforward_host_ports = [%d]", port),
		"dial "+lo, "dial 127.0.0.1:"+strconv.Itoa(other)))
	r = e.run("launch", "fwd")
	lines = strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "host-loopback") || strings.HasPrefix(lines[1], "connected") || otherAccepted() != 0 {
		t.Errorf("forward_host_ports = [%d]: %q (status %d) %s", port, lines, r.code, r.stderr)
	}
}

// TestNatPastaStarts: a nat container with forward_host_ports, which
// only pasta serves, starts and runs its app, its pid file where Debian's
// AppArmor profile for pasta lets it write (below /tmp). Its probe sees
// an address pasta gave it. (Not in the VM lane, whose network has no
// IPv4 default route.)
func TestNatPastaStarts(t *testing.T) {
	needTool(t, "pasta")
	// pasta takes the host's IPv4 default route as its template (the VM
	// lane's qemu network, restricted, gives none): "External interface
	// not usable". lxcage picks slirp4netns there unless ports are
	// forwarded.
	route, _ := os.ReadFile("/proc/net/route")
	need(t, regexp.MustCompile(`(?m)^\S+\s+00000000\s`).Match(route), "an IPv4 default route on the host (pasta's template)")
	e := newEnv(t)
	e.profile("pastaup", probeProfile(t, "network = \"nat\"\nforward_host_ports = [631]", "addrs"))
	r := e.run("launch", "pastaup")
	if out := strings.TrimSpace(r.stdout); r.code != 0 || out == "" || out == "none" {
		t.Fatalf("launch with pasta: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestNatCgroupsAndNoHostNet: a "nat" container's /sys is its own: no
// file of the host's cgroup tree is there to write.
func TestNatCgroupsAndNoHostNet(t *testing.T) {
	e := newEnv(t)
	r := inside(t, e, "natsys", `test -z "$(find /sys -writable -type f 2>/dev/null | head -1)" && ! echo max 2>/dev/null >/sys/fs/cgroup/pids/pids.max && echo held`,
		"[access]\nnetwork = \"nat\"\n")
	if !strings.Contains(r.stdout, "held") {
		t.Errorf("nat: %s%s", r.stdout, r.stderr)
	}
}

// TestBridge: network = "bridge" gets an address of its own on the
// bridge the user may use (lxc-usernet), through a DHCP client lxcage
// runs for the app container, and reaches the stand-in internet behind
// it by address and by name.
func TestBridge(t *testing.T) {
	need(t, nettest.InetUp() == nil, "the stand-in internet (hack/setup-host.sh)")
	_, err := os.Stat("/sys/class/net/" + nettest.Bridge)
	need(t, err == nil, "the test bridge "+nettest.Bridge+" (hack/setup-host.sh)")
	e := newEnv(t)
	e.profile("br", probeProfile(t, `network = "bridge"`, "addrs", "get http://"+nettest.InetAddr+"/", "get http://"+nettest.InetName+"/"))
	r := e.run("launch", "br")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 {
		t.Fatalf("probe: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(lines[0], "198.18.9.") {
		t.Errorf("no address on the bridge's network: %s", lines[0])
	}
	for i, what := range []string{"by address", "by name"} {
		if !strings.Contains(lines[i+1], nettest.InetMarker) {
			t.Errorf("the stand-in internet %s: %s", what, lines[i+1])
		}
	}
}
