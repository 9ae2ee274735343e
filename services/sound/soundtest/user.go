package soundtest

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
)

// Names of the stand-in user server's devices.
const (
	// UserSink is its default sink: a null sink, whose monitor
	// (UserSink+".monitor") records what reaches the user's speakers.
	UserSink = "user_speakers"
	// UserMic is its default source: a sine of MicFreq Hz at amplitude
	// about 0.5, standing in for a microphone.
	UserMic = "user_mic"
	// MicFreq is the stand-in microphone's tone.
	MicFreq = 440
)

// UserServer is a PulseAudio standing in for the user's own, run by the
// test as itself, so that tests neither disturb nor depend on the
// session's real server.
type UserServer struct {
	// Socket is its native-protocol socket.
	Socket string
	dir    string
	proc   services.Proc
}

// StartUserServer starts a stand-in user server with its state in dir
// and its socket at dir/pulse/native (dir must exist, with a short path:
// the socket must fit a socket address).
func StartUserServer(ctx context.Context, r run.Runner, dir string) (*UserServer, error) {
	// Where PulseAudio puts it: a "pulse" directory of its own.
	if err := os.MkdirAll(filepath.Join(dir, "pulse"), 0o700); err != nil {
		return nil, err
	}
	u := &UserServer{Socket: filepath.Join(dir, "pulse", "native"), dir: dir}
	argv := []string{"env", "-i", "PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + dir,
		"PULSE_RUNTIME_PATH=" + dir, "PULSE_STATE_PATH=" + dir,
		"pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--log-target=stderr", "--log-level=error",
		"--load=module-null-sink sink_name=" + UserSink,
		"--load=module-sine-source source_name=" + UserMic + " frequency=" + strconv.Itoa(MicFreq),
		// A null sink renders in blocks of up to two seconds unless a
		// stream asks for less: its monitor would hear nothing in a short
		// recording. A loopback of its monitor asking for 10 ms keeps it
		// rendering as a sound card does.
		"--load=module-null-sink sink_name=user_void",
		"--load=module-loopback source=" + UserSink + ".monitor sink=user_void latency_msec=10 source_dont_move=1 sink_dont_move=1",
		"--load=module-native-protocol-unix socket=" + u.Socket,
	}
	ready := func() bool {
		c, err := net.DialTimeout("unix", u.Socket, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	p, err := services.StartProcess(ctx, services.Env{Runner: r}, "user's sound server", argv, filepath.Join(dir, "log"), ready)
	if err != nil {
		return nil, err
	}
	u.proc = p
	c := u.Client(r)
	for _, args := range [][]string{{"set-default-sink", UserSink}, {"set-default-source", UserMic}} {
		if _, err := c.Pactl(ctx, args...); err != nil {
			u.Stop()
			return nil, err
		}
	}
	// The null sink's first block is two seconds long whatever the
	// loopback asks; a short stream asking for 10 ms cuts it short.
	if _, err := c.Exec(ctx, make([]byte, Rate/10), append(append([]string{"paplay"}, c.server()...),
		"--raw", "--format=s16le", "--rate="+strconv.Itoa(Rate), "--channels=1", "--latency-msec=10")...); err != nil {
		u.Stop()
		return nil, err
	}
	return u, nil
}

// Client is a client of the user server on the host.
func (u *UserServer) Client(r run.Runner) Client {
	return Client{Exec: Host(r), Server: "unix:" + u.Socket}
}

// Stop ends the server and removes its socket.
func (u *UserServer) Stop() error {
	u.proc.Stop()
	if err := os.Remove(u.Socket); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
