package run

import (
	"bytes"
	"strings"
	"sync"
)

// TailWriter splits what is written to it into lines, hands each
// non-empty line to OnLine (if set) and keeps the last Max of them: the
// output of a long tool, shown as progress and quoted when it fails.
type TailWriter struct {
	Max    int
	OnLine func(line string)

	mu      sync.Mutex
	partial []byte
	lines   []string
}

// Write implements io.Writer; it never fails.
func (t *TailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexAny(t.partial, "\r\n")
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
		if line == "" {
			continue
		}
		t.lines = append(t.lines, line)
		if len(t.lines) > t.Max {
			t.lines = t.lines[1:]
		}
		if t.OnLine != nil {
			t.OnLine(line)
		}
	}
	return len(p), nil
}

// String is the last lines, with any unfinished line after them.
func (t *TailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if rest := strings.TrimSpace(string(t.partial)); rest != "" {
		lines = append(append([]string(nil), lines...), rest)
	}
	return strings.Join(lines, "\n")
}
