// Package run runs lxcage's external programs. Every tool call — lxc-*,
// pactl, xauth, Xephyr, xdg-dbus-proxy, pasta, lxcage itself as a helper —
// goes through a Runner, so tests can record the calls and the real one
// gives every call the same environment, timeout and error form.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// DefaultTimeout bounds a tool run whose context has no deadline.
const DefaultTimeout = 2 * time.Minute

// Runner runs external tools.
type Runner interface {
	// Run runs a tool to completion. stdin may be nil. It returns the
	// tool's standard output; a failure is a *ToolError carrying the
	// tool's standard error.
	Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error)
	// Command prepares a long-running tool (lxc-attach, a helper server)
	// for the caller to start and wait on, with the same environment Run
	// uses.
	Command(name string, args ...string) *exec.Cmd
}

// ToolError is a failed tool run.
type ToolError struct {
	Tool   string
	Args   []string
	Err    error
	Stderr string
}

func (e *ToolError) Error() string {
	msg := fmt.Sprintf("running %q failed: %v", e.Tool+" "+strings.Join(e.Args, " "), e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += "\n" + s
	}
	return msg
}

func (e *ToolError) Unwrap() error { return e.Err }

// ExitCode is the tool's exit status, or -1 if it did not exit normally.
func (e *ToolError) ExitCode() int {
	var ee *exec.ExitError
	if errors.As(e.Err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// NotFound reports whether the tool is not installed.
func (e *ToolError) NotFound() bool { return errors.Is(e.Err, exec.ErrNotFound) }

// passedEnv are the caller's variables every tool sees; the rest of the
// caller's environment stays out.
var passedEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME",
	"XDG_CACHE_HOME", "XDG_DATA_HOME", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY",
	"PULSE_SERVER", "LXC_CACHE_PATH", "http_proxy", "https_proxy", "no_proxy", "LXCAGE_TRACE"}

// Exec runs tools with os/exec: never through a shell, with LC_ALL=C so
// their messages are stable, and with a timeout.
type Exec struct {
	// Env is extra environment for every tool, e.g. "PATH=…"; it wins
	// over the caller's.
	Env []string
	// Inherit passes the caller's whole environment, as it is (no
	// LC_ALL=C): for running lxcage itself on the user's behalf, whose
	// launches need the session's variables and language.
	Inherit bool
}

// Environ is the environment Exec gives its tools.
func (r Exec) Environ() []string {
	if r.Inherit {
		return append(os.Environ(), r.Env...)
	}
	env := []string{"LC_ALL=C"}
	for _, k := range passedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if os.Getenv("PATH") == "" {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	return append(env, r.Env...)
}

// Run implements Runner.
func (r Exec) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = r.Environ()
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, ctx.Err())
		}
		return out.Bytes(), &ToolError{Tool: name, Args: args, Err: err, Stderr: Tail(errb.String(), 4000)}
	}
	return out.Bytes(), nil
}

// Command implements Runner.
func (r Exec) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = r.Environ()
	return cmd
}

// Tail keeps the last n bytes of s, cut at a line start.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "…\n" + s
}
