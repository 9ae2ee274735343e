package desktop

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lxcage/lxcage/profiles"
)

// EntryVersion is the Version= lxcage's entries declare. They follow the
// rules of Desktop Entry Specification 1.5 but use no key newer than 1.4,
// and 1.4 is the newest version Debian 12's desktop-file-validate knows
// (it rejects "1.5" as unknown), so 1.4 is both true and checkable.
const EntryVersion = "1.4"

// Title is the menu name of a profile's entry: [desktop] name, or the
// profile name in title case with " (sandboxed)", so the entry is never
// mistaken for the unconfined app.
func Title(p *profiles.Profile) string {
	if p.Desktop.Name != "" {
		return p.Desktop.Name
	}
	return titleCase(p.Name) + " (sandboxed)"
}

// titleCase turns "google-chrome" into "Google Chrome".
func titleCase(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '-' })
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[n:]
	}
	if len(words) == 0 {
		return name
	}
	return strings.Join(words, " ")
}

// FieldCode is the Exec field code an entry passes arguments with: %F
// (local file paths) when every MIME type is a file type, else %U (URLs,
// which covers x-scheme-handler/* and files dropped as file:// URLs).
func FieldCode(mimeTypes []string) string {
	if len(mimeTypes) == 0 {
		return "%U"
	}
	for _, m := range mimeTypes {
		if strings.HasPrefix(m, "x-scheme-handler/") {
			return "%U"
		}
	}
	return "%F"
}

// ExecArgs is the command line of a profile's entry before quoting:
// lxcage [-P LXCPATH] launch NAME.
func ExecArgs(env Env, name string, verb string) []string {
	args := []string{env.Bin}
	if env.PinLXCPath {
		args = append(args, "-P", env.LXCPath)
	}
	return append(args, verb, name)
}

// Render is the text of a profile's entry. It is pure: icons and files
// are not looked at (the entry names its icon lxcage-NAME), so a caller
// can compare it with what is installed.
func Render(env Env, p *profiles.Profile) ([]byte, error) {
	if err := profiles.CheckName(p.Name); err != nil {
		return nil, err
	}
	if err := profiles.Validate(p); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(env.Bin, "/") {
		return nil, fmt.Errorf("desktop entry for %s: the lxcage binary path %q is not absolute", p.Name, env.Bin)
	}
	if strings.Contains(env.Bin, "%") {
		// The spec's "%%" is right, but GLib looks the program up before
		// expanding it and would hide the entry as broken.
		return nil, fmt.Errorf("desktop entry for %s: the lxcage binary path %q contains %%, which desktop launchers cannot run; install lxcage elsewhere", p.Name, env.Bin)
	}
	launch, err := execLine(ExecArgs(env, p.Name, "launch"), FieldCode(p.Desktop.MimeTypes))
	if err != nil {
		return nil, fmt.Errorf("desktop entry for %s: %w", p.Name, err)
	}
	stop, err := execLine(ExecArgs(env, p.Name, "stop"), "")
	if err != nil {
		return nil, fmt.Errorf("desktop entry for %s: %w", p.Name, err)
	}
	d := p.Desktop
	comment := d.Comment
	if comment == "" {
		comment = p.Description
	}
	var e entryWriter
	e.group("Desktop Entry")
	e.set("Type", "Application")
	e.set("Version", EntryVersion)
	e.set("Name", Title(p))
	if comment != "" && comment != Title(p) {
		e.set("Comment", comment)
	}
	e.set("Icon", IconName(p.Name))
	e.raw("Exec", launch)
	e.set("TryExec", env.Bin)
	e.set("Terminal", "false")
	// lxcage gives the app a clean environment, so it never sees
	// DESKTOP_STARTUP_ID: announcing startup notification would leave a
	// busy cursor until the launcher's timeout.
	e.set("StartupNotify", "false")
	if cats := categories(d.Categories); len(cats) > 0 {
		e.list("Categories", cats)
	}
	if len(d.MimeTypes) > 0 {
		e.list("MimeType", d.MimeTypes)
	}
	e.list("Keywords", keywords(d.Keywords))
	if d.WMClass != "" {
		// Lets docks and task bars match the window (WM_CLASS on X11,
		// the app_id on Wayland) to this entry and its icon.
		e.set("StartupWMClass", d.WMClass)
	}
	e.list("Actions", []string{"stop"})
	e.set(ProfileKey, p.Name)
	e.group("Desktop Action stop")
	e.set("Name", "Stop the sandbox (closes the app)")
	e.raw("Exec", stop)
	return []byte(e.String()), nil
}

// keywords are the profile's keywords plus words a user searching the
// menu for the sandbox would type.
func keywords(own []string) []string {
	out := append([]string(nil), own...)
	for _, k := range []string{"sandbox", "lxcage"} {
		found := false
		for _, o := range own {
			found = found || strings.EqualFold(o, k)
		}
		if !found {
			out = append(out, k)
		}
	}
	return out
}

