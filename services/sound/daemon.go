package sound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/services"
)

// The daemon's devices.
const (
	sinkName   = "lxcage_output"
	sourceName = "lxcage_input"
)

// Paths in the confined daemon's sandbox: short, whatever the host's,
// and naming nothing of the host in its module arguments.
const (
	boxSock   = "/run/lxcage"      // Dir/sock, where it makes its socket
	boxConf   = "/run/client.conf" // Dir/client.conf, read-only
	boxServer = "/run/server"      // the user's socket (or its directory)
	boxHome   = "/tmp"             // a tmpfs that goes with the sandbox
	infoFD    = "3"                // bwrap reports the daemon's PID here
	boxHost   = "lxcage-sound"     // the hostname the daemon reports
)

// layout is where the daemon finds things, as it sees them.
type layout struct {
	socket, server, conf, home string
}

func (s *Service) layout() layout {
	if s.Bwrap != "" {
		return layout{
			socket: boxSock + "/" + socketName,
			server: boxServer + "/" + filepath.Base(s.Server),
			conf:   boxConf,
			home:   boxHome,
		}
	}
	return layout{
		socket: s.hostSocket(),
		server: s.Server,
		conf:   filepath.Join(s.Dir, confName),
		home:   filepath.Join(s.Dir, homeName),
	}
}

// modules are the daemon's only modules, loaded at start (in this order:
// the socket last, so that a client finds the tunnel's module loaded).
// Nothing from a profile goes in here.
func (s *Service) modules(l layout) []string {
	// A tunnel whose connection to the user's server breaks (the server
	// restarted, the output it played on went away) comes back within a
	// second, on the user's default device, instead of leaving the app
	// without an output.
	server := "server=unix:" + l.server + " reconnect_interval_ms=1000"
	// 48 kHz float, what sound cards and PipeWire mostly run at: an app
	// at that rate is not resampled twice (here and on the user's side).
	spec := " format=float32le rate=48000 channels=2"
	out := "module-tunnel-sink-new " + server + " sink_name=" + sinkName + spec +
		` sink_properties="device.description='Speakers (lxcage)'"`
	in := "module-null-source source_name=" + sourceName + " description='No microphone (lxcage)'" + spec
	if s.Microphone {
		// Suspended (and its stream on the user's server corked) as soon
		// as nothing records: the user's microphone is open only while
		// the app records.
		in = "module-tunnel-source-new " + server + " source_name=" + sourceName + spec +
			` source_properties="device.description='Microphone (lxcage)' module-suspend-on-idle.timeout=0"`
	}
	return []string{
		out, in,
		// Idle devices are suspended after a second: a silent app keeps
		// neither the user's output nor its input busy (the second lets
		// the user's server play out the end of a sound).
		"module-suspend-on-idle timeout=1",
		// No cookie: the daemon admits clients of its own uid, and a
		// cookie file would be one more file to leave behind.
		"module-native-protocol-unix socket=" + l.socket + " auth-cookie-enabled=0",
	}
}

// daemonArgs is the daemon's command line: no default script, no module
// loading or unloading by clients, no exit on a client's request or when
// idle, no shared memory with clients, no PID file.
func (s *Service) daemonArgs(l layout) []string {
	args := []string{s.daemon(), "-n", "--daemonize=no", "--fail=yes", "--disallow-module-loading", "--disallow-exit",
		"--exit-idle-time=-1", "--use-pid-file=no", "--disable-shm=yes", "--log-target=stderr", "--log-level=error"}
	if s.Bwrap != "" {
		// Real-time scheduling goes through rtkit on the system bus,
		// which the sandbox does not have (and whose thread IDs would
		// not match across the PID namespace).
		args = append(args, "--realtime=no")
	}
	for _, m := range s.modules(l) {
		args = append(args, "--load="+m)
	}
	return args
}

func (s *Service) daemon() string {
	if s.Daemon == "" {
		return "pulseaudio"
	}
	return s.Daemon
}

// daemonEnv is the daemon's whole environment: none of the caller's (no
// session bus to claim PulseAudio's names on, no display, no
// PULSE_SERVER), its own runtime and state directories, and the app's
// name for its streams on the user's server.
func (s *Service) daemonEnv(l layout) []string {
	env := []string{
		"PATH=/usr/bin:/bin", "LC_ALL=C",
		// PulseAudio re-executes itself to set this unless it is set: one
		// whole load of its fifty libraries saved at each start.
		"LD_BIND_NOW=1",
		"HOME=" + l.home, "PULSE_RUNTIME_PATH=" + l.home, "PULSE_STATE_PATH=" + l.home,
		"PULSE_CLIENTCONFIG=" + l.conf,
		// PULSE_PROP_OVERRIDE_KEY sets KEY verbatim, over the tunnel's
		// own "PulseAudio": no property-list syntax to escape.
		"PULSE_PROP_OVERRIDE_application.name=" + s.App,
	}
	if s.Icon != "" {
		env = append(env, "PULSE_PROP_OVERRIDE_application.icon_name="+s.Icon)
	}
	return env
}

