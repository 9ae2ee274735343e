package app

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/profiles"
)

// watcher tells the editor at once when a profile file changes on disk
// (a terminal's `lxcage new`, a text editor): inotify on the profile
// directory. The status loop's rescan every few seconds stays as the
// fallback where inotify is not available.
type watcher struct {
	fd     int
	closed atomic.Bool
}

// watchDir starts watching dir and calls changed with the name of each
// profile whose file was written, renamed into place or removed. It
// creates dir if needed, so that the first profile made elsewhere is
// seen too.
func watchDir(dir string, changed func(name string)) (*watcher, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	mask := uint32(unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_DELETE | unix.IN_ONLYDIR)
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	w := &watcher{fd: fd}
	go w.read(changed)
	return w, nil
}

// read delivers events until the watcher is closed; it closes the
// descriptor itself, so that it never reads a number reused meanwhile.
func (w *watcher) read(changed func(string)) {
	defer unix.Close(w.fd)
	buf := make([]byte, 16<<10)
	for !w.closed.Load() {
		fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 500); err != nil || n == 0 {
			continue // EINTR or the timeout: look at closed again
		}
		n, err := unix.Read(w.fd, buf)
		if err == syscall.EINTR || err == syscall.EAGAIN {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		seen := map[string]bool{}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			start := off + unix.SizeofInotifyEvent
			end := start + int(ev.Len)
			if end > n {
				break
			}
			name := strings.TrimRight(string(buf[start:end]), "\x00")
			off = end
			if base, ok := strings.CutSuffix(name, profiles.Ext); ok && profiles.CheckName(base) == nil && !seen[base] {
				seen[base] = true
				changed(base)
			}
		}
	}
}

// Close stops watching (within half a second).
func (w *watcher) Close() {
	if w != nil {
		w.closed.Store(true)
	}
}
