package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// ErrNoSystemd means there is no systemd user manager to ask.
var ErrNoSystemd = errors.New("no systemd user manager on the session bus")

// DelegateScope moves the calling process into a new transient systemd
// user scope with Delegate=yes, the way a systemd desktop hands a user a
// cgroup subtree of its own; children (lxc-start and the container's
// monitor) inherit it.
func DelegateScope(ctx context.Context, address, name string) (string, error) {
	if address == "" {
		return "", ErrNoSystemd
	}
	conn, err := dbus.Connect(address, dbus.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoSystemd, err)
	}
	defer conn.Close()
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface("org.freedesktop.systemd1.Manager"), dbus.WithMatchMember("JobRemoved")); err != nil {
		return "", fmt.Errorf("watch systemd jobs: %w", err)
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)

	unit := fmt.Sprintf("lxcage-%s-%d.scope", name, os.Getpid())
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
