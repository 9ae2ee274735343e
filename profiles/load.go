package profiles

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/lxcage/lxcage/internal/lazyre"

	"github.com/BurntSushi/toml"
)

// Ext is the file name extension of profiles.
const Ext = ".toml"

// MaxSize bounds a profile file; anything larger is not a hand-written
// profile and is refused before parsing.
const MaxSize = 1 << 20

var nameRE = lazyre.New(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CheckName reports whether name is a valid profile name: it is used as a
// file name, a container name and inside desktop Exec lines, so it is
// kept to lower-case letters, digits and dashes.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid profile name %q: use 1–63 lower-case letters, digits and dashes, starting with a letter or digit (e.g. %q)", name, suggestName(name))
	}
	return nil
}

func suggestName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 63 {
		s = s[:63]
	}
	if s == "" {
		s = "app"
	}
	return s
}

// Dir is where profiles live: $XDG_CONFIG_HOME/lxcage/profiles, or
// ~/.config/lxcage/profiles.
func Dir() (string, error) {
	base := os.Getenv("XDG_CONFIG_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find profile directory: %w", err)
		}
		base = filepath.Join(home, ".config")
	}
	return filepath.Join(base, "lxcage", "profiles"), nil
}

// Path is the file of profile name in dir.
func Path(dir, name string) string { return filepath.Join(dir, name+Ext) }

// LoadName loads profile name from dir.
func LoadName(dir, name string) (*Profile, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	return Load(Path(dir, name))
}

// Load reads, parses and validates the profile at path. A missing file
// gives an error wrapping ErrNoProfile.
func Load(path string) (*Profile, error) {
	name := strings.TrimSuffix(filepath.Base(path), Ext)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w (create it with `lxcage new %s --preset NAME`)", path, ErrNoProfile, name)
	}
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read profile %s: %w", path, err)
	}
	if len(data) > MaxSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("file is larger than %d bytes", MaxSize), Fix: "a profile is a short text file; check the path"}
	}
	return Parse(name, path, data)
}

// Parse parses and validates a profile from data; file is used in error
// messages only. It does no I/O.
func Parse(name, file string, data []byte) (*Profile, error) {
	if err := CheckName(name); err != nil {
		return nil, &Error{File: file, Msg: err.Error(), Fix: "rename the file"}
	}
	var p Profile
	md, err := toml.Decode(string(data), &p)
	if err != nil {
		return nil, decodeError(file, err)
	}
	p.Name = name
	ps := &problems{file: file, lines: keyLines(string(data))}
	var undecoded []string
	for _, k := range md.Undecoded() {
		undecoded = append(undecoded, k.String())
	}
	unknownKeys(undecoded, ps)
	validate(&p, ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	p.Defaults()
	return &p, nil
}

// decodeError turns a TOML error into one that names the file, the line,
// the key and what the value should look like.
func decodeError(file string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		e := &Error{File: file, Line: pe.Position.Line, Key: pe.LastKey, Msg: pe.Message}
		if e.Key == "" {
			e.Fix = "this is not valid TOML; see https://toml.io"
		}
		if isTypeError(pe.Message) {
			e.Msg, e.Fix = typeHint(pe.LastKey, pe.Message)
		}
		return e
	}
	// Type mismatches come as plain errors:
	// toml: line 1 (last key "command"): incompatible types: …
	if m := decodeErrRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		e := &Error{File: file, Line: line, Key: m[2], Msg: m[3]}
		if isTypeError(m[3]) {
			e.Msg, e.Fix = typeHint(m[2], m[3])
		}
		return e
	}
	return &Error{File: file, Msg: err.Error()}
}

var decodeErrRE = lazyre.New(`^toml: (?:line (\d+) )?\(last key "([^"]*)"\): (.*)$`)

func isTypeError(msg string) bool {
	return strings.Contains(msg, "incompatible types") || strings.Contains(msg, "cannot decode") || strings.Contains(msg, "type mismatch")
}

// typeHint explains a type mismatch in profile terms.
func typeHint(key, msg string) (string, string) {
	k := key
	if i := strings.LastIndex(k, "."); i >= 0 && schema()[k] == 0 && schema()[k[:i]] == kindFreeTable {
		return "wrong type: " + msg, "env values are strings: write " + k[i+1:] + ` = "value"`
	}
	switch expectedType(k) {
	case "list":
		return "must be a list", fmt.Sprintf(`write %s = ["…", "…"] (an argv list, never one shell string)`, lastPart(k))
	case "string":
		return "must be a string", fmt.Sprintf(`write %s = "…" in double quotes`, lastPart(k))
	case "bool":
		return "must be true or false", fmt.Sprintf(`write %s = true or %s = false`, lastPart(k), lastPart(k))
	case "int":
		return "must be a whole number", fmt.Sprintf(`write %s = 1024 without quotes`, lastPart(k))
	case "table":
		return "must be a table", fmt.Sprintf("write it as a [%s] section", k)
	}
	return "wrong type: " + msg, ""
}

func lastPart(k string) string {
	if i := strings.LastIndex(k, "."); i >= 0 {
		return k[i+1:]
	}
	return k
}

// expectedType names the Go kind behind a dotted key.
func expectedType(key string) string {
	if schema()[key] == kindTable || schema()[key] == kindFreeTable {
		return "table"
	}
	if schema()[key] == kindArrayTable {
		return "list"
	}
	return fieldType(key)
}

// fieldType names the kind of the struct field behind a dotted key:
// "list", "string", "bool", "int" or "" when there is no such field.
func fieldType(key string) string {
	t := reflect.TypeOf(Profile{})
	for _, part := range strings.Split(key, ".") {
		if t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return ""
		}
		found := false
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
			if name == part {
				t, found = t.Field(i).Type, true
				break
			}
		}
		if !found {
			return ""
		}
	}
	if t == reflect.TypeOf(X11Mode("")) {
		return "" // bool or string: the decoder's own message is best
	}
	switch t.Kind() {
	case reflect.Slice:
		return "list"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int64:
		return "int"
	}
	return ""
}

// List returns the names of the profiles in dir, sorted.
func List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, Ext) || strings.HasPrefix(n, ".") {
			continue
		}
		n = strings.TrimSuffix(n, Ext)
		if CheckName(n) == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}
