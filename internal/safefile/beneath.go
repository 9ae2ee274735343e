package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrNotRegular is a path that is not what the caller may open there (a
// FIFO, a device, a socket, a directory where a file was asked).
var ErrNotRegular = errors.New("not a regular file")

// resolveStrict is how lxcage resolves paths in trees the container can
// write: never through a link of any kind, never out of the tree.
const resolveStrict = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// OpenBeneath opens rel inside root (a directory the container may
// write: a rootfs, a home) for reading, refusing every symlink on the
// way and anything but a regular file, without ever blocking on what it
// finds (a FIFO is opened O_NONBLOCK and refused).
func OpenBeneath(root, rel string) (*os.File, error) {
	fd, err := openat2(root, rel, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: filepath.Join(root, rel), Err: ErrNotRegular}
	}
	return os.NewFile(uintptr(fd), filepath.Join(root, rel)), nil
}

// StatBeneath is Lstat of rel inside root, resolved as OpenBeneath does
// (the last component may be anything; it is not opened).
func StatBeneath(root, rel string) (unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := openat2(root, rel, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC)
	if err != nil {
		return st, err
	}
	defer unix.Close(fd)
	err = unix.Fstat(fd, &st)
	return st, err
}

func openat2(root, rel string, flags int) (int, error) {
	rel = strings.TrimPrefix(filepath.Clean("/"+rel), "/")
	if rel == "" {
		rel = "."
	}
	dir, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(dir)
	fd, err := unix.Openat2(dir, rel, &unix.OpenHow{Flags: uint64(flags), Resolve: resolveStrict})
	if err != nil {
		return -1, &fs.PathError{Op: "open", Path: filepath.Join(root, rel), Err: fmt.Errorf("%w (links are not followed here)", err)}
	}
	return fd, nil
}
