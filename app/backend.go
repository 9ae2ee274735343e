package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxcage/lxcage/desktop"
	"github.com/lxcage/lxcage/hostcheck"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// Backend is everything the editor asks of lxcage's own packages, apart
// from reading and writing profile files. The editor holds no business
// logic: each method is a call into launcher, sandbox or desktop. Tests
// pass a fake so that no LXC tool or container is needed.
type Backend interface {
	// Compile returns the LXC config that p compiles to on this host.
	Compile(p *profiles.Profile) (string, error)
	// Status reports on the container of profile name; p may be nil when
	// the profile does not load.
	Status(ctx context.Context, name string, p *profiles.Profile) (*launcher.Status, error)
	// CheckHost runs the checks of `lxcage check`.
	CheckHost(ctx context.Context) []hostcheck.Check
	// InstallMenu writes p's desktop menu entry and icon; warn hears
	// about what did not stop it (an icon that was refused).
	InstallMenu(ctx context.Context, p *profiles.Profile, warn func(string)) error
	// RemoveMenu removes profile name's menu entry and icon.
	RemoveMenu(name string) error
	// MenuInstalled reports whether profile name has a menu entry.
	MenuInstalled(name string) bool
	// Stats reads what the running container name (init initPID) uses
	// now; CPU use is since the previous call for the same container.
	Stats(name string, initPID int) (*launcher.Stats, error)
}

// Runner runs the lxcage command-line tool. Launch, stop, create and
// destroy go through it rather than through the launcher package, so the
// editor never holds a container's lock or an app's process: a launch
// outlives the editor, exactly as one started from the menu does.
type Runner interface {
	// Run runs `lxcage ARGS…` and calls out (from another goroutine) with
	// each line it prints. It returns when the command exits, or when ctx
	// ends — the command itself keeps running then.
	Run(ctx context.Context, args []string, out func(line string)) error
}

// local is the Backend of a running editor: a launcher for the user's
// LXC path and the desktop environment for menu entries. A launcher
// caches host facts and is not safe for concurrent use: the form's
// compiles (on the Fyne goroutine) have one of their own, and the
// background work (status, host check) shares the other under mu.
type local struct {
	compiler *factsCache
	mu       sync.Mutex
	launcher *factsCache
	opts     launcher.Options
	desktop  desktop.Env
	// menuErr is why menu entries cannot be made here; the rest of the
	// editor works without them.
	menuErr error
	stats   launcher.StatsReader
}

// NewBackend builds the Backend for containers under lxcpath ("" means
// LXC's default path for this user), with the launcher the lxcage CLI
// builds too. bin is the lxcage binary the editor runs; menu entries run
// the same one.
func NewBackend(lxcpath, bin string) (Backend, error) {
	opts := launcher.Options{LXCPath: lxcpath, Self: bin}
	l, err := launcher.New(opts)
	if err != nil {
		return nil, err
	}
	c, err := launcher.New(opts)
	if err != nil {
		return nil, err
	}
	s, err := launcher.New(opts)
	if err != nil {
		return nil, err
	}
	b := &local{launcher: newFactsCache(opts, s), compiler: newFactsCache(opts, c), opts: opts}
	b.desktop, err = desktop.NewEnv(l)
	if err != nil {
		b.menuErr = fmt.Errorf("menu entries cannot be made: %w", err)
	}
	return b, nil
}

// Compile compiles through the launcher, which knows the cgroup layout:
// the same Compile, with the same facts of this computer, as a launch.
func (b *local) Compile(p *profiles.Profile) (string, error) {
	plan, err := b.compiler.get().Compile(p)
	if err != nil {
		return "", err
	}
	return plan.Config.String(), nil
}

// Status is the launcher's: lxc-info plus lxcage's own launch records.
func (b *local) Status(ctx context.Context, name string, p *profiles.Profile) (*launcher.Status, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.launcher.get().Status(ctx, name, p)
}

// CheckHost runs the host check for this host.
func (b *local) CheckHost(ctx context.Context) []hostcheck.Check {
	// Fresh facts: the user may have just fixed what the last check
	// said.
	l, err := launcher.New(b.opts)
	if err != nil {
		return []hostcheck.Check{{Name: "host facts", Required: true, Detail: err.Error()}}
	}
	h, err := l.Host(profiles.AllNeeds)
	if err != nil {
		return []hostcheck.Check{{Name: "host facts", Required: true, Detail: err.Error()}}
	}
	return hostcheck.Run(ctx, l.Runner(), h)
}

// InstallMenu is desktop.Install.
func (b *local) InstallMenu(ctx context.Context, p *profiles.Profile, warn func(string)) error {
	if b.menuErr != nil {
		return b.menuErr
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	env := b.desktop
	env.Warn = warn
	return desktop.Install(ctx, env, p)
}

// RemoveMenu is desktop.Remove.
func (b *local) RemoveMenu(name string) error {
	if b.menuErr != nil {
		return b.menuErr
	}
	return desktop.Remove(b.desktop, name)
}

// MenuInstalled is desktop.IsInstalled.
func (b *local) MenuInstalled(name string) bool {
	return b.menuErr == nil && desktop.IsInstalled(b.desktop, name)
}

// Stats reads the container's cgroup.
func (b *local) Stats(name string, initPID int) (*launcher.Stats, error) {
	return b.stats.Read(name, initPID)
}

// factsTTL is how long the editor keeps a computer's facts (the user
// database, subordinate ids, device nodes, the host's /etc…) before it
// gathers them again: it compiles on every keystroke and asks for each
// container's state every two seconds, and gathering the facts each time
// was most of its idle CPU. What is at a shared folder's path is looked
// at on every compile all the same.
const factsTTL = 30 * time.Second

// factsCache is a launcher with every host fact gathered, renewed in
// the background after factsTTL (gathering them all takes tens of
// milliseconds: never on a keystroke, nor while the window first shows).
// Its user serializes calls to get.
type factsCache struct {
	opts     launcher.Options
	l        *launcher.Launcher
	at       time.Time
	next     atomic.Pointer[launcher.Launcher]
	renewing atomic.Bool
}

// newFactsCache starts with l, which gathers what each call needs (as a
// launch does) until the first renewal, a few seconds after start.
func newFactsCache(opts launcher.Options, l *launcher.Launcher) *factsCache {
	return &factsCache{opts: opts, l: l, at: time.Now().Add(3*time.Second - factsTTL)}
}

// get returns the launcher with the newest facts, and has them renewed
// when they are older than factsTTL.
func (c *factsCache) get() *launcher.Launcher {
	if n := c.next.Swap(nil); n != nil {
		c.l, c.at = n, time.Now()
	}
	if time.Since(c.at) >= factsTTL && c.renewing.CompareAndSwap(false, true) {
		go func() {
			defer c.renewing.Store(false)
			if l, err := launcher.New(c.opts); err == nil {
				if _, err := l.Host(profiles.AllNeeds); err == nil { // kept in l
					c.next.Store(l)
				}
			}
		}()
		c.at = time.Now() // not again until the next period
	}
	return c.l
}

// cacheDir is $XDG_CACHE_HOME/lxcage (or ~/.cache/lxcage).
func cacheDir() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if !filepath.IsAbs(base) {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "lxcage")
}
