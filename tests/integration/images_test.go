//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/assets"
)

// busyboxRootfs makes a tiny root filesystem: static busybox and its
// applets, enough for the account step and a shell.
func busyboxRootfs(t *testing.T, dir string) {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	need(t, err == nil, "busybox (busybox-static)")
	for _, d := range []string{"bin", "sbin", "etc", "tmp", "dev", "proc", "sys", "run", "root", "home", "usr/bin", "var/cache"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	os.Chmod(filepath.Join(dir, "tmp"), 0o1777) // as in every image: anyone's
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "bin/busybox"), data, 0o755)
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet != "busybox" {
			os.Symlink("busybox", filepath.Join(dir, "bin", applet))
		}
	}
	os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "etc/group"), []byte("root:x:0:\n"), 0o644)
}

// tarXZ packs dir into a .tar.xz with every file owned by root, as image
// tarballs are.
func tarXZ(t *testing.T, dir, out string) {
	t.Helper()
	cmd := exec.Command("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", dir, "-cJf", out, ".")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, b)
	}
}

// metaTarball makes an image's metadata tarball (the config the
// templates insist on).
func metaTarball(t *testing.T, out string) {
	t.Helper()
	d := t.TempDir()
	os.WriteFile(filepath.Join(d, "config"), []byte("lxc.arch = x86_64\n"), 0o644)
	os.WriteFile(filepath.Join(d, "config-user"), []byte("lxc.arch = x86_64\n"), 0o644)
	tarXZ(t, d, out)
}

