package launcher

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lxcage/lxcage/profiles"
)

// pulseClientConf is the container's PulseAudio client config: shared
// memory does not cross the container boundary (the article's
// disable-shm), and a missing server must not make the client spawn a
// private one inside.
const pulseClientConf = "enable-shm = no\nenable-memfd = no\nautospawn = no\n"

// maxSunPath is the longest path a Unix socket can be bound at.
const maxSunPath = 107

// setupPulse gives the container a PulseAudio socket of its own: the
// user's server (PulseAudio or pipewire-pulse) listens on it through a
// module-native-protocol-unix loaded for this container and unloaded when
// it stops. No auth-anonymous is needed: the app runs with the user's own
// uid, and the server admits a client whose socket credentials carry its
// own uid. It returns the module's index (-1 when the user's own socket
// had to be linked in instead).
func setupPulse(ctx context.Context, plan *profiles.Plan, stateDir string) (int, error) {
	dir := filepath.Dir(plan.PulseSocket)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return -1, fmt.Errorf("pulseaudio: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "client.conf"), []byte(pulseClientConf), 0o644); err != nil {
		return -1, fmt.Errorf("pulseaudio: %w", err)
	}
	// The server binds a short path when the container's own is too long
	// for a socket; a hard link then puts it where the container looks.
	listen := plan.PulseSocket
	if len(listen) > maxSunPath {
		sum := sha256.Sum256([]byte(plan.PulseSocket))
		listen = filepath.Join(stateDir, "pulse-"+hex.EncodeToString(sum[:6]))
	}
	unloadPulseFor(ctx, listen)
	os.Remove(listen)
	os.Remove(plan.PulseSocket)
	idx, loadErr := pactlLoad(ctx, listen)
	if loadErr == nil {
		if listen != plan.PulseSocket {
			if err := os.Link(listen, plan.PulseSocket); err != nil {
				unloadPulse(ctx, idx)
				return -1, fmt.Errorf("pulseaudio: %w", err)
			}
		}
		return idx, nil
	}
	// No pactl or a server that refuses modules: share the user's own
	// socket (same uid, so the server admits the app the same way).
	own := userPulseSocket()
	if err := os.Link(own, plan.PulseSocket); err != nil {
		return -1, fmt.Errorf("pulseaudio = true, but the container cannot get a sound server socket: loading a socket module failed (%v) and linking %s failed (%v); is PulseAudio or pipewire-pulse running? (pactl info)", loadErr, own, err)
	}
	return -1, nil
}

// userPulseSocket is where the user's sound server listens.
func userPulseSocket() string {
	if s := os.Getenv("PULSE_SERVER"); strings.HasPrefix(s, "unix:") {
		return strings.TrimPrefix(s, "unix:")
	}
	return filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "pulse", "native")
}

func pactl(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pactl", args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("pactl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out, nil
}

func pactlLoad(ctx context.Context, socket string) (int, error) {
	out, err := pactl(ctx, "load-module", "module-native-protocol-unix", "socket="+socket)
	if err != nil {
		return -1, err
	}
	idx, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return -1, fmt.Errorf("pactl load-module printed %q", out)
	}
	return idx, nil
}

func unloadPulse(ctx context.Context, idx int) {
	if idx >= 0 {
		pactl(context.WithoutCancel(ctx), "unload-module", strconv.Itoa(idx))
	}
}

// unloadPulseFor unloads a module a crashed launch left listening on
// socket, so that it can be loaded again.
func unloadPulseFor(ctx context.Context, socket string) {
	out, err := pactl(ctx, "list", "short", "modules")
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) >= 3 && f[1] == "module-native-protocol-unix" && strings.Contains(f[2], "socket="+socket) {
			if idx, err := strconv.Atoi(f[0]); err == nil {
				unloadPulse(ctx, idx)
			}
		}
	}
}
