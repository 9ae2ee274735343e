package desktop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/assets"
	"github.com/lxcage/lxcage/profiles"
)

func TestEscapeValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{`back\slash`, `back\\slash`},
		{" lead and trail  ", `\slead and trail\s\s`},
		{"   ", `\s\s\s`},
		{"tab\there", `tab\there`},
		{`"q" $x ` + "`y` 100% é ;", `"q" $x ` + "`y` 100% é ;"},
	} {
		if got := EscapeValue(tc.in); got != tc.want {
			t.Errorf("EscapeValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if back := UnescapeValue(EscapeValue(tc.in)); back != tc.in {
			t.Errorf("round trip of %q gave %q", tc.in, back)
		}
	}
}

func TestQuoteExecArg(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/usr/bin/lxcage", "/usr/bin/lxcage"},
		{"launch", "launch"},
		{"50%", "50%%"},
		{"/opt/my apps/lxcage", `"/opt/my apps/lxcage"`},
		{`/a"b`, `"/a\"b"`},
		{"/a$b`c`", "\"/a\\$b\\`c\\`\""},
		{`/a\b`, `"/a\\b"`},
		{"/a;b%", `"/a;b%%"`},
		{"", `""`},
	} {
		if got := QuoteExecArg(tc.in); got != tc.want {
			t.Errorf("QuoteExecArg(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestFieldCode(t *testing.T) {
	for _, tc := range []struct {
		mimes []string
		want  string
	}{
		{nil, "%U"},
		{[]string{"text/html", "x-scheme-handler/https"}, "%U"},
		{[]string{"image/png", "image/jpeg"}, "%F"},
	} {
		if got := FieldCode(tc.mimes); got != tc.want {
			t.Errorf("FieldCode(%v) = %s, want %s", tc.mimes, got, tc.want)
		}
	}
}

func TestTitle(t *testing.T) {
	if got := Title(&profiles.Profile{Name: "google-chrome"}); got != "Google Chrome (sandboxed)" {
		t.Errorf("default title %q", got)
	}
	if got := Title(&profiles.Profile{Name: "x", Desktop: profiles.Desktop{Name: "My X"}}); got != "My X" {
		t.Errorf("title %q", got)
	}
}

// awkwardProfiles are profiles whose text a naive writer would get wrong.
func awkwardProfiles() []*profiles.Profile {
	mk := func(name, desc string, d profiles.Desktop) *profiles.Profile {
		return &profiles.Profile{Name: name, Description: desc, Command: []string{"xeyes"}, Desktop: d}
	}
	return []*profiles.Profile{
		mk("quotes", `Says "hi" and 'bye'`, profiles.Desktop{Name: `The "Best" App's Window`}),
		mk("percent", "100% sandboxed, %U %F %% %", profiles.Desktop{Name: "50% App %U"}),
		mk("dollar", "costs $HOME and ${PATH} $(id)", profiles.Desktop{Name: "$USER's `id` app"}),
		mk("backticks", "runs `rm -rf ~` never", profiles.Desktop{Comment: "`whoami`; echo pwned > /tmp/x"}),
		mk("unicode", "Ünïcödé — 日本語 ✓ émoji 🙂", profiles.Desktop{Name: "Grüße (sandkasten) 🙂", Keywords: []string{"naïve", "日本"}}),
		mk("spaces", "  leading and trailing  ", profiles.Desktop{Name: " spaced  name ", Comment: "a  b"}),
		mk("backslash", `C:\Windows\ \n \t \\ \s`, profiles.Desktop{Name: `back\slash \n name`}),
		mk("semicolons", "a;b;c", profiles.Desktop{Name: "x;y", Keywords: []string{"a b", "c\\d"}, Categories: []string{"Network", "WebBrowser", "Foo"},
			MimeTypes: []string{"text/html", "x-scheme-handler/https"}, WMClass: "Weird.Class_1"}),
		mk("files", "opens images", profiles.Desktop{MimeTypes: []string{"image/png", "image/svg+xml"}, Categories: []string{"Graphics", "Viewer"}}),
		mk("a", "", profiles.Desktop{}),
	}
}

// awkwardBins are lxcage binary paths that need quoting in Exec.
var awkwardBins = []string{
	"/usr/local/bin/lxcage",
	"/opt/my apps/lxcage",
	`/home/u/"quoted"/$HOME/lxcage`,
	"/home/u/`id`;rm -rf ~/&|<>*?#()~/lxcage",
	`/home/u/back\slash/lxcage`,
	"/home/ü/bin/lxcage",
}

// allProfiles are every preset plus the awkward ones.
func allProfiles(t *testing.T) []*profiles.Profile {
	t.Helper()
	var out []*profiles.Profile
	for _, n := range assets.Presets() {
		data, _ := assets.Preset(n)
		out = append(out, parseProfile(t, n, string(data)))
	}
	return append(out, awkwardProfiles()...)
}

// TestEntriesValidate runs desktop-file-validate on the entry of every
// preset and awkward profile, for every awkward binary path, with and
// without a pinned LXC path: no error, no warning.
func TestEntriesValidate(t *testing.T) {
	validate := needTool(t, "desktop-file-validate")
	dir := t.TempDir()
	n := 0
	for _, bin := range awkwardBins {
		for _, pin := range []bool{false, true} {
			env := Env{Bin: bin, LXCPath: "/tmp/lxc path/$x`y`%z", PinLXCPath: pin}
			for _, p := range allProfiles(t) {
				data, err := Render(env, p)
				if err != nil {
					t.Fatalf("Render %s: %v", p.Name, err)
				}
				// desktop-file-validate wants the .desktop name.
				f := filepath.Join(dir, fmt.Sprintf("%s%d.desktop", Prefix, n))
				n++
				if err := os.WriteFile(f, data, 0o644); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(validate, f).CombinedOutput()
				if err != nil || strings.Contains(string(out), "error:") || strings.Contains(string(out), "warning:") {
					t.Errorf("%s (bin %q): desktop-file-validate: %v\n%s\n--- entry:\n%s", p.Name, bin, err, out, data)
				}
			}
		}
	}
	t.Logf("%d entries validated", n)
}

// TestEntryValues reads the entries back with the key file parser: what
// a menu shows is what the profile says.
func TestEntryValues(t *testing.T) {
	env := Env{Bin: "/usr/bin/lxcage"}
	for _, p := range allProfiles(t) {
		data, err := Render(env, p)
		if err != nil {
			t.Fatal(err)
		}
		kf, err := ParseKeyFile(data)
		if err != nil {
			t.Fatalf("%s: %v\n%s", p.Name, err, data)
		}
		g := "Desktop Entry"
		for key, want := range map[string]string{"Name": Title(p), "Icon": "lxcage-" + p.Name, ProfileKey: p.Name, "TryExec": env.Bin, "StartupWMClass": p.Desktop.WMClass, "Type": "Application"} {
			if got := kf.Get(g, key); got != want {
				t.Errorf("%s: %s = %q, want %q", p.Name, key, got, want)
			}
		}
		if len(p.Desktop.MimeTypes) > 0 && !reflect.DeepEqual(kf.List(g, "MimeType"), p.Desktop.MimeTypes) {
			t.Errorf("%s: MimeType %q", p.Name, kf.List(g, "MimeType"))
		}
		if kw := kf.List(g, "Keywords"); len(kw) < len(p.Desktop.Keywords) || !reflect.DeepEqual(kw[:len(p.Desktop.Keywords)], append([]string{}, p.Desktop.Keywords...)) {
			t.Errorf("%s: Keywords %q, want %q first", p.Name, kw, p.Desktop.Keywords)
		}
	}
}

// specExec is an Exec parser written from the spec alone (not the
// package's): the general unescaping of string values, then the Exec
// rules — arguments split at unquoted spaces, double-quoted arguments
// with \" \` \$ \\ escapes, %% for a literal percent, and field codes
// expanded only as whole unquoted arguments (%U/%F: one argument per
// item; %u/%f: the first; the deprecated ones and %i %c %k dropped here).
func specExec(raw string, items []string) ([]string, error) {
	s := UnescapeValue(raw)
	type arg struct {
		text   string
		quoted bool
	}
	var args []arg
	var cur []rune
	started, quoted, wasQuoted := false, false, false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quoted:
			switch r {
			case '\\':
				if i+1 >= len(rs) || !strings.ContainsRune("\"`$\\", rs[i+1]) {
					return nil, fmt.Errorf("invalid escape in quoted argument")
				}
				i++
				cur = append(cur, rs[i])
			case '"':
				quoted = false
			default:
				cur = append(cur, r)
			}
		case r == ' ':
			if started {
				args = append(args, arg{string(cur), wasQuoted})
				cur, started, wasQuoted = nil, false, false
			}
		case r == '"':
			if started {
				return nil, fmt.Errorf("quote in the middle of an argument")
			}
			started, quoted, wasQuoted = true, true, true
		default:
			if strings.ContainsRune("\t\n\"'\\><~|&;$*?#()`", r) {
				return nil, fmt.Errorf("reserved character %q outside quotes", r)
			}
			started = true
			cur = append(cur, r)
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote")
	}
	if started {
		args = append(args, arg{string(cur), wasQuoted})
	}
	var out []string
	for _, a := range args {
		if !a.quoted {
			switch a.text {
			case "%U", "%F":
				out = append(out, items...)
				continue
			case "%u", "%f":
				if len(items) > 0 {
					out = append(out, items[0])
				}
				continue
			case "%i", "%c", "%k", "%d", "%D", "%n", "%N", "%v", "%m":
				continue
			}
		}
		var b strings.Builder
		for i := 0; i < len(a.text); i++ {
			if a.text[i] != '%' {
				b.WriteByte(a.text[i])
				continue
			}
			if i+1 < len(a.text) && a.text[i+1] == '%' {
				b.WriteByte('%')
				i++
				continue
			}
			return nil, fmt.Errorf("field code %q inside an argument", a.text[i:])
		}
		out = append(out, b.String())
	}
	return out, nil
}

// TestExecParsesToLaunch: parsed by the spec's rules, every entry runs
// lxcage [-P path] launch NAME with the URL as one intact argument.
func TestExecParsesToLaunch(t *testing.T) {
	url := "https://example.com/a b?x=1&y=$HOME;`id`%20\"q\"\\"
	for _, bin := range awkwardBins {
		for _, pin := range []bool{false, true} {
			env := Env{Bin: bin, LXCPath: "/tmp/lxc path/$x`y`%z\\", PinLXCPath: pin}
			for _, p := range allProfiles(t) {
				data, err := Render(env, p)
				if err != nil {
					t.Fatalf("Render %s: %v", p.Name, err)
				}
				kf, err := ParseKeyFile(data)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := kf.Raw("Desktop Entry", "Exec")
				got, err := specExec(raw, []string{url, "/tmp/second file"})
				if err != nil {
					t.Fatalf("%s: Exec %s: %v", p.Name, raw, err)
				}
				want := append(ExecArgs(env, p.Name, "launch"), url, "/tmp/second file")
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: Exec=%s\nparsed %q\nwant   %q", p.Name, raw, got, want)
				}
				raw, _ = kf.Raw("Desktop Action stop", "Exec")
				if got, err := specExec(raw, nil); err != nil || !reflect.DeepEqual(got, ExecArgs(env, p.Name, "stop")) {
					t.Errorf("%s: stop action Exec=%s parsed %q, %v", p.Name, raw, got, err)
				}
			}
		}
	}
}

