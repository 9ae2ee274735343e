package net

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/services"
)

// ResolvInside is where a resolver config normally lives.
const ResolvInside = "/etc/resolv.conf"

// resolvContent is the container's resolv.conf: the one nameserver the
// user-mode network answers at. No search domains: the host's would tell
// the app where the machine is and send its short names to them.
const resolvContent = "# Written by lxcage: DNS goes through the user-mode network to the host's resolvers.\nnameserver " + Nameserver + "\n"

// ResolvConf is the resolver config of a container on the user-mode
// network: a file written before the container starts and bound
// read-only over the image's.
type ResolvConf struct {
	// File is where it is written on the host: in a directory the
	// container cannot write, whose parents its root can search (LXC
	// binds it as the container's root).
	File string
	// Inside is where it is bound: ResolvInside, or for an image whose
	// /etc/resolv.conf is a link, where the link leads (ResolvTarget).
	// LXC refuses to mount over a link, and the container then does not
	// start.
	Inside string
	// NoBind writes the file without binding it: a container being built
	// gets it as the content of its own /etc/resolv.conf, which its setup
	// replaces (a bind there would be "busy").
	NoBind bool
}

// Name implements services.Service.
func (r *ResolvConf) Name() string { return "resolver config" }

// Phase implements services.Service: LXC binds the file at start.
func (r *ResolvConf) Phase() services.Phase { return services.BeforeStart }

// Grant implements services.Service.
func (r *ResolvConf) Grant() services.Grant {
	if r.NoBind {
		return services.Grant{}
	}
	inside := r.Inside
	if inside == "" {
		inside = ResolvInside
	}
	return services.Grant{Binds: []services.Bind{{Host: r.File, Inside: inside, ReadOnly: true}}}
}

// Start implements services.Service: it writes the file.
func (r *ResolvConf) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	if err := safefile.WriteAtomic(r.File, []byte(resolvContent), 0o644); err != nil {
		return nil, fmt.Errorf("write the container's resolv.conf: %w", err)
	}
	return services.Undo{{Remove: r.File}}, nil
}

// maxLinks bounds the links ResolvTarget follows, as the kernel does.
const maxLinks = 40

// ResolvTarget returns where a resolv.conf must be bound in the root
// filesystem rootfs: ResolvInside, or, where that is a link (Ubuntu's
// points to ../run/systemd/resolve/stub-resolv.conf), the path it leads
// to, resolved as the container will see it: absolute links and ".."
// stay inside rootfs. The result may not exist yet (a bind with
// create=file makes it, after the tmpfs on /run is mounted). It reads
// the image's tree, which is hostile: it only reads links, and LXC checks
// the path again, refusing links, when it mounts.
func ResolvTarget(rootfs string) (string, error) {
	cur := "/" // resolved so far, inside rootfs
	rest := strings.Split(strings.TrimPrefix(ResolvInside, "/"), "/")
	links := 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, name)
		fi, err := os.Lstat(filepath.Join(rootfs, next))
		if errors.Is(err, fs.ErrNotExist) {
			// The rest does not exist yet: it is made where it is named.
			return checkTarget(rootfs, path.Join(append([]string{next}, rest...)...))
		}
		if err != nil {
			return "", fmt.Errorf("resolv.conf in %s: %w", rootfs, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("resolv.conf in %s: too many links", rootfs)
		}
		target, err := os.Readlink(filepath.Join(rootfs, next))
		if err != nil {
			return "", fmt.Errorf("resolv.conf in %s: %w", rootfs, err)
		}
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return checkTarget(rootfs, cur)
}

// checkTarget refuses a target a file cannot be bound on.
func checkTarget(rootfs, inside string) (string, error) {
	if fi, err := os.Lstat(filepath.Join(rootfs, inside)); inside == "/" || err == nil && fi.IsDir() {
		return "", fmt.Errorf("resolv.conf in %s leads to the directory %s", rootfs, inside)
	}
	return inside, nil
}
