package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/assets"
	"github.com/lxcage/lxcage/desktop"
	"github.com/lxcage/lxcage/hostcheck"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// fakeBackend compiles with the real, pure Compile for a fixed host,
// reports container states from a map, and writes menu entries with the
// real desktop package into the test's XDG_DATA_HOME.
type fakeBackend struct {
	host *profiles.Host
	// kind says what is at a host path (default: a directory).
	kind    func(string) profiles.PathKind
	desktop desktop.Env
	mu      sync.Mutex
	states  map[string]launcher.State
	checks  []hostcheck.Check
	stats   map[string]*launcher.Stats
}

func (b *fakeBackend) Compile(p *profiles.Profile) (string, error) {
	kind := b.kind
	if kind == nil {
		kind = func(string) profiles.PathKind { return profiles.PathDir }
	}
	plan, err := profiles.Compile(p, b.host, kind)
	if err != nil {
		return "", err
	}
	return plan.Config.String(), nil
}

func (b *fakeBackend) Status(_ context.Context, name string, _ *profiles.Profile) (*launcher.Status, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &launcher.Status{Name: name, State: launcher.NotCreated}
	if st, ok := b.states[name]; ok {
		s.State = st
	}
	if s.State == launcher.Running {
		s.InitPID = 4000 + len(name)
	}
	return s, nil
}

func (b *fakeBackend) setState(name string, s launcher.State) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.states[name] = s
}

func (b *fakeBackend) CheckHost(context.Context) []hostcheck.Check { return b.checks }

func (b *fakeBackend) Stats(name string, initPID int) (*launcher.Stats, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.stats[name]; ok {
		c := *s
		return &c, nil
	}
	return nil, errors.New(name + " is not running")
}

func (b *fakeBackend) InstallMenu(ctx context.Context, p *profiles.Profile, warn func(string)) error {
	env := b.desktop
	env.Warn = warn
	return desktop.Install(ctx, env, p)
}

func (b *fakeBackend) RemoveMenu(name string) error { return desktop.Remove(b.desktop, name) }

func (b *fakeBackend) MenuInstalled(name string) bool { return desktop.IsInstalled(b.desktop, name) }

// fakeRunner records the lxcage commands it is asked to run, one line
// each, and fails those listed in fail.
type fakeRunner struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]error
	out   []string
	// do stands in for what a command does (the real one runs lxcage).
	do map[string]func()
}

func (r *fakeRunner) Run(_ context.Context, args []string, out func(string)) error {
	line := strings.Join(args, " ")
	r.mu.Lock()
	r.calls = append(r.calls, line)
	err := r.fail[line]
	do := r.do[line]
	r.mu.Unlock()
	if do != nil && err == nil {
		do()
	}
	for _, l := range r.out {
		out(l)
	}
	return err
}

func (r *fakeRunner) called() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.calls, "\n")
}

// testHost is a fixed host (uid 1001, not 1000), as in profiles' tests.
func testHost() *profiles.Host {
	return &profiles.Host{
		UID: 1001, GID: 1002, UserName: "alice", Home: "/home/alice",
		SubUIDs:        []profiles.IDRange{{Start: 100000, Count: 65536}},
		SubGIDs:        []profiles.IDRange{{Start: 200000, Count: 65536}},
		LXCPath:        "/home/alice/.local/share/lxc",
		StateDir:       "/run/user/1001/lxcage/0a1b2c3d",
		CacheDir:       "/home/alice/.cache",
		ConfigHome:     "/home/alice/.config",
		Lang:           "en_US.UTF-8",
		Display:        ":0",
		XSocket:        "/tmp/.X11-unix/X0",
		UsrLinks:       []string{"bin", "lib", "lib64", "sbin"},
		HostEtc:        map[string]bool{"fonts": true},
		InitPath:       "/usr/sbin/init.lxc.static",
		SeccompDefault: "/usr/share/lxc/config/common.seccomp",
		LXCBridge:      "lxcbr0",
		Lxcage:         "/usr/local/bin/lxcage",
	}
}