// categories keeps registered categories and marks others as extensions
// ("X-Foo"), as the menu spec asks; the reserved ones need OnlyShowIn and
// are marked too.
func categories(cats []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cats {
		if !registeredCategories[c] && !strings.HasPrefix(c, "X-") {
			c = "X-" + c
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// entryWriter builds a key file, escaping every value.
type entryWriter struct{ b strings.Builder }

func (e *entryWriter) group(name string) {
	if e.b.Len() > 0 {
		e.b.WriteString("\n")
	}
	e.b.WriteString("[" + name + "]\n")
}

// set writes a string or localestring value, escaped.
func (e *entryWriter) set(key, value string) { e.raw(key, EscapeValue(value)) }

// list writes a list value, each item escaped.
func (e *entryWriter) list(key string, items []string) {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(strings.ReplaceAll(EscapeValue(it), ";", `\;`))
		b.WriteString(";")
	}
	e.raw(key, b.String())
}

// raw writes an already escaped value.
func (e *entryWriter) raw(key, escaped string) { e.b.WriteString(key + "=" + escaped + "\n") }

func (e *entryWriter) String() string { return e.b.String() }

// EscapeValue escapes a value by the spec's rules for string and
// localestring values: backslash, newline, tab and carriage return become
// \\ \n \t \r, and spaces at either end become \s so no reader trims them.
func EscapeValue(s string) string {
	var b strings.Builder
	lead := len(s) - len(strings.TrimLeft(s, " "))
	trail := len(s) - len(strings.TrimRight(s, " "))
	if lead == len(s) {
		trail = 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' && (i < lead || i >= len(s)-trail):
			b.WriteString(`\s`)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// execReserved are the characters that make the spec require an Exec
// argument to be quoted.
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

// QuoteExecArg quotes one Exec argument by the spec's rules: an argument
// with a reserved character is put in double quotes, inside which `"`,
// backtick, `$` and `\` get a backslash; `%` is doubled everywhere, since
// a lone `%` starts a field code. The result still needs EscapeValue's
// general escaping (execLine does both).
func QuoteExecArg(arg string) string {
	if arg != "" && !strings.ContainsAny(arg, execReserved) {
		return strings.ReplaceAll(arg, "%", "%%")
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range arg {
		switch r {
		case '"', '`', '$', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '%':
			b.WriteString("%%")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// execLine is the escaped value of an Exec key: args quoted one by one,
// then the field code (never quoted, as the spec demands), then the
// general string escaping, which doubles the backslashes once more.
func execLine(args []string, fieldCode string) (string, error) {
	var parts []string
	for _, a := range args {
		if i := strings.IndexFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
			return "", fmt.Errorf("exec argument %q contains a control character", a)
		}
		// Desktop files are UTF-8; a path that is not (an LXC path in
		// another encoding) cannot be written into one.
		if !utf8.ValidString(a) {
			return "", fmt.Errorf("exec argument %q is not valid UTF-8", a)
		}
		parts = append(parts, QuoteExecArg(a))
	}
	if fieldCode != "" {
		parts = append(parts, fieldCode)
	}
	return EscapeValue(strings.Join(parts, " ")), nil
}

// registeredCategories are the Desktop Menu Specification's main and
// additional categories; anything else must start with "X-".
var registeredCategories = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`
		AudioVideo Audio Video Development Education Game Graphics Network Office Science Settings System Utility
		Building Debugger IDE GUIDesigner Profiling RevisionControl Translation Calendar ContactManagement Database
		Dictionary Chart Email Finance FlowChart PDA ProjectManagement Presentation Spreadsheet WordProcessor
		2DGraphics VectorGraphics RasterGraphics 3DGraphics Scanning OCR Photography Publishing Viewer TextTools
		DesktopSettings HardwareSettings Printing PackageManager Dialup InstantMessaging Chat IRCClient Feed
		FileTransfer HamRadio News P2P RemoteAccess Telephony TelephonyTools VideoConference WebBrowser
		WebDevelopment Midi Mixer Sequencer Tuner TV AudioVideoEditing Player Recorder DiscBurning ActionGame
		AdventureGame ArcadeGame BoardGame BlocksGame CardGame KidsGame LogicGame RolePlaying Shooter Simulation
		SportsGame StrategyGame Art Construction Music Languages ArtificialIntelligence Astronomy Biology
		Chemistry ComputerScience DataVisualization Economy Electricity Geography Geology Geoscience History
		Humanities ImageProcessing Literature Maps Math NumericalAnalysis MedicalSoftware Physics Robotics
		Spirituality Sports ParallelComputing Amusement Archiving Compression Electronics Emulator Engineering
		FileTools FileManager TerminalEmulator Filesystem Monitor Security Accessibility Calculator Clock
		TextEditor Documentation Adult Core KDE GNOME XFCE DDE GTK Qt Motif Java ConsoleOnly`) {
		m[c] = true
	}
	return m
}()
