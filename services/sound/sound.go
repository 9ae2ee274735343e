// Package sound gives a container a sound server of its own: a
// PulseAudio daemon that lxcage runs as the user on the host, one per
// container, which the app reaches through a socket bound into the
// container and which passes its sound on to the user's own server
// (PulseAudio or PipeWire's pulse server) through a tunnel.
//
// The app never gets a socket of the user's server. That server admits
// any client of the user's uid and lets it load modules — a TCP listener
// that outlives the container, a library named by a module argument, run
// as the user outside the container — shows every module's arguments
// (host paths), and records what every other app plays. The daemon of
// this package refuses to load or unload modules once started and to be
// told to exit; what a client of it sees is its own three modules, one
// output (a tunnel to the user's default sink, which shows up in the
// user's mixer under the app's name) and one input: silence, or — only
// with microphone access — a tunnel to the user's default source. When
// the daemon ends, its streams on the user's server end with it.
//
// Where bubblewrap is available the daemon runs in a sandbox of its own
// (Service.Bwrap): no home, no network, no host processes, only /usr and
// /etc read-only, its socket's directory and the user's server's socket
// directory; the paths in its module arguments are then neutral ones, and
// a daemon the app managed to subvert holds no more than a client of the
// user's server holds. Without it the daemon runs unconfined with an
// environment and directories of its own.
package sound

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/services"
)

// Causes of Start's errors a caller may answer by running the container
// without sound and warning, instead of failing the launch (errors.Is):
var (
	// ErrNoServer: the user has no sound server to tunnel to.
	ErrNoServer = errors.New("no sound server")
	// ErrNoDaemon: the PulseAudio daemon that would be the container's
	// own server is not installed.
	ErrNoDaemon = errors.New("no PulseAudio daemon")
)

// ServerSocket is the Unix socket of the user's sound server, as their
// clients find it: the first unix: (or absolute path) entry of
// PULSE_SERVER, else runtimeDir/pulse/native. A PULSE_SERVER naming only
// network servers has no socket: an error wrapping ErrNoServer.
func ServerSocket(pulseServer, runtimeDir string) (string, error) {
	if strings.TrimSpace(pulseServer) == "" {
		if !filepath.IsAbs(runtimeDir) {
			return "", fmt.Errorf("%w: XDG_RUNTIME_DIR is not set", ErrNoServer)
		}
		return filepath.Join(runtimeDir, "pulse", "native"), nil
	}
	for _, entry := range strings.Fields(pulseServer) {
		// An entry may be limited to one machine: {machine-id}address.
		if strings.HasPrefix(entry, "{") {
			if i := strings.IndexByte(entry, '}'); i > 0 {
				entry = entry[i+1:]
			}
		}
		entry = strings.TrimPrefix(entry, "unix:")
		if filepath.IsAbs(entry) {
			return filepath.Clean(entry), nil
		}
	}
	return "", fmt.Errorf("%w: PULSE_SERVER=%q names no Unix socket", ErrNoServer, pulseServer)
}

// maxSunPath is the longest path a Unix socket can be bound or reached
// at (sun_path holds 108 bytes with the terminating NUL).
const maxSunPath = 107

// Names of what the service makes in Dir.
const (
	sockDir    = "sock"        // the daemon's socket directory, the only one it writes
	socketName = "native"      // the daemon's socket, bound into the container
	confName   = "client.conf" // the container's client config
	logName    = "log"         // the daemon's (and bwrap's) messages
	homeName   = "home"        // the unconfined daemon's HOME and state
)

// clientConf is the client config the container gets (and the daemon's
// own tunnels use): no shared memory across the container boundary (the
// daemon refuses it anyway), and a missing server must not make a client
// spawn a server of its own.
const clientConf = "enable-shm = no\nenable-memfd = no\nautospawn = no\n"

