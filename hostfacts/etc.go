package hostfacts

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/profiles"
)

// dpkg's database.
const (
	dpkgStatus = "/var/lib/dpkg/status"
	dpkgInfo   = "/var/lib/dpkg/info"
)

// HostEtc returns the host /etc entries a host-image container running
// command binds read-only, true for a directory: profiles.HostEtcFiles,
// and the top-level /etc entries that hold configuration files (dpkg's
// conffiles) of the package that owns command and of the packages it
// depends on — so /usr/bin/chromium finds /etc/chromium.d and
// firefox-esr /etc/firefox-esr, as on the host. Entries
// profiles.EtcBindable refuses (secrets, the container's own files) are
// never among them, whatever dpkg says.
//
// Reading dpkg's database costs a few milliseconds, so the answer is
// kept under cacheDir, keyed by the database's version and the
// command's path; a stale or damaged cache is read again from dpkg.
func HostEtc(command, cacheDir string) map[string]bool {
	names := append([]string(nil), profiles.HostEtcFiles...)
	return etcEntries("/etc", append(names, packageEtc(command, cacheDir)...))
}

// etcEntries are those of names that may be bound and exist in etc.
func etcEntries(etc string, names []string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		if !profiles.EtcBindable(n) {
			continue
		}
		if fi, err := os.Stat(filepath.Join(etc, n)); err == nil {
			out[n] = fi.IsDir()
		}
	}
	return out
}

// etcCache is the file that remembers packageEtc's answers.
type etcCache struct {
	// Stamp identifies the dpkg database the answers come from.
	Stamp string `json:"stamp"`
	// Commands maps command NUL path to its /etc entries.
	Commands map[string][]string `json:"commands"`
}

// packageEtc is the /etc entries of command's packages (nil where there
// is no dpkg or no package owns the command).
func packageEtc(command, cacheDir string) []string {
	if command == "" {
		return nil
	}
	found, real := lookPath(command)
	stamp := safefile.Stamp(dpkgStatus)
	if found == "" || stamp == "" {
		return nil
	}
	file := filepath.Join(cacheDir, "lxcage", "host-etc.json")
	key := command + "\x00" + real
	var cache etcCache
	if b, err := os.ReadFile(file); err == nil && json.Unmarshal(b, &cache) == nil && cache.Stamp == stamp {
		if names, ok := cache.Commands[key]; ok {
			return names
		}
	} else {
		cache = etcCache{Stamp: stamp}
	}
	names := dpkgEtc(dpkgStatus, dpkgInfo, found, real)
	if cache.Commands == nil {
		cache.Commands = map[string][]string{}
	}
	cache.Commands[key] = names
	if b, err := json.Marshal(cache); err == nil && os.MkdirAll(filepath.Dir(file), 0o700) == nil {
		safefile.WriteAtomic(file, b, 0o600)
	}
	return names
}

// lookPath finds command as the container's PATH would on the host's
// /usr: the path found and the file it leads to.
func lookPath(command string) (found, real string) {
	cands := []string{command}
	if !strings.Contains(command, "/") {
		cands = nil
		for _, d := range filepath.SplitList(profiles.DefaultPath) {
			cands = append(cands, filepath.Join(d, command))
		}
	}
	for _, c := range cands {
		fi, err := os.Stat(c)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			continue
		}
		r, err := filepath.EvalSymlinks(c)
		if err != nil {
			r = c
		}
		return c, r
	}
	return "", ""
}

