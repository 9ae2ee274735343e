package app

import "strings"

// logBuffer keeps the last lines of a profile's command output for the
// log pane. A long create must not grow the editor without bound, so the
// oldest lines fall off.
type logBuffer struct {
	max   int
	lines []string
}

func newLogBuffer(max int) *logBuffer { return &logBuffer{max: max} }

// add appends one line.
func (b *logBuffer) add(line string) {
	b.lines = append(b.lines, line)
	if over := len(b.lines) - b.max; over > 0 {
		b.lines = append(b.lines[:0], b.lines[over:]...)
	}
}

// String is the buffer as shown: one line each.
func (b *logBuffer) String() string { return strings.Join(b.lines, "\n") }
