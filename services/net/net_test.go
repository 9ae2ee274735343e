package net

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/internal/run/runtest"
	"github.com/lxcage/lxcage/services"
)

func TestPastaArgs(t *testing.T) {
	const common = "--quiet --pid /d/pasta.pid --config-net --ns-ifname eth0 --no-map-gw " +
		"--address 10.0.2.100 --netmask 24 --gateway 10.0.2.2 --mac-addr 52:55:0a:00:02:02 --tcp-ports none --udp-ports none"
	const ns = " --userns /proc/42/ns/user --netns /proc/42/ns/net"
	for _, tc := range []struct {
		name   string
		s      Service
		v4, v6 bool
		want   string
	}{
		{"defaults", Service{}, true, true,
			common + " --tcp-ns none --udp-ns none --dns-forward 10.0.2.3 --ipv4-only" + ns},
		{"ports sorted, once each", Service{ForwardTCP: []int{8080, 631, 8080}}, true, false,
			common + " --tcp-ns 631,8080 --udp-ns none --dns-forward 10.0.2.3 --ipv4-only" + ns},
		{"IPv6 asked, host has both", Service{IPv6: true}, true, true,
			common + " --tcp-ns none --udp-ns none --dns-forward 10.0.2.3" + ns},
		{"IPv6 asked, host has IPv4 only", Service{IPv6: true}, true, false,
			common + " --tcp-ns none --udp-ns none --dns-forward 10.0.2.3 --ipv4-only" + ns},
		{"host has IPv6 only", Service{}, false, true,
			common + " --tcp-ns none --udp-ns none --dns-forward 10.0.2.3 --ipv6-only" + ns},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.s.Dir = "/d"
			if got := strings.Join(tc.s.pastaArgs("/d/pasta.pid", 42, tc.v4, tc.v6), " "); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			// As launches run it: in the foreground, its pid known.
			fg := strings.Replace(tc.want, "--pid /d/pasta.pid", "--foreground", 1)
			if got := strings.Join(tc.s.pastaArgs("", 42, tc.v4, tc.v6), " "); got != fg {
				t.Errorf("foreground: got  %s\nwant %s", got, fg)
			}
		})
	}
}

// TestAVX2Build: the AVX2 build beside pasta runs when the CPU has
// AVX2; pasta itself otherwise, whenever that build is missing or not a
// program, and for any other program (a stand-in in tests).
func TestAVX2Build(t *testing.T) {
	dir := t.TempDir()
	pasta, avx2 := filepath.Join(dir, "pasta"), filepath.Join(dir, "pasta.avx2")
	for _, c := range []struct {
		what  string
		setup func()
		path  string
		avx2  bool
		want  string
	}{
		{"no AVX2 build", func() {}, pasta, true, ""},
		{"AVX2 build not a program", func() { os.WriteFile(avx2, []byte("#!/bin/sh\n"), 0o644) }, pasta, true, ""},
		{"AVX2 build a directory", func() { os.Remove(avx2); os.Mkdir(avx2, 0o755) }, pasta, true, ""},
		{"AVX2 build, CPU with AVX2", func() { os.Remove(avx2); os.WriteFile(avx2, []byte("#!/bin/sh\n"), 0o755) }, pasta, true, avx2},
		{"AVX2 build, CPU without", func() {}, pasta, false, ""},
		{"another program", func() {}, filepath.Join(dir, "sh"), true, ""},
	} {
		c.setup()
		if got := avx2Build(c.path, c.avx2); got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
	}
}

