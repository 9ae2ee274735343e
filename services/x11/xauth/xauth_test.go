package xauth

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestFindMatchesAsXlib(t *testing.T) {
	mit := func(fam uint16, addr, num, data string) Entry {
		return Entry{Family: fam, Address: addr, Number: num, Name: MagicCookie, Data: []byte(data)}
	}
	xdm := Entry{Family: FamilyLocal, Address: "box", Number: "0", Name: "XDM-AUTHORIZATION-1", Data: []byte("xdm")}
	for _, c := range []struct {
		name    string
		entries []Entry
		want    string // the data of the entry found, "" for none
	}{
		{"local entry of this host", []Entry{mit(FamilyLocal, "box", "0", "a")}, "a"},
		{"local entry of another host", []Entry{mit(FamilyLocal, "other", "0", "a")}, ""},
		{"wild entry", []Entry{mit(FamilyLocal, "other", "0", "a"), mit(FamilyWild, "", "0", "b")}, "b"},
		{"another display", []Entry{mit(FamilyLocal, "box", "1", "a")}, ""},
		{"any display (empty number)", []Entry{mit(FamilyLocal, "box", "", "a")}, "a"},
		{"another protocol first", []Entry{xdm, mit(FamilyLocal, "box", "0", "a")}, "a"},
		{"another protocol only", []Entry{xdm}, ""},
		{"an internet entry", []Entry{mit(FamilyInternet, "box", "0", "a")}, ""},
		{"the first that matches", []Entry{mit(FamilyLocal, "box", "0", "a"), mit(FamilyWild, "", "0", "b")}, "a"},
	} {
		e, ok := Find(c.entries, "0", "box")
		if got := string(e.Data); ok != (c.want != "") || got != c.want {
			t.Errorf("%s: found %q (%v), want %q", c.name, got, ok, c.want)
		}
	}
}

func TestFileCookie(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	if _, ok, err := FileCookie(filepath.Join(dir, "none"), "0"); ok || err != nil {
		t.Errorf("no file: ok %v, err %v; want no cookie and no error", ok, err)
	}
	entries := []Entry{
		{Family: FamilyLocal, Address: host, Number: "3", Name: MagicCookie, Data: []byte("three")},
		{Family: FamilyLocal, Address: host, Number: "0", Name: MagicCookie, Data: []byte("zero")},
	}
	b := Marshal(entries)
	good := filepath.Join(dir, "good")
	os.WriteFile(good, b, 0o600)
	if e, ok, err := FileCookie(good, "0"); err != nil || !ok || string(e.Data) != "zero" {
		t.Errorf("display 0: %q %v %v", e.Data, ok, err)
	}
	back, err := Parse(bytes.NewReader(b))
	if err != nil || len(back) != 2 || back[0].Number != "3" || string(back[1].Data) != "zero" {
		t.Errorf("round trip: %+v %v", back, err)
	}
	cut := filepath.Join(dir, "cut")
	os.WriteFile(cut, b[:len(b)-2], 0o600)
	if _, _, err := FileCookie(cut, "0"); err == nil {
		t.Error("a truncated file is no error")
	}
}
