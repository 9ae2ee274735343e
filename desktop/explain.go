package desktop

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/lazyre"
	"github.com/lxcage/lxcage/sandbox"

	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// Failure is a launch that did not work, told the way a notification
// tells it: one short line of cause, one line of fix, and the log that
// holds everything else.
type Failure struct {
	// Name is the profile; Title its menu name.
	Name, Title string
	// Cause says what went wrong in one short line, Fix what to do
	// about it in one line.
	Cause, Fix string
	// Details are the full cause and fix, for the log.
	Details string
	// LogFile holds the details.
	LogFile string
}

// Summary is the notification's summary: "Chrome (sandboxed) could not
// start".
func (f Failure) Summary() string { return f.Title + " could not start" }

// Body is the notification's text: cause, fix and the log's name, one
// line each, so that a notification server that shows three lines
// shows the fix.
func (f Failure) Body() string {
	var b strings.Builder
	b.WriteString(f.Cause)
	if f.Fix != "" {
		b.WriteString("\nFix: " + f.Fix)
	}
	if f.LogFile != "" {
		b.WriteString("\nDetails: " + f.LogFile)
	}
	return b.String()
}

// Message is the failure as a critical notification (it stays until the
// user has seen it).
func (f Failure) Message(icon string) Message {
	return Message{Summary: f.Summary(), Body: f.Body(), Icon: icon, DesktopEntry: Prefix + f.Name, Urgency: UrgencyCritical}
}

// Lengths of a notification's lines, in runes: what notification
// servers show without cutting (the log has everything).
const (
	maxCause = 120
	maxFix   = 160
)

// Facts are what a notification knows about the user's desktop besides
// the error: they decide which fix it offers.
type Facts struct {
	// MenuEntry is true when the profile has a menu entry.
	MenuEntry bool
	// NoCgroups is true when this session may not place containers (no
	// cgroup of the user's in some hierarchy it is in).
	NoCgroups bool
	// JoinCgroups are cgroup directories the user owns and could join
	// without root (see JoinableCgroups); with them containers can start.
	JoinCgroups []string
}

// Explain turns a launch error into a short cause and the one fix the
// user can do, the one that needs no root first. Details (the whole
// error, a fix's long commands) go to Details for the log.
func Explain(name string, err error, facts Facts) Failure {
	f := Failure{Name: name}
	cause, howto := fix.Split(err)
	f.Details = fix.Join(cause, howto)
	// The summary names the app already.
	cause = strings.TrimPrefix(cause, "launch "+name+": ")
	var se *launcher.StartError
	var pe *profiles.Error
	switch {
	case errors.Is(err, profiles.ErrNoProfile):
		f.Cause = "There is no profile " + name + "."
		f.Fix = `Check the name ("lxcage list" shows your profiles), or make it: lxcage new ` + name + `.`
		if facts.MenuEntry {
			f.Fix = `Remove its menu entry (lxcage desktop remove ` + name + `), or make the profile again.`
		}
	case errors.As(err, &pe):
		f.Cause, f.Fix = explainProblem(err, pe, howto)
	case facts.NoCgroups:
		f.Cause, f.Fix = explainCgroups(facts.JoinCgroups)
	case errors.As(err, &se):
		// LXC's first error is the cause (the rest, and the lxc-start
		// command line, are in the log).
		f.Cause = "Its container did not start: " + firstLine(se.Err.Error())
		if line := firstLXCError(se.LogTail); line != "" {
			f.Cause = "Its container did not start: " + line
		}
		f.Fix = `Run "lxcage check" in a terminal: it tests what containers need and prints each fix.`
		f.LogFile = se.LogFile
	default:
		f.Cause = shortCause(cause)
		f.Fix = upperFirst(strings.Join(strings.Fields(firstLine(howto)), " "))
	}
	if f.Fix == "" {
		f.Fix = `Run "lxcage launch ` + name + `" in a terminal to see more, or "lxcage check".`
	}
	f.Cause = oneLine(f.Cause, maxCause)
	f.Fix = oneLine(f.Fix, maxFix)
	return f
}

// explainProblem tells a problem of the profile (or of the host's facts,
// when it names no key) and where to fix it. The file is named by its
// base name in the cause and from the home ("~/…") in the fix: a
// notification has no room for long paths.
func explainProblem(err error, pe *profiles.Error, howto string) (string, string) {
	short := *pe
	short.File = filepath.Base(pe.File)
	c := shortCause(short.Cause())
	var all profiles.Problems
	if errors.As(err, &all) && len(all) > 1 {
		c += fmt.Sprintf(" (and %d more)", len(all)-1)
		howto = pe.Fix
	}
	if pe.Key == "" && pe.Line == 0 {
		// Not a key of the profile: a fact of the host, fixed there.
		return c, upperFirst(strings.Join(strings.Fields(firstLine(howto)), " "))
	}
	file := tildeHome(pe.File)
	if howto == "" {
		return c, "Edit " + file + " (or open it in lxcage-editor)."
	}
	// The fix first: a long path is what a cut may take.
	return c, upperFirst(strings.TrimRight(firstLine(howto), ".")) + " Edit " + file + " (or open it in lxcage-editor)."
}

// tildeHome writes a path under the home as "~/…".
func tildeHome(p string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || home == "/" {
		return p
	}
	if rel, ok := strings.CutPrefix(p, strings.TrimSuffix(home, "/")+"/"); ok {
		return "~/" + rel
	}
	return p
}

