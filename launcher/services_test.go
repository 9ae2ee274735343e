package launcher

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
	"github.com/lxcage/lxcage/services"
)

// fakeService makes a file when started (removed by its undo); as a
// Background one its wait returns waitErr. meet, when set, is closed by
// this one's start and awaited by the other's: started one after the
// other, the first would wait in vain.
type fakeService struct {
	name, file string
	background bool
	waitErr    error
	startErr   error
	meet       chan struct{}
	other      chan struct{}
}

func (f *fakeService) Name() string          { return f.name }
func (f *fakeService) Phase() services.Phase { return services.BeforeStart }
func (f *fakeService) Grant() services.Grant { return services.Grant{} }
func (f *fakeService) make() (services.Undo, error) {
	return services.Undo{{Remove: f.file}}, os.WriteFile(f.file, nil, 0o600)
}

func (f *fakeService) Start(ctx context.Context, env services.Env) (services.Undo, error) {
	if f.meet != nil {
		close(f.meet)
		select {
		case <-f.other:
		case <-time.After(5 * time.Second):
			return nil, errors.New("the other service was not started meanwhile")
		}
	}
	if f.startErr != nil {
		return nil, f.startErr
	}
	return f.make()
}

type fakeBackground struct{ *fakeService }

func (f fakeBackground) Begin(ctx context.Context, env services.Env) (services.Undo, services.Pending, error) {
	undo, err := f.make()
	return undo, func(context.Context) error { return f.waitErr }, err
}

func testServiceLauncher() (*Launcher, *[]profiles.Warning) {
	var warned []profiles.Warning
	return &Launcher{LXC: &sandbox.LXC{}, runner: run.Exec{}, warn: func(w profiles.Warning) { warned = append(warned, w) }}, &warned
}

// TestServicesSideBySide: the services of a phase start at the same
// time, not one after the other.
func TestServicesSideBySide(t *testing.T) {
	dir := t.TempDir()
	a := &fakeService{name: "a", file: filepath.Join(dir, "a"), meet: make(chan struct{})}
	b := &fakeService{name: "b", file: filepath.Join(dir, "b"), meet: make(chan struct{})}
	a.other, b.other = b.meet, a.meet
	l, _ := testServiceLauncher()
	undo, err := l.startServices(context.Background(), []services.Service{a, b}, services.BeforeStart, 0)
	if err != nil {
		t.Fatal(err)
	}
	undo.Run(context.Background(), l.runner)
	if exists(a.file) || exists(b.file) {
		t.Error("undo left files")
	}
}

// TestBackgroundServices: a Background service is only begun; when its
// wait fails, an optional one is ended with a warning and left out of the
// undo, a required one fails the start and everything is undone.
func TestBackgroundServices(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	plain := &fakeService{name: "plain", file: filepath.Join(dir, "plain")}
	soft := fakeBackground{&fakeService{name: "sound server", file: filepath.Join(dir, "soft"), waitErr: errors.New("no tunnel")}}
	hard := fakeBackground{&fakeService{name: "X11 proxy", file: filepath.Join(dir, "hard")}}
	list := []services.Service{plain, services.Optional(soft, "sound"), hard}
	l, warned := testServiceLauncher()
	b, err := l.beginServices(ctx, list, services.BeforeStart, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.pending) != 2 || len(*warned) != 0 || !exists(soft.file) {
		t.Fatalf("begun: %d pending, warnings %v", len(b.pending), *warned)
	}
	undo, err := l.finishServices(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if exists(soft.file) || len(*warned) != 1 || (*warned)[0].Without != "sound" || (*warned)[0].Cause != "no tunnel" {
		t.Errorf("the optional service that did not come up: file left %v, warnings %+v", exists(soft.file), *warned)
	}
	want := services.Undo{{Remove: plain.file}, {Remove: hard.file}}
	if !reflect.DeepEqual(undo, want) {
		t.Errorf("undo %+v, want %+v", undo, want)
	}
	undo.Run(ctx, l.runner)

	hard.waitErr = errors.New("display gone")
	b, err = l.beginServices(ctx, list, services.BeforeStart, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.finishServices(ctx, b); err == nil || !errors.Is(err, hard.waitErr) {
		t.Errorf("a required service that did not come up: %v", err)
	}
	for _, f := range []string{plain.file, soft.file, hard.file} {
		if exists(f) {
			t.Errorf("%s left after a failed start", f)
		}
	}

	plain.startErr = errors.New("broken")
	if _, err := l.beginServices(ctx, list, services.BeforeStart, 0, true); err == nil {
		t.Fatal("a required service that failed to start did not fail the start")
	}
	for _, f := range []string{plain.file, soft.file, hard.file} {
		if exists(f) {
			t.Errorf("%s left after a failed begin", f)
		}
	}
}

// lateKill is a Background service like the sound server in bwrap: what
// its undo must end (a process) is known only to its wait.
type lateKill struct {
	*fakeService
	started *services.Proc
}

func (f *lateKill) Begin(ctx context.Context, env services.Env) (services.Undo, services.Pending, error) {
	p, err := services.BeginProcess(ctx, env, f.name, []string{"sleep", "60"}, "")
	if err != nil {
		return nil, nil, err
	}
	learned := &services.Proc{}
	f.started = &p.Proc
	return services.Undo{{Kill: learned}}, func(ctx context.Context) error {
		*learned = p.Proc
		return ctx.Err()
	}, nil
}

// TestAbandonedStartCallsWaits: when a start fails while a Background
// service is still pending, its wait is called (with a cancelled
// context) before its undo, so that the undo ends what the wait learned.
func TestAbandonedStartCallsWaits(t *testing.T) {
	dir := t.TempDir()
	late := &lateKill{fakeService: &fakeService{name: "late"}}
	broken := &fakeService{name: "broken", file: filepath.Join(dir, "b"), startErr: errors.New("broken")}
	l, _ := testServiceLauncher()
	if _, err := l.beginServices(context.Background(), []services.Service{late, broken}, services.BeforeStart, 0, true); err == nil {
		t.Fatal("a failed service did not fail the start")
	}
	if late.started == nil {
		t.Fatal("the background service was not begun")
	}
	// Stop returns once the process has exited; its reaper (BeginProcess's
	// goroutine) may take a moment more to take the zombie away.
	for deadline := time.Now().Add(2 * time.Second); late.started.Alive(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			late.started.Stop()
			t.Fatal("the process of a pending service outlived the abandoned start")
		}
	}
}