// dpkgEtc reads dpkg's status file and info directory: the package that
// owns one of the paths, the packages it depends on (Depends and
// Pre-Depends, transitively), and the top-level /etc entries their
// conffiles live in. Packages of the base system (Essential, or priority
// required or important) are left out: their configuration (apt, PAM,
// login, the shell) is the system's, not the app's, and what programs
// commonly read of it is in profiles.HostEtcFiles.
func dpkgEtc(status, info string, paths ...string) []string {
	owner := dpkgOwner(info, paths)
	if owner == "" {
		return nil
	}
	b, err := os.ReadFile(status)
	if err != nil {
		return nil
	}
	db := parseDpkgStatus(b)
	set := map[string]bool{}
	for _, name := range db.closure(owner) {
		p := db.pkgs[name]
		if p.base && name != owner {
			continue
		}
		for _, c := range p.conffiles {
			if rest, ok := strings.CutPrefix(c, "/etc/"); ok {
				top, _, _ := strings.Cut(rest, "/")
				set[top] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// dpkgOwner finds the installed package whose file list holds one of
// paths (or their other spelling on a merged-/usr system): first the
// lists named like the program, then every list.
func dpkgOwner(info string, paths []string) string {
	var want [][]byte
	var names []string
	for _, p := range paths {
		want = append(want, []byte("\n"+p+"\n"))
		if alt, ok := strings.CutPrefix(p, "/usr"); ok {
			want = append(want, []byte("\n"+alt+"\n"))
		} else {
			want = append(want, []byte("\n/usr"+p+"\n"))
		}
		names = append(names, filepath.Base(p))
	}
	holds := func(list string) bool {
		b, err := os.ReadFile(list)
		if err != nil {
			return false
		}
		b = append([]byte("\n"), b...)
		for _, w := range want {
			if bytes.Contains(b, w) {
				return true
			}
		}
		return false
	}
	pkgOf := func(list string) string {
		n, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(list), ".list"), ":")
		return n
	}
	for _, n := range names {
		lists, _ := filepath.Glob(filepath.Join(info, n+"*.list"))
		for _, l := range lists {
			if pkgOf(l) == n && holds(l) {
				return n
			}
		}
	}
	lists, _ := filepath.Glob(filepath.Join(info, "*.list"))
	for _, l := range lists {
		if holds(l) {
			return pkgOf(l)
		}
	}
	return ""
}

// dpkgPkg is what dpkgEtc needs of an installed package.
type dpkgPkg struct {
	deps      [][]string // each dependency: its alternatives
	conffiles []string
	base      bool
}

// dpkgDB is the installed packages of a status file and who provides
// the virtual ones.
type dpkgDB struct {
	pkgs     map[string]*dpkgPkg
	provides map[string][]string
}

// parseDpkgStatus reads a dpkg status file (RFC 822 stanzas).
func parseDpkgStatus(b []byte) *dpkgDB {
	db := &dpkgDB{pkgs: map[string]*dpkgPkg{}, provides: map[string][]string{}}
	var name, status string
	var provides []string
	p, inConf := &dpkgPkg{}, false
	flush := func() {
		if name != "" && strings.HasSuffix(status, " installed") {
			db.pkgs[name] = p
			for _, v := range provides {
				db.provides[v] = append(db.provides[v], name)
			}
		}
		name, status, provides, p, inConf = "", "", nil, &dpkgPkg{}, false
	}
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		switch {
		case len(line) == 0:
			flush()
			continue
		case line[0] == ' ' || line[0] == '\t':
			if f := strings.Fields(string(line)); inConf && len(f) >= 2 {
				p.conffiles = append(p.conffiles, f[0])
			}
			continue
		}
		inConf = false
		k, v, _ := bytes.Cut(line, []byte(":"))
		val := strings.TrimSpace(string(v))
		switch string(k) {
		case "Package":
			name = val
		case "Status":
			status = val
		case "Essential":
			p.base = p.base || val == "yes"
		case "Priority":
			p.base = p.base || val == "required" || val == "important"
		case "Depends", "Pre-Depends":
			for _, d := range strings.Split(val, ",") {
				var alts []string
				for _, a := range strings.Split(d, "|") {
					if n := depName(a); n != "" {
						alts = append(alts, n)
					}
				}
				p.deps = append(p.deps, alts)
			}
		case "Provides":
			for _, d := range strings.Split(val, ",") {
				if n := depName(d); n != "" {
					provides = append(provides, n)
				}
			}
		case "Conffiles":
			inConf = true
		}
	}
	flush()
	return db
}

// depName is the package name of one dependency ("libc6:amd64 (>= 2.36)"
// is libc6).
func depName(dep string) string {
	f := strings.Fields(dep)
	if len(f) == 0 {
		return ""
	}
	n, _, _ := strings.Cut(f[0], ":")
	return n
}

// closure is root and every installed package it depends on; of a
// dependency's alternatives the first installed one counts, and a
// virtual package stands for its installed providers.
func (db *dpkgDB) closure(root string) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(string)
	walk = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		p := db.pkgs[n]
		if p == nil {
			for _, q := range db.provides[n] {
				walk(q)
			}
			return
		}
		out = append(out, n)
		for _, alts := range p.deps {
			for _, a := range alts {
				if db.pkgs[a] != nil || len(db.provides[a]) > 0 {
					walk(a)
					break
				}
			}
		}
	}
	walk(root)
	return out
}
