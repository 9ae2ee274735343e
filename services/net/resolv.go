package net

import (
	"context"
	"fmt"

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
	// Inside is where it is bound (ResolvInside when empty). It must be
	// a file in the image, not a link: LXC refuses to mount over a link,
	// and the container then does not start. Setup makes the image's
	// /etc/resolv.conf a file of its own (profiles' keepResolvFile), and
	// the launcher says how to make it one again when something inside
	// made it a link later.
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
