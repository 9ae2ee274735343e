// Package app is lxcage-editor, the graphical editor of lxcage profiles.
//
// It shows every profile in a sidebar with its container's live state,
// edits a copy of the selected profile with a widget for each key,
// validates each field as it is typed with the profiles package's own
// rules, and shows the LXC config the profile compiles to. Saving writes
// the file atomically; launching, stopping and building containers run the
// lxcage command, so a launch outlives the editor. The package holds no
// business logic: it calls profiles, launcher, sandbox and desktop.
package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/profiles"
)

// ID is the editor's application ID (preferences, window class).
const ID = "io.github.lxcage.editor"

// Title is the window title; a selected profile's name follows it. It is
// plain ASCII so that X reads it as a STRING WM_NAME.
const Title = "lxcage editor"

// Options configure an editor.
type Options struct {
	// ProfileDir is where profiles live (default: profiles.Dir()).
	ProfileDir string
	// Backend answers status, compile, host-check and menu-entry
	// questions.
	Backend Backend
	// Runner runs lxcage commands (launch, stop, create, destroy).
	Runner Runner
	// Select is the profile to show first (default: the first one).
	Select string
	// StatusInterval is how often container states are refreshed
	// (default 2 s); negative turns the background refresh off (tests).
	StatusInterval time.Duration
}

// UI is one editor window and the profiles it shows.
type UI struct {
	app  fyne.App
	win  fyne.Window
	opts Options
	dir  string

	items []*item
	cur   *item

	list    *widget.List
	right   *fyne.Container  // main, or a page such as the host check
	main    *container.Split // center | preview
	center  *fyne.Container  // the selected profile, or a welcome
	onPage  bool             // a page is shown, not u.cur
	ed      *editor
	pv      *preview
	message *widget.Label // the status line at the bottom
	menus   *menus
	live    *live // the running sandboxes page, once shown
	watch   *watcher
	// compiles are the last compile results (see compile).
	compiles []compileResult

	kick  chan struct{} // asks the status loop for an early refresh
	icons map[string]fyne.Resource
	// async runs slow work (commands, checks) off the Fyne goroutine;
	// tests run it in place, so that they need not wait.
	async func(func())
}

// New builds the editor window in a (the real app, or a test app). It
// loads the profiles but does not show the window.
func New(a fyne.App, opts Options) (*UI, error) {
	if opts.ProfileDir == "" {
		d, err := profiles.Dir()
		if err != nil {
			return nil, err
		}
		opts.ProfileDir = d
	}
	if opts.Backend == nil || opts.Runner == nil {
		return nil, fmt.Errorf("editor: a Backend and a Runner are required")
	}
	if opts.StatusInterval == 0 {
		opts.StatusInterval = 2 * time.Second
	}
	u := &UI{app: a, opts: opts, dir: opts.ProfileDir, kick: make(chan struct{}, 1), icons: map[string]fyne.Resource{}}
	u.async = func(f func()) { go f() }
	applyThemePref(a)
	u.win = a.NewWindow(Title)
	u.win.SetIcon(appIcon)
	u.layout()
	u.loadAll()
	u.selectFirst(opts.Select)
	return u, nil
}

// Window is the editor's main window.
func (u *UI) Window() fyne.Window { return u.win }

// layout lays out the window: sidebar | selected profile | preview, with a
// status line below.
func (u *UI) layout() {
	u.pv = newPreview()
	u.message = widget.NewLabel("")
	u.message.Truncation = fyne.TextTruncateEllipsis
	u.center = container.NewStack()
	u.main = container.NewHSplit(u.center, u.pv.content)
	u.main.Offset = 0.58
	u.right = container.NewStack(u.main)
	split := container.NewHSplit(u.newSidebar(), u.right)
	split.Offset = 0.22
	u.win.SetContent(container.NewBorder(nil, u.message, nil, nil, split))
	u.menus = u.newMenus()
	u.win.SetMainMenu(u.menus.main)
	u.win.Resize(fyne.NewSize(1280, 800))
}

// show puts o in the center pane, next to the preview.
func (u *UI) show(o fyne.CanvasObject) {
	u.center.Objects = []fyne.CanvasObject{o}
	u.center.Refresh()
	u.showPage(u.main)
}

// showPage fills everything right of the sidebar with o (a page such as
// the host check, which belongs to no profile).
func (u *UI) showPage(o fyne.CanvasObject) {
	if len(u.right.Objects) == 1 && u.right.Objects[0] == o {
		return
	}
	if u.live != nil && o != u.live.content {
		u.live.stopReading()
	}
	u.right.Objects = []fyne.CanvasObject{o}
	u.right.Refresh()
}

// say puts a message in the status line.
func (u *UI) say(format string, args ...any) {
	u.message.SetText(fmt.Sprintf(format, args...))
}

// updateTitle names the selected profile, with "*" when unsaved.
func (u *UI) updateTitle() {
	t := Title
	if u.cur != nil {
		t += ": " + u.cur.name
		if u.cur.dirty() {
			t += " *"
		}
	}
	if u.win.Title() != t { // the status refresh calls this every 2 s
		u.win.SetTitle(t)
	}
}

// Run starts the editor for the user's own profiles and containers and
// returns when its window closes. lxcpath "" is LXC's default path.
func Run(lxcpath, selectName string) error {
	bin, err := FindCLI()
	if err != nil {
		return err
	}
	backend, err := NewBackend(lxcpath, bin)
	if err != nil {
		return err
	}
	path := ""
	if lxcpath != "" {
		if path, err = filepath.Abs(lxcpath); err != nil {
			return err
		}
	}
	logs := filepath.Join(cacheDir(), "editor")
	pruneLogs(logs)
	a := fyneapp.NewWithID(ID)
	u, err := New(a, Options{
		Backend: backend,
		Runner:  &CLI{Bin: bin, LXCPath: path, LogDir: logs},
		Select:  selectName,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.Lifecycle().SetOnStarted(func() {
		go u.statusLoop(ctx)
		// Changes to profile files made elsewhere, at once (the status
		// loop's rescan is the fallback).
		if w, err := watchDir(u.dir, func(name string) { fyne.Do(func() { u.fileChanged(name) }) }); err == nil {
			u.watch = w
		}
	})
	defer func() { u.watch.Close() }()
	u.win.SetCloseIntercept(u.confirmQuit)
	u.win.ShowAndRun()
	return nil
}

// confirmQuit asks before unsaved changes are lost.
func (u *UI) confirmQuit() {
	var dirty []string
	for _, it := range u.items {
		if it.dirty() {
			dirty = append(dirty, it.name)
		}
	}
	if len(dirty) == 0 {
		u.app.Quit()
		return
	}
	u.confirm("Quit without saving?", "Unsaved changes in "+strings.Join(dirty, ", ")+" will be lost. Launched apps keep running.", "Quit", func() { u.app.Quit() })
}

// homeDir is the user's home, for "~" paths.
func homeDir() string {
	h, _ := os.UserHomeDir()
	return h
}
