package launcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/services"
)

// state is a container's runtime state on the host, in
// $XDG_RUNTIME_DIR/lxcage/<lxcpath hash>/NAME:
//
//	lock        flock'd while a launch starts, stops or (un)registers
//	holders/PID one file per running launch, flock'd by it for its lifetime
//	started     the marker: lxcage started the container (and which init)
//	svc/        what services make for the container (sockets, X cookie), bound in file by file
//
// Everything is recoverable: a launch that dies releases its flocks, so a
// holder file nobody locks is stale, and a marker whose init is gone is
// stale; both are removed by the next one to look.
type state struct {
	dir string
	// stale, when set, ends what a marker whose init is gone left behind
	// (its host services), before the marker is removed: whoever finds a
	// container that ended behind lxcage's back cleans up after it.
	stale func(*marker)
}

func newState(dir string) (*state, error) {
	for _, d := range []string{filepath.Dir(filepath.Dir(dir)), filepath.Dir(dir), dir, filepath.Join(dir, "holders")} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("runtime state: %w", err)
		}
	}
	// A state dir owned by someone else would let them steer our launches.
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("runtime state: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return nil, fmt.Errorf("runtime state %s belongs to uid %d, not you; remove it", dir, st.Uid)
	}
	return &state{dir: dir}, nil
}

// lockFile is an open, flock'd file.
type lockFile struct{ f *os.File }

func (l *lockFile) unlock() {
	if l != nil && l.f != nil {
		l.f.Close() // closing releases the flock
		l.f = nil
	}
}

// lock takes the container's transition lock, waiting for it if another
// launch holds it.
func (s *state) lock(ctx context.Context) (*lockFile, error) {
	return flockPath(ctx, filepath.Join(s.dir, "lock"), unix.LOCK_EX)
}

func flockPath(ctx context.Context, path string, how int) (*lockFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err == nil {
		return &lockFile{f}, nil
	} else if !errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	done := make(chan error, 1)
	go func() { done <- unix.Flock(int(f.Fd()), how) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return &lockFile{f}, nil
	case <-ctx.Done():
		f.Close() // the blocked flock fails or its lock dies with the fd
		return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
	}
}

// holderInfo is what a holder file says about its launch.
type holderInfo struct {
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
	Args  []string  `json:"args,omitempty"`
}

// holder registers this process as a running launch; release ends it.
type holder struct {
	path string
	lf   *lockFile
}

func (s *state) register(args []string) (*holder, error) {
	path := filepath.Join(s.dir, "holders", strconv.Itoa(os.Getpid()))
	// Lock a file under a temporary name, then rename it into place: a
	// holder file is never visible unlocked, so nobody mistakes it for
	// the debris of a dead launch.
	f, err := os.CreateTemp(filepath.Dir(path), ".new-*")
	if err != nil {
		return nil, fmt.Errorf("register launch: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("register launch: %w", err)
	}
	b, _ := json.Marshal(holderInfo{PID: os.Getpid(), Since: time.Now().UTC(), Args: args})
	f.Write(b)
	if err := os.Rename(f.Name(), path); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("register launch: %w", err)
	}
	return &holder{path: path, lf: &lockFile{f}}, nil
}

func (h *holder) release() {
	if h == nil {
		return
	}
	os.Remove(h.path)
	h.lf.unlock()
}

// holders returns the live launches, removing stale holder files. A
// holder is live while its process holds the flock on its file.
func (s *state) holders(except int) []holderInfo {
	dir := filepath.Join(s.dir, "holders")
	ents, _ := os.ReadDir(dir)
	var out []holderInfo
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // a registration in progress (.new-*)
		}
		if pid == except {
			continue
		}
		path := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) == nil {
			// Nobody holds it: its launch is gone (crashed or killed).
			os.Remove(path)
			f.Close()
			continue
		}
		var hi holderInfo
		b := make([]byte, 64<<10)
		n, _ := f.Read(b)
		f.Close()
		if json.Unmarshal(b[:n], &hi) != nil || hi.PID != pid {
			hi = holderInfo{PID: pid} // unreadable details are no reason to drop a live holder
		}
		out = append(out, hi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// marker records that lxcage started the container, so that it is
// stopped only by lxcage and only when lxcage started it.
type marker struct {
	InitPID    int       `json:"init_pid"`
	InitStart  uint64    `json:"init_start"`
	ConfigHash string    `json:"config_hash"`
	StartedAt  time.Time `json:"started_at"`
	StartedBy  int       `json:"started_by"`
	// StopTimeout is the clean shutdown the container gets (0: killed
	// at once).
	StopTimeout time.Duration `json:"stop_timeout,omitempty"`
	// MonitorPID is LXC's monitor process for the container; it exits
	// once the container is fully stopped and cleaned up.
	MonitorPID   int    `json:"monitor_pid"`
	MonitorStart uint64 `json:"monitor_start"`
	// Undo ends the container's host services when it stops.
	Undo services.Undo `json:"undo,omitempty"`
	// Attach is the attach plan the container was started with, and
	// ProfileStamp the version of the profile file it came from: a later
	// launch of the unchanged profile reuses it.
	Attach       *profiles.Attach `json:"attach,omitempty"`
	ProfileStamp string           `json:"profile_stamp,omitempty"`
}

func (s *state) markerPath() string { return filepath.Join(s.dir, "started") }

// readMarker returns the marker if it describes the init that is running
// now; a stale or corrupt marker is removed.
func (s *state) readMarker() (*marker, bool) {
	m, ok := s.readMarkerFile()
	if !ok {
		return nil, false
	}
	if st, err := procStartTime(m.InitPID); err != nil || st != m.InitStart {
		if s.stale != nil {
			s.stale(m)
		}
		os.Remove(s.markerPath())
		return nil, false
	}
	return m, true
}

// readMarkerFile reads the marker whether or not its init still runs;
// a corrupt marker is removed.
func (s *state) readMarkerFile() (*marker, bool) {
	b, err := os.ReadFile(s.markerPath())
	if err != nil {
		return nil, false
	}
	var m marker
	if json.Unmarshal(b, &m) != nil || m.InitPID <= 0 {
		os.Remove(s.markerPath())
		return nil, false
	}
	return &m, true
}

func (s *state) writeMarker(m marker) error {
	b, _ := json.Marshal(m)
	return safefile.WriteAtomic(s.markerPath(), b, 0o600)
}

func (s *state) clearMarker() { os.Remove(s.markerPath()) }

// procStartTime reads a process's start time, which tells a live
// process from a recycled PID.
func procStartTime(pid int) (uint64, error) { return services.ProcStartTime(pid) }
