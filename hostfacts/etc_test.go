package hostfacts

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// fakeDpkg writes a dpkg status file and info directory.
func fakeDpkg(t *testing.T, status string, lists map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	info := filepath.Join(dir, "info")
	os.MkdirAll(info, 0o755)
	for name, files := range lists {
		os.WriteFile(filepath.Join(info, name+".list"), []byte(files), 0o644)
	}
	st := filepath.Join(dir, "status")
	os.WriteFile(st, []byte(status), 0o644)
	return st, info
}

// A browser whose dependencies, as a hostile or careless package set
// might, claim configuration in every secret place.
const fakeStatus = `Package: browser
Status: install ok installed
Priority: optional
Depends: libgui (>= 1.0) | libother, www-helper, libc6:amd64
Conffiles:
 /etc/browser.d/default-flags 0123
 /etc/browser/policies/x.json 4567

Package: libgui
Status: install ok installed
Priority: optional
Depends: fontconfig-config
Conffiles:
 /etc/gtk-3.0/settings.ini 89ab

Package: libother
Status: install ok installed
Conffiles:
 /etc/not-taken 0000

Package: fontconfig-config
Status: install ok installed
Priority: optional
Conffiles:
 /etc/fonts/fonts.conf cdef

Package: helper-impl
Status: install ok installed
Priority: optional
Provides: www-helper (= 2)
Depends: sneaky
Conffiles:
 /etc/helper.conf 1111

Package: sneaky
Status: install ok installed
Priority: optional
Conffiles:
 /etc/ssh/ssh_config 1
 /etc/sudoers 2
 /etc/sudoers.d/README 3
 /etc/NetworkManager/system-connections/home.nmconnection 4
 /etc/wpa_supplicant/wpa_supplicant.conf 5
 /etc/shadow 6
 /etc/gshadow 7
 /etc/passwd 8

Package: libc6
Status: install ok installed
Priority: required
Conffiles:
 /etc/ld.so.conf.d/x86_64-linux-gnu.conf 9

Package: gone
Status: deinstall ok config-files
Conffiles:
 /etc/gone.conf 2222
`

// TestDpkgEtc: the /etc entries of the command's package and of what it
// depends on (alternatives: the first installed; virtual packages: their
// providers), without the base system's.
func TestDpkgEtc(t *testing.T) {
	st, info := fakeDpkg(t, fakeStatus, map[string]string{
		"browser":      "/.\n/usr\n/usr/bin\n/usr/bin/browser\n/usr/lib/browser/browser\n",
		"tools:amd64":  "/.\n/usr/bin/tool\n",
		"libgui:amd64": "/.\n/usr/lib/libgui.so\n",
	})
	got := dpkgEtc(st, info, "/usr/bin/browser", "/usr/lib/browser/browser")
	want := []string{"NetworkManager", "browser", "browser.d", "fonts", "gshadow", "gtk-3.0", "helper.conf", "passwd", "shadow", "ssh", "sudoers", "sudoers.d", "wpa_supplicant"}
	if !slices.Equal(got, want) {
		t.Errorf("dpkgEtc = %v\nwant      %v", got, want)
	}
	// On a merged-/usr host dpkg may list /bin/x for /usr/bin/x; a
	// program named unlike its package is found by scanning every list.
	if got := dpkgOwner(info, []string{"/bin/tool"}); got != "tools" {
		t.Errorf("owner of /bin/tool: %q, want tools", got)
	}
	if got := dpkgEtc(st, info, "/usr/bin/unowned"); got != nil {
		t.Errorf("an unowned program gets %v", got)
	}
}

// TestHostEtcNeverSecrets is the attacker's side of the above: whatever
// the packages claim, none of the secret places and none of the
// container's own files is bound.
func TestHostEtcNeverSecrets(t *testing.T) {
	st, info := fakeDpkg(t, fakeStatus, map[string]string{"browser": "/usr/bin/browser\n"})
	etc := t.TempDir()
	names := append(dpkgEtc(st, info, "/usr/bin/browser"), "../shadow", "x/../ssh", ".", "")
	for _, n := range names {
		if n == "" || strings.Contains(n, "/") || n == "." {
			continue
		}
		os.MkdirAll(filepath.Join(etc, n), 0o755)
	}
	got := etcEntries(etc, names)
	for _, secret := range []string{"shadow", "gshadow", "ssh", "sudoers", "sudoers.d", "NetworkManager", "wpa_supplicant", "passwd", "../shadow", "x/../ssh", ".", ""} {
		if _, ok := got[secret]; ok {
			t.Errorf("%q would be bound", secret)
		}
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"browser", "browser.d", "fonts", "gtk-3.0", "helper.conf"}; !slices.Equal(keys, want) {
		t.Errorf("bound %v, want %v", keys, want)
	}
}

// TestPackageEtcCache: the second lookup of a command comes from the
// cache, and a cache for another dpkg database is not believed.
func TestPackageEtcCache(t *testing.T) {
	if _, err := os.Stat(dpkgStatus); err != nil {
		t.Skip("not a dpkg host")
	}
	sh, _ := lookPath("sh")
	if sh == "" {
		t.Skip("no sh")
	}
	cache := t.TempDir()
	first := packageEtc("sh", cache)
	file := filepath.Join(cache, "lxcage", "host-etc.json")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	// A poisoned cache for this very database is used as it is (the
	// filter applies after it), one for another database is ignored.
	poisoned := strings.Replace(string(b), `"commands":{`, `"commands":{"sh\u0000/nonexistent":["x"],`, 1)
	os.WriteFile(file, []byte(strings.Replace(poisoned, `"stamp":"`, `"stamp":"old-`, 1)), 0o600)
	if again := packageEtc("sh", cache); !slices.Equal(again, first) {
		t.Errorf("with a stale cache: %v, want %v", again, first)
	}
	if b2, _ := os.ReadFile(file); strings.Contains(string(b2), "old-") {
		t.Error("the stale cache was kept")
	}
}
