package profiles

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/lxcage/lxcage/sandbox"
)

// Package managers Setup knows.
const (
	PMApt = "apt"
	PMDnf = "dnf"
	PMApk = "apk"
)

// DetectPMScript prints the package manager of an image: apt, dnf, apk or
// nothing.
var DetectPMScript = []string{"/bin/sh", "-c", `if command -v apt-get >/dev/null; then echo apt; elif command -v dnf >/dev/null; then echo dnf; elif command -v apk >/dev/null; then echo apk; fi`}

// accountScript makes the app's account with the caller's uid and gid,
// dropping any account or group of the image that holds the name or the
// ids (Ubuntu images ship "ubuntu" with uid 1000), and its home.
const accountScript = `set -e
u=$1 uid=$2 gid=$3 home=$4 hostlink=$5 target=$6
for f in /etc/passwd /etc/shadow /etc/group /etc/gshadow; do
	[ -f "$f" ] || continue
	awk -F: -v u="$u" -v id="$uid" -v g="$gid" -v f="$f" '
		f ~ /passwd$/ && ($1 == u || $3 == id) { next }
		f ~ /group$/ && ($1 == u || $3 == g) { next }
		f ~ /(shadow|gshadow)$/ && $1 == u { next }
		{ print }' "$f" > "$f.lxcage" && cat "$f.lxcage" > "$f" && rm -f "$f.lxcage"
done
echo "$u:x:$uid:$gid:$u:$home:/bin/sh" >> /etc/passwd
echo "$u:x:$gid:" >> /etc/group
[ -f /etc/shadow ] && echo "$u:*:19000:0:99999:7:::" >> /etc/shadow
[ -f /etc/gshadow ] && echo "$u:!::" >> /etc/gshadow
mkdir -p "$home"
chown "$uid:$gid" "$home"
chmod 700 "$home"
# The host home path leads to the home (the launcher starts apps there).
if [ -n "$hostlink" ] && [ ! -e "/$hostlink" ] && [ ! -L "/$hostlink" ]; then
	mkdir -p "$(dirname "/$hostlink")"
	ln -s "$target" "/$hostlink"
fi`

// noServicesScript keeps package installs from starting services in a
// container that has no init system running them.
const noServicesScript = `printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d`

// resolvScript gives the image the user-mode network's resolver config
// as a file of its own, replacing a symlink into a resolver the container
// does not run (the app's starts then bind the same content over it).
const resolvScript = `rm -f /etc/resolv.conf && cat > /etc/resolv.conf`

// keepResolvFile runs last in a setup or an upgrade: a package installed
// meanwhile may have made /etc/resolv.conf a link again (Debian's
// systemd-resolved does, on install), and LXC refuses to bind the
// container's resolver config over a link: every later start with a
// network would fail ("resolv.conf … was a symbolic link!").
func keepResolvFile(resolvConf string) sandbox.SetupStep {
	return sandbox.SetupStep{Name: "resolver config still a file", Argv: []string{"/bin/sh", "-c", `[ -f /etc/resolv.conf ] && [ ! -L /etc/resolv.conf ] || { ` + resolvScript + `; }`}, StdinFile: resolvConf}
}

