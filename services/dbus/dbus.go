// Package dbus runs a container's filtering session bus proxy
// (xdg-dbus-proxy): the app sees a bus on which only the names it may
// talk to answer.
package dbus

import (
	"context"
	"os"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/services"
)

// Proxy is the D-Bus proxy of one container.
type Proxy struct {
	// Address is the user's session bus; Socket where the proxy listens
	// (host side, in a launcher-owned directory); Inside where the socket
	// is bound in, InsideAddress the address the app uses.
	Address, Socket, Inside, InsideAddress string
	// Talk are the names the app may call.
	Talk []string
}

// Name implements services.Service.
func (p *Proxy) Name() string { return "D-Bus proxy" }

// Phase implements services.Service.
func (p *Proxy) Phase() services.Phase { return services.BeforeStart }

// Grant implements services.Service.
func (p *Proxy) Grant() services.Grant {
	return services.Grant{
		Binds: []services.Bind{{Host: p.Socket, Inside: p.Inside, ReadOnly: true}},
		Env:   map[string]string{"DBUS_SESSION_BUS_ADDRESS": p.InsideAddress},
	}
}

// Start implements services.Service.
func (p *Proxy) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	os.Remove(p.Socket)
	argv := []string{"xdg-dbus-proxy", p.Address, p.Socket, "--filter"}
	for _, n := range p.Talk {
		argv = append(argv, "--talk="+n)
	}
	proc, err := services.StartProcess(ctx, env, "xdg-dbus-proxy", argv, "", services.SocketExists(p.Socket))
	if err != nil {
		return nil, fix.Wrap(err, `dbus = "filtered"`, "apt-get install xdg-dbus-proxy")
	}
	return services.Undo{{Remove: p.Socket}, {Kill: &proc}}, nil
}
