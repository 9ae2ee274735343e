package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// preview is the right-hand pane: the LXC config the draft compiles to,
// the TOML it saves as, and the output of lxcage commands. All three are
// read-only, monospace and selectable for copying.
type preview struct {
	content fyne.CanvasObject
	tabs    *container.AppTabs

	config, toml, log          *widget.Label
	configScroll, logScroll    *container.Scroll
	configTab, tomlTab, logTab *container.TabItem
}

func newPreview() *preview {
	pv := &preview{config: mono(), toml: mono(), log: mono()}
	// A command's output wraps: its long lines are messages, not code.
	pv.log.Wrapping = fyne.TextWrapWord
	pv.configScroll = container.NewScroll(pv.config)
	pv.logScroll = container.NewVScroll(pv.log)
	pv.configTab = container.NewTabItemWithIcon("LXC config", theme.ComputerIcon(), pv.configScroll)
	pv.tomlTab = container.NewTabItemWithIcon("TOML", theme.FileTextIcon(), container.NewScroll(pv.toml))
	pv.logTab = container.NewTabItemWithIcon("Log", theme.ListIcon(), pv.logScroll)
	pv.tabs = container.NewAppTabs(pv.configTab, pv.tomlTab, pv.logTab)
	pv.content = pv.tabs
	return pv
}

// mono is a read-only monospace text that can be selected and copied.
func mono() *widget.Label {
	l := widget.NewLabel("")
	l.TextStyle = fyne.TextStyle{Monospace: true}
	l.Selectable = true
	return l
}

// show fills every pane for it.
func (pv *preview) show(u *UI, it *item) {
	pv.update(u, it)
	pv.showLog(it)
}

// update recompiles the draft: this runs on every edit, and Compile is
// pure and takes well under a millisecond.
func (pv *preview) update(u *UI, it *item) {
	text, ok := configText(u, it)
	// A config keeps its long lines (scroll sideways); a message wraps.
	pv.config.Wrapping = fyne.TextWrapOff
	if !ok {
		pv.config.Wrapping = fyne.TextWrapWord
	}
	setText(pv.config, text)
	toml := string(it.raw)
	if it.loadErr == nil {
		b, err := encode(it.draft)
		toml = string(b)
		if err != nil {
			toml = "# " + err.Error()
		}
	}
	setText(pv.toml, toml)
}

// configText is the config pane's text: the config (ok), or why there is
// none.
func configText(u *UI, it *item) (text string, ok bool) {
	if it.loadErr != nil {
		return commentLines("The profile file does not load:\n" + it.loadErr.Error()), false
	}
	if ps := it.problems(); len(ps) > 0 {
		var b strings.Builder
		b.WriteString("Fix these to see the LXC config:\n")
		for _, p := range ps {
			b.WriteString("- " + problemText(p) + "\n")
		}
		return commentLines(b.String()), false
	}
	c, err := u.compile(it.draft)
	if err != nil {
		return commentLines("Cannot compile on this computer:\n" + err.Error()), false
	}
	return c, true
}

// commentLines makes a message look like part of a config file.
func commentLines(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("# " + l + "\n")
	}
	return b.String()
}

// showLog shows it's command output, scrolled to the newest line.
func (pv *preview) showLog(it *item) {
	pv.log.SetText(it.log.String())
	pv.logScroll.ScrollToBottom()
}

// clear empties every pane (no profile selected).
func (pv *preview) clear() {
	pv.config.SetText("")
	pv.toml.SetText("")
	pv.log.SetText("")
}
