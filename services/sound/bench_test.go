package sound_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/sound"
	"github.com/lxcage/lxcage/services/sound/soundtest"
)

// BenchmarkSoundStart is the mediator's start to ready (its socket
// answers), unconfined and in bwrap, next to the bare daemon with only
// its socket (BenchmarkSoundRawDaemon): what a cold launch waits for
// when it starts the mediator alongside lxc-start.
func BenchmarkSoundStart(b *testing.B) {
	u := userServer(b)
	for _, m := range []mode{{name: "unconfined"}, {name: "bwrap", bwrap: lookBwrap(b)}} {
		b.Run(m.name, func(b *testing.B) {
			if m.name == "bwrap" && m.bwrap == "" {
				b.Skip("no bwrap")
			}
			s := &sound.Service{Dir: filepath.Join(shortDir(b), "sound"), Server: u.Socket,
				RuntimeDir: "/run/user/1000", App: testApp, Bwrap: m.bwrap}
			env := services.Env{Runner: run.Exec{}}
			for i := 0; i < b.N; i++ {
				undo, err := s.Start(context.Background(), env)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				undo.Run(context.Background(), env.Runner)
				b.StartTimer()
			}
		})
	}
}

func lookBwrap(b *testing.B) string {
	p, _ := exec.LookPath("bwrap")
	return p
}

// BenchmarkSoundRawDaemon is the bare daemon, started the same way, with
// only a socket module: the floor under BenchmarkSoundStart.
func BenchmarkSoundRawDaemon(b *testing.B) {
	need(b, have("pulseaudio"), "pulseaudio")
	dir := shortDir(b)
	sock := filepath.Join(dir, "native")
	argv := []string{"env", "-i", "PATH=/usr/bin:/bin", "LD_BIND_NOW=1", "HOME=" + dir, "PULSE_RUNTIME_PATH=" + dir, "PULSE_STATE_PATH=" + dir,
		"pulseaudio", "-n", "--daemonize=no", "--use-pid-file=no", "--exit-idle-time=-1", "--log-level=error",
		"--load=module-native-protocol-unix socket=" + sock + " auth-cookie-enabled=0"}
	env := services.Env{Runner: run.Exec{}}
	for i := 0; i < b.N; i++ {
		os.Remove(sock)
		p, err := services.StartProcess(context.Background(), env, "pulseaudio", argv, "", func() bool {
			c, err := net.Dial("unix", sock)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p.Stop()
		b.StartTimer()
	}
}

// BenchmarkSoundLatency is the time from an app handing a click to its
// client library (pacat, 20 ms buffer, fed at the audio's pace) to the
// click reaching the user's sink (its monitor, recorded with 5 ms
// fragments), played directly on the user's server and through the
// mediator; the difference is what the mediator adds. ms/click is the
// median over b.N clicks; ms-reported is PulseAudio's own latency of the
// player's stream (buffer + sink, the mediator's tunnel sink reporting
// the user's side) while it plays.
func BenchmarkSoundLatency(b *testing.B) {
	u := userServer(b)
	for _, path := range []string{"direct", "mediator"} {
		b.Run(path, func(b *testing.B) {
			player := u.Client(run.Exec{})
			if path == "mediator" {
				player = startMediator(b, u, mode{}, false).app
			}
			lat, reported := clickLatency(b, u, player)
			b.ReportMetric(lat, "ms/click")
			b.ReportMetric(reported, "ms-reported")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// recorder keeps what a parecord of the user's sink monitor delivers,
// with the time each piece arrived.
type recorder struct {
	mu      sync.Mutex
	samples []int16
	at      []time.Time
}

func (r *recorder) run(rd io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := rd.Read(buf)
		now := time.Now()
		r.mu.Lock()
		for i := 0; i+1 < n; i += 2 {
			r.samples = append(r.samples, int16(binary.LittleEndian.Uint16(buf[i:])))
			r.at = append(r.at, now)
		}
		r.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

// click waits until a sample past from exceeds half scale and returns
// when it arrived.
func (r *recorder) click(from int, timeout time.Duration) (time.Time, bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for i := from; i < len(r.samples); i++ {
			if v := r.samples[i]; v > 1<<14 || v < -(1<<14) {
				t := r.at[i]
				r.mu.Unlock()
				return t, true
			}
		}
		from = len(r.samples)
		r.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	return time.Time{}, false
}

func clickLatency(b *testing.B, u *soundtest.UserServer, player soundtest.Client) (median, reported float64) {
	rate := strconv.Itoa(soundtest.Rate)
	format := []string{"--raw", "--format=s16le", "--rate=" + rate, "--channels=1"}
	rec := run.Exec{}.Command("parecord", append(format, "--server=unix:"+u.Socket, "--latency-msec=5", "--device="+soundtest.UserSink+".monitor")...)
	out, _ := rec.StdoutPipe()
	if err := rec.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { rec.Process.Kill(); rec.Wait() }()
	r := &recorder{}
	go r.run(out)

	play := run.Exec{}.Command("pacat", append(format, "--playback", "--server="+player.Server, "--latency-msec=20", "--client-name=bench")...)
	in, _ := play.StdinPipe()
	if err := play.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { in.Close(); play.Wait() }()
	// A small pipe: the click must not queue behind much silence.
	unix.FcntlInt(in.(*os.File).Fd(), unix.F_SETPIPE_SZ, 4096)

	const tick = 5 * time.Millisecond
	chunk := make([]byte, 2*(soundtest.Rate*int(tick/time.Millisecond)/1000))
	click := make([]byte, len(chunk))
	for i := 0; i < len(click); i += 2 {
		binary.LittleEndian.PutUint16(click[i:], uint16(30000))
	}
	clicks := make(chan chan time.Time)
	stop := make(chan struct{})
	defer close(stop)
	go feed(in, chunk, click, tick, clicks, stop)

	time.Sleep(500 * time.Millisecond)
	reported = streamLatency(player)
	var lat []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from := r.len()
		sent := make(chan time.Time, 1)
		clicks <- sent
		t0 := <-sent
		t1, ok := r.click(from, 2*time.Second)
		if !ok {
			b.Fatal("the click never reached the user's sink")
		}
		lat = append(lat, float64(t1.Sub(t0).Microseconds())/1000)
		time.Sleep(150 * time.Millisecond)
	}
	b.StopTimer()
	sort.Float64s(lat)
	return lat[len(lat)/2], reported
}

// feed writes silence at the audio's own pace, and a click when asked,
// saying when the click was handed over.
func feed(w io.Writer, chunk, click []byte, tick time.Duration, clicks chan chan time.Time, stop chan struct{}) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case sent := <-clicks:
			w.Write(click)
			sent <- time.Now()
		case <-t.C:
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// streamLatency is PulseAudio's own view of the player's latency: the
// buffer and sink latency of its stream "bench", in ms.
func streamLatency(c soundtest.Client) float64 {
	ins, err := c.SinkInputs(context.Background())
	if err != nil {
		return -1
	}
	for _, s := range ins {
		if s.App() == "bench" {
			return (s.BufferLatency + s.SinkLatency) / 1000
		}
	}
	return -1
}
