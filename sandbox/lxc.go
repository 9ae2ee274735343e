package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/internal/safefile"
)

// State is an LXC container state as lxc-info prints it.
type State string

// Container states. NotCreated is lxcage's own: there is no container.
const (
	NotCreated State = "NOT CREATED"
	Stopped    State = "STOPPED"
	Starting   State = "STARTING"
	Running    State = "RUNNING"
	Stopping   State = "STOPPING"
	Aborting   State = "ABORTING"
	Frozen     State = "FROZEN"
)

// ErrExists is returned by Create when the container already exists.
var ErrExists = errors.New("container already exists")

// LXC is the driver for the containers of one LXC path.
type LXC struct {
	// Path is the LXC path (lxc-config lxc.lxcpath, or -P).
	Path string
	// Runner runs the tools.
	Runner run.Runner
	// LogFile and LogLevel, when set, are passed to every tool as -o and
	// -l, overriding the container's lxc.log.* (the CLI's -o/-l).
	LogFile, LogLevel string
	// Self is the lxcage binary, run inside a user namespace to write a
	// host-image rootfs as the container's root.
	Self string
}

// DefaultPath is LXC's container path for the calling user, found the
// way lxc-config finds it (without running it): lxc.lxcpath from
// ~/.config/lxc/lxc.conf, else ~/.local/share/lxc.
func DefaultPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the LXC path: %w", err)
	}
	if c, err := ReadConfig(filepath.Join(home, ".config", "lxc", "lxc.conf")); err == nil {
		for _, v := range c.Get("lxc.lxcpath") {
			if filepath.IsAbs(v) {
				return filepath.Clean(v), nil
			}
		}
	}
	return filepath.Join(home, ".local", "share", "lxc"), nil
}

// args is the common prefix of every tool call: the path, the name and
// the log overrides. Names are validated profile names, never flags.
func (l *LXC) args(name string, extra ...string) []string {
	a := []string{"-P", l.Path, "-n", name}
	if l.LogFile != "" {
		a = append(a, "-o", l.LogFile)
	}
	if l.LogLevel != "" {
		a = append(a, "-l", l.LogLevel)
	}
	return append(a, extra...)
}

// Dir is the container's directory.
func (l *LXC) Dir(name string) string { return filepath.Join(l.Path, name) }

// ConfigPath is the container's LXC config file.
func (l *LXC) ConfigPath(name string) string { return filepath.Join(l.Dir(name), "config") }

// Exists reports whether the container has been created.
func (l *LXC) Exists(name string) bool {
	_, err := os.Stat(l.ConfigPath(name))
	return err == nil
}

// State asks LXC for the container's state.
func (l *LXC) State(ctx context.Context, name string) (State, error) {
	if !l.Exists(name) {
		return NotCreated, nil
	}
	out, err := l.Runner.Run(ctx, nil, "lxc-info", l.args(name, "-s", "-H")...)
	if err != nil {
		return "", fmt.Errorf("state of %s: %w", name, err)
	}
	return State(strings.TrimSpace(string(out))), nil
}

