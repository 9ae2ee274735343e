package net

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
)

// watchChildEnv marks the copy of this test that runs in a network
// namespace of its own, where it may change "the host's" addresses.
const watchChildEnv = "LXCAGE_NETGUARD_CHILD"

// TestWatchAddrsFollowsHost: the watcher sees the host gain and lose an
// address and hands the new list over at once. The host here is a
// network namespace of the test's own (unshare -Urn), where it may add
// a dummy interface; the watcher reads rtnetlink exactly as on the
// real host.
func TestWatchAddrsFollowsHost(t *testing.T) {
	if os.Getenv(watchChildEnv) == "" {
		_, err := exec.LookPath("ip")
		need(t, err, "ip (iproute2)")
		cmd := exec.Command("unshare", "-Urn", os.Args[0], "-test.run", "^TestWatchAddrsFollowsHost$", "-test.v")
		cmd.Env = append(os.Environ(), watchChildEnv+"=1", asUserEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestWatchAddrsFollowsHost") {
			t.Fatalf("in a network namespace of its own: %v\n%s", err, out)
		}
		return
	}
	ip := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	ip("link", "set", "lo", "up")
	done, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(done)
	got := make(chan string, 16)
	ended := make(chan error, 1)
	go func() {
		ended <- watchAddrs(context.Background(), done, addrKey(hostAddrs()), func(a []netip.Addr) error {
			got <- addrKey(a)
			return nil
		})
	}()
	next := func(want string) {
		t.Helper()
		select {
		case k := <-got:
			if k != want {
				t.Fatalf("reloaded with %q, want %q", k, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no reload for %q", want)
		}
	}
	time.Sleep(50 * time.Millisecond) // subscribed (a change before is seen too, by the first look)
	// On lo: a new interface would need a module the namespace may not
	// load; the watcher does not care where an address is.
	ip("addr", "add", "192.0.2.77/32", "dev", "lo")
	next("192.0.2.77")
	ip("addr", "add", "2001:db8::77/128", "dev", "lo")
	next("192.0.2.77,2001:db8::77")
	ip("addr", "del", "192.0.2.77/32", "dev", "lo")
	next("2001:db8::77")
	unix.Write(done, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	select {
	case err := <-ended:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the watcher did not end with the container")
	}
}

// TestGuardWatcherLifetime: with nat, a watcher of the host's addresses
// runs beside the relay, reloads the guard in the container's namespace
// when told the host has an address more, and ends with the container.
func TestGuardWatcherLifetime(t *testing.T) {
	tool := tools(t)[0]
	c := startCtr(t)
	s := &Service{Tool: tool, Dir: c.dir}
	undo, err := s.Start(context.Background(), services.Env{Runner: run.Exec{}, InitPID: c.pid, Self: os.Args[0]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { undo.Run(context.Background(), run.Exec{}) })
	var w *services.Proc
	for _, st := range undo {
		if st.Kill != nil && st.Kill.Name == GuardKind {
			w = st.Kill
		}
	}
	if w == nil || !w.Alive() {
		t.Fatalf("no watcher of the host's addresses in the undo %+v", undo)
	}
	// What the watcher does on a change, with an address the host has
	// not: the container's guard names it.
	more := append(hostAddrs(), netip.MustParseAddr("192.0.2.99"))
	if err := loadGuard(context.Background(), run.Exec{}, c.pid, more); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("nsenter", "--target", strconv.Itoa(c.pid), "--user", "--net", "--", sbin("nft"), "list", "ruleset").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "192.0.2.99 drop") {
		t.Errorf("guard after a reload: %v\n%s", err, out)
	}
	c.stop()
	if !waitGone(*w) {
		t.Errorf("the watcher (pid %d) outlives the stopped container", w.PID)
	}
}
