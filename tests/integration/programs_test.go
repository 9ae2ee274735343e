package integration

// This file has no build tag: its test runs with the unit tests (make
// unit, and first in CI), so a program a test needs but the setup script
// does not install fails there, on any machine, not only on a bare one.

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// progBase marks a program of Debian's base system (its package is Essential
// or of priority required or important): every Debian machine has it.
// progExternal marks one that is not a Debian package at all (the Go
// toolchain, which README's requirements name).
const (
	progBase     = "(base system)"
	progExternal = "(not from Debian)"
)

// testPrograms maps every program a test of this repository looks up or
// runs — on the host, or in a host-image container, where the host's
// /usr is the container's — to the Debian package hack/setup-host.sh
// installs for it, written "package/owner" when dpkg lists the file
// under a dependency of that package. TestSetupInstallsTestPrograms
// fails when a test names a program missing here, when a package here is
// missing from hack/setup-host.sh, and (where the program is installed)
// when dpkg says another package owns it.
var testPrograms = map[string]string{
	// LXC and the id helpers.
	"lxc-start": "lxc", "lxc-stop": "lxc", "lxc-info": "lxc", "lxc-attach": "lxc", "lxc-destroy": "lxc",
	"lxc-wait": "lxc", "lxc-usernsexec": "lxc", "lxc-create": "lxc", "newuidmap": "uidmap",
	"debootstrap": "debootstrap", "busybox": "busybox-static",
	// X11.
	"Xvfb": "xvfb", "Xephyr": "xserver-xephyr", "xauth": "xauth", "xdotool": "xdotool",
	"xeyes": "x11-apps", "xclock": "x11-apps", "xwd": "x11-apps", "x11perf": "x11-apps", "xdpyinfo": "x11-utils", "xterm": "xterm",
	"zenity": "zenity", "python3": "python3/python3-minimal", "convert": "imagemagick/imagemagick-6.q16",
	// Sessions, sound, Wayland.
	"dbus-daemon": "dbus/dbus-daemon", "dbus-send": "dbus/dbus-bin", "xdg-dbus-proxy": "xdg-dbus-proxy",
	"pactl": "pulseaudio-utils", "paplay": "pulseaudio-utils", "pulseaudio": "pulseaudio",
	"pipewire": "pipewire-bin", "pw-cli": "pipewire-bin", "weston": "weston", "wayland-info": "wayland-utils",
	// User-mode networking (network = "nat").
	"pasta": "passt", "slirp4netns": "slirp4netns", "nft": "nftables", "ip": "iproute2", "dnsmasq": "dnsmasq-base",
	// Desktop integration.
	"desktop-file-validate": "desktop-file-utils", "gio": "libglib2.0-bin", "xdg-mime": "xdg-utils",
	// Host programs the host-image tests run.
	"chromium": "chromium", "firefox-esr": "firefox-esr", "ssh-agent": "openssh-client", "bwrap": "bubblewrap",
	"setfacl": "acl", "getfacl": "acl", "pgrep": "procps",
	// The CLI's completion and man page tests.
	"zsh": "zsh", "fish": "fish", "groff": "groff-base",
	// The X11 proxy's container tests.
	"xclip": "xclip", "glxinfo": "mesa-utils", "glxgears": "mesa-utils",
	// The base system.
	// Tools the tests reach through others or by a list: tar -J and LXC's
	// local and download templates need xz; the X11 proxy's app tests,
	// the screenshots and the PipeWire tests name the rest.
	"xz": "xz-utils", "setxkbmap": "x11-xkb-utils", "xhost": "x11-xserver-utils",
	"identify": "imagemagick/imagemagick-6.q16", "wireplumber": "wireplumber", "pipewire-pulse": "pipewire-pulse",
	"sh": progBase, "bash": progBase, "true": progBase, "test": progBase, "sleep": progBase, "tar": progBase, "timeout": progBase,
	"unshare": progBase, "nsenter": progBase, "flock": progBase, "env": progBase, "id": progBase, "cat": progBase,
	"go": progExternal,
}

// notHostPrograms are names the tests use as programs that the host
// must not or need not have.
var notHostPrograms = map[string]string{
	"no-such-program-here": "a test that a missing program gives status 127",
	"evil":                 "a hostile image's program, in that image",
	"steam":                "the steam preset's command, installed inside its container",
	"systemctl":            "the systemd VM's (hack/vm/packages): its tests skip outside the VM",
}

// programCalls are the functions whose argument (by index) is a program.
var programCalls = map[string]int{
	"exec.LookPath": 0, "exec.Command": 0, "exec.CommandContext": 1, "needTool": 1, "xvfb.NeedTool": 1,
}

var (
	binPathRE = regexp.MustCompile(`^/(usr/)?(s?bin|games)/([A-Za-z0-9][A-Za-z0-9._+-]*)$`)
	commandRE = regexp.MustCompile(`(?m)^command = \["([^"]+)"`)
	wordRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
)

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for d := dir; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	t.Skip("not run from the source tree (no go.mod above " + dir + ")")
	return ""
}

