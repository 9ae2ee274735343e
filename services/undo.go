package services

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/internal/run"
)

// Undo is how to end what a service started: steps run in reverse order.
// It is plain data (JSON), so a process other than the one that started
// the service — the watchdog — can run it.
type Undo []Step

// Step is one thing to undo; exactly one field is set.
type Step struct {
	// Kill ends a helper process, if it is still the one started.
	Kill *Proc `json:"kill,omitempty"`
	// Run runs a command (e.g. pactl unload-module 7).
	Run []string `json:"run,omitempty"`
	// Remove removes a file the service made.
	Remove string `json:"remove,omitempty"`
}

// Run runs the steps in reverse order. It never fails: what cannot be
// undone any more (a process already gone) is done.
func (u Undo) Run(ctx context.Context, r run.Runner) {
	ctx = context.WithoutCancel(ctx)
	for i := len(u) - 1; i >= 0; i-- {
		s := u[i]
		switch {
		case s.Kill != nil:
			s.Kill.Stop()
		case len(s.Run) > 0:
			tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			r.Run(tctx, nil, s.Run[0], s.Run[1:]...)
			cancel()
		case s.Remove != "":
			if err := os.Remove(s.Remove); err != nil && !errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
	}
}

// Proc is a helper process that lives as long as a container. Its start
// time tells it from a later process that got the same PID.
type Proc struct {
	Name  string `json:"name"`
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
	// ExitSuffices says the helper counts as ended once it is in the
	// kernel's exit path (see Stop): set for a helper whose exit takes
	// long for nothing anyone sees, such as a relay that held a tap
	// device. A helper whose closing sockets others watch (a sound
	// server's streams on the user's server, an X client's windows) is
	// waited for until it is gone.
	ExitSuffices bool `json:"exit_suffices,omitempty"`
}

// Alive reports whether the process is still the one started.
func (p Proc) Alive() bool {
	st, err := ProcStartTime(p.PID)
	return err == nil && st == p.Start
}

// Stop ends the process if it is still the one started: SIGTERM, then
// SIGKILL after two seconds. It returns once the process is gone, or,
// with ExitSuffices, once it runs no code of its own any more. The
// latter saves a launch its end's longest wait: slirp4netns, which held
// the container's tap device, spends 4–12 ms in exit here while the
// kernel unregisters the device (an RCU barrier).
func (p Proc) Stop() {
	fd, err := unix.PidfdOpen(p.PID, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if !p.Alive() {
		return
	}
	if p.ExitSuffices && p.exiting() {
		return
	}
	if !waitFD(fd, 0) {
		unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0)
	}
	if !p.waitEnd(fd, 2*time.Second) {
		unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
		p.waitEnd(fd, time.Second)
	}
}

// waitEnd waits up to d for the process to exit (or, with ExitSuffices,
// to be exiting: the kernel tells only of the former, through the pidfd;
// the latter is looked up at growing intervals).
func (p Proc) waitEnd(fd int, d time.Duration) bool {
	if !p.ExitSuffices {
		return waitFD(fd, d)
	}
	deadline := time.Now().Add(d)
	for step := time.Millisecond; ; step = min(2*step, 50*time.Millisecond) {
		if waitFD(fd, max(0, min(step, time.Until(deadline)))) || p.exiting() {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
	}
}

// pfExiting is the kernel's PF_EXITING task flag: the thread called exit
// (or got a fatal signal) and runs no more user code.
const pfExiting = 0x4

// exiting reports whether every thread of the process is in the kernel's
// exit path (or the process is gone), from the flags in each thread's
// stat (field 9). The main thread alone is not enough: it may end while
// the others run on.
func (p Proc) exiting() bool {
	dir := "/proc/" + strconv.Itoa(p.PID) + "/task"
	tids, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	for _, t := range tids {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/stat")
		if err != nil {
			continue // that thread is gone
		}
		fields, err := statFields(b)
		if err != nil {
			return false
		}
		if flags, err := strconv.ParseUint(fields[6], 10, 64); err != nil || flags&pfExiting == 0 {
			return false
		}
	}
	return true
}

// waitFD waits up to d for a pidfd to say its process exited.
func waitFD(fd int, d time.Duration) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, int(d/time.Millisecond))
	return err == nil && n > 0
}

// ProcStartTime is field 22 of /proc/PID/stat: the process's start time
// in clock ticks since boot.
func ProcStartTime(pid int) (uint64, error) { return ProcStartTimeAt("/proc", pid) }

// ProcStartTimeAt is ProcStartTime in the proc file system mounted at
// procRoot (tests read a made-up one).
func ProcStartTimeAt(procRoot string, pid int) (uint64, error) {
	b, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	fields, err := statFields(b)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// statFields splits a stat file after the command name: the first field
// is the state (field 3); there are at least 20.
func statFields(b []byte) ([]string, error) {
	// The command name (field 2) may hold spaces and parentheses: the
	// fields after it start after the last ')'.
	i := len(b) - 1
	for i >= 0 && b[i] != ')' {
		i--
	}
	if i < 0 {
		return nil, errors.New("malformed stat")
	}
	fields := splitFields(b[i+1:])
	if len(fields) < 20 {
		return nil, errors.New("malformed stat")
	}
	return fields, nil
}

func splitFields(b []byte) []string {
	var out []string
	start := -1
	for i, c := range b {
		if c == ' ' || c == '\n' {
			if start >= 0 {
				out = append(out, string(b[start:i]))
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, string(b[start:]))
	}
	return out
}
