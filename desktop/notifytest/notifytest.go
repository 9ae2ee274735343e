// Package notifytest is a desktop notification server for tests: it takes
// the name org.freedesktop.Notifications on a real bus and records every
// notification it is sent, so a test can check what a user would see.
package notifytest

import (
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// Notification is one received Notify call.
type Notification struct {
	AppName    string
	ReplacesID uint32
	Icon       string
	Summary    string
	Body       string
	Actions    []string
	Hints      map[string]dbus.Variant
	Timeout    int32
	// ID is what the server answered.
	ID uint32
}

// Server owns the notification service name on one bus connection.
type Server struct {
	conn *dbus.Conn
	caps []string
	ch   chan Notification

	mu   sync.Mutex
	next uint32
}

// Start connects to the bus at address and serves the notification
// interface there, advertising caps (e.g. "body", "body-markup"). It
// fails if another server owns the name.
func Start(address string, caps ...string) (*Server, error) {
	conn, err := dbus.Connect(address)
	if err != nil {
		return nil, fmt.Errorf("notifytest: connect %s: %w", address, err)
	}
	s := &Server{conn: conn, caps: caps, ch: make(chan Notification, 64)}
	if err := conn.Export(handler{s}, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("notifytest: export: %w", err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return nil, fmt.Errorf("notifytest: cannot own org.freedesktop.Notifications (reply %v): %v", reply, err)
	}
	return s, nil
}

// Close gives the name up and disconnects.
func (s *Server) Close() error { return s.conn.Close() }

// Next waits up to timeout for the next notification.
func (s *Server) Next(timeout time.Duration) (Notification, bool) {
	select {
	case n := <-s.ch:
		return n, true
	case <-time.After(timeout):
		return Notification{}, false
	}
}

// Drain returns the notifications received so far without waiting.
func (s *Server) Drain() []Notification {
	var out []Notification
	for {
		select {
		case n := <-s.ch:
			out = append(out, n)
		default:
			return out
		}
	}
}

// handler holds the exported methods (D-Bus names: Notify, …).
type handler struct{ s *Server }

// Notify records a notification and returns its id: the replaced one's,
// or a new one.
func (h handler) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	h.s.mu.Lock()
	id := replaces
	if id == 0 {
		h.s.next++
		id = h.s.next
	}
	h.s.mu.Unlock()
	n := Notification{AppName: app, ReplacesID: replaces, Icon: icon, Summary: summary, Body: body, Actions: actions, Hints: hints, Timeout: timeout, ID: id}
	select {
	case h.s.ch <- n:
	default: // a test that stopped reading must not block the bus
	}
	return id, nil
}

// GetCapabilities answers with the capabilities given to Start.
func (h handler) GetCapabilities() ([]string, *dbus.Error) { return h.s.caps, nil }

// GetServerInformation names the server.
func (h handler) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "notifytest", "lxcage", "1", "1.2", nil
}

// CloseNotification accepts any id.
func (h handler) CloseNotification(id uint32) *dbus.Error { return nil }
