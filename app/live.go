package app

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/launcher"
)

// liveInterval is how often the live view reads the running containers.
const liveInterval = time.Second

// maxLiveProcs is how many of an app's processes a card lists.
const maxLiveProcs = 8

// minProcAge leaves out processes younger than this: a shell loop's
// short-lived children would make the list flicker (and the window
// redraw) every second; they count in the processes figure.
const minProcAge = 3 * time.Second

// live is the page of running sandboxes: for each running container its
// CPU use, memory and processes against their limits, uptime and the
// app's processes, with Stop. While it is shown it reads them once a
// second off the Fyne goroutine and redraws only what changed.
type live struct {
	u       *UI
	content fyne.CanvasObject
	summary *widget.Label
	cards   *fyne.Container
	byName  map[string]*liveCard
	cancel  context.CancelFunc
}

// liveCard shows one running container.
type liveCard struct {
	box                   *fyne.Container
	title, figures, procs *widget.Label
	mem                   *meter
	stop                  *keyButton
}

// liveTarget is a running container to read: its name and init.
type liveTarget struct {
	name    string
	initPID int
}

// showLive replaces the center pane with the live view and starts its
// readings.
func (u *UI) showLive() {
	if u.live == nil {
		u.live = u.newLive()
	}
	lv := u.live
	u.list.UnselectAll()
	u.onPage = true
	u.showPage(lv.content)
	u.win.SetTitle(Title + ": running sandboxes")
	targets := u.liveTargets()
	lv.show(lv.read(targets))
	if lv.cancel == nil && u.opts.StatusInterval >= 0 {
		ctx, cancel := context.WithCancel(context.Background())
		lv.cancel = cancel
		go lv.loop(ctx, targets)
	}
}

func (u *UI) newLive() *live {
	lv := &live{u: u, summary: widget.NewLabel(""), cards: container.NewVBox(), byName: map[string]*liveCard{}}
	lv.summary.Wrapping = fyne.TextWrapWord
	back := newKeyButton("Back to profiles", theme.NavigateBackIcon(), u.backToProfiles, nil)
	top := container.NewVBox(heading("Running sandboxes"), lv.summary, container.NewHBox(back), widget.NewSeparator())
	lv.content = container.NewBorder(top, nil, nil, nil, container.NewVScroll(container.NewPadded(lv.cards)))
	return lv
}

// stopReading ends the readings (the page is left).
func (lv *live) stopReading() {
	if lv.cancel != nil {
		lv.cancel()
		lv.cancel = nil
	}
}

// loop reads every liveInterval until ctx ends: the reading (files in
// /proc and the cgroups) here, the showing on the Fyne goroutine, which
// also hands over the containers to read next (from the status loop's
// last answers) — one wake-up of the window a second.
func (lv *live) loop(ctx context.Context, targets []liveTarget) {
	var mu sync.Mutex
	t := time.NewTicker(liveInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		mu.Lock()
		now := targets
		mu.Unlock()
		stats := lv.read(now)
		fyne.Do(func() {
			if ctx.Err() != nil {
				return
			}
			lv.show(stats)
			next := lv.u.liveTargets()
			mu.Lock()
			targets = next
			mu.Unlock()
		})
	}
}

// liveTargets are the profiles whose containers run, by the last status.
func (u *UI) liveTargets() []liveTarget {
	var out []liveTarget
	for _, it := range u.items {
		if it.status != nil && it.status.State == launcher.Running && it.status.InitPID > 0 {
			out = append(out, liveTarget{it.name, it.status.InitPID})
		}
	}
	return out
}