// TestGuardRules: the filter drops what leaves for the host's loopback
// and own addresses, and nothing that stays on lo.
func TestGuardRules(t *testing.T) {
	got := guardRules([]netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.2"),
		netip.MustParseAddr("fd00::2"), netip.MustParseAddr("fe80::1"), netip.MustParseAddr("::ffff:198.18.113.1").Unmap()})
	for _, want := range []string{
		"flush ruleset\n",
		"type filter hook output priority 0; policy accept;",
		`oifname != "lo" ip daddr 127.0.0.0/8 drop`,
		`oifname != "lo" ip daddr 0.0.0.0/8 drop`,
		`oifname != "lo" ip6 daddr ::1 drop`,
		`oifname != "lo" ip6 daddr :: drop`,
		`oifname != "lo" ip daddr 192.0.2.2 drop`,
		`oifname != "lo" ip daddr 198.18.113.1 drop`,
		`oifname != "lo" ip6 daddr fd00::2 drop`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rules lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "fe80") || strings.Count(got, "drop") != 7 {
		t.Errorf("rules hold more than asked:\n%s", got)
	}
}

// TestStartCalls: Start loads the filter as the owner of the
// container's namespaces and runs pasta with the container's init, in
// the foreground; when pasta fails, its own message reaches the user and
// its log directory is gone.
func TestStartCalls(t *testing.T) {
	dir := t.TempDir()
	const pid = 4194300 // no such process: no namespace shows a route
	before, _ := filepath.Glob("/tmp/lxcage-pasta-*")
	rec := runtest.New(t, map[string]runtest.Answer{
		fmt.Sprintf("nsenter --target %d --user --net -- ", pid): {},
	})
	rec.Commands = map[string]func() *exec.Cmd{
		"pasta ": func() *exec.Cmd {
			return exec.Command("sh", "-c", "echo 'Failed to open tun socket in namespace' >&2; exit 1")
		},
	}
	_, err := (&Service{Tool: Pasta, Dir: dir}).Start(context.Background(), services.Env{Runner: rec, InitPID: pid})
	var f fix.Fixable
	if !errors.As(err, &f) || !strings.Contains(f.Cause(), "Failed to open tun socket") {
		t.Fatalf("Start with a failing pasta: %v, want pasta's message", err)
	}
	calls := strings.Join(rec.Calls(), "\n")
	for _, want := range []string{"nft -f -", fmt.Sprintf("--userns /proc/%d/ns/user --netns /proc/%d/ns/net", pid, pid), "--foreground"} {
		if !strings.Contains(calls, want) {
			t.Errorf("calls lack %q:\n%s", want, calls)
		}
	}
	// Its log lives where Debian's AppArmor profile lets pasta write
	// (/tmp), in a directory of its own that a failed start removes.
	if after, _ := filepath.Glob("/tmp/lxcage-pasta-*"); len(after) > len(before) {
		t.Errorf("a failed start left %v (before: %v)", after, before)
	}
}

func errorf(msg string) error { return &run.ToolError{Tool: "pasta", Err: errors.New(msg)} }

func TestSlirpArgs(t *testing.T) {
	s := &Service{Dir: "/d"}
	want := "--configure --mtu=65520 --disable-host-loopback --enable-sandbox --enable-seccomp --ready-fd=3 --exit-fd=4 42 eth0"
	if got := strings.Join(s.slirpArgs(42, true), " "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	s.IPv6 = true
	if got := strings.Join(s.slirpArgs(42, true), " "); !strings.Contains(got, "--enable-ipv6") {
		t.Errorf("IPv6 asked: %s", got)
	}
}

// TestRefused: values that would open more than asked, or that the
// program cannot honour, stop the start before anything runs.
func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Service
		want string
	}{
		{"port 0", Service{Tool: Pasta, ForwardTCP: []int{0}}, "not a TCP port"},
		{"port too big", Service{Tool: Pasta, ForwardTCP: []int{65536}}, "not a TCP port"},
		{"slirp4netns cannot forward ports", Service{Tool: Slirp4netns, ForwardTCP: []int{631}}, "needs pasta"},
		{"unknown program", Service{Tool: "vpnkit"}, "unknown program"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := runtest.New(t, nil)
			_, err := tc.s.Start(context.Background(), services.Env{Runner: rec, InitPID: 42})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
			if calls := rec.Calls(); len(calls) > 0 {
				t.Errorf("ran %v", calls)
			}
		})
	}
}

