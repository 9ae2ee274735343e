//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/lxcage/lxcage/assets"
)

// keyboardPage has one text field, focused; whatever is typed into it
// becomes the window's title. The title says "lxcage-keyboard-page focused"
// once the field holds the focus of a focused window: keys typed before
// that go elsewhere (Chromium 156 dropped the first two of a text typed
// right after the window got the focus).
const keyboardPage = `<html><head><title>lxcage-keyboard-page</title></head><body>
<input id="f" autofocus size="60" onfocus="ready()" oninput="document.title = 'typed:' + this.value">
<script>
function ready() {
  const f = document.getElementById('f');
  if (document.hasFocus() && document.activeElement === f && f.value === '') document.title = 'lxcage-keyboard-page focused';
}
window.addEventListener('focus', ready);
ready();
</script>
</body></html>`

// typed is what the test types: upper and lower case, digits, spaces and
// punctuation that need Shift on a US keymap.
const typed = "Hello lxcage, 42 Keys: ok!"

// TestPresetChromiumSandboxAndKeyboard builds the chromium preset as
// shipped and shows that Chromium keeps its own sandbox inside the
// container — a renderer runs in user, PID and network namespaces of its
// own with a seccomp filter of Chromium's on top of lxcage's — and that
// text typed from the host side (XTEST, as a keyboard does) reaches a
// page field whole.
func TestPresetChromiumSandboxAndKeyboard(t *testing.T) {
	_, err := os.Stat("/usr/sbin/debootstrap")
	need(t, err == nil, "debootstrap")
	_, err = exec.LookPath("xdotool")
	need(t, err == nil, "xdotool")
	e := newEnv(t)
	x := xconn(t)
	page := filepath.Join(e.cache, "kbd")
	os.MkdirAll(page, 0o755)
	os.WriteFile(filepath.Join(page, "index.html"), []byte(keyboardPage), 0o644)
	preset, _ := assets.Preset("chromium")
	text := strings.Replace(string(preset), "host = \"~/Downloads\"", "host = \"~/Downloads-lxcage-test\"", 1)
	text += "\n[[share]]\nhost = \"" + page + "\"\npath = \"/mnt/page\"\nreadonly = true\n"
	e.profile("chromium", text)
	start := time.Now()
	if r := e.run("create", "chromium"); r.code != 0 {
		t.Fatalf("create the chromium preset: %d\n%s", r.code, r.stderr)
	}
	t.Logf("built in %v", time.Since(start).Round(time.Second))
	l := e.start("launch", "chromium", "file:///mnt/page/index.html")
	w, ok := waitWindow(t, x, "lxcage-keyboard-page", 90*time.Second)
	if !ok {
		t.Fatalf("no Chromium window showing the page; output:\n%s", l.out)
	}
	initPID := containerInit(t, e, "chromium")

	t.Run("renderer sandbox", func(t *testing.T) { checkRendererSandbox(t, initPID) })
	t.Run("keyboard", func(t *testing.T) { typeInto(t, x, w) })

	closeWindow(t, x, w)
	l.wait(t, 60*time.Second)
	if !e.waitState("chromium", "STOPPED", 5*time.Second) {
		t.Errorf("container %s after Chromium closed", e.state("chromium"))
	}
}

// containerInit is the host PID of a running container's init.
func containerInit(t *testing.T, e *tenv, name string) int {
	t.Helper()
	out, err := exec.Command("lxc-info", "-P", e.lxcpath, "-n", name, "-p", "-H").Output()
	pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || pid <= 0 {
		t.Fatalf("lxc-info -p: %q %v", out, err)
	}
	return pid
}

