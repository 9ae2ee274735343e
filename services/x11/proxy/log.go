package proxy

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// refusalLog says, in debug mode, which requests the proxy refused and
// why, so that a user can see why an app misbehaves. A hostile app could
// make it grow without end, so it stops after maxRefusalLines.
type refusalLog struct {
	mu    sync.Mutex
	w     io.Writer // nil: not in debug mode
	lines int
}

const maxRefusalLines = 10000

func (l *refusalLog) refused(conn uint64, name, why string) {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines++
	switch {
	case l.lines < maxRefusalLines:
		fmt.Fprintf(l.w, "%s x11 proxy: connection %d: refused %s: %s\n", time.Now().Format("15:04:05.000"), conn, name, why)
	case l.lines == maxRefusalLines:
		fmt.Fprintf(l.w, "%s x11 proxy: %d refusals logged; further ones are not\n", time.Now().Format("15:04:05.000"), maxRefusalLines)
	}
}

// printf logs an event of the proxy itself (a connection that failed).
func (l *refusalLog) printf(format string, args ...any) {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s x11 proxy: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

var sprintf = fmt.Sprintf
