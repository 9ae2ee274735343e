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
	cmd := env.Runner.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return Proc{}, fmt.Errorf("start %s: log: %w", name, err)
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return Proc{}, fmt.Errorf("%s is not installed", argv[0])
		}
		return Proc{}, fmt.Errorf("start %s: %w", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(ReadyTimeout)
	for !ready() {
		select {
		case err := <-exited:
			return Proc{}, fmt.Errorf("%s exited at start: %v", name, err)
		case <-ctx.Done():
			cmd.Process.Kill()
			return Proc{}, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return Proc{}, fmt.Errorf("%s did not get ready in %v", name, ReadyTimeout)
		}
	}
	start, _ := ProcStartTime(cmd.Process.Pid)
	return Proc{Name: name, PID: cmd.Process.Pid, Start: start}, nil
}

// SocketExists is a ready check: a Unix socket exists at path.
func SocketExists(path string) func() bool {
	return func() bool {
		fi, err := os.Stat(path)
		return err == nil && fi.Mode()&os.ModeSocket != 0
	}
}
