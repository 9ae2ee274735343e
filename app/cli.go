package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/launcher"
)

// CLI runs the lxcage binary. Each run's output goes to a file that the
// editor follows, not to a pipe: when the editor closes, a launch that
// writes to a pipe would die of SIGPIPE; a file outlives the reader.
type CLI struct {
	// Bin is the lxcage binary.
	Bin string
	// LXCPath, when set, is passed as -P before the command.
	LXCPath string
	// LogDir holds the output file of each run.
	LogDir string
	// Poll is how often a running command's output is read (default
	// 100 ms).
	Poll time.Duration
}

// FindCLI locates lxcage (launcher.Binary): $LXCAGE_BIN, else the
// lxcage next to this executable, else lxcage on $PATH.
func FindCLI() (string, error) { return launcher.Binary() }

// ExitError is a command that ran and failed.
type ExitError struct {
	Args []string
	Code int
}

// Error says which command failed and how.
func (e *ExitError) Error() string {
	return fmt.Sprintf("lxcage %s: exit status %d", strings.Join(e.Args, " "), e.Code)
}

// Run starts `lxcage [-P LXCPATH] ARGS…` in its own session (so neither
// the editor's end nor a Ctrl+C in its terminal reaches it) and follows
// its output until it exits or ctx ends.
func (c *CLI) Run(ctx context.Context, args []string, out func(string)) error {
	if err := os.MkdirAll(c.LogDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", c.LogDir, err)
	}
	f, err := os.CreateTemp(c.LogDir, logPattern(args))
	if err != nil {
		return fmt.Errorf("run lxcage %s: %w", args[0], err)
	}
	logPath := f.Name()
	cmd := c.command(args)
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Start()
	f.Close() // the child holds its own copy
	if err != nil {
		os.Remove(logPath)
		return fmt.Errorf("run %s: %w", c.Bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	werr, finished := c.follow(ctx, logPath, done, out)
	if !finished {
		// Still running (a launch, when the editor closes): its output
		// file stays for whoever wants to read it.
		return ctx.Err()
	}
	os.Remove(logPath)
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		code := ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		return &ExitError{Args: args, Code: code}
	}
	if werr != nil {
		return fmt.Errorf("lxcage %s: %w", args[0], werr)
	}
	return nil
}

func (c *CLI) command(args []string) *exec.Cmd {
	full := args
	if c.LXCPath != "" {
		full = append([]string{"-P", c.LXCPath}, args...)
	}
	cmd := run.Exec{Inherit: true}.Command(c.Bin, full...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// logPattern names a run's output file after its command and profile.
func logPattern(args []string) string {
	name := strings.Join(args, "-")
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, name)
	if len(name) > 60 {
		name = name[:60]
	}
	return name + "-*.log"
}

// follow reads the growing file at path, passing whole lines to out,
// until done delivers the command's end (finished = true) or ctx ends.
func (c *CLI) follow(ctx context.Context, path string, done <-chan error, out func(string)) (werr error, finished bool) {
	r, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read output: %w", err), false
	}
	defer r.Close()
	poll := c.Poll
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	var partial []byte
	drain := func() {
		b, _ := io.ReadAll(r)
		partial = append(partial, b...)
		for {
			i := bytes.IndexByte(partial, '\n')
			if i < 0 {
				break
			}
			out(string(partial[:i]))
			partial = partial[i+1:]
		}
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case werr = <-done:
			drain()
			if len(partial) > 0 {
				out(string(partial))
			}
			return werr, true
		case <-ctx.Done():
			drain()
			return nil, false
		case <-t.C:
			drain()
		}
	}
}

// pruneLogs removes output files older than a week: those of launches
// that were still running when an editor closed.
func pruneLogs(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".log") && time.Since(fi.ModTime()) > 7*24*time.Hour {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
