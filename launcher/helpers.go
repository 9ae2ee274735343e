package launcher

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/launcher/xauth"
	"github.com/lxcage/lxcage/profiles"
)

// helperProc is a host process that lives as long as a container: its
// nested X server or its D-Bus proxy. The start time tells it from a
// process that later got the same PID.
type helperProc struct {
	Name  string `json:"name"`
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// startHelper runs argv in its own session with no stdio (a caller
// waiting for our output must not wait for the helper), and waits until
// ready reports true.
func startHelper(ctx context.Context, name string, argv []string, ready func() bool) (helperProc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return helperProc{}, fmt.Errorf("%s is not installed", argv[0])
		}
		return helperProc{}, fmt.Errorf("start %s: %w", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for !ready() {
		select {
		case err := <-exited:
			return helperProc{}, fmt.Errorf("%s exited at start: %v", name, err)
		case <-ctx.Done():
			cmd.Process.Kill()
			return helperProc{}, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return helperProc{}, fmt.Errorf("%s did not get ready in 10 s", name)
		}
	}
	start, _ := procStartTime(cmd.Process.Pid)
	// The helper outlives this launch: the reaper of orphans (init or a
	// subreaper) collects it when it exits.
	return helperProc{Name: name, PID: cmd.Process.Pid, Start: start}, nil
}

// stop ends a helper if it is still the process that was started.
func (h helperProc) stop() {
	fd, err := unix.PidfdOpen(h.PID, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if st, err := procStartTime(h.PID); err != nil || st != h.Start {
		return
	}
	unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0)
	if !waitPidGone(context.Background(), h.PID, 2*time.Second) {
		unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
}

func socketExists(path string) func() bool {
	return func() bool {
		fi, err := os.Stat(path)
		return err == nil && fi.Mode()&os.ModeSocket != 0
	}
}

// startNestedX runs the container's own X server: a Xephyr window on the
// user's display. Only its socket enters the container, so the app sees
// no other client and none of the user's windows, keystrokes or
// clipboard. It returns the cookie the container uses.
func startNestedX(ctx context.Context, plan *profiles.Plan, stateDir, title string) (helperProc, xauth.Entry, error) {
	num := strconv.Itoa(plan.NestedDisplay)
	if err := clearStaleDisplay(plan.NestedDisplay); err != nil {
		return helperProc{}, xauth.Entry{}, err
	}
	cookie := make([]byte, 16)
	if _, err := rand.Read(cookie); err != nil {
		return helperProc{}, xauth.Entry{}, err
	}
	e := xauth.Entry{Family: xauth.FamilyWild, Number: num, Name: "MIT-MAGIC-COOKIE-1", Data: cookie}
	authFile := filepath.Join(stateDir, "xephyr.auth")
	if err := os.WriteFile(authFile, xauth.Marshal([]xauth.Entry{e}), 0o600); err != nil {
		return helperProc{}, xauth.Entry{}, err
	}
	argv := []string{"Xephyr", ":" + num, "-auth", authFile, "-nolisten", "tcp", "-noreset",
		"-resizeable", "-screen", "1280x800", "-title", title}
	h, err := startHelper(ctx, "Xephyr", argv, socketExists(plan.XSocket))
	if err != nil {
		return helperProc{}, xauth.Entry{}, fmt.Errorf(`x11 = "nested": %w (Xephyr comes in the package xserver-xephyr)`, err)
	}
	return h, e, nil
}

// clearStaleDisplay removes the socket and lock of display n when the
// server that made them is gone, and refuses when another server holds it.
func clearStaleDisplay(n int) error {
	lock := fmt.Sprintf("/tmp/.X%d-lock", n)
	sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	if b, err := os.ReadFile(lock); err == nil {
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if alive := unix.Kill(pid, 0); pid > 0 && (alive == nil || errors.Is(alive, unix.EPERM)) {
			return fmt.Errorf("x11 = \"nested\": display :%d is in use by another X server (pid %d); stop it or rename the profile", n, pid)
		}
		os.Remove(lock)
	}
	os.Remove(sock)
	return nil
}

// startDBusProxy runs xdg-dbus-proxy for dbus = "filtered": the app sees
// a bus on which only the names in dbus_talk answer.
func startDBusProxy(ctx context.Context, p *profiles.DBusProxy) (helperProc, error) {
	os.Remove(p.Socket)
	argv := []string{"xdg-dbus-proxy", p.Address, p.Socket, "--filter"}
	for _, n := range p.Talk {
		argv = append(argv, "--talk="+n)
	}
	h, err := startHelper(ctx, "xdg-dbus-proxy", argv, socketExists(p.Socket))
	if err != nil {
		return helperProc{}, fmt.Errorf(`dbus = "filtered": %w (apt-get install xdg-dbus-proxy)`, err)
	}
	return h, nil
}

// services are what a container needs on the host while it runs: the
// sound server's socket module and helper processes.
type services struct {
	HasPulse    bool         `json:"has_pulse,omitempty"`
	PulseModule int          `json:"pulse_module,omitempty"`
	Helpers     []helperProc `json:"helpers,omitempty"`
}

// startServices starts the host side of the profile's access switches
// that need one. On error, what was started is stopped again.
func (l *Launcher) startServices(ctx context.Context, p *profiles.Profile, plan *profiles.Plan, st *state) (svc services, err error) {
	defer func() {
		if err != nil {
			svc.stop(ctx)
		}
	}()
	if plan.PulseSocket != "" {
		idx, err := setupPulse(ctx, plan, filepath.Dir(st.dir))
		if err != nil {
			return svc, err
		}
		if idx >= 0 {
			svc.HasPulse, svc.PulseModule = true, idx
		}
	}
	if plan.X11 == profiles.X11Nested {
		title := p.Desktop.Name
		if title == "" {
			title = p.Name + " (lxcage)"
		}
		h, cookie, err := startNestedX(ctx, plan, st.dir, title)
		if err != nil {
			return svc, err
		}
		svc.Helpers = append(svc.Helpers, h)
		if err := writeCookie(plan, cookie); err != nil {
			return svc, err
		}
	}
	if plan.DBusProxy != nil {
		h, err := startDBusProxy(ctx, plan.DBusProxy)
		if err != nil {
			return svc, err
		}
		svc.Helpers = append(svc.Helpers, h)
	}
	return svc, nil
}

// stop ends the services, in reverse order.
func (s services) stop(ctx context.Context) {
	for i := len(s.Helpers) - 1; i >= 0; i-- {
		s.Helpers[i].stop()
	}
	if s.HasPulse {
		unloadPulse(ctx, s.PulseModule)
	}
}
