package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

// TestMain lets the test binary stand in for lxcage (the completion
// scripts run "lxcage list --names" and "lxcage presets --names").
func TestMain(m *testing.M) {
	if os.Getenv("LXCAGE_TEST_AS_CLI") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// cliOnPath puts the test binary on PATH as "lxcage" and makes profiles
// eyes and web; it returns the environment for shells.
func cliOnPath(t *testing.T) []string {
	t.Helper()
	bin := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "lxcage")); err != nil {
		t.Fatal(err)
	}
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	for _, n := range []string{"eyes", "web"} {
		if _, _, code := runCLI(t, "new", n); code != 0 {
			t.Fatalf("new %s: %d", n, code)
		}
	}
	return append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "LXCAGE_TEST_AS_CLI=1", "XDG_CONFIG_HOME="+cfg)
}

func TestVersionAndHelp(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-P", "/tmp", "--version"}} {
		if o, e, code := runCLI(t, args...); code != 0 || o != "lxcage dev\n" {
			t.Errorf("%v: %d %q %q", args, code, o, e)
		}
	}
	o, _, code := runCLI(t, "--help")
	if code != 0 {
		t.Fatalf("--help: %d", code)
	}
	// --help lists every command of the table and every global option.
	for _, c := range visible() {
		if !strings.Contains(o, "\n  "+c.name) {
			t.Errorf("--help lacks %s", c.name)
		}
	}
	for _, want := range []string{"--version", "--lxcpath", "Exit status: 0 success, 1 failure, 2 wrong command line"} {
		if !strings.Contains(o, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if o, _, code := runCLI(t, "help", "top"); code != 0 || !strings.Contains(o, "Usage: lxcage top") || !strings.Contains(o, "-count") {
		t.Errorf("help top: %d\n%s", code, o)
	}
}

// TestExitStatuses: usage errors are 2; an unknown profile is a failure.
func TestExitStatuses(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	lxc := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"help", "nosuch"}, 2, `unknown command "nosuch"`},
		{[]string{"help", "lanch"}, 2, "did you mean launch?"},
		{[]string{"nosuch"}, 2, `unknown command "nosuch"`},
		{[]string{"launch", "--nosuch-option", "x"}, 2, "flag provided but not defined"},
		{[]string{"stop"}, 2, "expected one profile name"},
		{[]string{"completion", "tcsh"}, 2, "expected bash, zsh or fish"},
		{[]string{"version", "x"}, 2, "no arguments"},
		{[]string{"-P", lxc, "status", "nosuch"}, 1, "no profile or container nosuch"},
		{[]string{"-P", lxc, "stop", "nosuch"}, 1, "does not exist"},
		{[]string{"compile", "nosuch"}, 1, "no such profile"},
		{[]string{"-P", lxc, "top", "--count", "1", "nosuch"}, 0, "none of them is running"},
	} {
		o, e, code := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(o+e, tc.msg) {
			t.Errorf("lxcage %s: status %d, want %d with %q; output:\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.msg, o, e)
		}
	}
}

// TestNewWithoutPreset writes the editor's empty profile: the command,
// its own windows, nothing else.
func TestNewWithoutPreset(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if o, e, code := runCLI(t, "new", "tool"); code != 0 || !strings.Contains(o, "its own windows only") {
		t.Fatalf("new tool: %d %s %s", code, o, e)
	}
	if _, e, code := runCLI(t, "new", "calc", "--command", "galculator --no-splash"); code != 0 {
		t.Fatalf("new --command: %d %s", code, e)
	}
	if _, e, code := runCLI(t, "new", "x", "--preset", "xeyes", "--command", "y"); code != 2 {
		t.Errorf("--preset with --command: %d %s", code, e)
	}
	pdir := filepath.Join(dir, "lxcage", "profiles")
	for name, cmd := range map[string][]string{"tool": {"tool"}, "calc": {"galculator", "--no-splash"}} {
		p, err := profiles.LoadName(pdir, name)
		if err != nil {
			t.Fatal(err)
		}
		var windows profiles.X11Mode // what x11 = true means
		windows.UnmarshalTOML(true)
		if strings.Join(p.Command, " ") != strings.Join(cmd, " ") || p.Access.X11 != windows || windows == profiles.X11Off || len(p.Shares) > 0 {
			t.Errorf("%s: %+v", name, p)
		}
		if p.Access.Network != profiles.NetworkOff || p.Access.PulseAudio || p.Access.GPU || p.Access.DBus != profiles.DBusNone {
			t.Errorf("%s reaches more than its windows: %+v", name, p.Access)
		}
	}
}

