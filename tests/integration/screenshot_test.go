//go:build integration

package integration

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestEditorScreenshots runs hack/screenshot.sh — the real editor on a
// private Xvfb, at 1280x800 and at its minimum size — and checks that
// the window fits a small screen and that docs/screenshot.png and
// docs/screenshot-narrow.png still show what the editor looks like
// (make screenshot renews them).
func TestEditorScreenshots(t *testing.T) {
	for _, tool := range []string{"Xvfb", "xdotool", "xwd", "convert", "identify", "xdpyinfo"} {
		_, err := exec.LookPath(tool)
		need(t, err == nil, tool+" (hack/setup-host.sh installs it)")
	}
	script := envOr("LXCAGE_SCREENSHOT_SCRIPT", "../../hack/screenshot.sh")
	docs := envOr("LXCAGE_DOCS_SCREENSHOT", "../../docs/screenshot.png")
	docsNarrow := envOr("LXCAGE_DOCS_SCREENSHOT_NARROW", "../../docs/screenshot-narrow.png")
	_, err := os.Stat(script)
	need(t, err == nil, "hack/screenshot.sh (hack/test.sh copies it next to the test binary)")
	dir := t.TempDir()
	full, narrow := filepath.Join(dir, "full.png"), filepath.Join(dir, "narrow.png")
	cmd := exec.Command("sh", script)
	home, _ := os.UserHomeDir()
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "XDG_RUNTIME_DIR=" + os.Getenv("XDG_RUNTIME_DIR"),
		"LXCAGE_BIN=" + lxcageBin, "LXCAGE_EDITOR_BIN=" + editorBinary(t), "LXCAGE_SCREENSHOT=" + full, "LXCAGE_SCREENSHOT_NARROW=" + narrow}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("screenshot.sh: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	big, small := readPNG(t, full), readPNG(t, narrow)
	if s := big.Bounds().Size(); s != image.Pt(1280, 800) {
		t.Errorf("the window at 1280x800 is %v", s)
	}
	s := small.Bounds().Size()
	t.Logf("minimum window size: %v", s)
	if s.X >= 800 || s.Y > 800 {
		t.Errorf("minimum window size %v: want well under the 903 px of old, and at most 800 high", s)
	}
	for _, c := range []struct {
		fresh image.Image
		docs  string
	}{{big, docs}, {small, docsNarrow}} {
		if _, err := os.Stat(c.docs); err != nil {
			need(t, false, c.docs+" (hack/test.sh copies it next to the test binary)")
		}
		if d := differing(c.fresh, readPNG(t, c.docs)); d > 0.01 {
			// Keep the fresh picture for a look.
			keep := filepath.Join(os.TempDir(), "lxcage-fresh-"+filepath.Base(c.docs))
			if f, err := os.Create(keep); err == nil {
				png.Encode(f, c.fresh)
				f.Close()
			}
			t.Errorf("%s is out of date (%.1f%% of its pixels differ from the editor now, see %s): run make screenshot", filepath.Base(c.docs), 100*d, keep)
		}
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// differing is the share of pixels that differ visibly between a and b
// (all of them when the sizes differ).
func differing(a, b image.Image) float64 {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 1
	}
	r := a.Bounds()
	n := 0
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			if visiblyDifferent(a.At(r.Min.X+x, r.Min.Y+y), b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y)) {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

func visiblyDifferent(a, b color.Color) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) uint32 {
		if x > y {
			return x - y
		}
		return y - x
	}
	return d(ar, br)+d(ag, bg)+d(ab, bb) > 3*16*257
}