// Service is a container's own PulseAudio daemon. The zero value is not
// usable: Dir, Server, RuntimeDir and App must be set.
type Service struct {
	// Dir is the service's directory on the host: in a directory the
	// container cannot write, absent or left by an earlier run of the
	// same service. Start makes it (0700) and fills it with the socket,
	// the client config and the daemon's log; Undo removes them and it.
	Dir string
	// Server is the user's sound server: the absolute path of its
	// native-protocol Unix socket ($PULSE_SERVER's unix: path, else
	// $XDG_RUNTIME_DIR/pulse/native), PulseAudio's or pipewire-pulse's.
	Server string
	// RuntimeDir is the container's XDG_RUNTIME_DIR as the app sees it
	// (/run/user/UID): the socket is bound at RuntimeDir/pulse/native,
	// where clients look by default.
	RuntimeDir string
	// App names the app on the user's server: its stream's
	// application.name, which the user's mixer shows.
	App string
	// Icon is the stream's application.icon_name ("" for none).
	Icon string
	// Microphone lets the app record the user's default source. Without
	// it the app's only input records silence.
	Microphone bool
	// Bwrap is the bubblewrap program that confines the daemon ("" runs
	// it unconfined; then Dir/native and Server must fit a socket path).
	Bwrap string
	// Daemon is the PulseAudio program ("" is "pulseaudio").
	Daemon string
}

// Name implements services.Service.
func (s *Service) Name() string { return "sound server" }

// Phase implements services.Service: the socket's directory must exist
// when LXC binds it.
func (s *Service) Phase() services.Phase { return services.BeforeStart }

// hostSocket is the daemon's socket on the host.
func (s *Service) hostSocket() string { return filepath.Join(s.Dir, sockDir, socketName) }

// InsideSocket is where the container finds the daemon's socket.
func (s *Service) InsideSocket() string { return path.Join(s.RuntimeDir, "pulse", socketName) }

// InsideConf is where the container finds its client config: next to
// the socket's directory, not in it (that one is bound whole).
func (s *Service) InsideConf() string { return path.Join(s.RuntimeDir, "pulse-"+confName) }

// Grant implements services.Service: the daemon's socket directory, in
// which it makes nothing but its socket, and the client config, both
// read-only (connecting to a socket needs no writable mount), and the
// variables that name them. The directory, not the socket, is bound so
// that the container can start while the daemon does.
func (s *Service) Grant() services.Grant {
	return services.Grant{
		Binds: []services.Bind{
			{Host: filepath.Join(s.Dir, sockDir), Inside: path.Dir(s.InsideSocket()), Dir: true, ReadOnly: true},
			{Host: filepath.Join(s.Dir, confName), Inside: s.InsideConf(), ReadOnly: true},
		},
		Env: map[string]string{
			"PULSE_SERVER":       "unix:" + s.InsideSocket(),
			"PULSE_CLIENTCONFIG": s.InsideConf(),
		},
	}
}

// Validate checks the settings without touching the host. App and Icon
// come from a profile: they go into the daemon's environment only, never
// into a module argument.
func (s *Service) Validate() error {
	for _, p := range []struct{ key, val string }{{"Dir", s.Dir}, {"Server", s.Server}, {"RuntimeDir", s.RuntimeDir}} {
		if !filepath.IsAbs(p.val) || filepath.Clean(p.val) != p.val {
			return fmt.Errorf("sound: %s must be a clean absolute path, not %q", p.key, p.val)
		}
	}
	if s.App == "" {
		return errors.New("sound: App must name the app")
	}
	if err := checkName("App", s.App); err != nil {
		return err
	}
	if err := checkName("Icon", s.Icon); err != nil {
		return err
	}
	if s.Bwrap == "" {
		// Unconfined, the daemon binds and dials these very paths.
		for _, p := range []string{s.hostSocket(), s.Server} {
			if len(p) > maxSunPath {
				return fix.New(fmt.Sprintf("sound: the socket path %s is longer than a Unix socket allows (%d > %d bytes)", p, len(p), maxSunPath),
					"install bubblewrap (the daemon then reaches it by a short path in its sandbox) or use a shorter XDG_RUNTIME_DIR")
			}
		}
	}
	return nil
}

// checkName accepts what a mixer can show: valid UTF-8, no control
// characters, at most 200 bytes.
func checkName(key, v string) error {
	if len(v) > 200 || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return fmt.Errorf("sound: %s %q: want at most 200 bytes of printable UTF-8", key, v)
	}
	return nil
}
