//go:build integration

package integration

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/profiles"
)

// writeTone writes a WAV file with a 440 Hz sine of the given length.
func writeTone(t *testing.T, path string, seconds float64) {
	const rate = 44100
	n := int(seconds * rate)
	var pcm bytes.Buffer
	for i := 0; i < n; i++ {
		v := int16(12000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		binary.Write(&pcm, binary.LittleEndian, v)
	}
	var w bytes.Buffer
	w.WriteString("RIFF")
	binary.Write(&w, binary.LittleEndian, uint32(36+pcm.Len()))
	w.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		binary.Write(&w, binary.LittleEndian, v)
	}
	w.WriteString("data")
	binary.Write(&w, binary.LittleEndian, uint32(pcm.Len()))
	w.Write(pcm.Bytes())
	if err := os.WriteFile(path, w.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pactlOut(t *testing.T, args ...string) string {
	out, err := exec.Command("pactl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("pactl %v: %v %s", args, err, out)
	}
	return string(out)
}

// TestPulseAudio: with pulseaudio = true a paplay in the container reaches
// the user's real PulseAudio server (its stream shows up among the
// server's sink inputs while it plays) through a socket of the
// container's own, which goes away with the container; with
// pulseaudio = false there is no socket and no variable, and the same
// paplay fails.
func TestPulseAudio(t *testing.T) {
	_, err := exec.LookPath("pactl")
	need(t, err == nil, "pactl")
	need(t, exec.Command("pactl", "info").Run() == nil, "a PulseAudio server for the user (hack/setup-host.sh starts one)")
	e := newEnv(t)
	dir := filepath.Join(e.cache, "sound")
	os.MkdirAll(dir, 0o755)
	writeTone(t, filepath.Join(dir, "tone.wav"), 3)
	share := "\n[[share]]\nhost = \"" + dir + "\"\npath = \"/mnt/sound\"\n"
	e.profile("sound", `command = ["paplay", "/mnt/sound/tone.wav"]
[access]
pulseaudio = true
`+share)
	before := pactlOut(t, "list", "short", "sink-inputs")
	l := e.start("launch", "sound")
	// Watched until paplay ends: creating the container first may take
	// long on a slow machine (the emulated VM of make test-vm).
	seen, ended := false, false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && !seen && !ended; time.Sleep(50 * time.Millisecond) {
		select {
		case <-l.done:
			ended = true
		default:
		}
		now := pactlOut(t, "list", "short", "sink-inputs")
		seen = len(strings.TrimSpace(now)) > len(strings.TrimSpace(before))
	}
	if !seen {
		t.Errorf("no stream reached the server while paplay ran; output:\n%s", l.out)
	}
	if code := l.wait(t, 20*time.Second); code != 0 {
		t.Errorf("paplay in the container: status %d\n%s", code, l.out)
	}
	state := profiles.StateDir(os.Getenv("XDG_RUNTIME_DIR"), e.lxcpath)
	if mods := pactlOut(t, "list", "short", "modules"); strings.Contains(mods, state) {
		t.Errorf("the container's socket module was not unloaded:\n%s", mods)
	}

	// Stopped behind lxcage's back (lxc-stop), the container's module
	// still goes: the watchdog ends the services of a container it saw end.
	e.profile("held", "command = [\"sleep\", \"30\"]\n[access]\npulseaudio = true\n")
	hl := e.start("launch", "held")
	if !e.waitState("held", "RUNNING", 10*time.Second) {
		t.Fatalf("held never ran:\n%s", hl.out)
	}
	if mods := pactlOut(t, "list", "short", "modules"); !strings.Contains(mods, state) {
		t.Errorf("no module for the running container:\n%s", mods)
	}
	exec.Command("lxc-stop", "-P", e.lxcpath, "-n", "held", "-k").Run()
	gone := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !gone; time.Sleep(50 * time.Millisecond) {
		gone = !strings.Contains(pactlOut(t, "list", "short", "modules"), state)
	}
	if !gone {
		t.Error("the module of a container stopped with lxc-stop stayed loaded")
	}

	e.profile("quiet", `command = ["sh", "-c", "test -z \"$PULSE_SERVER\" && ! test -e \"$XDG_RUNTIME_DIR/pulse/native\" && ! paplay --server=unix:$XDG_RUNTIME_DIR/pulse/native /mnt/sound/tone.wav"]
`+share)
	if r := e.run("launch", "quiet"); r.code != 0 {
		t.Errorf("with pulseaudio off the container reached a sound server or had its socket (status %d)\n%s", r.code, r.stderr)
	}
}

// TestWayland: a Wayland client in the container connects to a real
// (headless) compositor through the socket lxcage binds in.
func TestWayland(t *testing.T) {
	_, err := exec.LookPath("weston")
	need(t, err == nil, "weston")
	_, err = exec.LookPath("wayland-info")
	need(t, err == nil, "wayland-info")
	e := newEnv(t)
	sock := "wayland-lxcage-" + filepath.Base(filepath.Dir(e.lxcpath))
	w := exec.Command("weston", "--backend=headless-backend.so", "--socket="+sock, "--idle-time=0", "--no-config")
	var wlog bytes.Buffer
	w.Stdout, w.Stderr = &wlog, &wlog
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Process.Kill(); w.Wait() })
	path := filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), sock)
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(path); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.extra = []string{"WAYLAND_DISPLAY=" + sock}
	e.profile("wl", `command = ["sh", "-c", "test \"$WAYLAND_DISPLAY\" = `+sock+` && test \"$GDK_BACKEND\" = wayland && wayland-info"]
[access]
wayland = true
`)
	r := e.run("launch", "wl")
	if r.code != 0 || !strings.Contains(r.stdout, "wl_compositor") {
		t.Fatalf("wayland-info in the container: status %d\n%s\n%s\nweston: %s", r.code, r.stdout, r.stderr, wlog.String())
	}
	e.profile("nowl", `command = ["sh", "-c", "test -z \"$WAYLAND_DISPLAY\" && ! ls $XDG_RUNTIME_DIR | grep -q wayland"]`)
	if r := e.run("launch", "nowl"); r.code != 0 {
		t.Errorf("wayland off: the container sees a Wayland socket or variable (%d)", r.code)
	}
}