// bwrapArgs wraps argv in bubblewrap: every namespace new, no
// capabilities, the daemon as PID 1 of its own PID namespace (so that
// ending it ends everything in there), /usr and /etc read-only, a tmpfs
// home; of the host only its socket directory to write in, its client
// config and the user's socket.
func (s *Service) bwrapArgs(argv, env []string) []string {
	args := []string{s.Bwrap, "--unshare-all", "--cap-drop", "ALL", "--as-pid-1", "--hostname", boxHost,
		"--info-fd", infoFD, "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"}
	args = append(args, rootLinks()...)
	args = append(args, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
		"--bind", filepath.Join(s.Dir, sockDir), boxSock, "--ro-bind", filepath.Join(s.Dir, confName), boxConf)
	// The user's socket's directory when it is PulseAudio's own, so that
	// the tunnel finds a restarted server's new socket; else the socket
	// alone: never a directory holding other sockets of the user's (a
	// PULSE_SERVER right in XDG_RUNTIME_DIR sits next to the session
	// bus and PipeWire's socket).
	if filepath.Base(filepath.Dir(s.Server)) == "pulse" {
		args = append(args, "--ro-bind", filepath.Dir(s.Server), boxServer)
	} else {
		args = append(args, "--ro-bind", s.Server, boxServer+"/"+filepath.Base(s.Server))
	}
	args = append(args, "--clearenv")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		args = append(args, "--setenv", k, v)
	}
	return append(append(args, "--"), argv...)
}

// rootLinks gives the sandbox the host's /bin, /lib… as they are: links
// into /usr on a merged-/usr system, read-only binds otherwise.
func rootLinks() []string {
	var args []string
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&fs.ModeSymlink != 0:
			if target, err := os.Readlink(d); err == nil {
				args = append(args, "--symlink", target, d)
			}
		case fi.IsDir():
			args = append(args, "--ro-bind", d, d)
		}
	}
	return args
}

// Start implements services.Service: Begin, and wait until it serves.
func (s *Service) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	return services.StartNow(ctx, s, env)
}

// Begin implements services.Background: it checks that the user's server
// answers (else an error wrapping ErrNoServer), makes Dir with the
// client config and the socket's directory, and starts the daemon; the
// wait is until its socket answers and its output and input exist.
func (s *Service) Begin(ctx context.Context, env services.Env) (services.Undo, services.Pending, error) {
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	if err := probe(s.Server); err != nil {
		return nil, nil, fix.Wrap(fmt.Errorf("%w at %s: %v", ErrNoServer, s.Server, err), "",
			"start PulseAudio or PipeWire's pulse server (pactl info shows it), or turn pulseaudio off in the profile")
	}
	if _, err := exec.LookPath(s.daemon()); err != nil {
		return nil, nil, fix.Wrap(fmt.Errorf("%w: %v", ErrNoDaemon, err), "",
			"install the pulseaudio package (on a PipeWire desktop then run `systemctl --user mask pulseaudio.service pulseaudio.socket`, so that it does not replace PipeWire's pulse server as yours), or turn pulseaudio off in the profile")
	}
	undo, err := s.prepare()
	if err != nil {
		undo.Run(ctx, env.Runner)
		return nil, nil, fmt.Errorf("sound: %w", err)
	}
	procs, wait, err := s.startDaemon(ctx, env)
	if err != nil {
		err = fmt.Errorf("sound: %w%s", err, s.logTail())
		undo.Run(ctx, env.Runner)
		return nil, nil, err
	}
	return append(undo, procs...), func(ctx context.Context) error {
		if err := wait(ctx); err != nil {
			return fmt.Errorf("sound: %w%s", err, s.logTail())
		}
		return nil
	}, nil
}