// TestGioLaunchPassesURL launches entries with GLib's real launcher (gio
// launch, what GNOME's menus use) with a recording script as the lxcage
// binary, at a path that needs every kind of quoting: the script must get
// "launch NAME URL" exactly.
func TestGioLaunchPassesURL(t *testing.T) {
	gio := needTool(t, "gio")
	base := t.TempDir()
	out := filepath.Join(base, "args")
	for _, dir := range []string{"plain", "my apps", `"q" $HOME`, "`id`;&|<>*?#()~", `back\slash`} {
		bin := filepath.Join(base, dir, "lxcage")
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > " + shellQuote(out+".tmp") + " && mv " + shellQuote(out+".tmp") + " " + shellQuote(out) + "\n"
		if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		env := Env{Bin: bin}
		p := &profiles.Profile{Name: "gio", Command: []string{"x"}, Desktop: profiles.Desktop{MimeTypes: []string{"x-scheme-handler/https"}}}
		data, err := Render(env, p)
		if err != nil {
			t.Fatal(err)
		}
		entry := filepath.Join(base, "lxcage-gio.desktop")
		os.WriteFile(entry, data, 0o644)
		url := "https://example.com/a%20b?x=1&y=$HOME;`id`"
		os.Remove(out)
		cmd := exec.Command(gio, "launch", entry, url)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("bin %q: gio launch: %v\n%s\n%s", bin, err, b, data)
		}
		got := waitFile(t, out, 5*time.Second)
		want := "launch\x00gio\x00" + url + "\x00"
		if got != want {
			t.Errorf("bin %q: args %q, want %q", bin, got, want)
		}
	}
}

// shellQuote quotes a path for the test's own recording script.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func waitFile(t *testing.T, p string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(p); err == nil {
			return string(b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", p)
	return ""
}

func TestRenderRefuses(t *testing.T) {
	p := &profiles.Profile{Name: "x", Command: []string{"x"}}
	for _, env := range []Env{{Bin: "lxcage"}, {Bin: "/opt/100%/lxcage"}, {Bin: "/opt/a\nb/lxcage"}} {
		if _, err := Render(env, p); err == nil {
			t.Errorf("Render accepted binary %q", env.Bin)
		}
	}
	bad := &profiles.Profile{Name: "x", Command: []string{"x"}, Desktop: profiles.Desktop{Name: "a\nExec=evil"}}
	if _, err := Render(Env{Bin: "/bin/lxcage"}, bad); err == nil {
		t.Error("Render accepted a name with a newline")
	}
	if _, err := Render(Env{Bin: "/bin/lxcage"}, &profiles.Profile{Name: "../x", Command: []string{"x"}}); err == nil {
		t.Error("Render accepted a bad profile name")
	}
}
