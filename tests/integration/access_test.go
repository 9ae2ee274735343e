//go:build integration

package integration

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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
	modulesBefore := pactlOut(t, "list", "short", "modules")

	// The app plays through its own server: a stream named after the app
	// reaches the user's, which the user's mixer controls.
	e.profile("sound", `command = ["paplay", "/mnt/sound/tone.wav"]
[access]
pulseaudio = true
[desktop]
name = "Tone (sandboxed)"
`+share)
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
		seen = strings.Contains(pactlOut(t, "list", "sink-inputs"), "Tone (sandboxed)")
	}
	if !seen {
		t.Errorf("no stream named after the app reached the user's server while paplay ran; output:\n%s", l.out)
	}
	if code := l.wait(t, 20*time.Second); code != 0 {
		t.Errorf("paplay in the container: status %d\n%s", code, l.out)
	}

	// The attacker's side: no module loads, the user's server and its
	// modules are invisible, the server cannot be made to exit.
	r := inside(t, e, "pactl", `for m in module-native-protocol-tcp "module-ladspa-sink plugin=/tmp/x.so" module-null-sink module-cli-protocol-unix; do pactl load-module $m 2>/dev/null && echo LOADED $m; done; pactl list short modules; pactl exit 2>/dev/null && echo EXITED; echo done`,
		"[access]\npulseaudio = true\n")
	if strings.Contains(r.stdout, "LOADED") || strings.Contains(r.stdout, "EXITED") || !strings.Contains(r.stdout, "done") {
		t.Errorf("from inside: %s%s", r.stdout, r.stderr)
	}
	for _, leak := range []string{"lxcage_null", "module-always-sink", os.Getenv("XDG_RUNTIME_DIR")} {
		if strings.Contains(r.stdout, leak) {
			t.Errorf("the app sees %q of the user's server:\n%s", leak, r.stdout)
		}
	}
	if after := pactlOut(t, "list", "short", "modules"); after != modulesBefore {
		t.Errorf("the user's modules changed:\nbefore:\n%s\nafter:\n%s", modulesBefore, after)
	}
	checkRecording(t, e, dir)
	checkMediatorEndsWithContainer(t, e)

	e.profile("quiet", `command = ["sh", "-c", "test -z \"$PULSE_SERVER\" && ! test -e \"$XDG_RUNTIME_DIR/pulse/native\" && ! paplay --server=unix:$XDG_RUNTIME_DIR/pulse/native /mnt/sound/tone.wav"]
`+share)
	if r := e.run("launch", "quiet"); r.code != 0 {
		t.Errorf("with pulseaudio off the container reached a sound server or had its socket (status %d)\n%s", r.code, r.stderr)
	}
}

// checkMediatorEndsWithContainer: a container stopped behind lxcage's
// back (lxc-stop) still loses its sound server: the watchdog undoes the
// services of a container it saw end.
func checkMediatorEndsWithContainer(t *testing.T, e *tenv) {
	t.Helper()
	daemons := func() int {
		out, _ := exec.Command("pgrep", "-c", "-u", strconv.Itoa(os.Getuid()), "-x", "pulseaudio").Output()
		n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		return n
	}
	base := daemons()
	e.profile("held", "command = [\"sleep\", \"30\"]\n[access]\npulseaudio = true\n")
	hl := e.start("launch", "held")
	if !e.waitState("held", "RUNNING", 10*time.Second) {
		t.Fatalf("held never ran:\n%s", hl.out)
	}
	if n := daemons(); n != base+1 {
		t.Errorf("%d sound servers while the container runs, want %d", n, base+1)
	}
	exec.Command("lxc-stop", "-P", e.lxcpath, "-n", "held", "-k").Run()
	deadline := time.Now().Add(5 * time.Second)
	for daemons() != base && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := daemons(); n != base {
		t.Errorf("the sound server of a container stopped with lxc-stop lives on (%d, want %d)", n, base)
	}
}

// checkRecording: while the user's server plays a tone (its default
// source is the monitor of the sink it plays on), a recording inside
// captures silence; with microphone = true it captures the user's
// default source. Then nothing of the app's is left on the user's server.
func checkRecording(t *testing.T, e *tenv, dir string) {
	t.Helper()
	writeTone(t, filepath.Join(dir, "long.wav"), 30)
	play := exec.Command("paplay", filepath.Join(dir, "long.wav"))
	if err := play.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { play.Process.Kill(); play.Wait() }()
	record := `parecord --raw --format=s16le --rate=8000 --channels=1 --latency-msec=50 | head -c 16000 | od -An -v -td2 | tr -s ' ' '\n' | awk 'BEGIN{m=0} {v=$1<0?-$1:$1; if(v>m)m=v} END{print "peak", m}'`
	for _, mic := range []bool{false, true} {
		extra := "[access]\npulseaudio = true\n"
		if mic {
			extra += "microphone = true\n"
		}
		r := inside(t, e, "rec", record, extra)
		var peak int
		fmt.Sscanf(strings.TrimSpace(lineOf(r.stdout, "peak")), "peak %d", &peak)
		switch {
		case !strings.Contains(r.stdout, "peak"):
			t.Errorf("microphone = %v: no recording: %s%s", mic, r.stdout, r.stderr)
		case !mic && peak > 100:
			t.Errorf("without the microphone the app recorded the user's sound (peak %d)", peak)
		case mic && peak < 1000:
			t.Errorf("with the microphone the app recorded nothing of the user's default source (peak %d)", peak)
		}
	}
	if outs := pactlOut(t, "list", "short", "source-outputs"); strings.TrimSpace(outs) != "" {
		t.Errorf("recording streams left on the user's server:\n%s", outs)
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
