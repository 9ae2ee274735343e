package desktop

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/lazyre"

	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// Failure is a launch that did not work, told the way a notification
// tells it: what failed, how to fix it, and where the details are.
type Failure struct {
	// Name is the profile; Title its menu name.
	Name, Title string
	// Cause says what went wrong, Fix what to do about it.
	Cause, Fix string
	// LogFile holds the details.
	LogFile string
}

// Summary is the notification's summary: "Chrome (sandboxed) could not
// start".
func (f Failure) Summary() string { return f.Title + " could not start" }

// Body is the notification's text: cause, fix and log file.
func (f Failure) Body() string {
	var b strings.Builder
	b.WriteString(f.Cause)
	if f.Fix != "" {
		b.WriteString("\nFix: " + f.Fix)
	}
	if f.LogFile != "" {
		b.WriteString("\nLog: " + f.LogFile)
	}
	return b.String()
}

// Message is the failure as a critical notification (it stays until the
// user has seen it).
func (f Failure) Message(icon string) Message {
	return Message{Summary: f.Summary(), Body: f.Body(), Icon: icon, DesktopEntry: Prefix + f.Name, Urgency: UrgencyCritical}
}

// maxCause keeps a notification readable; the log has everything.
const maxCause = 400

// Explain turns a launch error into a cause and a fix. Errors that carry
// their fix ("…; as root run: …", "fix: …", a profile problem's Fix) are
// split there; a container that did not start points at LXC's log and
// `lxcage check`.
func Explain(name string, err error) Failure {
	f := Failure{Name: name}
	var se *launcher.StartError
	var pe *profiles.Error
	switch {
	case errors.As(err, &se):
		// LXC's first error is the cause (the rest of the excerpt, and
		// the lxc-start command line, are in the log).
		if line := firstLXCError(se.LogTail); line != "" {
			f.Cause = "Its container did not start.\nLXC: " + line
		} else {
			f.Cause = "Its container did not start: " + firstLine(se.Err.Error())
		}
		f.Fix = `Run "lxcage check" in a terminal: it tests what containers need and prints how to fix it.`
		f.LogFile = se.LogFile
	case errors.Is(err, profiles.ErrNoProfile):
		f.Cause = "Its profile does not exist any more: " + firstLine(err.Error())
		f.Fix = `Remove the menu entry with "lxcage desktop remove ` + name + `", or create the profile again.`
	case errors.As(err, &pe):
		f.Cause, f.Fix = fix.Split(err)
		f.Cause = firstLine(f.Cause)
		var all profiles.Problems
		if errors.As(err, &all) && len(all) > 1 {
			f.Cause += fmt.Sprintf("\n(and %d more problems)", len(all)-1)
		}
		where := "Edit " + pe.File + " (or open it in lxcage-editor)"
		switch {
		case pe.Key == "" && pe.Line == 0 && f.Fix != "":
			// Not a key of the profile: a fact of the host, fixed there.
			f.Fix = upperFirst(strings.Join(strings.Fields(f.Fix), " "))
		case f.Fix == "":
			f.Fix = where + "."
		default:
			f.Fix = where + ": " + strings.TrimRight(f.Fix, ".")
			if !strings.HasSuffix(f.Fix, "?") {
				f.Fix += "."
			}
		}
	default:
		f.Cause, f.Fix = fix.Split(err)
		f.Cause = firstLines(f.Cause, 3)
		f.Fix = upperFirst(strings.Join(strings.Fields(f.Fix), " "))
	}
	if f.Fix == "" {
		f.Fix = `Run "lxcage launch ` + name + `" in a terminal to see more, or "lxcage check".`
	}
	f.Cause = clip(f.Cause, maxCause)
	f.Fix = clip(f.Fix, maxCause)
	return f
}

// ExplainExit explains the exit statuses lxc-attach gives when the
// command could not be run at all (127 not found, 126 not executable).
// ok is false for any other status: that is the app's own business.
func ExplainExit(name string, command []string, code int) (Failure, bool) {
	prog := "its command"
	if len(command) > 0 {
		prog = fmt.Sprintf("its command %q", command[0])
	}
	f := Failure{Name: name}
	switch code {
	case 127:
		f.Cause = fmt.Sprintf("The container started, but %s was not found in it (exit status 127).", prog)
		f.Fix = "Install the program in the container (see [setup] packages) or correct command in the profile."
	case 126:
		f.Cause = fmt.Sprintf("The container started, but %s could not be executed (exit status 126).", prog)
		f.Fix = "Check that the command is a program the app user may run, or correct command in the profile."
	default:
		return f, false
	}
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

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

// clip cuts s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
