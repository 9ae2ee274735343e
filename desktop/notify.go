package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lxcage/lxcage/internal/lazyre"

	"github.com/godbus/dbus/v5"
)

// The freedesktop.org notification service.
const (
	NotifyService   = "org.freedesktop.Notifications"
	NotifyPath      = "/org/freedesktop/Notifications"
	NotifyInterface = "org.freedesktop.Notifications"
)

// AppName is the app_name lxcage's notifications carry.
const AppName = "lxcage"

// notifyTimeout bounds each bus call: a hung notification server must
// not keep a failed launch from exiting.
const notifyTimeout = 3 * time.Second

// ErrNoSessionBus means there is no session bus to send notifications on.
var ErrNoSessionBus = errors.New("no session bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus)")

// SessionBusAddress is the session bus: $DBUS_SESSION_BUS_ADDRESS, else
// the systemd convention $XDG_RUNTIME_DIR/bus, else "". It never starts a
// bus (godbus's default would run dbus-launch).
func SessionBusAddress() string {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(rt) {
		p := filepath.Join(rt, "bus")
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + p
		}
	}
	return ""
}

// Urgency is a notification's urgency hint.
type Urgency byte

// The spec's urgency levels.
const (
	UrgencyLow      Urgency = 0
	UrgencyNormal   Urgency = 1
	UrgencyCritical Urgency = 2
)

// Message is one notification.
type Message struct {
	// ReplacesID, when not 0, replaces that earlier notification.
	ReplacesID uint32
	Summary    string
	// Body is plain text; Send escapes it for servers that read markup.
	Body string
	// Icon is an icon name or a file:// URI.
	Icon string
	// DesktopEntry names the entry the notification is about
	// ("lxcage-chrome"), so the server can show that app's name.
	DesktopEntry string
	Urgency      Urgency
	// Timeout is how long the server shows it; 0 means the server's
	// default.
	Timeout time.Duration
	// Progress, 1–100, asks for a progress bar (the "value" hint) where
	// the server supports one; 0 means none.
	Progress int
}

// Sender sends notifications; *Notifier is the real one.
type Sender interface {
	Send(ctx context.Context, m Message) (uint32, error)
}

// Notifier sends notifications over a session bus connection.
type Notifier struct {
	conn   *dbus.Conn
	markup bool
}

// Dial connects to the notification service on the bus at address.
func Dial(ctx context.Context, address string) (*Notifier, error) {
	if address == "" {
		return nil, ErrNoSessionBus
	}
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	conn, err := connect(ctx, address)
	if err != nil {
		return nil, fmt.Errorf("connect to the session bus %s: %w", address, err)
	}
	n := &Notifier{conn: conn}
	var caps []string
	obj := conn.Object(NotifyService, NotifyPath)
	if err := obj.CallWithContext(ctx, NotifyInterface+".GetCapabilities", 0).Store(&caps); err != nil {
		conn.Close()
		return nil, fmt.Errorf("no notification service on the session bus: %w", err)
	}
	for _, c := range caps {
		n.markup = n.markup || c == "body-markup"
	}
	return n, nil
}

// connect opens a bus connection within ctx's deadline. godbus ties a
// connection's life to the context it is given, so the connection gets
// a context of its own and the deadline is kept here.
func connect(ctx context.Context, address string) (*dbus.Conn, error) {
	type result struct {
		conn *dbus.Conn
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := dbus.Connect(address)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.conn, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// Close closes the bus connection.
func (n *Notifier) Close() error { return n.conn.Close() }

// Send implements Sender.
func (n *Notifier) Send(ctx context.Context, m Message) (uint32, error) {
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	body := m.Body
	if n.markup {
		body = escapeMarkup(body)
	}
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(m.Urgency))}
	if m.DesktopEntry != "" {
		hints["desktop-entry"] = dbus.MakeVariant(m.DesktopEntry)
	}
	if m.Progress > 0 {
		hints["value"] = dbus.MakeVariant(int32(min(m.Progress, 100)))
	}
	timeout := int32(-1)
	if m.Timeout > 0 {
		timeout = int32(m.Timeout / time.Millisecond)
	}
	var id uint32
	err := n.conn.Object(NotifyService, NotifyPath).CallWithContext(ctx, NotifyInterface+".Notify", 0,
		AppName, m.ReplacesID, m.Icon, m.Summary, body, []string{}, hints, timeout).Store(&id)
	if err != nil {
		return 0, fmt.Errorf("send notification: %w", err)
	}
	return id, nil
}

