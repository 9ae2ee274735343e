// Package xauth reads and writes X authority files (the format of
// ~/.Xauthority).
package xauth

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// MagicCookie is the one authorization protocol lxcage speaks.
const MagicCookie = "MIT-MAGIC-COOKIE-1"

// Find returns the first MIT-MAGIC-COOKIE-1 entry for display number on
// this host, or false. It matches as Xlib does (XauGetBestAuth): a local
// entry of this host name or a wild one, for this display or for any (an
// empty number); entries of other protocols are passed over, since none
// of lxcage's clients could use them.
func Find(entries []Entry, number, hostname string) (Entry, bool) {
	for _, e := range entries {
		if e.Number != "" && e.Number != number || e.Name != MagicCookie {
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
	return FileCookie(DefaultFile(), DisplayNumber(display))
}

// FileCookie returns the cookie for display number on this host from the
// authority file, if there is one (none when the file does not exist).
func FileCookie(file, number string) (e Entry, ok bool, err error) {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	defer f.Close()
	entries, err := Parse(f)
	if err != nil {
		return Entry{}, false, fmt.Errorf("%s: %w", file, err)
	}
	host, _ := os.Hostname()
	e, ok = Find(entries, number, host)
	return e, ok, nil
}
