package app

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// draftChanged redraws what depends on the draft after an edit.
func (u *UI) draftChanged(it *item) {
	if it == u.cur {
		u.pv.update(u, it)
	}
	u.refreshItem(it)
}

// save validates the whole draft and writes it atomically. On problems
// nothing is written: the window says why and marks the fields. A file
// changed on disk since the draft's version is never overwritten without
// asking; a profile that would not start on this computer is saved only
// when the user says so.
func (u *UI) save(it *item) error {
	if it == nil || it.draft == nil || it.loadErr != nil {
		return errNoSelection
	}
	if ps := it.problems(); len(ps) > 0 {
		u.refuse(it, ps)
		return ps
	}
	if !u.checkDisk(it, func() { u.save(it) }) {
		return errConflict
	}
	if ps := u.runProblems(it.draft); len(ps) > 0 {
		u.askSaveAnyway(it, ps)
		return ps
	}
	return u.write(it)
}

// askSaveAnyway shows what a launch would refuse on this computer and
// offers to save all the same (the folder may be made later, the profile
// may be for another computer).
func (u *UI) askSaveAnyway(it *item, ps profiles.Problems) {
	if u.ed != nil && u.ed.it == it {
		u.ed.markProblems(ps)
	}
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("• " + problemText(p) + "\n")
	}
	msg := widget.NewLabel(it.name + " would not start on this computer as it is:\n" + strings.TrimSpace(b.String()))
	msg.Wrapping = fyne.TextWrapWord
	u.ask("Save "+it.name+" anyway?", container.NewVScroll(msg), fyne.NewSize(560, 280), nil,
		askButton{label: "Save anyway", action: func() { u.write(it) }},
		askButton{label: "Keep editing", importance: widget.HighImportance})
	u.say("Not saved yet: %s would not start here; see the list above the form", it.name)
}

// write writes the draft (checked by save).
func (u *UI) write(it *item) error {
	p := stripDefaults(it.draft)
	p.Name = it.name
	path, err := profiles.Save(u.dir, p, saveHeader, true)
	if err != nil {
		var ps profiles.Problems
		if errors.As(err, &ps) {
			u.refuse(it, ps)
		} else {
			u.fail("Not saved", err)
		}
		return err
	}
	saved, err := profiles.Load(path)
	if err != nil {
		u.fail("Saved, but it does not load back", err)
		return err
	}
	// The form stays bound to the draft; only the reference copy moves.
	it.saved = saved
	it.stamp, it.conflict = safefile.Stamp(path), nil
	u.say("Saved %s", path)
	u.draftChanged(it)
	return nil
}

// refuse tells why a draft was not saved.
func (u *UI) refuse(it *item, ps profiles.Problems) {
	if u.ed != nil && u.ed.it == it {
		u.ed.markProblems(ps)
		u.ed.updateBanner()
	}
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("• " + problemText(p) + "\n")
	}
	u.errorDialog(fmt.Sprintf("%s was not saved", it.name), strings.TrimSpace(b.String()))
	u.say("Not saved: %s; see the list above the form", plural(len(ps), "problem", "problems"))
}

// fail shows an error in a dialog and in the status line.
func (u *UI) fail(title string, err error) {
	u.say("%s: %v", title, firstLine(err.Error()))
	u.errorDialog(title, err.Error())
}

// errorDialog shows a long error message, scrollable.
func (u *UI) errorDialog(title, text string) {
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	u.ask(title, container.NewVScroll(msg), fyne.NewSize(560, 300), nil, askButton{label: "Close", importance: widget.HighImportance})
}