// SetupSteps lists the steps that provision a freshly created container
// for p: DNS, the user account, packages, local .debs, downloads, the
// profile's own commands. pm is the image's package manager ("" for none).
func SetupSteps(p *Profile, pm string, uid, gid int, hostHome, resolvConf string) ([]sandbox.SetupStep, error) {
	q := *p
	q.Defaults()
	s := q.Setup
	var steps []sandbox.SetupStep
	if resolvConf != "" {
		steps = append(steps, sandbox.SetupStep{Name: "network configuration", Argv: []string{"/bin/sh", "-c", resolvScript}, StdinFile: resolvConf})
	}
	if q.Image.Type == ImageDebootstrap {
		// debootstrap's first stage ran on the host, unprivileged; the
		// second configures the packages inside.
		steps = append(steps, sandbox.SetupStep{Name: "debootstrap second stage", Argv: []string{"/debootstrap/debootstrap", "--second-stage"}})
	}
	sources := updateSources(&q)
	if sources != nil {
		steps = append(steps, *sources)
	}
	link, target, _ := HomeLink(hostHome, q.Home())
	steps = append(steps, sandbox.SetupStep{
		Name: "account " + q.User,
		Argv: []string{"/bin/sh", "-c", accountScript, "lxcage", q.User, strconv.Itoa(uid), strconv.Itoa(gid), q.Home(), link, target},
	})
	needPM := len(s.Packages) > 0 || len(s.Debs) > 0 || hasDebURL(s.URLs)
	if needPM && pm == "" {
		return nil, &Error{File: p.Name + Ext, Key: "setup", Msg: "the image has no package manager lxcage knows (apt, dnf or apk)", Fix: "install what the app needs with [setup] run, or choose another image"}
	}
	if (len(s.Debs) > 0 || hasDebURL(s.URLs)) && pm != PMApt {
		return nil, &Error{File: p.Name + Ext, Key: "setup.debs", Msg: ".deb packages need an apt-based image (Debian, Ubuntu)", Fix: "choose a Debian or Ubuntu image"}
	}
	// An image with the distribution's update archives gets their fixes
	// before anything is installed on it.
	upgrade := sources != nil && pm == PMApt
	apt := pm == PMApt && (needPM || upgrade)
	if apt {
		steps = append(steps, sandbox.SetupStep{Name: "no services during setup", Argv: []string{"/bin/sh", "-c", noServicesScript}})
		steps = append(steps, aptLists)
	}
	if upgrade {
		steps = append(steps, distUpgrade)
	}
	if len(s.Packages) > 0 {
		var argv []string
		switch pm {
		case PMApt:
			argv = []string{"apt-get", "-q", "-y", "--no-install-recommends", "install", "--"}
		case PMDnf:
			argv = []string{"dnf", "-y", "install", "--"}
		case PMApk:
			argv = []string{"apk", "add", "--no-cache", "--"}
		}
		steps = append(steps, sandbox.SetupStep{Name: "packages " + strings.Join(s.Packages, " "), Argv: append(argv, s.Packages...), Network: true})
	}
	steps = append(steps, fileSteps(s)...)
	for _, argv := range s.Run {
		steps = append(steps, sandbox.SetupStep{Name: "run " + strings.Join(argv, " "), Argv: append([]string(nil), argv...), Network: true})
	}
	if upgrade {
		hintUpdates(p, steps)
	}
	if apt {
		steps = append(steps, aptCleanUp)
	}
	if resolvConf != "" {
		steps = append(steps, keepResolvFile(resolvConf))
	}
	return steps, nil
}

// fileSteps copies in the local .debs and downloads the URLs (inside
// the container, checked against their sha256), installing the .debs.
func fileSteps(s Setup) []sandbox.SetupStep {
	var steps []sandbox.SetupStep
	for i, d := range s.Debs {
		inside := fmt.Sprintf("/var/cache/lxcage/deb-%d.deb", i)
		steps = append(steps,
			sandbox.SetupStep{Name: "copy " + path.Base(d), Argv: []string{"/bin/sh", "-c", `mkdir -p /var/cache/lxcage && cat > "$1"`, "lxcage", inside}, StdinFile: d},
			sandbox.SetupStep{Name: "install " + path.Base(d), Argv: []string{"apt-get", "-q", "-y", "--no-install-recommends", "install", "--", inside}, Network: true},
		)
	}
	for i, u := range s.URLs {
		inside := fmt.Sprintf("/var/cache/lxcage/url-%d-%s", i, urlBase(u.URL))
		steps = append(steps, sandbox.SetupStep{
			Name:    "download " + u.URL,
			Argv:    []string{"/bin/sh", "-c", downloadScript, "lxcage", u.URL, inside, u.SHA256},
			Watch:   strings.TrimPrefix(inside, "/") + ".part",
			Network: true,
		})
		if strings.HasSuffix(inside, ".deb") {
			steps = append(steps, sandbox.SetupStep{Name: "install " + urlBase(u.URL), Argv: []string{"apt-get", "-q", "-y", "--no-install-recommends", "install", "--", inside}, Network: true})
		}
	}
	return steps
}

// downloadScript fetches a URL inside the container and checks its
// sha256 before keeping it.
const downloadScript = `set -e
url=$1 out=$2 sum=$3
mkdir -p "$(dirname "$out")"
if command -v curl >/dev/null; then curl -fsSL -o "$out.part" -- "$url"
elif command -v wget >/dev/null; then wget -q -O "$out.part" -- "$url"
else echo "setup.urls needs curl or wget in the image: add one to setup.packages" >&2; exit 2; fi
echo "$sum  $out.part" | sha256sum -c - >/dev/null || { echo "sha256 mismatch for $url" >&2; rm -f "$out.part"; exit 3; }
mv "$out.part" "$out"`

func hasDebURL(us []URL) bool {
	for _, u := range us {
		if strings.HasSuffix(urlBase(u.URL), ".deb") {
			return true
		}
	}
	return false
}

