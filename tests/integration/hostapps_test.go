//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// localPage writes a page with title into a directory the profile shares
// read-only at /mnt/page, and returns the [[share]] lines.
func localPage(t *testing.T, title string) string {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	html := "<html><head><title>" + title + "</title></head><body><h1>" + title + "</h1></body></html>"
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	return "\n[[share]]\nhost = \"" + dir + "\"\npath = \"/mnt/page\"\nreadonly = true\n"
}

// TestHostBrowsersShowPage: Debian's chromium and firefox-esr, installed
// on the host, run from host-image profiles and show a local page. Both
// read their configuration under /etc (chromium's start script sources
// /etc/chromium.d/*, firefox-esr reads /etc/firefox-esr), which the
// container gets because their packages own it.
func TestHostBrowsersShowPage(t *testing.T) {
	e := newEnv(t)
	x := xconn(t)
	for _, tc := range []struct {
		name, bin, etc, profile string
	}{
		// Chromium keeps its own sandbox: user namespaces, no mounts.
		{"chromium", "chromium", "chromium.d", `command = ["chromium", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--password-store=basic"]
[access]
x11 = true
[security]
userns = true
`},
		// Firefox needs XInput2 and MIT-SHM, which an untrusted cookie hides.
		{"firefox", "firefox-esr", "firefox-esr", `command = ["firefox-esr", "--no-remote"]
[access]
x11 = "trusted"
[env]
MOZ_CRASHREPORTER_DISABLE = "1"
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := exec.LookPath(tc.bin)
			need(t, err == nil, tc.bin+" on the host (hack/setup-host.sh installs it)")
			title := "lxcage-host-" + tc.name + "-page"
			e.profile(tc.name, tc.profile+localPage(t, title))
			conf := e.mustRun("compile", tc.name).stdout
			if !strings.Contains(conf, "/etc/"+tc.etc+" etc/"+tc.etc+" ") {
				t.Errorf("the %s package's /etc/%s is not bound:\n%s", tc.bin, tc.etc, conf)
			}
			l := e.start("launch", tc.name, "file:///mnt/page/index.html")
			w, ok := waitWindow(t, x, title, 90*time.Second)
			if !ok {
				// What there was instead, for a run that fails once in
				// many: the windows on the display and the app's processes.
				var titles []string
				for _, n := range topWindows(x) {
					titles = append(titles, strconv.Quote(n))
				}
				t.Fatalf("no %s window showing the page; windows: %s; processes:\n%s\noutput:\n%s", tc.bin, strings.Join(titles, ", "), e.run("top", "--count", "1", tc.name).stdout, l.out)
			}
			time.Sleep(2 * time.Second)
			closeWindow(t, x, w)
			if code := l.wait(t, 60*time.Second); code != 0 {
				t.Logf("%s exited with %d:\n%s", tc.bin, code, l.out)
			}
			if !e.waitState(tc.name, "STOPPED", 5*time.Second) {
				t.Errorf("container %s after %s closed", e.state(tc.name), tc.bin)
			}
		})
	}
}

// etcProbe lists what the app sees of /etc and reports every secret it
// can find: shadow and gshadow with content other than the container's
// own, ssh host keys (or any of /etc/ssh), sudo rules, NetworkManager
// connections and wpa_supplicant configurations.
var etcProbe = strings.Join([]string{
	"ls -A /etc",
	"echo ---",
	`for f in /etc/gshadow /etc/shadow- /etc/gshadow- /etc/sudoers /etc/sudoers.d /etc/ssh /etc/NetworkManager /etc/wpa_supplicant; do if [ -e "$f" ] || [ -L "$f" ]; then echo "VISIBLE $f"; fi; done`,
	`ls /etc/ssh/ssh_host_* /etc/NetworkManager/system-connections/* /etc/wpa_supplicant/*.conf 2>/dev/null | sed 's/^/VISIBLE /'`,
	`grep -v -e '^root:\*:' -e '^user:\*:' /etc/shadow | sed 's/^/FOREIGN SHADOW /'`,
	`if [ -n "${SSH_AGENT_PID:-}" ]; then kill "$SSH_AGENT_PID"; fi`,
	"true",
}, "; ")

// TestHostEtcNeverVisible is the attacker's side of host programs'
// /etc: the app runs under ssh-agent, whose package (openssh-client)
// owns configuration in /etc/ssh — where host keys live — so /etc/ssh is
// among the entries dpkg offers, and must still not be bound. Whatever
// else the app sees of /etc is exactly the entries the compiled config
// binds plus the container's own files.
func TestHostEtcNeverVisible(t *testing.T) {
	e := newEnv(t)
	_, err := exec.LookPath("ssh-agent")
	need(t, err == nil, "ssh-agent (openssh-client)")
	_, err = os.Stat("/etc/ssh")
	need(t, err == nil, "/etc/ssh on the host (openssh-client)")
	e.profile("etcprobe", `command = ["ssh-agent", "sh", "-c", `+tomlString(etcProbe)+`]`)
	r := e.run("launch", "etcprobe")
	if r.code != 0 {
		t.Fatalf("probe failed: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	listing, report, _ := strings.Cut(r.stdout, "---\n")
	if strings.TrimSpace(report) != "" {
		t.Errorf("secrets visible to the app:\n%s", report)
	}
	bound := map[string]bool{}
	for _, line := range strings.Split(e.mustRun("compile", "etcprobe").stdout, "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[0] == "lxc.mount.entry" && strings.HasPrefix(f[3], "etc/") {
			bound[strings.TrimPrefix(f[3], "etc/")] = true
		}
	}
	own := map[string]bool{"passwd": true, "group": true, "shadow": true, "hostname": true, "hosts": true,
		"nsswitch.conf": true, "machine-id": true, "shells": true, "resolv.conf": true}
	var extra []string
	for _, n := range strings.Fields(listing) {
		if !bound[n] && !own[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("/etc entries the config does not bind: %v", extra)
	}
	if bound["ssh"] {
		t.Error("/etc/ssh is bound")
	}
}
