// Package sandbox drives LXC through its own command-line tools: create,
// start, attach, stop and destroy unprivileged containers, and make sure
// the caller may run them (cgroup delegation). It is mechanism only: what
// a container should look like is decided by package profiles.
package sandbox

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

// Runner runs external tools. Every lxc-* call goes through one, so tests
// can record the calls and the real one can give every call the same
// environment and error form.
type Runner interface {
	// Run runs a tool to completion. stdin may be nil. It returns the
	// tool's standard output; a failure is a *ToolError carrying the
	// tool's standard error.
	Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error)
	// Command prepares a long-running tool (lxc-attach) for the caller to
	// start and wait on, with the same environment Run uses.
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

// ExecRunner runs tools with os/exec: never through a shell, with
// LC_ALL=C so their messages are stable, and with a timeout.
type ExecRunner struct {
	// Env is extra environment for every tool, e.g. "PATH=…".
	Env []string
}

func (r ExecRunner) env() []string {
	env := []string{"LC_ALL=C"}
	for _, k := range []string{"PATH", "HOME", "USER", "LOGNAME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "DBUS_SESSION_BUS_ADDRESS", "LXC_CACHE_PATH", "http_proxy", "https_proxy", "no_proxy"} {
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
func (r ExecRunner) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = r.env()
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, ctx.Err())
		}
		return out.Bytes(), &ToolError{Tool: name, Args: args, Err: err, Stderr: tail(errb.String(), 4000)}
	}
	return out.Bytes(), nil
}

// Command implements Runner.
func (r ExecRunner) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = r.env()
	return cmd
}

// tail keeps the last n bytes of s, cut at a line start.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "…\n" + s
}
