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

// newState is the state in dir. It makes nothing: readers (status, the
// editor's refresh) must not leave directories behind for containers
// that do not exist; lock and register make what they need.
func newState(dir string) (*state, error) {
	s := &state{dir: dir}
	if err := s.ours(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return s, nil
}

// ours checks that the state dir is the user's own: a state dir owned by
// someone else would let them steer our launches.
func (s *state) ours() error {
	fi, err := os.Stat(s.dir)
	if err != nil {
		return fmt.Errorf("runtime state: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("runtime state %s belongs to uid %d, not you; remove it", s.dir, st.Uid)
	}
	return nil
}

// make creates the state dir and its holders dir, private to the user.
func (s *state) make() error {
	for _, d := range []string{filepath.Dir(filepath.Dir(s.dir)), filepath.Dir(s.dir), s.dir, filepath.Join(s.dir, "holders")} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("runtime state: %w", err)
		}
	}
	return s.ours()
}

// errStateGone says the state was removed (its container destroyed).
var errStateGone = errors.New("the container's runtime state is gone")

// lockFile is an open, flock'd file.
type lockFile struct{ f *os.File }

func (l *lockFile) unlock() {
	if l != nil && l.f != nil {
		l.f.Close() // closing releases the flock
		l.f = nil
	}
}

// at says whether the locked file is still the one at path. Destroy
// removes the state, lock file and all, while it holds the lock: a
// launch that waited for it then holds a lock on a file nobody else can
// open any more, and must lock the one made anew.
func (l *lockFile) at(path string) bool {
	var locked, now unix.Stat_t
	if unix.Fstat(int(l.f.Fd()), &locked) != nil || unix.Stat(path, &now) != nil {
		return false
	}
	return locked.Dev == now.Dev && locked.Ino == now.Ino
}

// lock takes the container's transition lock, waiting for it if another
// launch holds it; it makes the state dir if need be.
func (s *state) lock(ctx context.Context) (*lockFile, error) { return s.lockIn(ctx, true) }

// lockKept is lock for those who only tidy up after a container: when
// its state is gone (errStateGone), there is nothing left to tidy.
func (s *state) lockKept(ctx context.Context) (*lockFile, error) { return s.lockIn(ctx, false) }

func (s *state) lockIn(ctx context.Context, create bool) (*lockFile, error) {
	path := filepath.Join(s.dir, "lock")
	for {
		if create {
			if err := s.make(); err != nil {
				return nil, err
			}
		}
		lf, err := flockPath(ctx, path, unix.LOCK_EX, create)
		if err != nil {
			if !create && errors.Is(err, fs.ErrNotExist) {
				return nil, errStateGone
			}
			return nil, err
		}
		if lf.at(path) {
			return lf, nil
		}
		lf.unlock()
	}
}

// remove deletes the state, its lock file included; the caller holds
// the lock (see lockFile.at) and has made sure no launch or marker is
// left.
func (s *state) remove() error {
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("runtime state: %w", err)
	}
	return nil
}

func flockPath(ctx context.Context, path string, how int, create bool) (*lockFile, error) {
	flags := os.O_RDWR | unix.O_CLOEXEC
	if create {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o600)
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
	if err := s.make(); err != nil {
		return nil, err
	}
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