// TestCompletions runs the generated scripts in real bash, zsh and fish:
// commands, options, presets and profile names are completed.
func TestCompletions(t *testing.T) {
	env := cliOnPath(t)
	script := func(shell string) string {
		o, e, code := runCLI(t, "completion", shell)
		if code != 0 {
			t.Fatalf("completion %s: %d %s", shell, code, e)
		}
		f := filepath.Join(t.TempDir(), shell)
		os.WriteFile(f, []byte(o), 0o644)
		return f
	}
	cases := []struct {
		line string   // what is typed, the cursor at its end
		want []string // offered (among others)
		not  []string
	}{
		{"lxcage ", []string{"launch", "top", "completion", "new"}, []string{"_man", "_watch"}},
		{"lxcage la", []string{"launch"}, []string{"top"}},
		{"lxcage launch ", []string{"eyes", "web"}, []string{"launch"}},
		{"lxcage -P /tmp launch e", []string{"eyes"}, []string{"web"}},
		{"lxcage launch eyes ", nil, []string{"eyes", "web"}},
		{"lxcage status eyes ", []string{"eyes", "web"}, nil},
		{"lxcage new x --preset ", []string{"xeyes", "chrome"}, []string{"eyes"}},
		{"lxcage new x --", []string{"--preset", "--force", "--command"}, nil},
		{"lxcage desktop ", []string{"install", "remove"}, []string{"eyes"}},
		{"lxcage desktop install ", []string{"eyes", "web"}, []string{"install"}},
		{"lxcage completion ", []string{"bash", "zsh", "fish"}, nil},
		{"lxcage help ", []string{"launch", "top"}, nil},
	}
	shells := map[string]func(file, line string) (string, error){
		"bash": func(file, line string) (string, error) {
			words := strings.Fields(line)
			if strings.HasSuffix(line, " ") {
				words = append(words, "")
			}
			var quoted []string
			for _, w := range words {
				quoted = append(quoted, "'"+w+"'")
			}
			cmd := exec.Command("bash", "--norc", "-c", `source "$0"; COMP_WORDS=(`+strings.Join(quoted, " ")+`); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _lxcage; printf '%s\n' "${COMPREPLY[@]}"`, file)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			return string(out), err
		},
		"zsh": func(file, line string) (string, error) {
			words := strings.Fields(line)
			if strings.HasSuffix(line, " ") {
				words = append(words, "")
			}
			var quoted []string
			for _, w := range words {
				quoted = append(quoted, "'"+w+"'")
			}
			// The completion system's functions, reduced to printing
			// what would be offered, filtered by what is typed.
			stubs := `compadd() { [[ $1 == -- ]] && shift; local w; for w in "$@"; do [[ $w == ${words[CURRENT]}* ]] && print -r -- $w; done; return 0 }
_describe() { local w; for w in ${(P)2}; do w=${w%%:*}; [[ $w == ${words[CURRENT]}* ]] && print -r -- $w; done; return 0 }
_files() { print FILES }`
			cmd := exec.Command("zsh", "-f", "-c", stubs+"\n"+`eval "_lxcage() { $(<$0) }"; words=(`+strings.Join(quoted, " ")+`); CURRENT=${#words}; _lxcage; true`, file)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			return string(out), err
		},
		"fish": func(file, line string) (string, error) {
			cmd := exec.Command("fish", "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, file, line)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			// Only the candidates, without their descriptions.
			var ws []string
			for _, l := range strings.Split(string(out), "\n") {
				w, _, _ := strings.Cut(l, "\t")
				ws = append(ws, w)
			}
			return strings.Join(ws, "\n"), err
		},
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			if _, err := exec.LookPath(shell); err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("%s is not installed (hack/setup-host.sh installs it)", shell)
				}
				t.Skipf("%s is not installed", shell)
			}
			file := script(shell)
			for _, tc := range cases {
				out, err := shells[shell](file, tc.line)
				if err != nil {
					t.Errorf("%q: %v\n%s", tc.line, err, out)
					continue
				}
				got := map[string]bool{}
				for _, w := range strings.Fields(out) {
					got[w] = true
				}
				for _, w := range tc.want {
					if !got[w] {
						t.Errorf("%s: %q does not offer %s; offers:\n%s", shell, tc.line, w, out)
					}
				}
				for _, w := range tc.not {
					if got[w] {
						t.Errorf("%s: %q offers %s; offers:\n%s", shell, tc.line, w, out)
					}
				}
			}
		})
	}
}

