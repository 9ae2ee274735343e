package desktop

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lxcage/lxcage/profiles"
)

// AppInfo is what lxcage takes from an app's own .desktop file: plain
// values only. Exec, TryExec, DBusActivatable and every other key are
// dropped, so nothing the container wrote decides what a click runs.
type AppInfo struct {
	// Path is the file inside the root.
	Path       string
	Name       string
	Comment    string
	Icon       string
	Categories []string
	MimeTypes  []string
	Keywords   []string
	WMClass    string

	// exec is the program its Exec line runs, used only to match it to
	// the profile's command.
	exec string
}

// containerDataDirs are where a container image keeps .desktop files and
// icons, seen from inside it.
var containerDataDirs = []string{"/usr/local/share", "/usr/share"}

// maxDesktopFiles bounds how many entries of an applications directory
// are looked at.
const maxDesktopFiles = 4000

// ErrNoContainer is a profile whose container has not been created.
var ErrNoContainer = errors.New("no container")

// source is where a profile's app lives: the container's rootfs, or the
// host itself for host-image profiles (whose /usr is the host's).
type source struct {
	root     *Root
	dataDirs []string
}

// openSource opens the root a profile's icons and .desktop files come
// from.
func openSource(env Env, p *profiles.Profile) (*source, error) {
	layers, hostRoot := rootfsLayers(env, p)
	if hostRoot {
		r, err := OpenRoot("/")
		if err != nil {
			return nil, err
		}
		return &source{root: r, dataDirs: env.DataDirs}, nil
	}
	r, err := OpenLayers(layers...)
	if err != nil {
		if notExist(err) {
			return nil, fmt.Errorf("container %s does not exist yet, so the app's icon cannot be read from it (the first launch creates it and installs the icon then): %w", p.Name, ErrNoContainer)
		}
		return nil, err
	}
	return &source{root: r, dataDirs: containerDataDirs}, nil
}

func (s *source) Close() { s.root.Close() }

// rootfsLayers are the directories a profile's container keeps its files
// in, top first, as its compiled plan says; hostRoot is true for a host
// image, whose files are the host's own.
func rootfsLayers(env Env, p *profiles.Profile) (layers []string, hostRoot bool) {
	if env.Plan != nil {
		if plan, err := env.Plan(p); err == nil {
			return plan.RootfsLayers(), plan.HostRoot()
		}
	}
	if t, ok := profiles.ImageTypeNamed(p.Image.Type); ok && t.HostRoot {
		return nil, true
	}
	return []string{filepath.Join(env.LXCPath, p.Name, "rootfs")}, false
}

// findAppInfo finds the app's own .desktop file in the source: the file
// named id (e.g. "google-chrome" or "google-chrome.desktop") when given,
// else the entry whose Exec runs the profile's command (same name, or the
// same file once symlinks are resolved inside the root).
func (s *source) findAppInfo(command, id string) (*AppInfo, error) {
	if id != "" {
		id = strings.TrimSuffix(id, ".desktop")
		if !iconNameRE.MatchString(id) {
			return nil, fmt.Errorf("invalid desktop file name %q", id)
		}
		for _, d := range s.dataDirs {
			p := path.Join(d, "applications", id+".desktop")
			info, err := s.readAppInfo(p)
			if err == nil || !notExist(err) {
				return info, err
			}
		}
		return nil, fmt.Errorf("no %s.desktop in the applications directories of %s", id, s.root.Dir())
	}
	want := path.Base(command)
	var byExec *AppInfo
	for _, d := range s.dataDirs {
		dir := path.Join(d, "applications")
		ents, err := s.root.ReadDir(dir, maxDesktopFiles)
		if err != nil {
			continue
		}
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".desktop") {
				continue
			}
			p := path.Join(dir, e.Name())
			info, err := s.readAppInfo(p)
			if err != nil {
				continue
			}
			if strings.TrimSuffix(e.Name(), ".desktop") == want {
				return info, nil // the file named after the program wins
			}
			if byExec == nil && s.sameProgram(info.exec, command) {
				byExec = info
			}
		}
	}
	if byExec != nil {
		return byExec, nil
	}
	return nil, fmt.Errorf("no .desktop file for %q in the applications directories of %s", command, s.root.Dir())
}

// readAppInfo parses one .desktop file inside the root.
func (s *source) readAppInfo(p string) (*AppInfo, error) {
	data, err := s.root.ReadFile(p, maxKeyFile)
	if err != nil {
		return nil, err
	}
	kf, err := ParseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s%s: %w", s.root.Dir(), p, err)
	}
	const g = "Desktop Entry"
	if t := kf.Get(g, "Type"); t != "" && t != "Application" {
		return nil, fmt.Errorf("%s: not an application", p)
	}
	info := &AppInfo{
		Path:       p,
		Name:       kf.Get(g, "Name"),
		Comment:    kf.Get(g, "Comment"),
		Icon:       kf.Get(g, "Icon"),
		Categories: kf.List(g, "Categories"),
		MimeTypes:  kf.List(g, "MimeType"),
		Keywords:   kf.List(g, "Keywords"),
		WMClass:    kf.Get(g, "StartupWMClass"),
	}
	if args, err := ParseExec(kf.Get(g, "Exec")); err == nil {
		info.exec = programOf(args)
	}
	return info, nil
}

// programOf is the program an Exec line runs, skipping an "env VAR=x"
// prefix.
func programOf(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if path.Base(a) == "env" || strings.Contains(a, "=") && !strings.HasPrefix(a, "/") {
			continue
		}
		return a
	}
	return ""
}

// sameProgram reports whether an Exec program is the command: the same
// name, or the same file once both are looked up in the root's PATH and
// their symlinks resolved (google-chrome and google-chrome-stable).
func (s *source) sameProgram(prog, command string) bool {
	if prog == "" || command == "" {
		return false
	}
	if path.Base(prog) == path.Base(command) {
		return true
	}
	a, aok := s.lookPath(prog)
	b, bok := s.lookPath(command)
	return aok && bok && a == b
}

type fileID struct{ dev, ino uint64 }

// lookPath finds a program in the root's usual PATH directories.
func (s *source) lookPath(prog string) (fileID, bool) {
	cands := []string{prog}
	if !strings.HasPrefix(prog, "/") {
		cands = nil
		for _, d := range []string{"/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/games"} {
			cands = append(cands, path.Join(d, prog))
		}
	}
	for _, c := range cands {
		if dev, ino, ok := s.root.Identity(c); ok {
			return fileID{dev, ino}, true
		}
	}
	return fileID{}, false
}

// ParseExec splits an Exec value (already unescaped by the general
// rules) into arguments by the spec's quoting rules: arguments separated
// by spaces, double quotes around an argument, and inside them a
// backslash before `"`, backtick, `$` or `\` stands for that character.
// Field codes are left in place; "%%" becomes "%".
func ParseExec(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\':
			if i+1 == len(s) || !strings.ContainsRune("\"`$\\", rune(s[i+1])) {
				return nil, fmt.Errorf("exec %q: bad escape in quotes", s)
			}
			i++
			cur.WriteByte(s[i])
		case quoted && c == '"':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '"':
			if inArg {
				return nil, fmt.Errorf("exec %q: quote inside an argument", s)
			}
			quoted, inArg = true, true
		case c == ' ' || c == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("exec %q: unterminated quote", s)
	}
	if inArg {
		args = append(args, cur.String())
	}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "%%", "%")
	}
	if len(args) == 0 {
		return nil, errors.New("exec: empty")
	}
	return args, nil
}