// InitPID is the host PID of the running container's init.
func (l *LXC) InitPID(ctx context.Context, name string) (int, error) {
	out, err := l.Runner.Run(ctx, nil, "lxc-info", l.args(name, "-p", "-H")...)
	if err != nil {
		return 0, fmt.Errorf("init pid of %s: %w", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("init pid of %s: %s is not running", name, name)
	}
	return pid, nil
}

// Start starts the container in the background; lxc-start -d returns
// once it is RUNNING, so no separate wait is needed.
func (l *LXC) Start(ctx context.Context, name string) error {
	if err := l.clearStaleCgroups(name); err != nil {
		return err
	}
	if _, err := l.Runner.Run(ctx, nil, "lxc-start", l.args(name, "-d")...); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

// StartPidFile is Start, with the init's host PID written to pidFile
// (it saves asking lxc-info afterwards).
func (l *LXC) StartPidFile(ctx context.Context, name, pidFile string) error {
	if err := l.clearStaleCgroups(name); err != nil {
		return err
	}
	if _, err := l.Runner.Run(ctx, nil, "lxc-start", l.args(name, "-d", "-p", pidFile)...); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

// Wait waits up to timeout for the container to reach state.
func (l *LXC) Wait(ctx context.Context, name string, state State, timeout time.Duration) error {
	secs := strconv.Itoa(int((timeout + time.Second - 1) / time.Second))
	if _, err := l.Runner.Run(ctx, nil, "lxc-wait", l.args(name, "-s", string(state), "-t", secs)...); err != nil {
		return fmt.Errorf("wait for %s to be %s: %w", name, state, err)
	}
	return nil
}

// Stop stops the container: asks its init to shut down and waits up to
// timeout, then kills it. A zero timeout kills at once (app containers,
// whose init only waits).
func (l *LXC) Stop(ctx context.Context, name string, timeout time.Duration) error {
	extra := []string{"-k"}
	if timeout > 0 {
		extra = []string{"-t", strconv.Itoa(int((timeout + time.Second - 1) / time.Second))}
	}
	if _, err := l.Runner.Run(ctx, nil, "lxc-stop", l.args(name, extra...)...); err != nil {
		if st, serr := l.State(ctx, name); serr == nil && st == Stopped {
			return nil // stopped meanwhile (by its init, or another stop)
		}
		return fmt.Errorf("stop %s: %w", name, err)
	}
	return nil
}

// Destroy removes a stopped container and its rootfs.
func (l *LXC) Destroy(ctx context.Context, name string) error {
	if !l.Exists(name) {
		return nil
	}
	if b, _ := os.ReadFile(filepath.Join(l.Dir(name), "lxc_snapshots")); len(strings.TrimSpace(string(b))) > 0 {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		var clones []string
		for i := 1; i < len(lines); i += 2 {
			clones = append(clones, lines[i])
		}
		return fmt.Errorf("destroy %s: other containers are snapshots of it (%s); destroy those first", name, strings.Join(clones, ", "))
	}
	if _, err := l.Runner.Run(ctx, nil, "lxc-destroy", l.args(name)...); err != nil {
		return fmt.Errorf("destroy %s: %w", name, err)
	}
	return nil
}

// List returns the names of the containers under the path.
func (l *LXC) List() ([]string, error) {
	ents, err := os.ReadDir(l.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && l.Exists(e.Name()) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// WriteConfig installs config as the container's LXC config, atomically,
// and reports whether it changed.
func (l *LXC) WriteConfig(name, config string) (bool, error) {
	path := l.ConfigPath(name)
	if old, err := os.ReadFile(path); err == nil && string(old) == config {
		return false, nil
	}
	if err := safefile.WriteAtomic(path, []byte(config), 0o600); err != nil {
		return false, fmt.Errorf("write config of %s: %w", name, err)
	}
	return true, nil
}

// WriteFile installs a file next to the container's config (its seccomp
// policy), atomically, when its content changed; content "" removes it.
func (l *LXC) WriteFile(name, file, content string) error {
	path := filepath.Join(l.Dir(name), file)
	if content == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if old, err := os.ReadFile(path); err == nil && string(old) == content {
		return nil
	}
	if err := safefile.WriteAtomic(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write %s of %s: %w", file, name, err)
	}
	return nil
}

// AttachOptions says how to run a program in a running container.
type AttachOptions struct {
	UID, GID int
	// Env is the program's whole environment ("NAME=value").
	Env []string
	// Cwd is the working directory inside, reached through a wrapper
	// shell; "" keeps LXC's choice: the caller's directory if that path
	// exists inside, else /. HostDir is the directory lxc-attach runs in.
	Cwd     string
	HostDir string
	Argv    []string
}

// AttachCmd prepares lxc-attach for opts. The environment is cleared and
// set to exactly opts.Env. lxc-attach has no working-directory option, so
// a fixed sh script changes into Cwd and execs the program; the program
// and its arguments stay positional parameters, never shell text.
func (l *LXC) AttachCmd(name string, opts AttachOptions) *exec.Cmd {
	args := l.args(name, "--clear-env", "-u", strconv.Itoa(opts.UID), "-g", strconv.Itoa(opts.GID))
	for _, e := range opts.Env {
		args = append(args, "-v", e)
	}
	args = append(args, "--")
	if opts.Cwd != "" {
		args = append(args, "/bin/sh", "-c", `cd "$0" 2>/dev/null; exec "$@"`, opts.Cwd)
	}
	args = append(args, opts.Argv...)
	cmd := l.Runner.Command("lxc-attach", args...)
	cmd.Dir = opts.HostDir
	return cmd
}

// usernsArgs maps the container's ids for lxc-usernsexec.
func usernsArgs(m []IDMapEntry) []string {
	var a []string
	for _, e := range m {
		a = append(a, "-m", fmt.Sprintf("%c:%d:%d:%d", e.Kind, e.Inside, e.Outside, e.Count))
	}
	return a
}

// RemoveTree removes a directory holding files owned by the container's
// ids, from inside a user namespace with the container's id map.
func (l *LXC) RemoveTree(ctx context.Context, dir string, idmap []IDMapEntry) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	args := append(usernsArgs(idmap), "--", "rm", "-rf", "--one-file-system", "--", dir)
	if _, err := l.Runner.Run(ctx, nil, "lxc-usernsexec", args...); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}
