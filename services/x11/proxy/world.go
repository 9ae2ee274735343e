package proxy

import (
	"fmt"
	"sync/atomic"
)

// Clipboard modes: how the container may reach the selections (clipboard,
// primary selection) of the user's other clients.
const (
	// ClipboardNone: the container reads no selection of another client,
	// and other clients read nothing of the container's.
	ClipboardNone = "none"
	// ClipboardOnInput: the container may own selections (copy out) and
	// may read another client's only right after the user pressed a key
	// or button in one of its windows (a paste).
	ClipboardOnInput = "on-input"
	// ClipboardFull: selections are not filtered.
	ClipboardFull = "full"
)

// Config is what one proxy enforces.
type Config struct {
	// Clipboard is ClipboardNone, ClipboardOnInput or ClipboardFull.
	Clipboard string
	// GPU lets the container's clients use DRI3 (a GPU device handed out
	// by the server) and direct rendering.
	GPU bool
}

func (c *Config) validate() error {
	switch c.Clipboard {
	case ClipboardNone, ClipboardOnInput, ClipboardFull:
		return nil
	}
	return fmt.Errorf("clipboard mode %q: use %s, %s or %s", c.Clipboard, ClipboardNone, ClipboardOnInput, ClipboardFull)
}

// world is what the connections of one proxy share: the display as the
// server described it, the container's resources, its recent input, and
// the policy.
type world struct {
	cfg   Config
	pol   *policy
	own   *owners
	roots []uint32
	// maxBig is the server's largest request with BIG-REQUESTS (bytes).
	maxBig int
	atoms  atoms
	act    activity
	sel    selections
	// broker runs selection conversions for the container (nil in
	// tests without a server: conversions of foreign selections are
	// then refused).
	broker *broker
	log    *refusalLog
	nextID atomic.Uint64
}
