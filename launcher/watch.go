package launcher

import (
	"context"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// WatchCommand is the hidden lxcage subcommand that runs Watch.
const WatchCommand = "_watch"

// Watch is the watchdog of a container lxcage started (init initPID). It
// sleeps until every launch holding the container is gone, then until
// the app's last process is gone, then stops the container if no launch
// has come meanwhile. Normally the last launch stops the container
// itself and Watch returns when init exits; Watch matters when launches
// die without cleaning up (SIGKILL, a crash, a closed terminal).
func (l *Launcher) Watch(ctx context.Context, name string, initPID int) error {
	st, err := l.state(name)
	if err != nil {
		return err
	}
	initFD, err := unix.PidfdOpen(initPID, 0)
	if err != nil {
		return nil // already gone
	}
	defer unix.Close(initFD)
	initGone := make(chan struct{})
	go func() {
		pollCtx(ctx, []unix.PollFd{{Fd: int32(initFD), Events: unix.POLLIN}})
		close(initGone)
	}()
	// However the container ended — the last launch stopped it (and
	// cleaned up), or something outside lxcage did (lxc-stop, a crash) —
	// its host services must not outlive it.
	defer l.cleanupAfter(context.WithoutCancel(ctx), st, initPID)
	released := make(chan string, 16)
	waiting := map[string]bool{}
	for {
		// Wait for the launches to end: each holds a flock on its file
		// for its lifetime, so a blocking shared flock returns when it
		// ends, however it ends.
		for {
			hs := st.holders(-1)
			if len(hs) == 0 {
				break
			}
			for _, h := range hs {
				path := filepath.Join(st.dir, "holders", strconv.Itoa(h.PID))
				if !waiting[path] {
					waiting[path] = true
					go waitFlock(path, released)
				}
			}
			select {
			case <-initGone:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			case p := <-released:
				delete(waiting, p)
			}
		}
		// No launch left; the app may still run (its launcher was
		// killed). Wait for its processes.
		if err := waitAppGone(ctx, initPID, os.Getuid()); err != nil {
			return err
		}
		select {
		case <-initGone:
			return nil
		default:
		}
		lk, err := st.lock(ctx)
		if err != nil {
			return err
		}
		m, ours := st.readMarker()
		if !ours || m.InitPID != initPID {
			lk.unlock()
			return nil // stopped, or no longer ours
		}
		pids, _ := appProcs(initPID, os.Getuid())
		if len(st.holders(-1)) == 0 && len(pids) == 0 {
			err := l.stopLocked(ctx, st, name)
			lk.unlock()
			return err
		}
		lk.unlock()
	}
}

// cleanupAfter ends the services of a container whose init initPID has
// exited, if nobody did: the sound server module, Xephyr, the D-Bus proxy.
func (l *Launcher) cleanupAfter(ctx context.Context, st *state, initPID int) {
	if !waitPidGone(ctx, initPID, 0) {
		return // still running: the watchdog was cancelled, not the container
	}
	lk, err := st.lockKept(ctx)
	if err != nil {
		return // gone (destroyed, its services ended first) or cancelled
	}
	defer lk.unlock()
	if m, ok := st.readMarkerFile(); ok && m.InitPID == initPID {
		m.Undo.Run(ctx, l.runner)
		st.clearMarker()
	}
}

// waitFlock blocks until nobody holds an exclusive flock on path.
func waitFlock(path string, done chan<- string) {
	f, err := os.Open(path)
	if err == nil {
		unix.Flock(int(f.Fd()), unix.LOCK_SH)
		f.Close()
	}
	done <- path
}
