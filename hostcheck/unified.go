package hostcheck

import (
	"context"
	"os"
	"strings"

	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
)

// limitControllers are the cgroup v2 controllers [limits] use.
var limitControllers = []string{"memory", "pids", "cpu"}

// checkUnified is the cgroup check of a host with cgroup v2 only: a
// container needs a delegated scope from the user's systemd manager (see
// ContainerScope), which hands on the controllers [limits] use; without
// systemd, a cgroup root delegated by hand.
func checkUnified(ctx context.Context, cg *sandbox.Cgroups, user string) Check {
	c := Check{Name: "cgroup delegation", Required: true}
	u, _ := cg.Unified()
	switch {
	case sandbox.SystemdAvailable(ctx, sandbox.SystemdBus()):
		missing := missingControllers(sandbox.DelegatedControllers(u.Mount, os.Getuid()))
		c.OK = len(missing) == 0
		c.Detail = "systemd delegates a scope to each container at launch"
		if !c.OK {
			c.Detail = "your systemd user manager does not hand on the " + strings.Join(missing, ", ") + " controller(s) that [limits] need"
			c.Fix = `as root: mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\nDelegate=cpu cpuset io memory pids\n' > /etc/systemd/system/user@.service.d/delegate.conf && systemctl daemon-reload; then log out and in again`
		}
	case sandbox.InUserManager(u.Dir, os.Getuid()):
		c.Detail = "your cgroup is systemd's, but no systemd user manager answers on the session bus (" + orNone(sandbox.SystemdBus()) + ")"
		c.Fix = "run lxcage from your desktop session, with DBUS_SESSION_BUS_ADDRESS (or $XDG_RUNTIME_DIR/bus) reaching systemd --user"
	case u.Writable:
		c.OK, c.Detail = true, "you own your cgroup in the unified (v2) hierarchy"
	default:
		c.Detail = "not writable: " + u.Dir + ", and no systemd user manager on the session bus (" + orNone(sandbox.SystemdBus()) + ")"
		c.Fix = cg.Fix(user)
	}
	return c
}

// missingControllers are the limit controllers not in have.
func missingControllers(have []string) []string {
	var out []string
	for _, w := range limitControllers {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}

// checkAppArmor: with AppArmor on, a user's container needs a profile
// already loaded to switch into (LXC's own); ok is false where the check
// does not apply (AppArmor off, or root, who loads LXC's generated one).
func checkAppArmor(h *profiles.Host) (Check, bool) {
	if !h.AppArmor || h.UID == 0 {
		return Check{}, false
	}
	c := Check{Name: "AppArmor profile for containers", Required: true, OK: h.AppArmorShipped}
	if c.OK {
		c.Detail = "LXC's lxc-container-default-cgns (a user may not load a profile of its own)"
	} else {
		c.Detail = "AppArmor is on, but LXC's profiles are not installed: a user's container cannot load one"
		c.Fix = "apt-get install lxc apparmor (as root; LXC's profiles are loaded at boot), or set apparmor = \"unconfined\" under [security] in a profile"
	}
	return c, true
}
