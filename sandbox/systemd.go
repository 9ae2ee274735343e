package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"
)

// SystemdBus is where a user's systemd manager listens: the session bus
// address if set, else $XDG_RUNTIME_DIR/bus.
func SystemdBus() string {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		if _, err := os.Stat(filepath.Join(rt, "bus")); err == nil {
			return "unix:path=" + filepath.Join(rt, "bus")
		}
	}
	return ""
}

// SystemdAvailable reports whether a systemd user manager answers on the
// bus at address.
func SystemdAvailable(ctx context.Context, address string) bool {
	if address == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := dbus.Connect(address, dbus.WithContext(ctx))
	if err != nil {
		return false
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.systemd1").Store(&has)
	return err == nil && has
}

// scopes counts the scopes this process asked for, so that each gets a
// name of its own.
var scopes atomic.Int32

// dialManager connects to the systemd user manager: through the session
// bus at address, else straight to the manager's own socket
// ($XDG_RUNTIME_DIR/systemd/private, where systemctl --user finds it), so
// that a launch from a script with no session bus (env -i, cron, an ssh
// command) gets its scope too. direct says which.
func dialManager(ctx context.Context, address string) (conn *dbus.Conn, direct bool, err error) {
	err = errors.New("none")
	if address != "" {
		if conn, err = dbus.Connect(address, dbus.WithContext(ctx)); err == nil {
			return conn, false, nil
		}
	}
	rt := os.Getenv("XDG_RUNTIME_DIR")
	if rt == "" {
		return nil, false, fmt.Errorf("%w (session bus: %v)", ErrNoSystemd, err)
	}
	private := filepath.Join(rt, "systemd", "private")
	c, derr := dbus.Dial("unix:path="+private, dbus.WithContext(ctx))
	if derr == nil {
		// A direct connection: authenticated, but no Hello (no bus).
		if derr = c.Auth(nil); derr != nil {
			c.Close()
		}
	}
	if derr != nil {
		return nil, false, fmt.Errorf("%w (session bus: %v; %s: %v)", ErrNoSystemd, err, private, derr)
	}
	return c, true, nil
}

// ErrNoSystemd means there is no systemd user manager to ask.
var ErrNoSystemd = errors.New("no systemd user manager on the session bus")

// DelegateScope moves the calling process into a new transient systemd
// user scope with Delegate=yes, the way a systemd desktop hands a user a
// cgroup subtree of its own; children (lxc-start and the container's
// monitor) inherit it.
func DelegateScope(ctx context.Context, address, name string) (string, error) {
	conn, direct, err := dialManager(ctx, address)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	// The manager sends its signals to every direct connection; on the
	// bus they must be asked for.
	if !direct {
		if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface("org.freedesktop.systemd1.Manager"), dbus.WithMatchMember("JobRemoved")); err != nil {
			return "", fmt.Errorf("watch systemd jobs: %w", err)
		}
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)

	unit := fmt.Sprintf("lxcage-%s-%d.scope", name, os.Getpid())
	if n := scopes.Add(1); n > 1 {
		// A second scope of this process (a new one for each start).
		unit = fmt.Sprintf("lxcage-%s-%d-%d.scope", name, os.Getpid(), n)
	}
	type prop struct {
		Name  string
		Value dbus.Variant
	}
	props := []prop{
		{"Description", dbus.MakeVariant("lxcage container " + name)},
		{"PIDs", dbus.MakeVariant([]uint32{uint32(os.Getpid())})},
		{"Delegate", dbus.MakeVariant(true)},
		{"CollectMode", dbus.MakeVariant("inactive-or-failed")},
	}
	type aux struct {
		Name  string
		Props []prop
	}
	var job dbus.ObjectPath
	obj := conn.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
	call := obj.CallWithContext(ctx, "org.freedesktop.systemd1.Manager.StartTransientUnit", 0, unit, "fail", props, []aux{})
	if call.Err != nil {
		var de dbus.Error
		if errors.As(call.Err, &de) && de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" {
			return "", fmt.Errorf("%w: %v", ErrNoSystemd, call.Err)
		}
		return "", fmt.Errorf("start transient scope %s: %w", unit, call.Err)
	}
	if err := call.Store(&job); err != nil {
		return "", fmt.Errorf("start transient scope %s: %w", unit, err)
	}
	for {
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("start transient scope %s: %w", unit, ctx.Err())
		case sig := <-signals:
			if sig == nil || sig.Name != "org.freedesktop.systemd1.Manager.JobRemoved" || len(sig.Body) < 4 {
				continue
			}
			if p, _ := sig.Body[1].(dbus.ObjectPath); p != job {
				continue
			}
			if result, _ := sig.Body[3].(string); result != "done" {
				return "", fmt.Errorf("start transient scope %s: job %s", unit, result)
			}
			return unit, nil
		}
	}
}