// chromiumProcs finds the browser process (in the PID namespace of the
// container whose init is initPID; lxc-attach started it, so it is no
// child of init) and a renderer among its descendants.
func chromiumProcs(initPID int) (browser, renderer int) {
	ns, err := os.Readlink("/proc/" + strconv.Itoa(initPID) + "/ns/pid")
	if err != nil {
		return 0, 0
	}
	type proc struct {
		pid  int
		args []string
	}
	var procs []proc
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile("/proc/" + ent.Name() + "/comm")
		if !strings.HasPrefix(strings.TrimSpace(string(comm)), "chromium") {
			continue
		}
		// Chromium rewrites its argv into one string (setproctitle):
		// split on spaces as well as NULs.
		cmdline, _ := os.ReadFile("/proc/" + ent.Name() + "/cmdline")
		procs = append(procs, proc{pid, strings.FieldsFunc(string(cmdline), func(r rune) bool { return r == 0 || r == ' ' })})
	}
	for _, p := range procs {
		if l, _ := os.Readlink("/proc/" + strconv.Itoa(p.pid) + "/ns/pid"); l == ns && !hasPrefixArg(p.args, "--type=") {
			browser = p.pid
			break
		}
	}
	for _, p := range procs {
		if browser != 0 && hasArg(p.args, "--type=renderer") && descends(p.pid, browser) {
			return browser, p.pid
		}
	}
	return browser, 0
}

func hasArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

func hasPrefixArg(args []string, p string) bool {
	for _, x := range args {
		if strings.HasPrefix(x, p) {
			return true
		}
	}
	return false
}

// descends reports whether pid has ancestor among its parents.
func descends(pid, ancestor int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 {
			return false
		}
		pid, _ = strconv.Atoi(f[1])
		if pid == ancestor {
			return true
		}
	}
	return false
}

// statusField reads one field of /proc/PID/status.
func statusField(pid int, field string) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// checkRendererSandbox: a renderer's user, PID and network namespaces
// are not the browser's, and it runs under seccomp filter mode with more
// filters than the browser (Chromium's own on top of the container's).
func checkRendererSandbox(t *testing.T, initPID int) {
	var browser, renderer int
	deadline := time.Now().Add(20 * time.Second)
	for browser, renderer = chromiumProcs(initPID); browser == 0 || renderer == 0; browser, renderer = chromiumProcs(initPID) {
		if time.Now().After(deadline) {
			t.Fatalf("no browser process (%d) or renderer (%d) in the container", browser, renderer)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, ns := range []string{"user", "pid", "net"} {
		b, errB := os.Readlink("/proc/" + strconv.Itoa(browser) + "/ns/" + ns)
		r, errR := os.Readlink("/proc/" + strconv.Itoa(renderer) + "/ns/" + ns)
		if errB != nil || errR != nil {
			t.Errorf("%s namespace links: %v %v", ns, errB, errR)
			continue
		}
		if b == r {
			t.Errorf("the renderer shares the browser's %s namespace (%s): Chromium's namespace sandbox is off", ns, b)
		}
	}
	if m := statusField(renderer, "Seccomp"); m != "2" {
		t.Errorf("renderer Seccomp: %q, want 2 (filter mode)", m)
	}
	bf, _ := strconv.Atoi(statusField(browser, "Seccomp_filters"))
	rf, _ := strconv.Atoi(statusField(renderer, "Seccomp_filters"))
	if rf <= bf {
		t.Errorf("renderer has %d seccomp filters, the browser %d: Chromium's own filter is missing", rf, bf)
	}
	t.Logf("browser %d: %d filter(s); renderer %d: %d", browser, bf, renderer, rf)
}

// typeInto focuses w and types into it with xdotool (XTEST events from
// the host, as a keyboard's), then waits for the page to show the text.
func typeInto(t *testing.T, x *xgb.Conn, w xproto.Window) {
	// The page's own window is a child of the top-level one; focusing
	// the top-level lets Chromium hand the focus to its field.
	xdotool(t, "windowfocus", "--sync", strconv.Itoa(int(w)))
	if _, ok := waitWindow(t, x, "lxcage-keyboard-page focused", 10*time.Second); !ok {
		t.Fatalf("the page's field never got the focus; windows:\n%s", windowNames(x))
	}
	xdotool(t, "type", "--delay", "30", "--", typed)
	if _, ok := waitWindow(t, x, "typed:"+typed, 10*time.Second); !ok {
		t.Errorf("the page did not get %q whole; windows:\n%s", typed, windowNames(x))
	}
}
