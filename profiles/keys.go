package profiles

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// schema is the set of valid keys, derived from the struct tags so that a
// new field is known everywhere at once. Keys are dotted; array tables
// appear without an index ("share.host").
var schema = sync.OnceValue(buildSchema)

type keyKind int

const (
	kindValue keyKind = iota
	kindTable
	kindArrayTable
	kindFreeTable // any key allowed below ([env])
)

func buildSchema() map[string]keyKind {
	m := map[string]keyKind{}
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if name == "" || name == "-" {
				continue
			}
			key := prefix + name
			switch {
			case f.Type.Kind() == reflect.Struct:
				m[key] = kindTable
				walk(key+".", f.Type)
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
				m[key] = kindArrayTable
				walk(key+".", f.Type.Elem())
			case f.Type.Kind() == reflect.Map:
				m[key] = kindFreeTable
			default:
				m[key] = kindValue
			}
		}
	}
	walk("", reflect.TypeOf(Profile{}))
	return m
}

// unknownKeys turns the keys the decoder did not use into Errors, one per
// unknown key or table (not one per key under an unknown table), each with
// the nearest valid key suggested.
func unknownKeys(undecoded []string, ps *problems) {
	sort.Strings(undecoded)
	reported := map[string]bool{}
outer:
	for _, k := range undecoded {
		parts := strings.Split(k, ".")
		for i := 1; i < len(parts); i++ {
			p := strings.Join(parts[:i], ".")
			if reported[p] || schema()[p] == kindFreeTable {
				continue outer
			}
		}
		reported[k] = true
		shown := k
		_, isTable := tablesOf(undecoded)[k]
		if isTable {
			shown = "[" + k + "]"
		}
		fix := ""
		if s := suggest(k); s != "" {
			if isTable || schema()[s] == kindTable || schema()[s] == kindArrayTable {
				s = "[" + s + "]"
			}
			fix = "did you mean " + s + "?"
		} else {
			fix = "remove it; valid keys here are " + strings.Join(siblings(k), ", ")
		}
		ps.list = append(ps.list, &Error{File: ps.file, Line: ps.lineAny(k), Key: k, Msg: "unknown key " + shown, Fix: fix, keyInMsg: true})
	}
}

// tablesOf returns the undecoded keys that have undecoded keys below them.
func tablesOf(keys []string) map[string]struct{} {
	t := map[string]struct{}{}
	for _, k := range keys {
		for i := strings.LastIndex(k, "."); i > 0; i = strings.LastIndex(k[:i], ".") {
			t[k[:i]] = struct{}{}
		}
	}
	return t
}

// siblings lists the valid keys at the level of k.
func siblings(k string) []string {
	prefix := ""
	if i := strings.LastIndex(k, "."); i >= 0 {
		prefix = k[:i+1]
	}
	var out []string
	for s := range schema() {
		if strings.HasPrefix(s, prefix) && !strings.Contains(s[len(prefix):], ".") {
			out = append(out, s[len(prefix):])
		}
	}
	sort.Strings(out)
	return out
}

// suggest returns the valid key closest to k: first a near spelling at the
// same level, then the same name in another table ("network" → "access.network").
func suggest(k string) string {
	prefix, last := "", k
	if i := strings.LastIndex(k, "."); i >= 0 {
		prefix, last = k[:i+1], k[i+1:]
	}
	best, bestD := "", 1<<30
	for _, s := range siblings(k) {
		d := EditDistance(strings.ToLower(last), s)
		if d < bestD || (d == bestD && s < best) {
			best, bestD = s, d
		}
	}
	if best != "" && bestD <= max(2, len(last)/3) {
		return prefix + best
	}
	var elsewhere []string
	for s := range schema() {
		if strings.HasSuffix(s, "."+last) || s == last {
			elsewhere = append(elsewhere, s)
		}
	}
	if len(elsewhere) > 0 {
		sort.Strings(elsewhere)
		return elsewhere[0]
	}
	return ""
}

// EditDistance is the Levenshtein distance between a and b (insertions,
// deletions, substitutions): how far a typo is from a known word.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// keyLines maps each key of a TOML document to the line it is on, with
// array tables indexed ("share[1].host"). It is a forgiving line scanner,
// good enough to point a user at the right line; the real parse is
// BurntSushi/toml's.
func keyLines(src string) map[string]int {
	lines := map[string]int{}
	table := ""
	counts := map[string]int{}
	for n, line := range strings.Split(src, "\n") {
		s := strings.TrimSpace(line)
		switch {
		case s == "" || s[0] == '#':
			continue
		case strings.HasPrefix(s, "[["):
			name := cleanKey(strings.TrimSuffix(strings.TrimSpace(strings.SplitN(s[2:], "]]", 2)[0]), "]"))
			table = name + "[" + strconv.Itoa(counts[name]) + "]"
			counts[name]++
			lines[table] = n + 1
			if _, ok := lines[name]; !ok {
				lines[name] = n + 1
			}
		case s[0] == '[':
			table = cleanKey(strings.SplitN(s[1:], "]", 2)[0])
			lines[table] = n + 1
		default:
			k, _, ok := strings.Cut(s, "=")
			if !ok {
				continue
			}
			full := cleanKey(k)
			if table != "" {
				full = table + "." + full
			}
			if _, dup := lines[full]; !dup {
				lines[full] = n + 1
			}
		}
	}
	return lines
}

func cleanKey(k string) string {
	parts := strings.Split(strings.TrimSpace(k), ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// lineAny finds the line of an unindexed key such as "share.hots", trying
// each array-table entry in turn.
func (ps *problems) lineAny(k string) int {
	if l := ps.line(k); l > 0 {
		if _, exact := ps.lines[k]; exact {
			return l
		}
	}
	for name, kind := range schema() {
		if kind != kindArrayTable || !strings.HasPrefix(k, name+".") {
			continue
		}
		rest := k[len(name):]
		for i := 0; ; i++ {
			idx := name + "[" + strconv.Itoa(i) + "]"
			if _, ok := ps.lines[idx]; !ok {
				break
			}
			if l, ok := ps.lines[idx+rest]; ok {
				return l
			}
		}
	}
	return ps.line(k)
}

// SchemaKeys are every key a profile may set, dotted, with array tables
// unindexed ("share.host") and free tables as themselves ("env"): what an
// editor must offer a widget for.
func SchemaKeys() []string {
	var out []string
	for k, kind := range schema() {
		if kind == kindValue || kind == kindFreeTable {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