// prepare makes Dir and the client config, and clears what an earlier
// run left. The Undo it returns removes what the daemon makes there too.
func (s *Service) prepare() (services.Undo, error) {
	var undo services.Undo
	if err := os.Mkdir(s.Dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return undo, err
	}
	if fi, err := os.Lstat(s.Dir); err != nil || !fi.IsDir() {
		return undo, fmt.Errorf("%s is not a directory", s.Dir)
	}
	files := []string{sockDir, logName, confName, sockDir + "/" + socketName}
	if s.Bwrap == "" {
		files = append([]string{homeName, homeName + "/.config", homeName + "/.config/pulse"}, files...)
		files = append(files, homeName+"/.config/pulse/cookie")
	}
	undo = append(undo, services.Step{Remove: s.Dir})
	for _, f := range files {
		undo = append(undo, services.Step{Remove: filepath.Join(s.Dir, f)})
	}
	// A stale socket would make the daemon fail to bind; a stale log
	// would be quoted as this run's.
	for _, f := range []string{sockDir + "/" + socketName, logName} {
		if err := os.Remove(filepath.Join(s.Dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return undo, err
		}
	}
	if err := os.Mkdir(filepath.Join(s.Dir, sockDir), 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return undo, err
	}
	if s.Bwrap == "" {
		if err := os.MkdirAll(filepath.Join(s.Dir, homeName), 0o700); err != nil {
			return undo, err
		}
	}
	return undo, safefile.WriteAtomic(filepath.Join(s.Dir, confName), []byte(clientConf), 0o644)
}

// startDaemon starts the daemon (in bwrap when confined) and returns the
// step that ends it and the wait until it serves.
func (s *Service) startDaemon(ctx context.Context, env services.Env) (services.Undo, services.Pending, error) {
	l := s.layout()
	argv, denv := s.daemonArgs(l), s.daemonEnv(l)
	r := cmdRunner{Runner: env.Runner, env: denv}
	if s.Bwrap == "" {
		env.Runner = r
		p, err := services.BeginProcess(ctx, env, s.Name(), argv, filepath.Join(s.Dir, logName))
		if err != nil {
			return nil, nil, err
		}
		return services.Undo{{Kill: &p.Proc}}, func(ctx context.Context) error { return p.Wait(ctx, s.ready()) }, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	pids := make(chan int, 1)
	go func() {
		readChildPID(pr, pids)
		pr.Close()
	}()
	r.env, r.extra = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}, []*os.File{pw}
	env.Runner = r
	p, err := services.BeginProcess(ctx, env, s.Name(), s.bwrapArgs(argv, denv), filepath.Join(s.Dir, logName))
	pw.Close()
	if err != nil {
		return nil, nil, err
	}
	// The daemon's PID comes from bwrap a few ms later: waiting for it
	// here would hold up lxc-start; the wait for the daemon's socket
	// learns it first, and the step that ends the daemon ends nothing
	// until then (Proc.Stop of PID 0). Killing bwrap alone would leave
	// the daemon running (it is PID 1 of its own namespace), so a start
	// abandoned early still calls the wait (services.Pending).
	daemon := &services.Proc{}
	wait := func(ctx context.Context) error {
		d, err := waitChildPID(pids)
		if err != nil {
			p.Proc.Stop()
			return err
		}
		*daemon = d
		return p.Wait(ctx, s.ready())
	}
	// Only the daemon: bwrap exits when it does, after reaping it (a
	// SIGTERM of ours could end bwrap first and leave the daemon a zombie
	// for whoever reaps orphans). A wait that fails kills bwrap; the
	// daemon, its child, is then ended by this step.
	return services.Undo{{Kill: daemon}}, wait, nil
}

// ready is the daemon's ready check: its socket answers, and its output
// and input are there (its tunnels have reached the user's server).
func (s *Service) ready() func() bool {
	return func() bool {
		ok, err := hasDevices(s.hostSocket(), []string{sinkName}, []string{sourceName})
		return ok && err == nil
	}
}

// readChildPID reads bwrap's --info-fd report: the PID (in our PID
// namespace) of the daemon it started.
func readChildPID(r *os.File, pids chan<- int) {
	var info struct {
		ChildPID int `json:"child-pid"`
	}
	if err := json.NewDecoder(r).Decode(&info); err != nil || info.ChildPID <= 0 {
		pids <- 0
		return
	}
	pids <- info.ChildPID
}

// waitChildPID waits for readChildPID's answer as a Proc.
func waitChildPID(pids <-chan int) (services.Proc, error) {
	select {
	case pid := <-pids:
		if pid == 0 {
			return services.Proc{}, errors.New("bwrap did not report the daemon's PID")
		}
		start, err := services.ProcStartTime(pid)
		if err != nil {
			return services.Proc{}, fmt.Errorf("the daemon (PID %d) is gone: %w", pid, err)
		}
		return services.Proc{Name: "sound server daemon", PID: pid, Start: start}, nil
	case <-time.After(2 * time.Second):
		return services.Proc{}, errors.New("bwrap did not report the daemon's PID")
	}
}

// logTail quotes the end of the daemon's log for an error message.
func (s *Service) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.Dir, logName))
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return ""
	}
	return "\n" + strings.TrimSpace(run.Tail(string(b), 2000))
}

// cmdRunner gives the programs it prepares exactly env as their
// environment (not the caller's) and extra as descriptors 3, 4, …
type cmdRunner struct {
	run.Runner
	env   []string
	extra []*os.File
}

// Command implements run.Runner.
func (r cmdRunner) Command(name string, args ...string) *exec.Cmd {
	cmd := r.Runner.Command(name, args...)
	cmd.Env = r.env
	cmd.ExtraFiles = r.extra
	return cmd
}
