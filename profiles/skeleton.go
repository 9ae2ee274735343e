package profiles

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/lxcage/lxcage/sandbox"
)

// skeleton lists the rootfs of a host-image container.
func skeleton(p *Profile, h *Host) *sandbox.Skeleton {
	s := &sandbox.Skeleton{}
	for _, d := range []string{"dev", "etc", "home", "mnt", "opt", "proc", "root", "run", "sys", "tmp", "usr", "var", "var/cache", "var/lib", "var/log", "var/tmp"} {
		mode := uint32(0o755)
		switch d {
		case "tmp", "var/tmp":
			mode = 0o1777
		case "root":
			mode = 0o700
		}
		s.Dirs = append(s.Dirs, sandbox.SkelDir{Path: d, Mode: mode})
	}
	for _, d := range sortedKeys(h.HostEtc) {
		if !EtcBindable(d) {
			continue
		}
		if h.HostEtc[d] {
			s.Dirs = append(s.Dirs, sandbox.SkelDir{Path: "etc/" + d, Mode: 0o755})
		} else {
			s.Files = append(s.Files, sandbox.SkelFile{Path: "etc/" + d, Mode: 0o644})
		}
	}
	s.Dirs = append(s.Dirs, sandbox.SkelDir{Path: "home/" + p.User, Mode: 0o700, User: true})
	if link, target, ok := HomeLink(h.Home, p.Home()); ok {
		for d := path.Dir(link); d != "." && d != "/" && d != "home"; d = path.Dir(d) {
			s.Dirs = append(s.Dirs, sandbox.SkelDir{Path: d, Mode: 0o755})
		}
		sort.SliceStable(s.Dirs, func(i, j int) bool { return strings.Count(s.Dirs[i].Path, "/") < strings.Count(s.Dirs[j].Path, "/") })
		s.Links = append(s.Links, sandbox.SkelLink{Path: link, Target: target})
	}
	for _, l := range h.UsrLinks {
		s.Links = append(s.Links, sandbox.SkelLink{Path: l, Target: "usr/" + l})
	}
	for _, d := range h.RootDirs {
		s.Dirs = append(s.Dirs, sandbox.SkelDir{Path: d, Mode: 0o755})
	}
	s.Links = append(s.Links, sandbox.SkelLink{Path: "var/run", Target: "../run"})

	u, g := strconv.Itoa(h.UID), strconv.Itoa(h.GID)
	passwd := "root:x:0:0:root:/root:/bin/sh\n" +
		p.User + ":x:" + u + ":" + g + ":" + p.User + ":" + p.Home() + ":/bin/sh\n"
	group := "root:x:0:\n" + p.User + ":x:" + g + ":\n"
	if h.UID != 65534 {
		passwd += "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	}
	if h.GID != 65534 {
		group += "nogroup:x:65534:\n"
	}
	id := sha256.Sum256([]byte(h.LXCPath + "\x00" + p.Name + "\x00" + u))
	files := []sandbox.SkelFile{
		{Path: "etc/passwd", Mode: 0o644, Content: passwd},
		{Path: "etc/group", Mode: 0o644, Content: group},
		{Path: "etc/shadow", Mode: 0o640, Content: "root:*:1::::::\n" + p.User + ":*:1::::::\n"},
		{Path: "etc/hostname", Mode: 0o644, Content: p.Name + "\n"},
		{Path: "etc/hosts", Mode: 0o644, Content: "127.0.0.1\tlocalhost\n127.0.1.1\t" + p.Name + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
		{Path: "etc/nsswitch.conf", Mode: 0o644, Content: "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"},
		{Path: "etc/machine-id", Mode: 0o444, Content: hex.EncodeToString(id[:16]) + "\n"},
		{Path: "etc/shells", Mode: 0o644, Content: "/bin/sh\n/bin/bash\n/usr/bin/bash\n"},
	}
	if p.Access.Network != NetworkHost {
		files = append(files, sandbox.SkelFile{Path: "etc/resolv.conf", Mode: 0o644, Content: "# no DNS: this container's network is " + p.Access.Network + "\n"})
	} else {
		files = append(files, sandbox.SkelFile{Path: "etc/resolv.conf", Mode: 0o644, Content: ""})
	}
	s.Files = append(s.Files, files...)
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	return s
}

// HomeLink is the link that makes the host home path lead to the app's
// home inside (see Attach.HostCwd): the link's path relative to the
// rootfs and its relative target; ok is false when no link is needed or
// possible.
func HomeLink(hostHome, home string) (link, target string, ok bool) {
	hostHome = path.Clean(hostHome)
	if !path.IsAbs(hostHome) || hostHome == "/" || hostHome == home || strings.HasPrefix(home, hostHome+"/") {
		return "", "", false
	}
	for _, sys := range []string{"/proc", "/sys", "/dev", "/run", "/tmp", "/usr", "/etc"} {
		if hostHome == sys || strings.HasPrefix(hostHome, sys+"/") {
			return "", "", false
		}
	}
	rel, err := relPath(path.Dir(hostHome), home)
	if err != nil {
		return "", "", false
	}
	return strings.TrimPrefix(hostHome, "/"), rel, true
}

// relPath is filepath.Rel for slash paths.
func relPath(from, to string) (string, error) {
	f := strings.Split(strings.Trim(from, "/"), "/")
	t := strings.Split(strings.Trim(to, "/"), "/")
	if from == "/" {
		f = nil
	}
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(f)-i+len(t)-i)
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	if len(parts) == 0 {
		return ".", nil
	}
	return strings.Join(parts, "/"), nil
}
