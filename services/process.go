package services

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// ReadyTimeout bounds how long a helper may take to get ready.
const ReadyTimeout = 10 * time.Second

// StartProcess runs argv through env's runner as a helper of the
// container: in its own session, with no stdio of ours (a caller waiting
// for lxcage's output must not wait for the helper too; logs go to
// logFile when set), and waits until ready reports true. The helper
// outlives this process: the reaper of orphans collects it when it exits.
func StartProcess(ctx context.Context, env Env, name string, argv []string, logFile string, ready func() bool) (Proc, error) {
	s, err := BeginProcess(ctx, env, name, argv, logFile)
	if err != nil {
		return Proc{}, err
	}
	if err := s.Wait(ctx, ready); err != nil {
		return Proc{}, err
	}
	return s.Proc, nil
}

// Starting is a helper process started by BeginProcess that may not be
// ready yet.
type Starting struct {
	// Proc is the helper, for an Undo that ends it.
	Proc   Proc
	cmd    *exec.Cmd
	exited chan error
}

// BeginProcess starts argv as StartProcess does but returns at once:
// Wait says when it is ready. Meanwhile the caller can do what does not
// need it (start the container).
func BeginProcess(ctx context.Context, env Env, name string, argv []string, logFile string) (*Starting, error) {
	cmd := env.Runner.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return nil, fmt.Errorf("start %s: log: %w", name, err)
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("%s is not installed", argv[0])
		}
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &Starting{cmd: cmd, exited: make(chan error, 1)}
	go func() { s.exited <- cmd.Wait() }()
	start, _ := ProcStartTime(cmd.Process.Pid)
	s.Proc = Proc{Name: name, PID: cmd.Process.Pid, Start: start}
	return s, nil
}

// Wait waits until ready reports true. When the helper exits first, or
// takes longer than ReadyTimeout, or ctx ends, it returns an error (the
// helper then killed).
func (s *Starting) Wait(ctx context.Context, ready func() bool) error {
	deadline := time.Now().Add(ReadyTimeout)
	for !ready() {
		select {
		case err := <-s.exited:
			s.exited <- err // for a second Wait
			return fmt.Errorf("%s exited at start: %v", s.Proc.Name, err)
		case <-ctx.Done():
			s.cmd.Process.Kill()
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.cmd.Process.Kill()
			return fmt.Errorf("%s did not get ready in %v", s.Proc.Name, ReadyTimeout)
		}
	}
	return nil
}

// SocketExists is a ready check: a Unix socket exists at path.
func SocketExists(path string) func() bool {
	return func() bool {
		fi, err := os.Stat(path)
		return err == nil && fi.Mode()&os.ModeSocket != 0
	}
}
