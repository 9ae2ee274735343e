package sandbox

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lxcage/lxcage/internal/fix"
)

// MinIDs is the smallest subordinate range lxcage accepts: a distribution
// image needs ids up to 65534 ("nobody").
const MinIDs = 65536

// ParseSubIDs reads /etc/subuid or /etc/subgid content and returns the
// ranges of the user given by name or by numeric id, in file order.
func ParseSubIDs(r io.Reader, user string, id int) ([]IDRange, error) {
	var out []IDRange
	sc := bufio.NewScanner(r)
	idStr := strconv.Itoa(id)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 3 || (f[0] != user && f[0] != idStr) {
			continue
		}
		start, err1 := strconv.Atoi(f[1])
		count, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || start < 0 || count <= 0 {
			continue
		}
		out = append(out, IDRange{Start: start, Count: count})
	}
	return out, sc.Err()
}

// IDMapEntry is one lxc.idmap line: Count ids from Inside map to Outside.
type IDMapEntry struct {
	Kind    byte // 'u' or 'g'
	Inside  int
	Outside int
	Count   int
}

func (e IDMapEntry) String() string {
	return fmt.Sprintf("%c %d %d %d", e.Kind, e.Inside, e.Outside, e.Count)
}

// IDMap maps the container's ids 0…65535 onto the first subordinate range
// large enough, except the caller's own id, which maps to itself: that
// lets the app use the X socket, the sound server and devices exactly as
// the user does on the host. kind is 'u' or 'g'; what names the file in
// errors ("/etc/subuid").
func IDMap(kind byte, own int, user string, ranges []IDRange, what string) ([]IDMapEntry, error) {
	var r *IDRange
	for i := range ranges {
		if ranges[i].Count >= MinIDs {
			r = &ranges[i]
			break
		}
	}
	tool := map[byte]string{'u': "--add-subuids", 'g': "--add-subgids"}[kind]
	howto := fmt.Sprintf("as root run: usermod %s 100000-165535 %s  (any free range of %d ids works)", tool, user, MinIDs)
	if r == nil {
		if len(ranges) == 0 {
			return nil, fix.New(fmt.Sprintf("user %s has no subordinate id range in %s", user, what), howto)
		}
		return nil, fix.New(fmt.Sprintf("user %s's ranges in %s are too small (need %d ids, have %d)", user, what, MinIDs, ranges[0].Count), howto)
	}
	if own >= r.Start && own < r.Start+r.Count {
		return nil, fix.New(fmt.Sprintf("user %s's own id %d lies inside its range %d:%d in %s", user, own, r.Start, r.Count, what),
			"give the user a range that does not contain its own id")
	}
	n := MinIDs
	if own >= n {
		return []IDMapEntry{
			{kind, 0, r.Start, n},
			{kind, own, own, 1},
		}, nil
	}
	var out []IDMapEntry
	if own > 0 {
		out = append(out, IDMapEntry{kind, 0, r.Start, own})
	}
	out = append(out, IDMapEntry{kind, own, own, 1})
	if rest := n - own - 1; rest > 0 {
		out = append(out, IDMapEntry{kind, own + 1, r.Start + own + 1, rest})
	}
	return out, nil
}

// IDRange is one line of /etc/subuid or /etc/subgid.
type IDRange struct {
	Start, Count int
}