// read reads each target; a container that stopped meanwhile is left out.
func (lv *live) read(targets []liveTarget) []*launcher.Stats {
	var out []*launcher.Stats
	for _, t := range targets {
		if s, err := lv.u.opts.Backend.Stats(t.name, t.initPID); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// show puts readings on the page, touching only the widgets whose text
// changed: a redraw of the window costs more than the reading.
func (lv *live) show(stats []*launcher.Stats) {
	seen := map[string]bool{}
	var cpu float64
	var mem int64
	for _, s := range stats {
		seen[s.Name] = true
		c, ok := lv.byName[s.Name]
		if !ok {
			c = lv.newCard(s.Name)
			lv.byName[s.Name] = c
			lv.cards.Add(c.box)
		}
		c.update(s)
		cpu += max(s.CPU, 0)
		mem += s.Memory
	}
	for name, c := range lv.byName {
		if !seen[name] {
			lv.cards.Remove(c.box)
			delete(lv.byName, name)
		}
	}
	sum := "No sandbox is running. Launch a profile and it appears here, with what it uses."
	if len(stats) > 0 {
		sum = fmt.Sprintf("%s · CPU %s · memory %s. Figures refresh every second; 100%% CPU is one core.",
			plural(len(stats), "sandbox running", "sandboxes running"), cpuText(cpu), launcher.Bytes(mem))
	}
	setText(lv.summary, sum)
}

func (lv *live) newCard(name string) *liveCard {
	c := &liveCard{
		title:   widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		figures: widget.NewLabel(""),
		procs:   mono(),
		mem:     newMeter(),
	}
	c.figures.Wrapping = fyne.TextWrapWord
	c.procs.Wrapping = fyne.TextWrapBreak
	u := lv.u
	c.stop = newKeyButton("Stop", theme.MediaStopIcon(), func() {
		if it := u.find(name); it != nil {
			u.stop(it)
		}
	}, nil)
	head := container.NewBorder(nil, nil, nil, c.stop, c.title)
	c.box = container.NewVBox(head, c.figures, c.mem.box, c.procs, widget.NewSeparator())
	return c
}

// update shows a reading on the card.
func (c *liveCard) update(s *launcher.Stats) {
	mem := launcher.Bytes(s.Memory)
	if s.MemoryLimit > 0 {
		mem += " of " + launcher.Bytes(s.MemoryLimit)
	}
	pids := fmt.Sprintf("%d", s.Pids)
	if s.PidsLimit > 0 {
		pids += fmt.Sprintf(" of %d", s.PidsLimit)
	}
	figures := fmt.Sprintf("CPU %s · memory %s · %s processes and threads · up %s", cpuText(s.CPU), mem, pids, upText(s.Uptime))
	setText(c.figures, figures)
	if s.MemoryLimit > 0 {
		c.mem.set(float64(s.Memory) / float64(s.MemoryLimit))
		c.mem.box.Show()
	} else {
		c.mem.box.Hide()
	}
	var b strings.Builder
	shown, brief := 0, 0
	for _, p := range s.Procs {
		if p.Age < minProcAge {
			brief++
			continue
		}
		if shown == maxLiveProcs {
			fmt.Fprintf(&b, "… and more\n")
			break
		}
		if shown == 0 {
			fmt.Fprintf(&b, "%7s  %9s  %s\n", "PID", "RESIDENT", "COMMAND")
		}
		shown++
		fmt.Fprintf(&b, "%7d  %9s  %s\n", p.PID, launcher.Bytes(p.RSS), p.Cmd)
	}
	procs := strings.TrimRight(b.String(), "\n")
	if procs == "" && brief == 0 {
		procs = "(no app process: only the container's init)"
	} else if procs == "" {
		procs = "(only short-lived processes)"
	}
	setText(c.procs, procs)
}

// cpuText is CPU use in whole percent: tenths would change the text,
// and so redraw the window, every second for an idle app.
func cpuText(pct float64) string {
	if pct < 0 {
		return "…"
	}
	return fmt.Sprintf("%.0f%%", pct)
}

// upText is an uptime to the minute, for the same reason.
func upText(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	return strings.TrimSuffix(launcher.Uptime(d.Truncate(time.Minute)), "00s")
}

// meter is a thin bar showing a share (memory against its limit); it
// redraws only when the share moves by a visible step.
type meter struct {
	box        *fyne.Container
	back, fill *canvas.Rectangle
	value      float64
}

func newMeter() *meter {
	m := &meter{back: canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)), fill: canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))}
	m.back.CornerRadius, m.fill.CornerRadius = 3, 3
	m.box = container.New(m, m.back, m.fill)
	return m
}

// set shows share v (0–1).
func (m *meter) set(v float64) {
	v = min(max(v, 0), 1)
	if math.Abs(v-m.value) < 0.005 {
		return
	}
	m.value = v
	m.box.Refresh()
}

// MinSize is a thin bar.
func (m *meter) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(40, 6) }

// Layout fills the share of the width, in the theme's colours.
func (m *meter) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	m.back.FillColor, m.fill.FillColor = theme.Color(theme.ColorNameInputBackground), theme.Color(theme.ColorNamePrimary)
	m.back.Resize(size)
	m.fill.Resize(fyne.NewSize(max(float32(m.value)*size.Width, 6), size.Height))
}
