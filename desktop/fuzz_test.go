package desktop

import (
	"strings"
	"testing"

	"github.com/lxcage/lxcage/profiles"
)

// FuzzRender writes desktop entries for arbitrary [desktop] sections and
// LXC paths. Whatever the values, an entry that is written must be plain
// key=value lines in known groups (nothing in a value can start a line
// or a group), its Name and Comment must read back exactly, and its Exec
// line, parsed by the spec's rules, must run "lxcage [-P path] launch
// NAME" with the desktop's files or URLs after it — never anything else.
func FuzzRender(f *testing.F) {
	f.Add("Google Chrome (sandboxed)", "Browse; \"the\" web", "google-chrome", "/tmp/lxc", "x-scheme-handler/https")
	f.Add("a\\b$c`d%e", "%f %U \\n", "icon", "/tmp/a b/%c", "text/html")
	f.Add("Ünïcödé 名前", "=[Desktop Entry]", "", "/tmp/lxc\"x", "")
	f.Fuzz(func(t *testing.T, name, comment, icon, lxcpath, mime string) {
		p := &profiles.Profile{Name: "app", Command: []string{"x"}, Description: comment}
		p.Desktop = profiles.Desktop{Name: name, Comment: comment, Icon: icon}
		if mime != "" {
			p.Desktop.MimeTypes = []string{mime}
		}
		env := Env{Bin: "/usr/bin/lxcage", LXCPath: lxcpath, PinLXCPath: strings.HasPrefix(lxcpath, "/")}
		out, err := Render(env, p)
		if err != nil {
			return // refused: nothing written
		}
		kf, err := ParseKeyFile(out)
		if err != nil {
			t.Fatalf("entry does not parse: %v\n%s", err, out)
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			if line == "" || strings.HasPrefix(line, "[") || strings.HasPrefix(line, "#") {
				continue
			}
			if !strings.Contains(line, "=") {
				t.Fatalf("line is not key=value: %q", line)
			}
		}
		for _, g := range kf.Groups() {
			if g != "Desktop Entry" && !strings.HasPrefix(g, "Desktop Action ") {
				t.Fatalf("a value made a group %q:\n%s", g, out)
			}
		}
		if got := kf.Get("Desktop Entry", "Name"); got != Title(p) {
			t.Fatalf("Name reads back %q, want %q", got, Title(p))
		}
		raw, _ := kf.Raw("Desktop Entry", "Exec")
		args, err := specExec(raw, []string{"https://example.org/?a=1&b=%20"})
		if err != nil {
			t.Fatalf("Exec %q does not parse: %v", raw, err)
		}
		want := append([]string{"/usr/bin/lxcage"}, ExecArgs(env, "app", "launch")[1:]...)
		want = append(want, "https://example.org/?a=1&b=%20")
		if strings.Join(args, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("Exec %q runs %q, want %q", raw, args, want)
		}
	})
}
