// Package pulsemod gives a container a socket on the user's own sound
// server: a module-native-protocol-unix loaded for the container and
// unloaded when it stops. The server admits the app by its uid, so this
// hands over the user's server (issue #12 replaces it with a mediator).
package pulsemod

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
)

// ClientConf is the container's PulseAudio client config: shared memory
// does not cross the container boundary (the article's disable-shm), and
// a missing server must not make the client spawn a private one inside.
const ClientConf = "enable-shm = no\nenable-memfd = no\nautospawn = no\n"

// maxSunPath is the longest path a Unix socket can be bound at.
const maxSunPath = 107

// Socket is the container's socket on the user's sound server.
type Socket struct {
	// Path is where the container's socket appears on the host (in the
	// directory bound as its runtime dir); StateDir holds a shorter
	// listening path when Path is too long for a socket.
	Path, StateDir string
	// InsideSocket is where the socket is bound in; InsideServer and
	// InsideConf are PULSE_SERVER and PULSE_CLIENTCONFIG inside.
	InsideSocket, InsideServer, InsideConf string
	// UserSocket is the user's own server's socket, linked in when the
	// server refuses to load modules.
	UserSocket string
}

// Name implements services.Service.
func (s *Socket) Name() string { return "PulseAudio socket" }

// Phase implements services.Service.
func (s *Socket) Phase() services.Phase { return services.BeforeStart }

// Grant implements services.Service.
func (s *Socket) Grant() services.Grant {
	return services.Grant{
		Binds: []services.Bind{
			{Host: s.Path, Inside: s.InsideSocket, ReadOnly: true},
			{Host: filepath.Join(filepath.Dir(s.Path), "client.conf"), Inside: s.InsideConf, ReadOnly: true},
		},
		Env: map[string]string{"PULSE_SERVER": s.InsideServer, "PULSE_CLIENTCONFIG": s.InsideConf},
	}
}

// Start implements services.Service.
func (s *Socket) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pulseaudio: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "client.conf"), []byte(ClientConf), 0o644); err != nil {
		return nil, fmt.Errorf("pulseaudio: %w", err)
	}
	// The server binds a short path when the container's own is too long
	// for a socket; a hard link then puts it where the container looks.
	listen := s.Path
	if len(listen) > maxSunPath {
		sum := sha256.Sum256([]byte(s.Path))
		listen = filepath.Join(s.StateDir, "pulse-"+hex.EncodeToString(sum[:6]))
	}
	unloadFor(ctx, env.Runner, listen)
	os.Remove(listen)
	os.Remove(s.Path)
	idx, loadErr := load(ctx, env.Runner, listen)
	if loadErr == nil {
		undo := services.Undo{{Run: []string{"pactl", "unload-module", strconv.Itoa(idx)}}}
		if listen != s.Path {
			if err := os.Link(listen, s.Path); err != nil {
				undo.Run(ctx, env.Runner)
				return nil, fmt.Errorf("pulseaudio: %w", err)
			}
		}
		return undo, nil
	}
	// No pactl or a server that refuses modules: share the user's own
	// socket (same uid, so the server admits the app the same way).
	if err := os.Link(s.UserSocket, s.Path); err != nil {
		return nil, fix.New(fmt.Sprintf("pulseaudio = true, but the container cannot get a sound server socket: loading a socket module failed (%v) and linking %s failed (%v)", loadErr, s.UserSocket, err),
			"start PulseAudio or pipewire-pulse (pactl info must answer)")
	}
	return nil, nil
}

func pactl(ctx context.Context, r run.Runner, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return r.Run(ctx, nil, "pactl", args...)
}

func load(ctx context.Context, r run.Runner, socket string) (int, error) {
	out, err := pactl(ctx, r, "load-module", "module-native-protocol-unix", "socket="+socket)
	if err != nil {
		return -1, err
	}
	idx, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return -1, fmt.Errorf("pactl load-module printed %q", out)
	}
	return idx, nil
}

// unloadFor unloads a module a crashed launch left listening on socket,
// so that it can be loaded again.
func unloadFor(ctx context.Context, r run.Runner, socket string) {
	out, err := pactl(ctx, r, "list", "short", "modules")
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) >= 3 && f[1] == "module-native-protocol-unix" && strings.Contains(f[2], "socket="+socket) {
			pactl(ctx, r, "unload-module", f[0])
		}
	}
}
