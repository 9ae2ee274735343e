package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// progressBar shows a create's progress: on a terminal one line redrawn
// in place with a bar for step N of M, elsewhere plain lines.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	drawn bool
	step  string // "(N/M) name" of the current step
}

var stepRE = regexp.MustCompile(`^\((\d+)/(\d+)\) (.*)$`)

func newProgressBar(w io.Writer) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
		tty = err == nil
	}
	return &progressBar{w: w, tty: tty}
}

// Message shows one progress message: "(N/M) step" moves the bar; other
// lines (what image tools print) are shown as the current detail.
func (p *progressBar) Message(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		fmt.Fprintf(p.w, "lxcage: %s\n", msg)
		return
	}
	n, total, text := 0, 0, msg
	if m := stepRE.FindStringSubmatch(msg); m != nil {
		n, _ = strconv.Atoi(m[1])
		total, _ = strconv.Atoi(m[2])
		text = m[3]
		p.step = msg
	} else if m := stepRE.FindStringSubmatch(p.step); m != nil {
		n, _ = strconv.Atoi(m[1])
		total, _ = strconv.Atoi(m[2])
		text = m[3] + ": " + msg
	}
	line := text
	if total > 0 {
		const width = 20
		done := width * (n - 1) / total
		line = fmt.Sprintf("[%s%s] %d/%d %s", strings.Repeat("#", done), strings.Repeat("-", width-done), n, total, text)
	}
	if len(line) > 100 {
		line = line[:99] + "…"
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

// Done ends the progress line.
func (p *progressBar) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
