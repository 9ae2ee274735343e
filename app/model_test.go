package app

import (
	"reflect"
	"testing"

	"github.com/lxcage/lxcage/profiles"
)

// fill sets every field reachable from v to a non-zero value, so that a
// test sees each slice and map a profile may hold.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// mutate changes every string reachable from v in place (through slices
// and maps) and reports whether it found any.
func mutate(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("changed")
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				mutate(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			mutate(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			v.SetMapIndex(k, reflect.ValueOf("changed"))
		}
	}
}

// TestCloneIsDeep: no slice or map of a clone is shared with the
// original, including fields added to Profile after clone was written.
func TestCloneIsDeep(t *testing.T) {
	var p profiles.Profile
	fill(reflect.ValueOf(&p).Elem())
	orig := clone(&p)
	c := clone(&p)
	mutate(reflect.ValueOf(c).Elem())
	if !reflect.DeepEqual(&p, orig) {
		t.Errorf("changing a clone changed the original:\n%+v\n%+v", p, *orig)
	}
}

// TestStripDefaults: defaults are left out of a saved file, chosen
// values are kept.
func TestStripDefaults(t *testing.T) {
	p := &profiles.Profile{Name: "x", Command: []string{"xeyes"}}
	p.Defaults()
	q := stripDefaults(p)
	if q.User != "" || q.Mode != "" || q.Image.Type != "" || q.Access.Network != "" || q.Log.Level != "" || q.Security.Seccomp != "" {
		t.Errorf("defaults kept: %+v", q)
	}
	if p.User == "" {
		t.Errorf("stripDefaults changed its argument")
	}
	p.Access.Network = profiles.NetworkHost
	p.Mode = profiles.ModeSystem
	q = stripDefaults(p)
	if q.Access.Network != profiles.NetworkHost || q.Mode != profiles.ModeSystem {
		t.Errorf("chosen values dropped: %+v", q)
	}
}

func TestLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"xeyes", []string{"xeyes"}},
		{"sh\n-c\necho a b\n", []string{"sh", "-c", "echo a b"}},
		{"a\n\n  \nb", []string{"a", "b"}},
		{" spaced ", []string{" spaced "}},
	} {
		if got := lines(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("lines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLogBufferKeepsTheNewest(t *testing.T) {
	b := newLogBuffer(3)
	for _, l := range []string{"1", "2", "3", "4", "5"} {
		b.add(l)
	}
	if got := b.String(); got != "3\n4\n5" {
		t.Errorf("buffer %q", got)
	}
}