// programsInTests finds the programs the module's tests name: literal
// arguments of exec.LookPath, exec.Command, exec.CommandContext and
// needTool anywhere; and in the integration tests, which run programs in
// containers on the host's /usr, also literal /usr/bin/… paths, a
// table's bin: "…" field and the first word of a profile's command.
// (Unit tests write profiles whose commands never run.) Each maps to
// where it was found.
func programsInTests(t *testing.T, root string) map[string]string {
	found := map[string]string{}
	add := func(fset *token.FileSet, pos token.Pos, prog string) {
		if wordRE.MatchString(prog) {
			if _, ok := found[prog]; !ok {
				p := fset.Position(pos)
				rel, _ := filepath.Rel(root, p.Filename)
				found[prog] = rel + ":" + strconv.Itoa(p.Line)
			}
		}
	}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		integration := filepath.Dir(path) == filepath.Join(root, "tests", "integration")
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if i, ok := programCalls[callName(n.Fun)]; ok && len(n.Args) > i {
					if s, ok := stringLit(n.Args[i]); ok {
						add(fset, n.Pos(), filepath.Base(s))
					}
				}
				return true
			}
			if !integration {
				return true
			}
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "bin" {
					if s, ok := stringLit(n.Value); ok {
						add(fset, n.Pos(), s)
					}
				}
			case *ast.BasicLit:
				s, ok := stringLit(n)
				if !ok {
					break
				}
				if m := binPathRE.FindStringSubmatch(s); m != nil {
					add(fset, n.Pos(), m[3])
				}
				for _, m := range commandRE.FindAllStringSubmatch(s, -1) {
					add(fset, n.Pos(), m[1])
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func callName(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok {
			return x.Name + "." + f.Sel.Name
		}
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// setupPackages reads the PACKAGES list of hack/setup-host.sh.
func setupPackages(t *testing.T, root string) map[string]bool {
	b, err := os.ReadFile(filepath.Join(root, "hack", "setup-host.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\nPACKAGES="([^"]*)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal(`hack/setup-host.sh has no PACKAGES="…" list`)
	}
	out := map[string]bool{}
	for _, p := range strings.Fields(string(m[1])) {
		out[p] = true
	}
	return out
}

// TestSetupInstallsTestPrograms: every program a test names is in
// testPrograms, every package there is installed by hack/setup-host.sh,
// and on this machine dpkg agrees about who installs each program. Under
// CI every one of them must be installed.
func TestSetupInstallsTestPrograms(t *testing.T) {
	root := moduleRoot(t)
	found := programsInTests(t, root)
	for prog, where := range found {
		if _, ok := testPrograms[prog]; !ok && notHostPrograms[prog] == "" {
			t.Errorf("%s: a test runs %q, which testPrograms (tests/integration/programs_test.go) does not list: add it with its Debian package, and the package to PACKAGES in hack/setup-host.sh", where, prog)
		}
	}
	pkgs := setupPackages(t, root)
	for prog, pkg := range testPrograms {
		install, _, _ := strings.Cut(pkg, "/")
		if pkg != progBase && pkg != progExternal && !pkgs[install] {
			t.Errorf("%s needs package %s, which hack/setup-host.sh does not install: add it to PACKAGES", prog, install)
		}
	}
	checkOwners(t)
}

// checkOwners compares testPrograms with dpkg's own record, for each
// program installed here (in CI: each program, which must be installed).
func checkOwners(t *testing.T) {
	info, err := dpkgIndex()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI machine without dpkg: %v", err)
		}
		t.Skipf("no dpkg database here: %v", err)
	}
	var progs []string
	for p := range testPrograms {
		progs = append(progs, p)
	}
	sort.Strings(progs)
	for _, prog := range progs {
		want := testPrograms[prog]
		if want == progExternal {
			continue
		}
		owner, path := info.ownerOf(prog)
		if i := strings.IndexByte(want, '/'); i >= 0 {
			want = want[i+1:]
		}
		switch {
		case path == "" && os.Getenv("CI") != "":
			t.Errorf("%s is not installed: hack/setup-host.sh should have installed %s", prog, want)
		case path == "":
			t.Logf("%s is not installed here (%s installs it)", prog, want)
		case want == progBase && !info.base[owner]:
			t.Errorf("%s (%s) comes from %s, which is not in Debian's base system: list that package", prog, path, owner)
		case want != progBase && owner != want:
			t.Errorf("%s (%s) comes from %q, not %s: fix testPrograms", prog, path, owner, want)
		}
	}
}

// dpkgFacts are the owners of the programs in the usual directories and
// the packages of the base system.
type dpkgFacts struct {
	owner map[string]string // path as dpkg lists it → package
	base  map[string]bool
}

// dpkgIndex reads dpkg's file lists for the bin directories and its
// status file for priorities.
func dpkgIndex() (*dpkgFacts, error) {
	st, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		return nil, err
	}
	f := &dpkgFacts{owner: map[string]string{}, base: map[string]bool{}}
	for _, stanza := range strings.Split(string(st), "\n\n") {
		var name string
		isBase := false
		for _, line := range strings.Split(stanza, "\n") {
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimSpace(v)
			switch k {
			case "Package":
				name = v
			case "Essential":
				isBase = isBase || v == "yes"
			case "Priority":
				isBase = isBase || v == "required" || v == "important"
			}
		}
		f.base[name] = isBase
	}
	lists, _ := filepath.Glob("/var/lib/dpkg/info/*.list")
	for _, l := range lists {
		pkg, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(l), ".list"), ":")
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if binPathRE.MatchString(sc.Text()) {
				f.owner[sc.Text()] = pkg
			}
		}
	}
	return f, nil
}

// ownerOf finds prog in the system's bin directories (not PATH: what
// matters is what Debian installed) and the package dpkg says owns it,
// following alternatives' links.
func (f *dpkgFacts) ownerOf(prog string) (owner, path string) {
	for _, d := range []string{"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/games"} {
		p := filepath.Join(d, prog)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		cands := []string{p, strings.TrimPrefix(p, "/usr")}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			cands = append(cands, real, strings.TrimPrefix(real, "/usr"))
		}
		for _, c := range cands {
			if o, ok := f.owner[c]; ok {
				return o, p
			}
		}
		return "", p
	}
	return "", ""
}
