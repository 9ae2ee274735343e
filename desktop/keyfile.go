package desktop

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// KeyFile is a parsed key file (.desktop, mimeapps.list): groups of
// key=value lines. Localized keys (Name[de]) are kept under their full
// name. Values are stored as written; Get and List unescape them.
type KeyFile struct {
	groups map[string]map[string]string
	order  []string
}

// maxKeyFile bounds a key file read from a container: real ones are a
// few kilobytes, translations included.
const maxKeyFile = 256 << 10

// ParseKeyFile parses key file text. It is lenient about what it does
// not use (comments, blank lines, unknown keys) and strict about what
// could confuse a reader: invalid UTF-8, a key before any group, and
// lines without "=" are errors.
func ParseKeyFile(data []byte) (*KeyFile, error) {
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key file is %d bytes, more than %d", len(data), maxKeyFile)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("key file is not valid UTF-8")
	}
	kf := &KeyFile{groups: map[string]map[string]string{}}
	var cur map[string]string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case strings.HasPrefix(trimmed, "["):
			if !strings.HasSuffix(trimmed, "]") {
				return nil, fmt.Errorf("line %d: bad group header", i+1)
			}
			name := trimmed[1 : len(trimmed)-1]
			if _, dup := kf.groups[name]; dup {
				return nil, fmt.Errorf("line %d: group [%s] appears twice", i+1, name)
			}
			cur = map[string]string{}
			kf.groups[name] = cur
			kf.order = append(kf.order, name)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("line %d: expected key=value", i+1)
			}
			if cur == nil {
				return nil, fmt.Errorf("line %d: key before the first group", i+1)
			}
			k = strings.TrimSpace(k)
			if _, dup := cur[k]; !dup {
				// The first occurrence wins, as in GLib.
				cur[k] = strings.TrimLeft(v, " \t")
			}
		}
	}
	return kf, nil
}

// Groups lists the group names in file order.
func (kf *KeyFile) Groups() []string { return append([]string(nil), kf.order...) }

// Raw is a value as written, and whether the key is there.
func (kf *KeyFile) Raw(group, key string) (string, bool) {
	v, ok := kf.groups[group][key]
	return v, ok
}

// Get is a string value, unescaped.
func (kf *KeyFile) Get(group, key string) string {
	v, _ := kf.Raw(group, key)
	return UnescapeValue(v)
}

// List is a list value (items separated by ";", "\;" inside an item),
// each item unescaped; empty items are dropped.
func (kf *KeyFile) List(group, key string) []string {
	v, _ := kf.Raw(group, key)
	return SplitList(v)
}

// SplitList splits a raw list value into unescaped items.
func SplitList(raw string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := UnescapeValue(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\\' && i+1 < len(raw) && raw[i+1] == ';':
			cur.WriteByte(';')
			i++
		case raw[i] == '\\' && i+1 < len(raw):
			cur.WriteByte(raw[i])
			cur.WriteByte(raw[i+1])
			i++
		case raw[i] == ';':
			flush()
		default:
			cur.WriteByte(raw[i])
		}
	}
	flush()
	return out
}

// UnescapeValue undoes the spec's escapes \s \n \t \r \\; other
// backslashes are kept as they are (Exec's quoting uses them).
func UnescapeValue(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