// TestImageLocal: a rootfs and metadata tarball become a container
// (lxc-create -t local) whose app runs.
func TestImageLocal(t *testing.T) {
	e := newEnv(t)
	root := filepath.Join(t.TempDir(), "rootfs")
	busyboxRootfs(t, root)
	imgs := t.TempDir()
	tarXZ(t, root, filepath.Join(imgs, "rootfs.tar.xz"))
	metaTarball(t, filepath.Join(imgs, "meta.tar.xz"))
	e.profile("loc", `command = ["sh", "-c", "id -un; test -x /bin/busybox && echo local-image"]
[image]
type = "local"
rootfs = "`+filepath.Join(imgs, "rootfs.tar.xz")+`"
metadata = "`+filepath.Join(imgs, "meta.tar.xz")+`"
`)
	e.mustRun("create", "loc")
	r := e.run("launch", "loc")
	if r.code != 0 || !strings.Contains(r.stdout, "local-image") || !strings.HasPrefix(r.stdout, "user\n") {
		t.Errorf("app in the local image: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestImageDownloadFromSeededCache runs LXC's real download template
// offline: the test seeds its cache with an image it built, and
// --force-cache keeps the template off the network.
func TestImageDownloadFromSeededCache(t *testing.T) {
	e := newEnv(t)
	cache := t.TempDir()
	img := filepath.Join(cache, "download", "lxcagetest", "one", "amd64", "default")
	os.MkdirAll(img, 0o755)
	root := filepath.Join(t.TempDir(), "rootfs")
	busyboxRootfs(t, root)
	tarXZ(t, root, filepath.Join(img, "rootfs.tar.xz"))
	os.WriteFile(filepath.Join(img, "config"), []byte("lxc.arch = x86_64\n"), 0o644)
	os.WriteFile(filepath.Join(img, "config-user"), []byte("lxc.arch = x86_64\n"), 0o644)
	os.WriteFile(filepath.Join(img, "build_id"), []byte("20261128\n"), 0o644)
	e.extra = []string{"LXC_CACHE_PATH=" + cache}
	e.profile("dl", `command = ["sh", "-c", "echo from-the-download-cache"]
[image]
type = "download"
dist = "lxcagetest"
release = "one"
arch = "amd64"
`)
	e.mustRun("create", "--force-cache", "dl")
	if r := e.run("launch", "dl"); r.code != 0 || !strings.Contains(r.stdout, "from-the-download-cache") {
		t.Errorf("launch: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without the cache, the error names the server and the image.
	e.extra = []string{"LXC_CACHE_PATH=" + t.TempDir()}
	e.profile("nodl", `command = ["true"]
[image]
type = "download"
dist = "lxcagetest"
release = "none"
server = "127.0.0.1:1"
`)
	r := e.run("create", "nodl")
	if r.code == 0 || !strings.Contains(r.stderr, "download image lxcagetest none amd64 from 127.0.0.1:1") {
		t.Errorf("failed download: %d\n%s", r.code, r.stderr)
	}
	assertNoBuild(t, e, "nodl")
}

func assertNoBuild(t *testing.T, e *tenv, name string) {
	t.Helper()
	for _, n := range []string{name, name + "_build"} {
		if _, err := os.Stat(filepath.Join(e.lxcpath, n)); err == nil {
			t.Errorf("a failed create left %s behind", n)
		}
	}
}

// TestImageDebootstrapCloneAndSetup builds a Debian container with
// debootstrap (first stage unprivileged in a user namespace, second stage
// inside), installs x11-apps through [setup], shows xeyes from the
// container's own /usr; clones it as an overlay snapshot that shares the
// base's files; and shows that a failing setup step leaves nothing.
func TestImageDebootstrapCloneAndSetup(t *testing.T) {
	_, err := os.Stat("/usr/sbin/debootstrap")
	need(t, err == nil, "debootstrap")
	e := newEnv(t)
	x := xconn(t)
	e.profile("base", `command = ["sh", "-c", "test -e /usr/bin/lxc-start && exit 42; exec xeyes"]
[image]
type = "debootstrap"
suite = "bookworm"
variant = "minbase"
[setup]
packages = ["x11-apps"]
# As Debian's systemd-resolved does on install: a link LXC would not bind
# the container's resolver config over (setup's last step undoes it).
run = [["ln", "-sf", "../run/systemd/resolve/stub-resolv.conf", "/etc/resolv.conf"]]
[access]
x11 = true
network = "nat"
`)
	start := time.Now()
	r := e.run("create", "base")
	if r.code != 0 {
		t.Fatalf("create base: %d\n%s", r.code, r.stderr)
	}
	t.Logf("debootstrap + setup took %v", time.Since(start).Round(time.Second))
	for _, step := range []string{"debootstrap second stage", "account user", "packages x11-apps", "resolver config still a file"} {
		if !strings.Contains(r.stderr, step) {
			t.Errorf("progress never mentioned %q", step)
		}
	}
	l := e.start("launch", "base")
	w, ok := waitWindow(t, x, "xeyes", 30*time.Second)
	if !ok {
		t.Fatalf("no xeyes window from the Debian container:\n%s", l.out)
	}
	killClient(t, x, w)
	if code := l.wait(t, 10*time.Second); code != 1 {
		t.Errorf("status %d (the host's /usr was visible, or xeyes failed):\n%s", code, l.out)
	}

	// A clone shares the base's files: its own layer stays small.
	e.profile("web", `command = ["sh", "-c", "test -x /usr/bin/xeyes && test $(pwd -P) = /home/user && echo shared-from-base > web-marker && cat /home/user/web-marker"]
[image]
type = "clone"
base = "base"
`)
	e.mustRun("create", "web")
	r = e.run("launch", "web")
	if r.code != 0 || !strings.Contains(r.stdout, "shared-from-base") {
		t.Errorf("clone: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	conf, _ := os.ReadFile(filepath.Join(e.lxcpath, "web", "config"))
	if !strings.Contains(string(conf), "lxc.rootfs.path = overlay:"+filepath.Join(e.lxcpath, "base", "rootfs")+":") {
		t.Errorf("the clone is not an overlay snapshot of base:\n%s", conf)
	}
	if du := dirSize(filepath.Join(e.lxcpath, "web")); du > 5<<20 {
		t.Errorf("the clone takes %d bytes of its own: it copied the base", du)
	}
	if _, err := os.Stat(filepath.Join(e.lxcpath, "base", "rootfs", "home", "user", "web-marker")); err == nil {
		t.Error("the clone wrote into the base's rootfs")
	}

	// A failing step: named, with its command, status and output, and no
	// container left.
	e.profile("doomed", `command = ["true"]
[image]
type = "clone"
base = "base"
[setup]
run = [["sh", "-c", "echo about to fail; exit 7"]]
`)
	r = e.run("create", "doomed")
	for _, want := range []string{"setup step", "(run sh -c echo about to fail; exit 7)", "exited with status 7", "about to fail", "doomed-setup.log"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("setup failure lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.code == 0 {
		t.Error("create succeeded")
	}
	assertNoBuild(t, e, "doomed")

	// upgrade runs the distribution's update in the stopped container.
	if r := e.run("upgrade", "base"); r.code != 0 || !strings.Contains(r.stderr, "dist-upgrade") {
		t.Errorf("upgrade: %d\n%s", r.code, r.stderr)
	}
}

// dirSize sums the sizes of the files under dir that the user can see.
func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// TestPresetChromium builds the chromium preset (debootstrap + Debian's
// chromium) and shows a local page in it on Xvfb: the real-browser proof
// that the browser path works.
func TestPresetChromium(t *testing.T) {
	_, err := os.Stat("/usr/sbin/debootstrap")
	need(t, err == nil, "debootstrap")
	e := newEnv(t)
	x := xconn(t)
	page := filepath.Join(e.cache, "page")
	os.MkdirAll(page, 0o755)
	os.WriteFile(filepath.Join(page, "index.html"), []byte("<html><head><title>lxcage-page-ok</title></head><body><h1>Hello from the host</h1></body></html>"), 0o644)
	preset, _ := assets.Preset("chromium")
	// The preset as shipped, plus the page's folder and no 4G limit
	// surprises on small CI machines.
	text := string(preset) + "\n[[share]]\nhost = \"" + page + "\"\npath = \"/mnt/page\"\nreadonly = true\n"
	text = strings.Replace(text, "[[share]]\nhost = \"~/Downloads\"", "[[share]]\nhost = \"~/Downloads-lxcage-test\"", 1)
	e.profile("chromium", text)
	start := time.Now()
	if r := e.run("create", "chromium"); r.code != 0 {
		t.Fatalf("create the chromium preset: %d\n%s", r.code, r.stderr)
	}
	t.Logf("built in %v", time.Since(start).Round(time.Second))
	l := e.start("launch", "chromium", "file:///mnt/page/index.html")
	w, ok := waitWindow(t, x, "lxcage-page-ok", 90*time.Second)
	if !ok {
		t.Fatalf("no Chromium window showing the page; output:\n%s", l.out)
	}
	// Close it as a user does, once it has settled: the browser shuts
	// down with its helpers, and the container stops.
	time.Sleep(3 * time.Second)
	closeWindow(t, x, w)
	l.wait(t, 60*time.Second)
	if !e.waitState("chromium", "STOPPED", 5*time.Second) {
		t.Errorf("container %s after Chromium closed", e.state("chromium"))
	}
}
