package sandbox

import (
	"strings"
	"testing"
)

func TestIDMapPassesOwnIDThrough(t *testing.T) {
	r := []IDRange{{Start: 100000, Count: 65536}}
	for _, tc := range []struct {
		own  int
		want string
	}{
		{1001, "u 0 100000 1001|u 1001 1001 1|u 1002 101002 64534"},
		{1000, "u 0 100000 1000|u 1000 1000 1|u 1001 101001 64535"},
		{65535, "u 0 100000 65535|u 65535 65535 1"},
		{70000, "u 0 100000 65536|u 70000 70000 1"},
		{1, "u 0 100000 1|u 1 1 1|u 2 100002 65534"},
	} {
		m, err := IDMap('u', tc.own, "alice", r, "/etc/subuid")
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, e := range m {
			s = append(s, e.String())
		}
		if got := strings.Join(s, "|"); got != tc.want {
			t.Errorf("own %d: got %s, want %s", tc.own, got, tc.want)
		}
	}
}

func TestIDMapRefusesMissingOrSmallRange(t *testing.T) {
	_, err := IDMap('u', 1001, "alice", nil, "/etc/subuid")
	if err == nil || !strings.Contains(err.Error(), "usermod --add-subuids") || !strings.Contains(err.Error(), "no subordinate") {
		t.Errorf("no range: %v", err)
	}
	_, err = IDMap('g', 1001, "alice", []IDRange{{Start: 100000, Count: 1000}}, "/etc/subgid")
	if err == nil || !strings.Contains(err.Error(), "too small") || !strings.Contains(err.Error(), "--add-subgids") {
		t.Errorf("small range: %v", err)
	}
	// A second, big enough range is used.
	m, err := IDMap('u', 1001, "alice", []IDRange{{Start: 100000, Count: 1000}, {Start: 300000, Count: 65536}}, "/etc/subuid")
	if err != nil || m[0].Outside != 300000 {
		t.Errorf("second range: %v %v", m, err)
	}
}

func TestParseSubIDs(t *testing.T) {
	in := "# comment\nbob:100000:65536\nalice:165536:65536\n1001:300000:70000\nalice:bad:1\n"
	got, err := ParseSubIDs(strings.NewReader(in), "alice", 1001)
	if err != nil || len(got) != 2 || got[0] != (IDRange{Start: 165536, Count: 65536}) || got[1] != (IDRange{Start: 300000, Count: 70000}) {
		t.Errorf("got %v %v", got, err)
	}
}