// confirm asks a yes/no question with a named yes button (Enter), or
// Cancel (Esc).
func (u *UI) confirm(title, message, yes string, then func()) {
	msg := widget.NewLabel(message)
	msg.Wrapping = fyne.TextWrapWord
	u.ask(title, msg, fyne.NewSize(480, 200), nil, cancelButton(), askButton{label: yes, importance: widget.HighImportance, action: then})
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// revert drops the draft and shows the file as saved.
func (u *UI) revert(it *item) {
	if it == nil || it.saved == nil {
		return
	}
	it.setSaved(it.saved)
	if it == u.cur {
		u.selectItem(it)
	}
	u.say("Reverted %s to the saved file", it.name)
}

// whenSaved runs then with the profile saved: actions that run lxcage
// read the file, not the form.
func (u *UI) whenSaved(it *item, what string, then func()) {
	if it == nil || it.saved == nil {
		u.fail("Cannot "+what, errors.New("the profile file does not load; fix it first"))
		return
	}
	if !it.dirty() {
		then()
		return
	}
	u.confirm("Save "+it.name+"?", fmt.Sprintf("%s has unsaved changes. lxcage reads the saved file, so save them before you %s.", it.name, what), "Save", func() {
		if u.save(it) == nil {
			then()
		}
	})
}

// launch runs the app: `lxcage launch NAME` in its own session, so it
// outlives the editor. --notify sends errors to the desktop, since the
// editor may be gone when they happen.
func (u *UI) launch(it *item) {
	u.whenSaved(it, "launch it", func() {
		u.run(it, "", [][]string{{"--notify", "launch", it.name}}, nil)
		u.kickStatus()
	})
}

// stop stops the container now.
func (u *UI) stop(it *item) {
	if it == nil {
		return
	}
	u.run(it, "stop", [][]string{{"stop", it.name}}, nil)
}

// build creates the container, or destroys and creates it again.
func (u *UI) build(it *item) {
	if it == nil || it.status == nil {
		return
	}
	if it.status.State == launcher.NotCreated {
		u.whenSaved(it, "create its container", func() {
			u.run(it, "create", [][]string{{"create", it.name}}, nil)
		})
		return
	}
	u.whenSaved(it, "rebuild its container", func() {
		u.confirm("Rebuild "+it.name+"?", "The container is destroyed and created again from the saved profile; apps running in it are stopped and anything written inside it (outside shared folders) is lost.", "Rebuild", func() {
			var steps [][]string
			if it.status != nil && it.status.State == launcher.Running {
				steps = append(steps, []string{"stop", it.name})
			}
			steps = append(steps, []string{"destroy", it.name}, []string{"create", it.name})
			u.run(it, "rebuild", steps, nil)
		})
	})
}

// toggleMenu installs or removes the profile's menu entry.
func (u *UI) toggleMenu(it *item) {
	if it == nil {
		return
	}
	if it.menu {
		if err := u.opts.Backend.RemoveMenu(it.name); err != nil {
			u.fail("Menu entry not removed", err)
			return
		}
		it.menu = u.opts.Backend.MenuInstalled(it.name)
		u.say("Removed the menu entry of %s", it.name)
		u.refreshItem(it)
		return
	}
	u.whenSaved(it, "add it to the menu", func() {
		it.busy = "menu entry"
		u.refreshItem(it)
		p := it.saved
		warn := func(msg string) { fyne.Do(func() { u.logLine(it, msg) }) }
		u.async(func() {
			err := u.opts.Backend.InstallMenu(context.Background(), p, warn)
			installed := u.opts.Backend.MenuInstalled(p.Name)
			fyne.Do(func() {
				it.busy = ""
				it.menu = installed
				if err != nil {
					u.fail("Menu entry not added", err)
				} else {
					u.say("Added %s to the applications menu", it.name)
				}
				u.refreshItem(it)
			})
		})
	})
}

// run runs lxcage commands one after another for it, streaming their
// output into its log, and stops at the first failure. busy names the
// job while it runs ("" for launches, which may run side by side); then
// hears the outcome.
func (u *UI) run(it *item, busy string, steps [][]string, then func(error)) {
	if busy != "" {
		it.busy = busy
	}
	u.refreshItem(it)
	if it == u.cur {
		u.pv.tabs.Select(u.pv.logTab) // show the output as it comes
	}
	saved := it.saved
	u.async(func() {
		out := u.logSink(it)
		var err error
		for _, args := range steps {
			out("$ lxcage " + strings.Join(args, " "))
			start := time.Now()
			err = u.opts.Runner.Run(context.Background(), args, out)
			took := time.Since(start).Round(time.Millisecond)
			if err != nil {
				out(fmt.Sprintf("%v (after %v)", err, took))
				break
			}
			out(fmt.Sprintf("done in %v", took))
		}
		// The state as the command left it, now: a Stop shows "stopped"
		// at once, not at the next status refresh.
		st, stErr := u.opts.Backend.Status(context.Background(), it.name, saved)
		fyne.Do(func() {
			if busy != "" {
				it.busy = ""
			}
			if stErr == nil {
				it.status, it.statusErr = st, nil
			}
			if err != nil && busy != "" {
				u.say("%s %s failed: %v", busy, it.name, firstLine(err.Error()))
			} else if busy != "" {
				u.say("%s %s: done", busy, it.name)
			}
			u.refreshItem(it)
			u.kickStatus()
			if then != nil {
				then(err)
			}
		})
	})
}

// logLine adds a line to it's log and shows it when it is selected.
func (u *UI) logLine(it *item, lines ...string) {
	for _, l := range lines {
		it.log.add(l)
	}
	if it == u.cur {
		u.pv.showLog(it)
	}
}

// logSink returns a function that adds lines to it's log from any
// goroutine. Lines arriving while the Fyne goroutine is busy are shown
// together: a setup that prints hundreds of lines redraws the log a few
// times, not once per line.
func (u *UI) logSink(it *item) func(string) {
	var mu sync.Mutex
	var pending []string
	return func(line string) {
		mu.Lock()
		pending = append(pending, line)
		first := len(pending) == 1
		mu.Unlock()
		if !first {
			return // a flush is already on its way
		}
		fyne.Do(func() {
			mu.Lock()
			lines := pending
			pending = nil
			mu.Unlock()
			u.logLine(it, lines...)
		})
	}
}

// kickStatus asks the status loop for a refresh now.
func (u *UI) kickStatus() {
	select {
	case u.kick <- struct{}{}:
	default:
	}
}

// statusLoop refreshes container states, menu entries and the profile
// list until ctx ends. The queries run here; results reach the widgets
// through fyne.Do.
func (u *UI) statusLoop(ctx context.Context) {
	if u.opts.StatusInterval < 0 {
		return
	}
	t := time.NewTicker(u.opts.StatusInterval)
	defer t.Stop()
	for {
		u.refreshStatus(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-u.kick:
			// A launch takes a moment to start the container.
			time.Sleep(300 * time.Millisecond)
		}
	}
}

// statusQuery is one profile whose state is asked for.
type statusQuery struct {
	it *item
	p  *profiles.Profile
}

// refreshStatus asks the backend about every profile. Call it off the
// Fyne goroutine.
func (u *UI) refreshStatus(ctx context.Context) {
	var qs []statusQuery
	fyne.DoAndWait(func() {
		u.rescan()
		for _, it := range u.items {
			qs = append(qs, statusQuery{it, it.saved})
		}
	})
	for _, q := range qs {
		st, err := u.opts.Backend.Status(ctx, q.it.name, q.p)
		menu := u.opts.Backend.MenuInstalled(q.it.name)
		fyne.Do(func() {
			it := q.it
			same := reflect.DeepEqual(st, it.status) && menu == it.menu && errText(err) == errText(it.statusErr)
			it.status, it.statusErr, it.menu = st, err, menu
			if !same {
				u.refreshItem(it) // redraw only what changed
			}
		})
	}
	// The computer changes too (a shared folder made in a terminal, the
	// display): look at what the launch would refuse again.
	fyne.Do(func() {
		if u.ed != nil && u.ed.it == u.cur && !u.onPage {
			u.ed.updateBanner()
			u.pv.update(u, u.cur)
		}
	})
}

// errText is an error's text, "" for none.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// rescan picks up profiles added, removed or changed on disk by someone
// else (`lxcage new` in a terminal) where the file watcher missed them.
func (u *UI) rescan() {
	names, err := profiles.List(u.dir)
	if err != nil {
		return
	}
	same := len(names) == len(u.items)
	for i := 0; same && i < len(names); i++ {
		same = names[i] == u.items[i].name
	}
	if !same {
		u.relist()
	}
	for _, it := range u.items {
		if safefile.Stamp(profiles.Path(u.dir, it.name)) != it.stamp {
			u.fileChanged(it.name)
		}
	}
}

// relist reloads the list of profiles, keeping the selection and the
// drafts (a profile whose file went while it had unsaved changes stays
// listed until the user chooses).
func (u *UI) relist() {
	cur := u.cur
	u.loadAll()
	if cur != nil && u.find(cur.name) == cur {
		if i := u.indexOf(cur); i >= 0 && !u.onPage {
			u.list.Select(i)
		}
	} else if !u.onPage {
		u.selectFirst("")
	}
}