// escapeMarkup escapes the characters the spec's body markup gives a
// meaning to.
func escapeMarkup(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// IconURI is the app_icon value for an icon file.
func IconURI(path string) string { return "file://" + path }

// SetupNotice is the "Setting up …" notification of a launch that must
// first build its container. It appears only if the build takes longer
// than a delay (a host-image container is made in a blink and needs no
// message), follows progress messages, and is replaced by "… is ready"
// when the container exists, or by the failure if the launch fails.
type SetupNotice struct {
	s           Sender
	title, icon string
	entry       string

	mu       sync.Mutex
	id       uint32
	body     string
	progress int
	shown    bool
	over     bool
	quit     chan struct{}
}

// NewSetupNotice prepares the notice for the entry titled title.
func NewSetupNotice(s Sender, title, icon, entry string) *SetupNotice {
	return &SetupNotice{s: s, title: title, icon: icon, entry: entry,
		body: "Building its container; this happens once.", quit: make(chan struct{})}
}

// Start shows the notice after delay unless done reports the setup
// finished by then, and polls done every poll interval to replace it
// with "ready".
func (n *SetupNotice) Start(delay, poll time.Duration, done func() bool) {
	go func() {
		select {
		case <-time.After(delay):
		case <-n.quit:
			return
		}
		if done() {
			n.finish(nil)
			return
		}
		n.show()
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if done() {
					n.Ready()
					return
				}
			case <-n.quit:
				return
			}
		}
	}()
}

// Progress updates the notice's text with a progress message ("downloading
// the image 40%"); a percentage or "(i/n)" in it moves the bar.
func (n *SetupNotice) Progress(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.over {
		return
	}
	n.body = upperFirst(msg)
	if p := progressOf(msg); p > 0 {
		n.progress = p
	}
	if n.shown {
		n.sendLocked(n.setupMessage())
	}
}

// Ready replaces a shown notice with a short "ready" one and ends it.
func (n *SetupNotice) Ready() {
	n.finish(&Message{Summary: n.title + " is ready", Body: "Its container is set up; the app is starting.",
		Timeout: 4 * time.Second, Urgency: UrgencyLow})
}

// Fail ends the notice and sends m in its place (replacing it if it was
// shown), returning m's id.
func (n *SetupNotice) Fail(m Message) (uint32, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.endLocked()
	if n.shown {
		m.ReplacesID = n.id
	}
	return n.s.Send(context.Background(), n.fill(m))
}

// Shown reports whether the notice was shown, and its id.
func (n *SetupNotice) Shown() (uint32, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.id, n.shown
}

// finish ends the notice, replacing a shown one with m (if not nil).
func (n *SetupNotice) finish(m *Message) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.over {
		return
	}
	n.endLocked()
	if n.shown && m != nil {
		n.sendLocked(*m)
	}
}

func (n *SetupNotice) endLocked() {
	if !n.over {
		n.over = true
		close(n.quit)
	}
}

func (n *SetupNotice) show() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.over || n.shown {
		return
	}
	n.sendLocked(n.setupMessage())
}

func (n *SetupNotice) setupMessage() Message {
	// Critical keeps it up until replaced: a download can take minutes.
	return Message{Summary: "Setting up " + n.title + "…", Body: n.body, Progress: n.progress, Urgency: UrgencyCritical}
}

// sendLocked sends m as the notice (replacing the shown one).
func (n *SetupNotice) sendLocked(m Message) {
	if n.shown {
		m.ReplacesID = n.id
	}
	id, err := n.s.Send(context.Background(), n.fill(m))
	if err == nil {
		n.id, n.shown = id, true
	}
}

func (n *SetupNotice) fill(m Message) Message {
	if m.Icon == "" {
		m.Icon = n.icon
	}
	if m.DesktopEntry == "" {
		m.DesktopEntry = n.entry
	}
	return m
}

var (
	percentRE = lazyre.New(`(\d{1,3})\s*%`)
	stepRE    = lazyre.New(`\((\d+)/(\d+)\)`)
)

// progressOf finds a percentage ("40%") or a step ("(2/5)") in a progress
// message; 0 when there is none.
func progressOf(msg string) int {
	if m := percentRE.FindStringSubmatch(msg); m != nil {
		p, _ := strconv.Atoi(m[1])
		return min(p, 100)
	}
	if m := stepRE.FindStringSubmatch(msg); m != nil {
		i, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		if n > 0 && i <= n {
			return max(1, 100*i/n)
		}
	}
	return 0
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
