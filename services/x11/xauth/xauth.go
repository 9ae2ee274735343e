// Package xauth reads and writes X authority files (the format of
// ~/.Xauthority) and makes cookies for containers.
package xauth

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/run"
)

// Address families used in authority entries.
const (
	FamilyInternet = 0
	FamilyLocal    = 256
	FamilyWild     = 65535
)

// Entry is one authority record.
type Entry struct {
	Family  uint16
	Address string
	Number  string // display number, e.g. "0"
	Name    string // auth protocol, e.g. "MIT-MAGIC-COOKIE-1"
	Data    []byte
}

// Parse reads all entries of an authority file.
func Parse(r io.Reader) ([]Entry, error) {
	var out []Entry
	br := &reader{r: r}
	for {
		var fam [2]byte
		if _, err := io.ReadFull(r, fam[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, fmt.Errorf("xauth: truncated entry: %w", err)
		}
		e := Entry{Family: binary.BigEndian.Uint16(fam[:])}
		e.Address = string(br.field())
		e.Number = string(br.field())
		e.Name = string(br.field())
		e.Data = br.field()
		if br.err != nil {
			return out, fmt.Errorf("xauth: truncated entry: %w", br.err)
		}
		out = append(out, e)
	}
}

type reader struct {
	r   io.Reader
	err error
}

func (r *reader) field() []byte {
	if r.err != nil {
		return nil
	}
	var n [2]byte
	if _, r.err = io.ReadFull(r.r, n[:]); r.err != nil {
		return nil
	}
	b := make([]byte, binary.BigEndian.Uint16(n[:]))
	_, r.err = io.ReadFull(r.r, b)
	return b
}

// Marshal encodes entries in the authority file format.
func Marshal(entries []Entry) []byte {
	var b bytes.Buffer
	put := func(s []byte) {
		binary.Write(&b, binary.BigEndian, uint16(len(s)))
		b.Write(s)
	}
	for _, e := range entries {
		binary.Write(&b, binary.BigEndian, e.Family)
		put([]byte(e.Address))
		put([]byte(e.Number))
		put([]byte(e.Name))
		put(e.Data)
	}
	return b.Bytes()
}

// DefaultFile is the user's authority file: $XAUTHORITY or ~/.Xauthority.
func DefaultFile() string {
	if f := os.Getenv("XAUTHORITY"); f != "" {
		return f
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".Xauthority")
}

// Find returns the entry for display number on this host (a local or a
// wild entry), or false.
func Find(entries []Entry, number, hostname string) (Entry, bool) {
	for _, e := range entries {
		if e.Number != number {
			continue
		}
		switch e.Family {
		case FamilyWild:
			return e, true
		case FamilyLocal:
			if e.Address == hostname {
				return e, true
			}
		}
	}
	return Entry{}, false
}

// ForContainer rewrites an entry so it matches the display from any host
// name: the container has its own hostname, so a local entry would never
// match there.
func ForContainer(e Entry) Entry {
	e.Family = FamilyWild
	e.Address = ""
	return e
}

// DisplayNumber extracts "0" from ":0", ":0.1" or "unix:0".
func DisplayNumber(display string) string {
	d := strings.TrimPrefix(display, "unix")
	d = strings.TrimPrefix(d, ":")
	n, _, _ := strings.Cut(d, ".")
	return n
}

// UserCookie returns the user's own cookie for display, if there is one.
// An X server without access control (Xvfb started without -auth) needs
// none; then ok is false and err nil.
func UserCookie(display string) (e Entry, ok bool, err error) {
	f, err := os.Open(DefaultFile())
	if errors.Is(err, os.ErrNotExist) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	defer f.Close()
	entries, err := Parse(f)
	if err != nil {
		return Entry{}, false, err
	}
	host, _ := os.Hostname()
	e, ok = Find(entries, DisplayNumber(display), host)
	return e, ok, nil
}

// ErrNoSecurity means the X server cannot make untrusted cookies.
var ErrNoSecurity = errors.New("the X server has no SECURITY extension, so it cannot give out an untrusted cookie")

// Untrusted asks the X server for a new cookie marked untrusted (the
// SECURITY extension): clients using it cannot read other clients'
// windows, grab the keyboard or inject input. It runs xauth generate
// with the user's own cookie to authenticate the request. The cookie
// never expires while the server runs (timeout 0 keeps it valid between
// launches).
func Untrusted(ctx context.Context, r run.Runner, display, tmpDir string) (Entry, error) {
	tmp, err := os.CreateTemp(tmpDir, ".xauth-gen-*")
	if err != nil {
		return Entry{}, err
	}
	name := tmp.Name()
	defer os.Remove(name)
	defer os.Remove(name + "-c") // xauth's lock files
	defer os.Remove(name + "-l")
	if own, ok, err := UserCookie(display); err != nil {
		tmp.Close()
		return Entry{}, err
	} else if ok {
		tmp.Write(Marshal([]Entry{own}))
	}
	tmp.Close()
	// xauth reads the user's cookie from the temporary file (-f) to
	// authenticate the request.
	_, err = r.Run(ctx, nil, "xauth", "-q", "-f", name, "generate", display, "MIT-MAGIC-COOKIE-1", "untrusted", "timeout", "0")
	if err != nil {
		var te *run.ToolError
		if errors.As(err, &te) && strings.Contains(te.Stderr, "SECURITY") {
			return Entry{}, ErrNoSecurity
		}
		if errors.As(err, &te) && te.NotFound() {
			return Entry{}, fix.New("make an untrusted X cookie: xauth is not installed", "apt-get install xauth")
		}
		return Entry{}, fmt.Errorf("make an untrusted X cookie with xauth: %w", err)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return Entry{}, err
	}
	entries, err := Parse(bytes.NewReader(b))
	if err != nil {
		return Entry{}, err
	}
	host, _ := os.Hostname()
	num := DisplayNumber(display)
	// generate replaced the user's entry for this display with the new one.
	e, ok := Find(entries, num, host)
	if !ok {
		for _, x := range entries {
			if x.Number == num {
				e, ok = x, true
			}
		}
	}
	if !ok {
		return Entry{}, fmt.Errorf("xauth generate wrote no cookie for %s", display)
	}
	return e, nil
}