// urlBase is the file name of a URL, safe as a file name.
func urlBase(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	b := path.Base(u)
	var out strings.Builder
	for _, r := range b {
		if r == '.' || r == '-' || r == '_' || r == '+' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			out.WriteRune(r)
		}
	}
	if out.Len() == 0 || strings.HasPrefix(out.String(), ".") {
		return "file" + out.String()
	}
	return out.String()
}

// The apt steps setup and upgrade share: the package lists, the
// distribution's updates, and the clean-up that also lets services start
// again.
var (
	aptLists    = sandbox.SetupStep{Name: "package lists", Argv: []string{"apt-get", "-q", "update"}, Network: true}
	distUpgrade = sandbox.SetupStep{Name: "dist-upgrade", Argv: []string{"apt-get", "-q", "-y", "dist-upgrade"}, Network: true}
	aptCleanUp  = sandbox.SetupStep{Name: "clean up", Argv: []string{"/bin/sh", "-c", "apt-get -q clean; rm -f /usr/sbin/policy-rc.d"}}
)

// updateSources is the step that gives a debootstrap image its
// distribution's update and security archives (nil for other images and
// for suites without them). The lines travel as arguments.
func updateSources(p *Profile) *sandbox.SetupStep {
	if p.Image.Type != ImageDebootstrap || p.Image.Updates == "none" {
		return nil
	}
	im := p.Image
	lines := sandbox.Debootstrap{Suite: im.Suite, Mirror: im.Mirror, Components: im.Components}.UpdateSources()
	if len(lines) == 0 {
		return nil
	}
	return &sandbox.SetupStep{Name: "update and security archives", Argv: append([]string{"/bin/sh", "-c", sourcesScript, "lxcage"}, lines...)}
}

// hintUpdates gives the apt steps of an image with update archives the
// way out when one of them fails: apt fails whole when one archive does.
func hintUpdates(p *Profile, steps []sandbox.SetupStep) {
	hint := fmt.Sprintf(`if apt could not use the distribution's update or security archive (unreachable, or "Mirror sync in progress?"), retry later, or write updates = "none" under [image] in %s to build without them`, p.Name+Ext)
	for i := range steps {
		if a := steps[i].Argv; a[0] == "apt-get" || a[0] == "apt" {
			steps[i].Hint = hint
		}
	}
}

// sourcesScript writes its arguments as apt's list of the distribution's
// update archives.
const sourcesScript = `f=/etc/apt/sources.list.d/lxcage-updates.list
printf '%s\n' "$@" > "$f.tmp" && mv "$f.tmp" "$f"`

// UpgradeSteps are `lxcage upgrade` of p's container: the distribution's
// updates, as the LXC 1.0 article's API example does (apt-get update &&
// dist-upgrade). A debootstrap image built before lxcage added its
// update archives gets them first. resolvConf is as for SetupSteps: the
// upgrade also makes a linked /etc/resolv.conf a file again.
func UpgradeSteps(p *Profile, pm, resolvConf string) ([]sandbox.SetupStep, error) {
	steps, err := upgradeSteps(p, pm)
	if err == nil && resolvConf != "" {
		steps = append(steps, keepResolvFile(resolvConf))
	}
	return steps, err
}

func upgradeSteps(p *Profile, pm string) ([]sandbox.SetupStep, error) {
	switch pm {
	case PMApt:
		var steps []sandbox.SetupStep
		sources := updateSources(p)
		if sources != nil {
			steps = append(steps, *sources)
		}
		steps = append(steps,
			sandbox.SetupStep{Name: "no services during upgrade", Argv: []string{"/bin/sh", "-c", noServicesScript}},
			aptLists, distUpgrade, aptCleanUp,
		)
		if sources != nil {
			hintUpdates(p, steps)
		}
		return steps, nil
	case PMDnf:
		return []sandbox.SetupStep{{Name: "upgrade", Argv: []string{"dnf", "-y", "upgrade"}, Network: true}}, nil
	case PMApk:
		return []sandbox.SetupStep{{Name: "upgrade", Argv: []string{"apk", "upgrade", "--no-cache"}, Network: true}}, nil
	}
	return nil, fmt.Errorf("the image has no package manager lxcage knows (apt, dnf or apk)")
}

// BuildProfile is the profile a container is built and upgraded with:
// the network through user-mode NAT (setup needs it even when the app
// runs offline, and an image's or a vendor .deb's maintainer scripts get
// no more of the host than an app on "nat"), none of the app's access —
// no display, sound, devices or shares — and the app's limits.
func BuildProfile(p *Profile) *Profile {
	q := *p
	q.Defaults()
	q.Access = Access{Network: NetworkNat, DBus: DBusNone}
	q.Shares = nil
	// Limits stay: an image's and a vendor .deb's maintainer scripts get
	// no more of the machine than the app.
	q.Mode = ModeApp
	return &q
}
