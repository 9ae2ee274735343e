package desktop

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/assets"
)

func TestFindIconHostile(t *testing.T) {
	f := newFixture(t)
	bothResolvers(t, func(t *testing.T) {
		r, err := OpenRoot(f.root)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		ic, err := FindIcon(r, containerDataDirs, "evil")
		if err == nil {
			t.Fatalf("an icon passed: %s (%d bytes)", ic.Source, len(ic.Data))
		}
		for _, want := range []string{"file too large", "neither PNG nor SVG"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		ic, err = FindIcon(r, containerDataDirs, "good")
		if err != nil || ic.Ext != "svg" || string(ic.Data) != goodSVG {
			t.Errorf("good icon: %+v %v", ic, err)
		}
		ic, err = FindIcon(r, containerDataDirs, "pngapp")
		if err != nil || ic.Ext != "png" || ic.Size != 32 || iconDir(ic) != "32x32" {
			t.Errorf("png icon: %+v %v", ic, err)
		}
		if _, err := FindIcon(r, containerDataDirs, "nothing-here"); !errors.Is(err, ErrNoIcon) {
			t.Errorf("missing icon: %v", err)
		}
		for _, bad := range []string{"../../etc/passwd", "a/b", "", "lxcage-other", "-x"} {
			if _, err := FindIcon(r, containerDataDirs, bad); err == nil {
				t.Errorf("icon name %q accepted", bad)
			}
		}
		if ic, err := FindIcon(r, nil, "/opt/good/good.svg"); err != nil || ic.Ext != "svg" {
			t.Errorf("absolute icon path: %v", err)
		}
		if _, err := FindIcon(r, nil, f.secretPNG); err == nil {
			t.Error("absolute host path outside the rootfs was read")
		}
	})
}

// withChunk inserts a chunk after a PNG's IHDR.
func withChunk(data []byte, typ string, payload []byte) []byte {
	var c bytes.Buffer
	binary.Write(&c, binary.BigEndian, uint32(len(payload)))
	c.WriteString(typ)
	c.Write(payload)
	binary.Write(&c, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), payload...)))
	at := 8 + 8 + 13 + 4 // signature, IHDR header, IHDR data, CRC
	return append(append(append([]byte{}, data[:at]...), c.Bytes()...), data[at:]...)
}

func TestSanitizePNG(t *testing.T) {
	orig := withChunk(pngBytes(t, 20, 30, color.NRGBA{1, 2, 3, 255}), "tEXt", []byte("Comment\x00payload for a buggy decoder"))
	ic, err := sanitizePNG(orig, "x")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ic.Data, []byte("payload")) || ic.Size != 30 {
		t.Errorf("text chunk kept or wrong size %d", ic.Size)
	}
	if _, err := png.Decode(bytes.NewReader(ic.Data)); err != nil {
		t.Errorf("result is no PNG: %v", err)
	}
	// A small file that claims to be huge is refused before decoding.
	huge := pngBytes(t, 1, 1, color.Black)
	binary.BigEndian.PutUint32(huge[16:], 100000)
	binary.BigEndian.PutUint32(huge[20:], 100000)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	if _, err := sanitizePNG(huge, "x"); err == nil || !strings.Contains(err.Error(), "100000x100000") {
		t.Errorf("huge PNG: %v", err)
	}
	if _, err := sanitizePNG(append(append([]byte{}, pngMagic...), "garbage"...), "x"); err == nil {
		t.Error("garbage after the PNG magic accepted")
	}
}

func TestCheckSVG(t *testing.T) {
	if err := CheckSVG([]byte(goodSVG)); err != nil {
		t.Errorf("good SVG refused: %v", err)
	}
	if err := CheckSVG(assets.Icon()); err != nil {
		t.Errorf("lxcage's own icon refused: %v", err)
	}
	wrap := func(inner string) string {
		return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">` + inner + `</svg>`
	}
	for name, bad := range map[string]string{
		"entity":     `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/shadow">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>`,
		"stylesheet": `<?xml-stylesheet href="file:///etc/x.css"?>` + wrap(""),
		"image":      wrap(`<image xlink:href="file:///etc/shadow"/>`),
		"relative":   wrap(`<image href="../../secret.png"/>`),
		"script":     wrap(`<script>alert(1)</script>`),
		"onload":     `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`,
		"foreign":    wrap(`<foreignObject><p>x</p></foreignObject>`),
		"css-url":    wrap(`<rect style="fill: url(file:///etc/shadow)"/>`),
		"css-import": wrap(`<style>@import "http://evil/x.css";</style>`),
		"attr-url":   wrap(`<rect fill="url(http://evil/#x)"/>`),
		"not-svg":    `<html><body/></html>`,
		"two-roots":  wrap("") + wrap(""),
		"broken":     `<svg xmlns="http://www.w3.org/2000/svg"><rect>`,
		"svg-data":   wrap(`<image href="data:image/svg+xml;base64,PHN2Zz4="/>`),
	} {
		if err := CheckSVG([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestWriteIconKeepsOne(t *testing.T) {
	env := testEnv(t)
	png48 := &Icon{Data: pngBytes(t, 48, 48, color.White), Ext: "png", Size: 48}
	p1, err := writeIcon(env, "app", png48)
	if err != nil || !strings.HasSuffix(p1, "hicolor/48x48/apps/lxcage-app.png") {
		t.Fatalf("%s %v", p1, err)
	}
	p2, err := writeIcon(env, "app", FallbackIcon())
	if err != nil || !strings.HasSuffix(p2, "hicolor/scalable/apps/lxcage-app.svg") {
		t.Fatalf("%s %v", p2, err)
	}
	if got := installedIcons(env, "app"); len(got) != 1 || got[0] != p2 {
		t.Errorf("icons left: %v", got)
	}
	if iconDir(&Icon{Ext: "png", Size: 50}) != "48x48" || iconDir(&Icon{Ext: "png", Size: 1000}) != "512x512" {
		t.Error("nearest size")
	}
	own, err := OwnIconPath(env)
	if err != nil || filepath.Base(own) != "lxcage.svg" {
		t.Fatal(own, err)
	}
	if b, _ := os.ReadFile(own); !bytes.Equal(b, assets.Icon()) {
		t.Error("own icon content")
	}
}