func TestPick(t *testing.T) {
	defer func(f func(string) (string, error)) { lookPath = f }(lookPath)
	for _, tc := range []struct {
		installed []string
		ports     []int
		want      Tool
		fix       string
		noV4      bool
	}{
		{[]string{"pasta", "slirp4netns"}, nil, Pasta, "", false},
		{[]string{"pasta", "slirp4netns"}, nil, Slirp4netns, "", true},
		{[]string{"pasta"}, nil, Pasta, "", true},
		{[]string{"pasta", "slirp4netns"}, []int{631}, Pasta, "", true},
		{[]string{"pasta"}, nil, Pasta, "", false},
		{[]string{"slirp4netns"}, nil, Slirp4netns, "", false},
		{[]string{"slirp4netns"}, []int{631}, "", "apt-get install passt", false},
		{nil, nil, "", "apt-get install slirp4netns passt", false},
	} {
		lookPath = func(name string) (string, error) {
			for _, i := range tc.installed {
				if i == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", exec.ErrNotFound
		}
		got, err := (&Service{ForwardTCP: tc.ports}).pick(!tc.noV4)
		if got != tc.want {
			t.Errorf("installed %v, ports %v: picked %q, want %q", tc.installed, tc.ports, got, tc.want)
		}
		var f fix.Fixable
		if tc.fix != "" && (!errors.As(err, &f) || !strings.Contains(f.HowToFix(), tc.fix)) {
			t.Errorf("installed %v, ports %v: error %v, want the fix %q", tc.installed, tc.ports, err, tc.fix)
		}
	}
}

// TestPastaFailure: pasta's own error lines (from its log, without the
// noise) reach the user, with the fix for a known cause.
func TestPastaFailure(t *testing.T) {
	stderr := "Failed to send 70 bytes to syslog\nFailed to open tun socket in namespace\n"
	err := pastaError(pastaMessages(stderr))
	var f fix.Fixable
	if !errors.As(err, &f) || f.Cause() != "pasta: Failed to open tun socket in namespace" ||
		!strings.Contains(f.HowToFix(), "chmod 0666 /dev/net/tun") {
		t.Errorf("error %v, want pasta's message and the /dev/net/tun fix", err)
	}
	err = pastaStartError(&exec.Error{Name: "pasta", Err: exec.ErrNotFound})
	if !errors.As(err, &f) || !strings.Contains(f.HowToFix(), "apt-get install passt") {
		t.Errorf("not installed: %v", err)
	}
}

func TestResolvConf(t *testing.T) {
	dir := t.TempDir()
	r := &ResolvConf{File: filepath.Join(dir, "resolv.conf")}
	g := r.Grant()
	want := services.Bind{Host: r.File, Inside: "/etc/resolv.conf", ReadOnly: true}
	if len(g.Binds) != 1 || g.Binds[0] != want || len(g.Env) != 0 {
		t.Errorf("grant %+v, want only %+v", g, want)
	}
	undo, err := r.Start(context.Background(), services.Env{Runner: runtest.New(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(r.File)
	if err != nil || !strings.Contains(string(b), "\nnameserver 10.0.2.3\n") || strings.Contains(string(b), "search") {
		t.Errorf("resolv.conf: %v %q", err, b)
	}
	if fi, err := os.Stat(r.File); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("resolv.conf mode: %v %v (the container's root must read it)", fi.Mode(), err)
	}
	undo.Run(context.Background(), runtest.New(t, nil))
	if _, err := os.Stat(r.File); !os.IsNotExist(err) {
		t.Errorf("resolv.conf left after the undo: %v", err)
	}
	r.Inside = "/run/systemd/resolve/stub-resolv.conf"
	if got := r.Grant().Binds[0].Inside; got != r.Inside {
		t.Errorf("bound at %s, want %s", got, r.Inside)
	}
}

// TestFilterBeforeRelayUnlessFrozen: in a container whose processes run
// (no freezer), the filter is in before the relay starts, and a filter
// that fails to load starts no relay; in a frozen one both start at once.
func TestFilterBeforeRelayUnlessFrozen(t *testing.T) {
	const pid = 4194300 // no such process: pasta never gets ready
	nsenter := fmt.Sprintf("nsenter --target %d --user --net -- ", pid)
	answers := map[string]runtest.Answer{nsenter: {}}
	failingPasta := map[string]func() *exec.Cmd{
		"pasta ": func() *exec.Cmd { return exec.Command("sh", "-c", "exit 1") },
	}
	rec := runtest.New(t, answers)
	rec.Commands = failingPasta
	(&Service{Tool: Pasta, Dir: t.TempDir()}).Start(context.Background(), services.Env{Runner: rec, InitPID: pid})
	calls := rec.Calls()
	if len(calls) < 2 || !strings.HasPrefix(calls[0], "nsenter ") || !strings.HasPrefix(calls[1], "pasta ") {
		t.Errorf("not frozen: want the filter, then pasta; calls:\n%s", strings.Join(calls, "\n"))
	}

	answers[nsenter] = runtest.Answer{Err: errorf("exit status 1")}
	rec = runtest.New(t, answers)
	rec.Commands = failingPasta
	if _, err := (&Service{Tool: Pasta, Dir: t.TempDir()}).Start(context.Background(), services.Env{Runner: rec, InitPID: pid}); err == nil {
		t.Error("Start succeeded without its filter")
	}
	for _, c := range rec.Calls() {
		if strings.HasPrefix(c, "pasta ") {
			t.Errorf("not frozen: pasta started although the filter failed: %s", c)
		}
	}

	rec = runtest.New(t, answers)
	rec.Commands = failingPasta
	(&Service{Tool: Pasta, Dir: t.TempDir()}).Start(context.Background(), services.Env{Runner: rec, InitPID: pid, Frozen: true})
	if calls := strings.Join(rec.Calls(), "\n"); !strings.Contains(calls, "pasta ") || !strings.Contains(calls, "nsenter ") {
		t.Errorf("frozen: want the filter and pasta; calls:\n%s", calls)
	}
}

// TestPastaReadiness: a launch goes on once the container's namespace
// shows pasta's default route on eth0 (and a listener for each
// forwarded port), not before: the files are those of /proc/PID/net.
func TestPastaReadiness(t *testing.T) {
	dir := t.TempDir() + "/"
	const head4 = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	const subnet4 = "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	const tcpHead = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	v4, v6, ports := readiness{v4: true}, readiness{v6: true}, readiness{v4: true, ports: []int{631}}
	// Each step writes one file of the namespace, in order, and says
	// whether the launch may go on.
	for _, st := range []struct {
		r             readiness
		file, content string
		ready         bool
		what          string
	}{
		{v4, "route", head4, false, "no route"},
		{v4, "route", head4 + subnet4, false, "the subnet's route only"},
		{v4, "route", head4 + subnet4 + "eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", true, "the default route on eth0"},
		{v6, "ipv6_route", "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n", false, "(IPv6) the link-local route only"},
		{v6, "ipv6_route", "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0\n", true, "(IPv6) the default route on eth0"},
		{ports, "tcp", tcpHead + "   0: 0100007F:0277 00000000:0000 06 00000000:00000000 00:00000000 00000000  1000        0 1\n", false, "port 631 in TIME_WAIT, not listening"},
		{ports, "tcp", tcpHead + "   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1\n", true, "port 631 listening"},
	} {
		if err := os.WriteFile(dir+st.file, []byte(st.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := st.r.met(dir); got != st.ready {
			t.Fatalf("with %s: ready %v, want %v", st.what, got, st.ready)
		}
	}
}
