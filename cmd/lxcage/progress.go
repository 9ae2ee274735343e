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
// in place with a bar for step N of M, elsewhere plain lines. The line
// always ends with a newline (a redraw moves up to it first): what the
// app prints next starts on a line of its own.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	drawn bool
	step  string // "(N/M) name" of the current step
	// width is the terminal's: a longer line would wrap, and the redraw
	// would move up into the middle of it.
	width int
}

var stepRE = regexp.MustCompile(`^\((\d+)/(\d+)\) (.*)$`)

func newProgressBar(w io.Writer) *progressBar {
	tty, width := false, 80
	if f, ok := w.(*os.File); ok {
		_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
		tty = err == nil
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 10 {
			width = int(ws.Col)
		}
	}
	return &progressBar{w: w, tty: tty, width: width}
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
	if r := []rune(line); len(r) >= p.width {
		line = string(r[:p.width-2]) + "…"
	}
	if p.drawn {
		fmt.Fprint(p.w, "\033[A\r\033[K") // up to the last progress line, clear it
	}
	fmt.Fprintf(p.w, "%s\n", line)
	p.drawn = true
}

// Line prints a line of its own below the progress (a warning); the
// next progress message starts a new line under it.
func (p *progressBar) Line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, s)
	p.drawn = false
}

// Done ends the progress: the next output stays below its line.
func (p *progressBar) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawn = false
}