// TestPipeWire: a PipeWire client in the container reaches the user's
// daemon through pipewire-0.
func TestPipeWire(t *testing.T) {
	_, err := exec.LookPath("pw-cli")
	need(t, err == nil, "pw-cli")
	sock := filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "pipewire-0")
	_, err = os.Stat(sock)
	need(t, err == nil, "a PipeWire daemon for the user (hack/setup-host.sh starts one)")
	e := newEnv(t)
	e.profile("pw", `command = ["pw-cli", "info", "0"]
[access]
pipewire = true
`)
	r := e.run("launch", "pw")
	if r.code != 0 || !strings.Contains(r.stdout, "PipeWire:Interface:Core") {
		t.Fatalf("pw-cli in the container: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	e.profile("nopw", `command = ["sh", "-c", "! test -e $XDG_RUNTIME_DIR/pipewire-0"]`)
	if r := e.run("launch", "nopw"); r.code != 0 {
		t.Errorf("pipewire off: socket visible (%d)", r.code)
	}
}

// TestEverythingOffMeansNothing: with every access switch off, the
// container has no path to any of the resources: no sockets, no device
// nodes, no variables pointing at them.
func TestEverythingOffMeansNothing(t *testing.T) {
	e := newEnv(t)
	checks := []string{
		`test -z "$DISPLAY$XAUTHORITY$WAYLAND_DISPLAY$PULSE_SERVER"`,
		`test "$DBUS_SESSION_BUS_ADDRESS" = disabled:`,
		`! ls /tmp/.X11-unix/* 2>/dev/null`,
		`! ls $XDG_RUNTIME_DIR | grep -E "wayland|pipewire|pulse|bus"`,
		`! test -e /dev/dri`, `! test -e /dev/snd`, `! ls /dev/video* 2>/dev/null`,
		`! ls /dev/input/* 2>/dev/null`, `! test -e /dev/uinput`,
		`! test -e /run/dbus/system_bus_socket`,
	}
	e.profile("off", `command = ["sh", "-c", "set -e; `+strings.ReplaceAll(strings.Join(checks, "; "), `"`, `\"`)+`"]`)
	if r := e.run("launch", "off"); r.code != 0 {
		t.Errorf("a check failed inside (status %d): %s\n%s", r.code, strings.Join(checks, "\n"), r.stderr)
	}
}

// TestMissingDevicesDoNotBreakStart: gpu, sound and webcam on a host
// without such devices still start (the binds are optional).
func TestMissingDevicesDoNotBreakStart(t *testing.T) {
	e := newEnv(t)
	e.profile("devs", `command = ["true"]
[access]
gpu = true
sound = true
webcam = true
input = true
`)
	if r := e.run("launch", "devs"); r.code != 0 {
		t.Errorf("status %d\n%s", r.code, r.stderr)
	}
	// Devices that do exist come through: /dev/dri or /dev/snd when the
	// machine has them.
	for _, d := range []string{"/dev/dri", "/dev/snd"} {
		if _, err := os.Stat(d); err != nil {
			continue
		}
		e.profile("has", `command = ["test", "-e", "`+d+`"]
[access]
gpu = true
sound = true
`)
		if r := e.run("launch", "has"); r.code != 0 {
			t.Errorf("%s exists on the host but not inside (%d)", d, r.code)
		}
	}
}
