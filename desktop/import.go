package desktop

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lxcage/lxcage/internal/lazyre"

	"github.com/BurntSushi/toml"

	"github.com/lxcage/lxcage/profiles"
)

// Import reads the app's own .desktop file (from the container's rootfs,
// or the host for host-image profiles) and returns the profile's
// [desktop] table with the values it found: Name (with " (sandboxed)"),
// Comment, Icon, Categories, MimeType, Keywords and StartupWMClass. Only
// empty fields are filled unless replace is set. from names the .desktop
// file ("google-chrome"); empty means the one whose Exec runs the
// profile's command. Every value is checked as profile input; values that
// fail are dropped and said so in the notes, as is every value taken.
func Import(env Env, p *profiles.Profile, from string, replace bool) (profiles.Desktop, []string, error) {
	src, err := openSource(env, p)
	if err != nil {
		return p.Desktop, nil, err
	}
	defer src.Close()
	command := ""
	if len(p.Command) > 0 {
		command = p.Command[0]
	}
	info, err := src.findAppInfo(command, from)
	if err != nil {
		return p.Desktop, nil, err
	}
	where := info.Path
	if src.root.Dir() != "/" {
		where = src.root.Dir() + info.Path
	}
	notes := []string{"read " + where}
	d := p.Desktop
	take := func(dst *string, v string) {
		if v != "" && (*dst == "" || replace) {
			*dst = v
		}
	}
	takeList := func(dst *[]string, v []string) {
		if len(v) > 0 && (len(*dst) == 0 || replace) {
			*dst = append([]string(nil), v...)
		}
	}
	if info.Name != "" {
		take(&d.Name, truncate(info.Name, 100)+" (sandboxed)")
	}
	take(&d.Comment, truncate(info.Comment, 300))
	take(&d.Icon, info.Icon)
	takeList(&d.Categories, info.Categories)
	takeList(&d.MimeTypes, info.MimeTypes)
	takeList(&d.Keywords, info.Keywords)
	take(&d.WMClass, info.WMClass)
	d, dropped := sanitizeDesktop(p, d)
	return d, append(append(notes, dropped...), changes(p.Desktop, d)...), nil
}

// changes says which [desktop] values import set.
func changes(old, d profiles.Desktop) []string {
	var out []string
	str := func(key, a, b string) {
		if a != b {
			out = append(out, fmt.Sprintf("desktop.%s = %q", key, b))
		}
	}
	list := func(key string, a, b []string) {
		if !reflect.DeepEqual(a, b) {
			out = append(out, fmt.Sprintf("desktop.%s = %q", key, b))
		}
	}
	str("name", old.Name, d.Name)
	str("comment", old.Comment, d.Comment)
	str("icon", old.Icon, d.Icon)
	list("categories", old.Categories, d.Categories)
	list("mime_types", old.MimeTypes, d.MimeTypes)
	list("keywords", old.Keywords, d.Keywords)
	str("wm_class", old.WMClass, d.WMClass)
	return out
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

var itemKey = lazyre.New(`^desktop\.(\w+)\[(\d+)\]$`)

// sanitizeDesktop drops every [desktop] value that profile validation
// refuses (a control character smuggled in with "\n", a bad MIME type…),
// so what the container wrote can never make the profile invalid.
func sanitizeDesktop(p *profiles.Profile, d profiles.Desktop) (profiles.Desktop, []string) {
	var notes []string
	for range 5 {
		q := *p
		q.Desktop = d
		var probs profiles.Problems
		if err := profiles.Validate(&q); !errors.As(err, &probs) {
			return d, notes
		}
		probs = probs.For("desktop")
		if len(probs) == 0 {
			return d, notes
		}
		drop := map[string]map[int]bool{}
		for _, pr := range probs {
			// %q in the message keeps whatever the value holds inert.
			notes = append(notes, fmt.Sprintf("dropped %s from the app's file: %s", pr.Key, pr.Msg))
			if m := itemKey.FindStringSubmatch(pr.Key); m != nil {
				i, _ := strconv.Atoi(m[2])
				if drop[m[1]] == nil {
					drop[m[1]] = map[int]bool{}
				}
				drop[m[1]][i] = true
				continue
			}
			switch pr.Key {
			case "desktop.name":
				d.Name = ""
			case "desktop.comment":
				d.Comment = ""
			case "desktop.icon":
				d.Icon = ""
			case "desktop.wm_class":
				d.WMClass = ""
			default:
				// A problem with no field to drop: give up on the table.
				return profiles.Desktop{}, append(notes, "dropped every imported value")
			}
		}
		d.Categories = without(d.Categories, drop["categories"])
		d.MimeTypes = without(d.MimeTypes, drop["mime_types"])
		d.Keywords = without(d.Keywords, drop["keywords"])
	}
	return p.Desktop, append(notes, "kept the profile's own values")
}

func without(items []string, drop map[int]bool) []string {
	if len(drop) == 0 {
		return items
	}
	var out []string
	for i, it := range items {
		if !drop[i] {
			out = append(out, it)
		}
	}
	return out
}

var (
	desktopHeader = lazyre.New(`^\s*\[\s*desktop\s*\]\s*(#.*)?$`)
	anyHeader     = lazyre.New(`^\s*\[`)
	dottedDesktop = lazyre.New(`(?m)^\s*desktop\s*[.=]`)
)

// SetProfileDesktop returns profile text with its [desktop] table
// replaced by d, keeping every other line (and its comments) as it was.
// The result is parsed back and must equal the old profile with the new
// table; where the text cannot be edited that way (desktop.name = … at the
// top level, an inline table), the whole profile is encoded anew, with a
// note that comments were lost.
func SetProfileDesktop(name string, src []byte, d profiles.Desktop) ([]byte, string, error) {
	old, err := profiles.Parse(name, name+profiles.Ext, src)
	if err != nil {
		return nil, "", err
	}
	want := *old
	want.Desktop = d
	table, err := encodeDesktop(d)
	if err != nil {
		return nil, "", err
	}
	if !dottedDesktop.Match(src) {
		out := replaceTable(src, table)
		if got, err := profiles.Parse(name, name+profiles.Ext, out); err == nil && reflect.DeepEqual(*got, want) {
			return out, "", nil
		}
	}
	out, err := profiles.Encode(&want, "")
	if err != nil {
		return nil, "", err
	}
	return out, "the profile was rewritten whole: its comments are lost", nil
}

// encodeDesktop renders d as a [desktop] table ("" when empty).
func encodeDesktop(d profiles.Desktop) ([]byte, error) {
	if reflect.DeepEqual(d, profiles.Desktop{}) {
		return nil, nil
	}
	var b bytes.Buffer
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(struct {
		Desktop profiles.Desktop `toml:"desktop"`
	}{d}); err != nil {
		return nil, fmt.Errorf("encode [desktop]: %w", err)
	}
	return b.Bytes(), nil
}

// replaceTable cuts the [desktop] table (its header to the next header)
// out of src and appends table at the end.
func replaceTable(src, table []byte) []byte {
	lines := strings.SplitAfter(string(src), "\n")
	var out strings.Builder
	in := false
	for _, l := range lines {
		switch {
		case desktopHeader.MatchString(strings.TrimRight(l, "\r\n")):
			in = true
			continue
		case in && anyHeader.MatchString(l):
			in = false
		}
		if !in {
			out.WriteString(l)
		}
	}
	s := strings.TrimRight(out.String(), "\n")
	if len(table) > 0 {
		s += "\n\n" + strings.TrimRight(string(table), "\n")
	}
	return []byte(s + "\n")
}