// harness is one editor on a test app, with its directories.
type harness struct {
	t       *testing.T
	u       *UI
	dir     string
	backend *fakeBackend
	runner  *fakeRunner
}

// setup points the XDG directories at temp dirs and writes the given
// profiles from presets ("name=preset", or just "preset").
func setup(t *testing.T, profilesFromPresets ...string) *harness {
	t.Helper()
	base := t.TempDir()
	for _, v := range []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"} {
		d := filepath.Join(base, strings.ToLower(v))
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv(v, d)
	}
	dir, err := profiles.Dir()
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range profilesFromPresets {
		name, preset, ok := strings.Cut(spec, "=")
		if !ok {
			preset = name
		}
		data, ok := assets.Preset(preset)
		if !ok {
			t.Fatalf("no preset %s", preset)
		}
		if _, err := profiles.WriteFile(dir, name, data, false); err != nil {
			t.Fatal(err)
		}
	}
	return &harness{t: t, dir: dir}
}

// open starts the editor on the harness's directories.
func (h *harness) open() *UI {
	h.t.Helper()
	a := test.NewTempApp(h.t)
	h.backend = &fakeBackend{
		host:   testHost(),
		states: map[string]launcher.State{},
		stats:  map[string]*launcher.Stats{},
		desktop: desktop.Env{
			DataHome:   os.Getenv("XDG_DATA_HOME"),
			ConfigHome: os.Getenv("XDG_CONFIG_HOME"),
			DataDirs:   []string{filepath.Join(h.t.TempDir(), "share")},
			Bin:        "/usr/local/bin/lxcage",
			LXCPath:    filepath.Join(h.t.TempDir(), "lxc"),
		},
	}
	h.runner = &fakeRunner{fail: map[string]error{}, do: map[string]func(){}}
	u, err := New(a, Options{ProfileDir: h.dir, Backend: h.backend, Runner: h.runner, StatusInterval: -1})
	if err != nil {
		h.t.Fatal(err)
	}
	u.async = func(f func()) { f() }
	u.win.Resize(fyne.NewSize(1280, 800))
	u.refreshStatus(context.Background())
	h.u = u
	return u
}

// file reads a profile's file.
func (h *harness) file(name string) string {
	h.t.Helper()
	b, err := os.ReadFile(profiles.Path(h.dir, name))
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}

// retype replaces an entry's text the way a user does: select all, type.
func retype(e interface {
	fyne.Focusable
	SetText(string)
}, s string) {
	e.SetText("")
	test.Type(e, s)
}

// findButton finds a button by its label anywhere under o (dialogs are
// overlays of the window's canvas).
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	var found *widget.Button
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil || o == nil {
			return
		}
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = b
			return
		}
		if b, ok := o.(*keyButton); ok && b.Text == text {
			found = &b.Button
			return
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, x := range c.Objects {
				walk(x)
			}
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, x := range test.WidgetRenderer(w).Objects() {
				walk(x)
			}
		}
	}
	walk(o)
	return found
}

// tapDialog taps a button of the topmost dialog.
func (h *harness) tapDialog(label string) {
	h.t.Helper()
	top := h.u.win.Canvas().Overlays().Top()
	if top == nil {
		h.t.Fatalf("no dialog open to tap %q in", label)
	}
	b := findButton(top, label)
	if b == nil {
		h.t.Fatalf("the dialog has no %q button", label)
	}
	test.Tap(b)
}

// findLabel finds a label by its text anywhere under o.
func findLabel(o fyne.CanvasObject, text string) *widget.Label {
	var found *widget.Label
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil || o == nil {
			return
		}
		if l, ok := o.(*widget.Label); ok && l.Text == text {
			found = l
			return
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, x := range c.Objects {
				walk(x)
			}
		}
	}
	walk(o)
	return found
}