// TestManPage: lxcage.1 comes from the same table as --help, and groff
// formats it without a warning.
func TestManPage(t *testing.T) {
	o, e, code := runCLI(t, "_man")
	if code != 0 {
		t.Fatalf("_man: %d %s", code, e)
	}
	for _, c := range visible() {
		if !strings.Contains(o, ".B lxcage "+roffOpt(c.name)) {
			t.Errorf("man page lacks command %s", c.name)
		}
		for _, f := range c.commandFlags() {
			if !strings.Contains(o, `\-\-`+roffOpt(f.name)) {
				t.Errorf("man page lacks %s --%s", c.name, f.name)
			}
		}
	}
	for _, want := range []string{".SH EXIT STATUS", ".SH OPTIONS", `\-\-version`, "lxcage\\-editor"} {
		if !strings.Contains(o, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("groff is not installed (hack/setup-host.sh installs groff-base)")
		}
		t.Skip("no groff")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(o)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("groff: %v\n%s", err, stderr.String())
	}
	// Rendered, options keep their minus signs (copied from the page,
	// they work) and "…" survives.
	cmd = exec.Command(groff, "-man", "-Tutf8", "-P-c", "-P-b", "-P-u")
	cmd.Stdin = strings.NewReader(o)
	text, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lxcage new NAME [--preset PRESET]", "--lxcpath", "[ARGS…]"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
}

// TestProgressEndsItsLine: on a terminal each progress line ends with a
// newline, so the app's first line of output starts a line of its own.
func TestProgressEndsItsLine(t *testing.T) {
	var b bytes.Buffer
	p := &progressBar{w: &b, tty: true, width: 80}
	p.Message("(1/2) download")
	p.Message("40%")
	p.Message("(2/2) setup")
	p.Line("lxcage launch: warning: no icon")
	p.Message("almost")
	p.Done()
	b.WriteString("app: first line\n")
	out := b.String()
	if !strings.HasSuffix(out, "2/2 setup: almost\napp: first line\n") {
		t.Errorf("the app's line is glued to the progress:\n%q", out)
	}
	if n := strings.Count(out, "\033[A"); n != 2 {
		t.Errorf("%d redraws, want 2 (the warning is not overwritten):\n%q", n, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if len([]rune(strings.TrimPrefix(l, "\033[A\r\033[K"))) >= 80 {
			t.Errorf("line wider than the terminal: %q", l)
		}
	}
	long := &progressBar{w: &b, tty: true, width: 40}
	b.Reset()
	long.Message(strings.Repeat("x", 100))
	if got := len([]rune(strings.TrimSuffix(b.String(), "\n"))); got >= 40 {
		t.Errorf("a long message takes %d columns of 40", got)
	}
}

// TestTopTable: the table shows each figure, and the processes with
// their command lines (already made printable by the launcher).
func TestTopTable(t *testing.T) {
	var b bytes.Buffer
	printTop(&b, []*launcher.Stats{
		{Name: "eyes", CPU: 12.34, Memory: 12 << 20, MemoryLimit: 256 << 20, Pids: 3, PidsLimit: 100, Uptime: 125 * time.Second,
			Procs: []launcher.Proc{{PID: 4242, Name: "xeyes", Cmd: "xeyes -fg red", RSS: 3 << 20}}},
		{Name: "web", CPU: -1, Memory: 1 << 30, Pids: 40, Uptime: 3 * time.Hour},
	}, false)
	out := b.String()
	for _, want := range []string{"NAME", "eyes", "12.3%", "12.0 MiB / 256 MiB", "3 / 100", "2m05s", "xeyes(4242)", "4242  3.0 MiB  xeyes -fg red", "web", "…", "1.0 GiB", "3h00m"} {
		if !strings.Contains(out, want) {
			t.Errorf("top lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	printTop(&b, nil, false)
	if !strings.Contains(b.String(), "no container is running") {
		t.Errorf("empty top: %q", b.String())
	}
}
