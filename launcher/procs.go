package launcher

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sessionHelpers are desktop session daemons that apps start on the side
// and that never exit on their own (names as /proc/PID/comm gives them,
// cut at 15 characters). They do not count as the app: when only they are
// left, the app is done and stopping the container ends them.
var sessionHelpers = map[string]bool{
	"dbus-daemon": true, "dbus-launch": true, "at-spi-bus-laun": true, "at-spi2-registr": true,
	"dconf-service": true, "gvfsd": true, "gvfsd-fuse": true, "gvfsd-metadata": true,
	"xdg-permission-": true, "xdg-document-po": true, "pulseaudio": true,
}

// appProcs lists the host PIDs of the app's processes in the container
// whose init is initPID: every process in the container's PID namespace
// running as uid (the user's own uid, passed through), except session
// helpers. The container's init and anything else running as the
// container's root do not count.
func appProcs(initPID, uid int) ([]int, error) {
	ns, err := os.Readlink("/proc/" + strconv.Itoa(initPID) + "/ns/pid")
	if err != nil {
		return nil, err
	}
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var out []int
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid == initPID || pid == self {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+n, &st) != nil || int(st.Uid) != uid {
			continue
		}
		if l, err := os.Readlink("/proc/" + n + "/ns/pid"); err != nil || l != ns {
			continue
		}
		if comm, err := os.ReadFile("/proc/" + n + "/comm"); err == nil && sessionHelpers[strings.TrimSpace(string(comm))] {
			continue
		}
		out = append(out, pid)
	}
	return out, nil
}

// waitAppGone returns when no app process is left in the container, or
// when the container's init is gone. It does not poll: it waits on a
// pidfd for each process found and looks again when one exits, which
// finds the children a dying process left behind.
func waitAppGone(ctx context.Context, initPID, uid int) error {
	initFD, err := unix.PidfdOpen(initPID, 0)
	if err != nil {
		return nil // init already gone: nothing can be left
	}
	defer unix.Close(initFD)
	for {
		pids, err := appProcs(initPID, uid)
		if err != nil || len(pids) == 0 {
			return nil
		}
		fds := []unix.PollFd{{Fd: int32(initFD), Events: unix.POLLIN}}
		for _, pid := range pids {
			fd, err := unix.PidfdOpen(pid, 0)
			if err != nil {
				continue // exited between the scan and now
			}
			fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
		}
		if len(fds) == 1 {
			continue
		}
		err = pollCtx(ctx, fds)
		for _, f := range fds[1:] {
			unix.Close(int(f.Fd))
		}
		if err != nil {
			return err
		}
		if fds[0].Revents != 0 {
			return nil
		}
	}
}

// pollCtx polls until one fd is ready or ctx ends. An eventfd written
// when ctx ends is polled with the rest, so cancellation (a Ctrl-C while
// a launch waits for the app's leftovers) is seen at once.
func pollCtx(ctx context.Context, fds []unix.PollFd) error {
	if ctx.Done() != nil {
		efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err == nil {
			defer unix.Close(efd)
			stop := context.AfterFunc(ctx, func() { unix.Write(efd, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })
			defer stop()
			all := append(append(make([]unix.PollFd, 0, len(fds)+1), fds...), unix.PollFd{Fd: int32(efd), Events: unix.POLLIN})
			err := pollLoop(ctx, all)
			copy(fds, all)
			if err != nil {
				return err
			}
			// A ready fd of the caller's wins over the end of ctx: a
			// process that has exited has, whatever the deadline.
			for _, f := range fds {
				if f.Revents != 0 {
					return nil
				}
			}
			return ctx.Err()
		}
	}
	return pollLoop(ctx, fds)
}

// pollLoop polls fds until one is ready, looking at ctx at least every
// 250 ms.
func pollLoop(ctx context.Context, fds []unix.PollFd) error {
	for {
		n, err := unix.Poll(fds, 250)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return err
		}
		if n > 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// waitPidGone waits until pid has exited (or ctx ends, or timeout).
func waitPidGone(ctx context.Context, pid int, timeout time.Duration) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return true
	}
	defer unix.Close(fd)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return pollCtx(ctx, []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}) == nil
}

// appChild is the app's main process under lxc-attach attachPID, or 0
// while it has not started: lxc-attach's child in another PID namespace
// (the container's) that has executed the app, so its command name is no
// longer lxc-attach's own ("lxc-attach", or "memfd:lxc-attac" when LXC
// runs itself from a sealed memfd copy). Before that, lxc-attach works
// with helpers a signal must not reach (seen in the emulated systemd VM,
// with a SIGTERM sent during the attach): its intermediate process on
// the host side (the attach died of SIGPIPE, status 141), and the app's
// own process before exec, still lxc-attach and receiving the AppArmor
// label from it (the attach failed, status 1).
func appChild(attachPID int) int {
	self, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return 0
	}
	dir := "/proc/" + strconv.Itoa(attachPID)
	own, err := os.ReadFile(dir + "/comm")
	if err != nil {
		return 0
	}
	b, err := os.ReadFile(dir + "/task/" + strconv.Itoa(attachPID) + "/children")
	if err != nil {
		return 0
	}
	for _, f := range strings.Fields(string(b)) {
		ns, err := os.Readlink("/proc/" + f + "/ns/pid")
		if err != nil || ns == self {
			continue
		}
		if comm, err := os.ReadFile("/proc/" + f + "/comm"); err != nil || string(comm) == string(own) {
			continue
		}
		pid, _ := strconv.Atoi(f)
		return pid
	}
	return 0
}

// attachChild finds the first child of a process: lxc-attach's child is
// the app's main process, the LXC monitor's child the container's init.
func attachChild(attachPID int) int {
	if attachPID <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(attachPID) + "/task/" + strconv.Itoa(attachPID) + "/children")
	if err != nil {
		return 0
	}
	var pid int
	for _, c := range b {
		if c >= '0' && c <= '9' {
			pid = pid*10 + int(c-'0')
		} else if pid > 0 {
			return pid
		}
	}
	return pid
}
