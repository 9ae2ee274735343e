//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/lxcage/lxcage/profiles"
)

type pinger struct{ name string }

// Ping answers with the service's name.
func (p pinger) Ping() (string, *dbus.Error) { return p.name, nil }

// ownTestName puts a service on the real session bus.
func ownTestName(t *testing.T, name string) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.Export(pinger{name}, "/org/lxcage/Test", "org.lxcage.Test")
	if r, err := conn.RequestName(name, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", name, r, err)
	}
}

// TestDBusLevels: none gives no bus at all; filtered (xdg-dbus-proxy)
// lets through only the names in dbus_talk; full is the whole session
// bus.
func TestDBusLevels(t *testing.T) {
	need(t, os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "", "a session dbus-daemon")
	_, err := exec.LookPath("xdg-dbus-proxy")
	need(t, err == nil, "xdg-dbus-proxy")
	suffix := strings.ReplaceAll(t.Name(), "/", "_") + strings.TrimPrefix(strings.ReplaceAll(os.Getenv("LXCAGE_TEST_SUFFIX"), "-", "_"), "_")
	allowed, denied := "org.lxcage.Allowed"+suffix, "org.lxcage.Denied"+suffix
	ownTestName(t, allowed)
	ownTestName(t, denied)
	e := newEnv(t)
	call := func(name string) string {
		return `dbus-send --session --print-reply --reply-timeout=3000 --dest=` + name + ` /org/lxcage/Test org.lxcage.Test.Ping`
	}
	e.profile("filtered", `command = ["sh", "-c", "`+call(allowed)+` && ! `+call(denied)+`"]
[access]
dbus = "filtered"
dbus_talk = ["`+allowed+`"]
`)
	if r := e.run("launch", "filtered"); r.code != 0 {
		t.Errorf("filtered: the allowed name did not answer or the denied one did (%d)\n%s%s", r.code, r.stdout, r.stderr)
	}
	if hostProcRunning("xdg-dbus-proxy", profiles.StateDir(os.Getenv("XDG_RUNTIME_DIR"), e.lxcpath)) {
		t.Error("the proxy outlived the container")
	}
	e.profile("full", `command = ["sh", "-c", "`+call(allowed)+` && `+call(denied)+`"]
[access]
dbus = "full"
`)
	if r := e.run("launch", "full"); r.code != 0 {
		t.Errorf("full: a name did not answer (%d)\n%s", r.code, r.stderr)
	}
	e.profile("none", `command = ["sh", "-c", "! test -e $XDG_RUNTIME_DIR/bus && ! `+call(allowed)+`"]`)
	if r := e.run("launch", "none"); r.code != 0 {
		t.Errorf("none: a bus was reachable (%d)\n%s", r.code, r.stderr)
	}
}

// hostProcRunning reports whether a host process named comm has arg in
// its command line.
func hostProcRunning(comm, arg string) bool {
	out, _ := exec.Command("pgrep", "-a", comm).Output()
	return strings.Contains(string(out), arg)
}

// TestNestedX: with x11 = "nested" the app draws into a Xephyr window of
// its own on the user's display; its own window is not a client of the
// user's display, and the nested server goes away with the container.
func TestNestedX(t *testing.T) {
	_, err := exec.LookPath("Xephyr")
	need(t, err == nil, "Xephyr (xserver-xephyr)")
	e := newEnv(t)
	x := xconn(t)
	e.profile("nest", `command = ["sh", "-c", "ls /tmp/.X11-unix | wc -l > /dev/stderr; exec xeyes"]
[access]
x11 = "nested"
[desktop]
name = "nested eyes"
`)
	l := e.start("launch", "nest")
	w, ok := waitWindow(t, x, "nested eyes", 20*time.Second)
	if !ok {
		t.Fatalf("no Xephyr window on the user's display:\n%s", l.out)
	}
	time.Sleep(500 * time.Millisecond)
	if !windowGone(x, "xeyes") {
		t.Error("xeyes drew on the user's display, not in its nested server")
	}
	if !strings.Contains("\n"+l.out.String(), "\n1\n") {
		t.Errorf("the container sees more than its own X socket: %q", l.out.String())
	}
	// Closing the nested server's window ends the app and the container.
	killClient(t, x, w)
	l.wait(t, 15*time.Second)
	if !e.waitState("nest", "STOPPED", 2*time.Second) {
		t.Errorf("container %s after its X server went away", e.state("nest"))
	}
	display := ":" + strconv.Itoa(profiles.NestedDisplay(e.lxcpath, "nest")) + " "
	if hostProcRunning("Xephyr", display) {
		t.Errorf("Xephyr %s outlived the container", display)
	}
	// Nor did its cookies, the server's or the container's copy.
	state := filepath.Join(profiles.StateDir(os.Getenv("XDG_RUNTIME_DIR"), e.lxcpath), "nest")
	for _, f := range []string{"xephyr.auth", "svc/Xauthority"} {
		if _, err := os.Lstat(filepath.Join(state, f)); !os.IsNotExist(err) {
			t.Errorf("the nested server's cookie %s outlived the container: %v", f, err)
		}
	}
}
