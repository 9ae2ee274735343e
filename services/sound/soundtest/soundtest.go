// Package soundtest holds the probes lxcage's sound tests run against a
// PulseAudio server — from the host, or from inside a container — and a
// stand-in for the user's own server. A probe is a client tool (pactl,
// paplay, parecord: pulseaudio-utils ≥ 16 for pactl's JSON) run through
// an Exec, so the same probe runs on the host or through lxc-attach.
package soundtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lxcage/lxcage/internal/run"
)

// Rate is the sample rate of the probes' raw audio: mono, s16le.
const Rate = 44100

// Exec runs a client tool with stdin (nil for none) and returns its
// standard output; a non-zero exit is an error.
type Exec func(ctx context.Context, stdin []byte, argv ...string) ([]byte, error)

// Host runs the tools on the host through r.
func Host(r run.Runner) Exec {
	return func(ctx context.Context, stdin []byte, argv ...string) ([]byte, error) {
		var in io.Reader // nil, not a nil *bytes.Reader, when there is none
		if stdin != nil {
			in = bytes.NewReader(stdin)
		}
		return r.Run(ctx, in, argv[0], argv[1:]...)
	}
}

// Client is a client of one server.
type Client struct {
	// Exec runs the tools.
	Exec Exec
	// Server is passed as --server; "" leaves the tools their default
	// ($PULSE_SERVER, else $XDG_RUNTIME_DIR/pulse/native): what an app
	// inside a container would reach.
	Server string
}

func (c Client) server() []string {
	if c.Server == "" {
		return nil
	}
	return []string{"--server=" + c.Server}
}

// Pactl runs pactl with args and returns its output.
func (c Client) Pactl(ctx context.Context, args ...string) (string, error) {
	out, err := c.Exec(ctx, nil, append(append([]string{"pactl"}, c.server()...), args...)...)
	return string(out), err
}

// Module is a loaded module as pactl lists it.
type Module struct {
	Name     string `json:"name"`
	Argument string `json:"argument"`
}

// Modules lists the server's modules.
func (c Client) Modules(ctx context.Context) ([]Module, error) {
	var ms []Module
	return ms, c.pactlJSON(ctx, &ms, "list", "short", "modules")
}

// Device is a sink or source as pactl's short list shows it.
type Device struct {
	Name   string `json:"name"`
	Driver string `json:"driver"`
	State  string `json:"state"`
}

// Sinks lists the server's sinks.
func (c Client) Sinks(ctx context.Context) ([]Device, error) {
	var ds []Device
	return ds, c.pactlJSON(ctx, &ds, "list", "short", "sinks")
}

// Sources lists the server's sources (monitors included).
func (c Client) Sources(ctx context.Context) ([]Device, error) {
	var ds []Device
	return ds, c.pactlJSON(ctx, &ds, "list", "short", "sources")
}

// Stream is a sink input or source output.
type Stream struct {
	Index      int               `json:"index"`
	Corked     bool              `json:"corked"`
	Properties map[string]string `json:"properties"`
	// BufferLatency and SinkLatency are in µs: PulseAudio's own view of
	// how long a sample takes from the client to the device.
	BufferLatency float64 `json:"buffer_latency_usec"`
	SinkLatency   float64 `json:"sink_latency_usec"`
}

// App is the stream's application.name.
func (s Stream) App() string { return s.Properties["application.name"] }

// SinkInputs lists the playback streams.
func (c Client) SinkInputs(ctx context.Context) ([]Stream, error) {
	var ss []Stream
	return ss, c.pactlJSON(ctx, &ss, "list", "sink-inputs")
}

// SourceOutputs lists the recording streams.
func (c Client) SourceOutputs(ctx context.Context) ([]Stream, error) {
	var ss []Stream
	return ss, c.pactlJSON(ctx, &ss, "list", "source-outputs")
}

// Info is pactl info: server_name, default_sink_name,
// default_source_name, user_name, host_name…
func (c Client) Info(ctx context.Context) (map[string]any, error) {
	var m map[string]any
	return m, c.pactlJSON(ctx, &m, "info")
}

func (c Client) pactlJSON(ctx context.Context, v any, args ...string) error {
	out, err := c.Pactl(ctx, append([]string{"--format=json"}, args...)...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("pactl %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// Play plays pcm (Rate, mono, s16le) through paplay under the client
// name name, and returns when it has played.
func (c Client) Play(ctx context.Context, pcm []byte, name string) error {
	_, err := c.Exec(ctx, pcm, append(append([]string{"paplay"}, c.server()...),
		"--raw", "--format=s16le", "--rate="+strconv.Itoa(Rate), "--channels=1", "--client-name="+name, "--stream-name="+name)...)
	return err
}

// Record records d of source ("" for the default source) with parecord
// and returns the samples. parecord has no length of its own: timeout
// ends it with SIGINT, on which it exits cleanly (timeout is in
// coreutils, so it is there in a container too).
func (c Client) Record(ctx context.Context, source string, d time.Duration) ([]int16, error) {
	argv := []string{"timeout", "-s", "INT", "--preserve-status", strconv.FormatFloat(d.Seconds(), 'f', 3, 64), "parecord"}
	argv = append(append(argv, c.server()...), "--raw", "--format=s16le", "--rate="+strconv.Itoa(Rate), "--channels=1",
		// Without a latency a record stream gets its data in fragments
		// of up to two seconds: none at all in a short recording.
		"--latency-msec=20")
	if source != "" {
		argv = append(argv, "--device="+source)
	}
	out, err := c.Exec(ctx, nil, argv...)
	// On a loaded host the SIGINT may come before parecord handles it:
	// it dies of it (128+2) having recorded nothing, which is a short
	// recording, not a failure.
	var exit interface{ ExitCode() int }
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 130) {
		return nil, err
	}
	return Samples(out), nil
}

// Tone is a sine of freq Hz at amplitude amp (0…1) lasting d, as raw
// audio for Play.
func Tone(freq, amp float64, d time.Duration) []byte {
	n := int(d.Seconds() * Rate)
	b := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		v := amp * math.Sin(2*math.Pi*freq*float64(i)/Rate)
		binary.LittleEndian.PutUint16(b[2*i:], uint16(int16(v*math.MaxInt16)))
	}
	return b
}

// Samples decodes raw s16le audio.
func Samples(b []byte) []int16 {
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

// Peak is the largest absolute sample value, 0…1.
func Peak(s []int16) float64 {
	var m int
	for _, v := range s {
		a := int(v)
		if a < 0 {
			a = -a
		}
		if a > m {
			m = a
		}
	}
	return float64(m) / math.MaxInt16
}