// explainCgroups tells a session without a cgroup of the user's what to
// do: join the cgroups the user already owns when there are some (no
// root needed), else have them made (lxcage check prints the commands).
func explainCgroups(join []string) (string, string) {
	cause := "Containers cannot start here: this session runs in cgroups that are not yours."
	if len(join) == 0 {
		return cause, `Log in through systemd-logind, or have root delegate a cgroup to you ("lxcage check" prints how).`
	}
	return cause, "Join the cgroups you own, no root needed (in a terminal, or ~/.xsessionrc): " + JoinCommand(join)
}

// JoinCommand is the shell command that moves the calling shell into the
// cgroup directories dirs.
func JoinCommand(dirs []string) string {
	// The usual layout, the same directory name under each hierarchy,
	// fits a glob; a unified hierarchy it also matches refuses the write
	// harmlessly.
	base, parent := filepath.Base(dirs[0]), filepath.Dir(filepath.Dir(dirs[0]))
	for _, d := range dirs {
		if filepath.Base(d) != base || filepath.Dir(filepath.Dir(d)) != parent {
			return fmt.Sprintf("for d in %s; do echo $$ >$d/cgroup.procs; done", strings.Join(dirs, " "))
		}
	}
	return fmt.Sprintf("for d in %s/*/%s/cgroup.procs; do echo $$ >$d; done 2>/dev/null", parent, base)
}

// JoinableCgroups lists, for each cgroup v1 hierarchy of cg the user
// cannot use where it is, a cgroup directory under it that uid owns and
// may write its PID into: moving one's own processes between cgroups
// one may write needs no root in v1. It returns nil unless that covers
// every such hierarchy (joining some would not be enough), and on hosts
// with only the unified hierarchy (v2 also needs write access to the
// common ancestor, which is root's).
func JoinableCgroups(cg *sandbox.Cgroups, uid int) []string {
	v1 := false
	for _, h := range cg.Hierarchies {
		v1 = v1 || !h.V2()
	}
	if !v1 {
		return nil
	}
	var out []string
	for _, h := range cg.NotWritable() {
		if h.V2() {
			continue // LXC uses v1 once every v1 hierarchy is the user's
		}
		d := ownedChild(h.Mount, uid)
		if d == "" {
			return nil
		}
		out = append(out, d)
	}
	return out
}

// ownedChild is a cgroup directory directly under mount that uid owns,
// with a cgroup.procs it owns too ("" if none; the first by name if
// several).
func ownedChild(mount string, uid int) string {
	ents, err := os.ReadDir(mount)
	if err != nil {
		return ""
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		d := filepath.Join(mount, e.Name())
		if ownedBy(d, uid) && ownedBy(filepath.Join(d, "cgroup.procs"), uid) {
			names = append(names, d)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

func ownedBy(path string, uid int) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid && (fi.IsDir() || fi.Mode()&fs.FileMode(0o200) != 0)
}

// ExplainExit explains the exit statuses lxc-attach gives when the
// command could not be run at all (127 not found, 126 not executable).
// ok is false for any other status: that is the app's own business.
func ExplainExit(name string, command []string, code int) (Failure, bool) {
	prog := "its command"
	if len(command) > 0 {
		prog = fmt.Sprintf("%q", command[0])
	}
	f := Failure{Name: name}
	switch code {
	case 127:
		f.Cause = fmt.Sprintf("The container started, but %s was not found in it.", prog)
		f.Fix = "Install the program in the container ([setup] packages), or correct command in the profile."
	case 126:
		f.Cause = fmt.Sprintf("The container started, but %s could not be run.", prog)
		f.Fix = "Check that the command is a program the app user may run, or correct command in the profile."
	default:
		return f, false
	}
	f.Details = fmt.Sprintf("exit status %d: %s %s", code, f.Cause, f.Fix)
	f.Cause = oneLine(f.Cause, maxCause)
	return f, true
}

var lxcErrorRE = lazyre.New(`\bERROR\s+(\S+) - \S+ - (.*)$`)

// firstLXCError is the first ERROR line of an LXC log excerpt (the cause;
// later ones are its consequences) as "subsystem: message".
func firstLXCError(tail string) string {
	for _, line := range strings.Split(tail, "\n") {
		if m := lxcErrorRE.FindStringSubmatch(line); m != nil {
			return m[1] + ": " + strings.TrimSpace(m[2])
		}
	}
	return ""
}

// shortCause is the gist of an error's cause for a notification: its
// first line, without asides in parentheses when too long, cut at the
// last ": " (where details begin) that leaves a readable sentence.
func shortCause(s string) string {
	s = firstLine(s)
	if utf8.RuneCountInString(s) <= maxCause {
		return dedupePrefix(s)
	}
	s = strings.Join(strings.Fields(dropParens(s)), " ")
	if utf8.RuneCountInString(s) > maxCause {
		cut := -1
		for i := strings.Index(s, ": "); i >= 0 && utf8.RuneCountInString(s[:i]) <= maxCause; {
			// What is kept must read as a sentence, not end in a path.
			if utf8.RuneCountInString(s[:i]) >= 30 && strings.Contains(s[:i], " ") {
				cut = i
			}
			j := strings.Index(s[i+2:], ": ")
			if j < 0 {
				break
			}
			i += 2 + j
		}
		if cut > 0 {
			s = s[:cut]
		}
	}
	return dedupePrefix(s)
}

// dropParens removes "(…)" asides, nested ones included.
func dropParens(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dedupePrefix drops a context word the message repeats ("pulseaudio:
// pulseaudio = true, …").
func dedupePrefix(s string) string {
	if p, rest, ok := strings.Cut(s, ": "); ok && !strings.Contains(p, " ") && strings.HasPrefix(rest, p) {
		return rest
	}
	return s
}

// oneLine joins s onto one line and cuts it to n runes at a word.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := strings.LastIndexByte(string(r), ' '); i > n/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
