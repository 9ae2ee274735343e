package desktop

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Root reads files of a directory tree as if the tree were "/": a
// container's root filesystem seen from the host. Every symlink in a
// path, absolute or relative, is resolved inside the tree (as chroot
// would), so a link to /etc/shadow names the rootfs's own etc/shadow and
// "../../.." stops at the tree's top. Only regular files and directories
// are opened, and never with a blocking open (a FIFO cannot hang us).
//
// A Root may have a lower layer (OpenLayers): what the top layer does
// not hold is read from the one below, as an overlay snapshot's rootfs
// reads from its base.
type Root struct {
	dir   string
	fd    int
	lower *Root
}

// maxSymlinks bounds the links followed in one path, as the kernel does.
const maxSymlinks = 40

// useOpenat2 is cleared when the kernel lacks openat2 (Linux < 5.6) or a
// seccomp filter refuses it; the walk in resolveSlow then does the same
// job one component at a time. Tests clear it to check that path.
var useOpenat2 atomic.Bool

func init() { useOpenat2.Store(true) }

// OpenRoot opens dir as a Root.
func OpenRoot(dir string) (*Root, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open root", Path: dir, Err: err}
	}
	return &Root{dir: dir, fd: fd}, nil
}

// OpenLayers opens the layers of a rootfs, top first, as one Root.
func OpenLayers(dirs ...string) (*Root, error) {
	if len(dirs) == 0 {
		return nil, errors.New("open root: no directory")
	}
	r, err := OpenRoot(dirs[0])
	if err != nil {
		return nil, err
	}
	if len(dirs) > 1 {
		if r.lower, err = OpenLayers(dirs[1:]...); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// Close releases the root.
func (r *Root) Close() error {
	if r.lower != nil {
		r.lower.Close()
	}
	return unix.Close(r.fd)
}

// Dir is the host path of the root.
func (r *Root) Dir() string { return r.dir }

// open opens name (a path inside the root) with flags added to
// O_CLOEXEC|O_NOCTTY|O_NONBLOCK, and checks that it is of type want
// (unix.S_IFREG or unix.S_IFDIR).
func (r *Root) open(name string, flags int, want uint32) (*os.File, error) {
	clean := path.Clean("/" + name)
	flags |= unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK
	fd, err := r.openIn(clean, flags)
	if errors.Is(err, unix.ENOENT) && r.lower != nil {
		return r.lower.open(name, flags, want)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: r.dir + clean, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: r.dir + clean, Err: err}
	}
	if st.Mode&unix.S_IFMT != want {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: r.dir + clean, Err: errors.New("not a regular file or directory as expected")}
	}
	return os.NewFile(uintptr(fd), r.dir+clean), nil
}

// openIn resolves clean inside the root: openat2 with RESOLVE_IN_ROOT
// where the kernel has it, else the component walk.
func (r *Root) openIn(clean string, flags int) (int, error) {
	if useOpenat2.Load() {
		how := &unix.OpenHow{
			Flags:   uint64(flags),
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
		}
		fd, err := unix.Openat2(r.fd, strings.TrimPrefix(clean, "/"), how)
		// EAGAIN: a rename raced the lookup (the container may be
		// running); a few retries, then give up rather than spin.
		for i := 0; i < 8 && (err == unix.EINTR || err == unix.EAGAIN); i++ {
			fd, err = unix.Openat2(r.fd, strings.TrimPrefix(clean, "/"), how)
		}
		if err != unix.ENOSYS && err != unix.EPERM {
			return fd, err
		}
		useOpenat2.Store(false)
	}
	return r.resolveSlow(clean, flags)
}

// resolveSlow walks clean one component at a time from the root, each
// opened with O_NOFOLLOW relative to its parent's descriptor; a symlink
// is read and its target spliced into the rest of the path, an absolute
// target restarting at the root and ".." never rising above it. The last
// component is opened with O_NOFOLLOW too, so a link swapped in meanwhile
// fails instead of being followed.
func (r *Root) resolveSlow(clean string, flags int) (int, error) {
	rest := strings.Split(strings.TrimPrefix(clean, "/"), "/")
	var stack []int // descriptors of the directories below the root
	defer func() {
		for _, fd := range stack {
			unix.Close(fd)
		}
	}()
	cur := func() int {
		if len(stack) == 0 {
			return r.fd
		}
		return stack[len(stack)-1]
	}
	links := 0
	for len(rest) > 0 {
		part := rest[0]
		rest = rest[1:]
		switch part {
		case "", ".":
			if len(rest) == 0 {
				return unix.Openat(cur(), ".", flags, 0)
			}
			continue
		case "..":
			if len(stack) > 0 {
				unix.Close(stack[len(stack)-1])
				stack = stack[:len(stack)-1]
			}
			if len(rest) == 0 {
				return unix.Openat(cur(), ".", flags, 0)
			}
			continue
		}
		fd, err := unix.Openat(cur(), part, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return -1, err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			target, err := readlinkFd(fd)
			unix.Close(fd)
			if err != nil {
				return -1, err
			}
			if links++; links > maxSymlinks {
				return -1, unix.ELOOP
			}
			if strings.HasPrefix(target, "/") {
				for _, d := range stack {
					unix.Close(d)
				}
				stack = nil
			}
			rest = append(strings.Split(target, "/"), rest...)
			continue
		}
		if len(rest) == 0 {
			unix.Close(fd)
			return unix.Openat(cur(), part, flags|unix.O_NOFOLLOW, 0)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			unix.Close(fd)
			return -1, unix.ENOTDIR
		}
		stack = append(stack, fd)
	}
	return unix.Openat(cur(), ".", flags, 0)
}

// readlinkFd reads the target of the symlink an O_PATH descriptor names.
func readlinkFd(fd int) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// ErrTooLarge is a file over the size limit a caller gave.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads a regular file of at most max bytes.
func (r *Root) ReadFile(name string, max int64) ([]byte, error) {
	f, err := r.open(name, unix.O_RDONLY, unix.S_IFREG)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", f.Name(), ErrTooLarge, fi.Size(), max)
	}
	// The size can grow while we read: read one byte past the limit.
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w (limit %d)", f.Name(), ErrTooLarge, max)
	}
	return data, nil
}

// ReadDir lists a directory, at most max entries.
func (r *Root) ReadDir(name string, max int) ([]fs.DirEntry, error) {
	f, err := r.open(name, unix.O_RDONLY|unix.O_DIRECTORY, unix.S_IFDIR)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(max)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("list %s: %w", f.Name(), err)
	}
	if r.lower == nil || len(ents) >= max {
		return ents, nil
	}
	// The layer below adds what this one does not hold.
	seen := map[string]bool{}
	for _, e := range ents {
		seen[e.Name()] = true
	}
	below, _ := r.lower.ReadDir(name, max-len(ents))
	for _, e := range below {
		if !seen[e.Name()] {
			ents = append(ents, e)
		}
	}
	return ents, nil
}

// Identity is the device and inode a path leads to, to tell whether two
// paths are the same file; ok is false when it is not a regular file.
func (r *Root) Identity(name string) (dev, ino uint64, ok bool) {
	f, err := r.open(name, unix.O_RDONLY, unix.S_IFREG)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil {
		return 0, 0, false
	}
	return st.Dev, st.Ino, true
}
