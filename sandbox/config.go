package sandbox

import (
	"os"
	"strings"
)

// Config is an LXC container config as an ordered list of lines.
type Config struct {
	Lines []Line
}

// Line is one "key = value" line, or a comment when Key is empty.
type Line struct {
	Key, Value string
}

// Add appends key = value.
func (c *Config) Add(key, value string) { c.Lines = append(c.Lines, Line{key, value}) }

// Comment appends a comment line.
func (c *Config) Comment(text string) { c.Lines = append(c.Lines, Line{"", text}) }

// String renders the config the way LXC reads it.
func (c *Config) String() string {
	var b strings.Builder
	for _, l := range c.Lines {
		if l.Key == "" {
			if l.Value == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("# ")
			b.WriteString(l.Value)
			b.WriteString("\n")
			continue
		}
		b.WriteString(l.Key)
		b.WriteString(" = ")
		b.WriteString(l.Value)
		b.WriteString("\n")
	}
	return b.String()
}

// Get returns the values of key in order.
func (c *Config) Get(key string) []string {
	var out []string
	for _, l := range c.Lines {
		if l.Key == key {
			out = append(out, l.Value)
		}
	}
	return out
}

// ReadConfig reads an LXC config file (a container's, or the user's
// lxc.conf): its "key = value" lines, key and value trimmed, in order;
// comments and any other lines are left out.
func ReadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &Config{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if k = strings.TrimSpace(k); ok && k != "" && !strings.HasPrefix(k, "#") {
			c.Add(k, strings.TrimSpace(v))
		}
	}
	return c, nil
}

// MountEntry is one lxc.mount.entry, in fstab form.
type MountEntry struct {
	Source  string // host path, or the fs name for pseudo filesystems
	Target  string // path inside, relative to the rootfs (no leading /)
	FSType  string // "none" for binds
	Options []string
}

// String renders the entry with paths escaped as getmntent(3) reads them,
// so a path with a space, tab or backslash stays one field.
func (m MountEntry) String() string {
	return EscapeMountPath(m.Source) + " " + EscapeMountPath(m.Target) + " " + m.FSType + " " + strings.Join(m.Options, ",") + " 0 0"
}

var mountEscaper = strings.NewReplacer(
	`\`, `\134`,
	" ", `\040`,
	"\t", `\011`,
	"\n", `\012`,
)

// EscapeMountPath escapes a path for an fstab-style field. Validation
// already refuses control characters; escaping them too keeps the entry
// one line even if a caller skipped validation.
func EscapeMountPath(p string) string { return mountEscaper.Replace(p) }

// UnescapeMountPath reverses EscapeMountPath (getmntent's decoding).
func UnescapeMountPath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			v := (s[i+1]-'0')*64 + (s[i+2]-'0')*8 + (s[i+3] - '0')
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}
