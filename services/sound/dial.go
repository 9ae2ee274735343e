package sound

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// dial connects to the Unix socket at path, also when path is longer
// than a socket address holds: then through the socket's directory,
// opened as /proc/self/fd/N.
func dial(path string, timeout time.Duration) (net.Conn, error) {
	if len(path) <= maxSunPath {
		return net.DialTimeout("unix", path, timeout)
	}
	fd, err := unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: filepath.Dir(path), Err: err}
	}
	defer unix.Close(fd)
	return net.DialTimeout("unix", "/proc/self/fd/"+strconv.Itoa(fd)+"/"+filepath.Base(path), timeout)
}

// probe checks that a server answers at path.
func probe(path string) error {
	c, err := dial(path, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
