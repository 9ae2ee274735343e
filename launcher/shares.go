package launcher

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/profiles"
)

// socketDepth is how many levels of a share are looked at for sockets:
// agents and servers put theirs near the top (/tmp/ssh-XXX/agent.N).
const socketDepth = 2

// checkShareSockets refuses a share whose first levels hold a Unix
// socket, unless the profile allowed it: a socket in a share is a host
// service the app can connect to (a read-only mount does not stop
// connect()), and the services that leave sockets around trust the
// user's uid, which the app has.
func checkShareSockets(shares []profiles.ResolvedShare) error {
	for _, s := range shares {
		if s.AllowSockets {
			continue
		}
		if sock := findSocket(s.Host, socketDepth); sock != "" {
			return fix.New(fmt.Sprintf("the share %s holds the Unix socket %s: the app could talk to whatever listens there, as you", s.Host, sock),
				"share a folder without sockets, or write allow_sensitive = true in its [[share]] if you mean it")
		}
	}
	return nil
}

// findSocket returns the first socket within depth levels of dir, never
// following links.
func findSocket(dir string, depth int) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		switch {
		case e.Type()&os.ModeSocket != 0:
			return p
		case e.IsDir() && depth > 1:
			if s := findSocket(p, depth-1); s != "" {
				return s
			}
		}
	}
	return ""
}
