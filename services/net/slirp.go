package net

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/services"
)

// slirpArgs is slirp4netns's command line for the container whose init
// is pid: --disable-host-loopback keeps its gateway address (10.0.2.2)
// from leading to the host's loopback, the sandbox and seccomp filter
// confine slirp4netns itself, fd 3 hears when the interface is up, and
// fd 4, a pidfd of the container's init, ends slirp4netns when the init
// exits (slirp4netns holds the namespace, so it would not end by itself).
func (s *Service) slirpArgs(pid int, v6 bool) []string {
	args := []string{"--configure", "--mtu=65520", "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp",
		"--ready-fd=3", "--exit-fd=4"}
	if s.IPv6 && v6 {
		args = append(args, "--enable-ipv6")
	}
	return append(args, strconv.Itoa(pid), "eth0")
}

// startSlirp runs slirp4netns (it does not daemonize) in a session of
// its own and waits for its ready byte; v6 says whether the host has an
// IPv6 default route.
func (s *Service) startSlirp(ctx context.Context, env services.Env, v6 bool) (services.Proc, error) {
	pidFile, logFile := s.pidFile(Slirp4netns), s.logFile(Slirp4netns)
	os.Remove(pidFile)
	log, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return services.Proc{}, fmt.Errorf("slirp4netns: log: %w", err)
	}
	defer log.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return services.Proc{}, err
	}
	defer r.Close()
	pidfd, err := unix.PidfdOpen(env.InitPID, 0)
	if err != nil {
		w.Close()
		return services.Proc{}, fmt.Errorf("slirp4netns: the container's init (pid %d): %w", env.InitPID, err)
	}
	initFD := os.NewFile(uintptr(pidfd), "pidfd")
	defer initFD.Close()
	cmd := env.Runner.Command(string(Slirp4netns), s.slirpArgs(env.InitPID, v6)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.ExtraFiles = []*os.File{w, initFD}
	err = cmd.Start()
	w.Close()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return services.Proc{}, fix.Wrap(err, "slirp4netns is not installed", "as root: apt-get install slirp4netns")
		}
		return services.Proc{}, fmt.Errorf("start slirp4netns: %w", err)
	}
	// Reap it if it ends while this process lives.
	go cmd.Wait()
	if err := waitReady(ctx, r); err != nil {
		cmd.Process.Kill()
		return services.Proc{}, fmt.Errorf("slirp4netns: %w%s", err, logTail(logFile))
	}
	pid := cmd.Process.Pid
	start, err := services.ProcStartTime(pid)
	if err != nil {
		return services.Proc{}, fmt.Errorf("slirp4netns (pid %d) ended right after it started%s", pid, logTail(logFile))
	}
	// The pid file is for people and the watchdog; the Undo has the pid.
	os.WriteFile(pidFile, []byte(strconv.Itoa(pid)+"\n"), 0o600)
	return services.Proc{Name: string(Slirp4netns), PID: pid, Start: start, ExitSuffices: true}, nil
}

// waitReady reads the ready byte; end of file means the program exited.
func waitReady(ctx context.Context, r *os.File) error {
	deadline := time.Now().Add(services.ReadyTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	r.SetReadDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Now()) })
	defer stop()
	var b [1]byte
	_, err := r.Read(b[:])
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		return errors.New("exited at start")
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return fmt.Errorf("not ready in %v", services.ReadyTimeout)
}

// logTail is the end of a log, for an error message.
func logTail(path string) string {
	b, _ := os.ReadFile(path)
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return ":\n" + s
}
