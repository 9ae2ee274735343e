package desktop

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lxcage/lxcage/internal/lazyre"
	"github.com/lxcage/lxcage/internal/safefile"

	"github.com/lxcage/lxcage/assets"
)

// Limits on icons taken from a container. Real app icons are a few
// hundred kilobytes at most; anything bigger is refused unread.
const (
	MaxIconBytes = 4 << 20
	// MaxIconPixels bounds a PNG's width and height, checked before it is
	// decoded (a tiny file can claim a huge image).
	MaxIconPixels = 1024
)

// Icon is an image ready to install: PNG bytes re-encoded by lxcage, or
// SVG text that passed CheckSVG.
type Icon struct {
	Data []byte
	// Ext is "png" or "svg".
	Ext string
	// Size is the PNG's larger side in pixels; 0 for SVG (scalable).
	Size int
	// Source says where it came from, for messages.
	Source string
}

// FallbackIcon is lxcage's own icon.
func FallbackIcon() *Icon {
	return &Icon{Data: assets.Icon(), Ext: "svg", Source: "lxcage's own icon"}
}

// iconSizes are hicolor's standard sizes, largest first (the best match
// for a menu that scales down).
var iconSizes = []int{512, 256, 192, 128, 96, 64, 48, 32, 24, 22, 16}

var iconNameRE = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// iconCandidates are the paths an icon name is looked for at in the data
// directories of a root, best first: hicolor's scalable SVG, its PNGs from
// large to small, then pixmaps.
func iconCandidates(dataDirs []string, name string) []string {
	var out []string
	for _, d := range dataDirs {
		theme := path.Join(d, "icons", "hicolor")
		out = append(out, path.Join(theme, "scalable", "apps", name+".svg"))
		for _, s := range iconSizes {
			out = append(out, path.Join(theme, fmt.Sprintf("%dx%d", s, s), "apps", name+".png"))
		}
	}
	for _, d := range dataDirs {
		out = append(out, path.Join(d, "pixmaps", name+".svg"), path.Join(d, "pixmaps", name+".png"))
	}
	return out
}

// FindIcon looks an icon up inside root: name is a theme icon name
// (searched in the hicolor theme and pixmaps of dataDirs) or an absolute
// path inside the root. Every candidate is read with ReadIcon's checks;
// refused candidates are skipped, and their reasons returned in the error
// when nothing passes.
func FindIcon(root *Root, dataDirs []string, name string) (*Icon, error) {
	var paths []string
	switch {
	case strings.HasPrefix(name, "/"):
		paths = []string{name}
	case iconNameRE.MatchString(name) && !strings.HasPrefix(name, Prefix):
		// A name with an extension ("app.png") is a mistake the spec
		// allows readers to forgive.
		base := strings.TrimSuffix(strings.TrimSuffix(name, ".png"), ".svg")
		paths = iconCandidates(dataDirs, base)
	default:
		return nil, fmt.Errorf("icon %q: not an icon name or absolute path", name)
	}
	var refused []string
	for _, p := range paths {
		ic, err := ReadIcon(root, p)
		if err == nil {
			return ic, nil
		}
		if !notExist(err) {
			refused = append(refused, err.Error())
		}
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("icon %q refused: %s", name, strings.Join(refused, "; "))
	}
	return nil, fmt.Errorf("icon %q: %w in %s", name, ErrNoIcon, root.Dir())
}

// ErrNoIcon is an icon name with no file at any candidate path.
var ErrNoIcon = errors.New("no such icon")

// ReadIcon reads one icon file inside root and checks it: at most
// MaxIconBytes, a regular file (symlinks resolved inside the root), and
// real PNG (decoded and re-encoded, so only pixels reach the host) or
// SVG (CheckSVG).
func ReadIcon(root *Root, p string) (*Icon, error) {
	data, err := root.ReadFile(p, MaxIconBytes)
	if err != nil {
		return nil, err
	}
	src := root.Dir() + path.Clean("/"+p)
	switch {
	case bytes.HasPrefix(data, pngMagic):
		return sanitizePNG(data, src)
	case looksLikeSVG(data):
		if err := CheckSVG(data); err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		return &Icon{Data: data, Ext: "svg", Source: src}, nil
	}
	return nil, fmt.Errorf("%s: neither PNG nor SVG content", src)
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// sanitizePNG decodes a PNG within the pixel limits and encodes it again:
// whatever else the file held (text chunks, a payload for a buggy image
// library on the host) is left behind.
func sanitizePNG(data []byte, src string) (*Icon, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: bad PNG: %w", src, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxIconPixels || cfg.Height > MaxIconPixels {
		return nil, fmt.Errorf("%s: PNG of %dx%d pixels (limit %d)", src, cfg.Width, cfg.Height, MaxIconPixels)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: bad PNG: %w", src, err)
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		return nil, fmt.Errorf("%s: re-encode PNG: %w", src, err)
	}
	return &Icon{Data: out.Bytes(), Ext: "png", Size: max(cfg.Width, cfg.Height), Source: src}, nil
}

// looksLikeSVG checks the start of data for XML or an <svg> tag (after a
// byte order mark and blanks); CheckSVG then decides.
func looksLikeSVG(data []byte) bool {
	d := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	return bytes.HasPrefix(d, []byte("<?xml")) || bytes.HasPrefix(d, []byte("<svg")) || bytes.HasPrefix(d, []byte("<!--"))
}

// CheckSVG accepts an SVG document that draws only from itself: well-
// formed XML whose root is <svg>, with no DTD or entities (no entity
// bombs, no external entities), no processing instructions but the XML
// declaration (no external style sheets), no scripts, foreign objects or
// event handlers, links only to fragments of itself or embedded raster
// data, and no CSS that imports or references outside the file.
func CheckSVG(data []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	depth, elements := 0, 0
	sawRoot := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("bad SVG: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if sawRoot || t.Name.Local != "svg" {
					return fmt.Errorf("bad SVG: root element <%s>, want <svg>", t.Name.Local)
				}
				sawRoot = true
			}
			if elements++; elements > 100000 {
				return errors.New("SVG has too many elements")
			}
			depth++
			if err := checkSVGElement(t); err != nil {
				return err
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if err := checkCSS(string(t)); err != nil {
				return err
			}
		case xml.Directive:
			return errors.New("SVG has a DTD or entity declaration")
		case xml.ProcInst:
			if t.Target != "xml" {
				return fmt.Errorf("SVG has a processing instruction <?%s?>", t.Target)
			}
		}
	}
	if !sawRoot {
		return errors.New("bad SVG: no <svg> element")
	}
	return nil
}

func checkSVGElement(t xml.StartElement) error {
	switch strings.ToLower(t.Name.Local) {
	case "script", "foreignobject", "iframe", "object", "embed", "audio", "video":
		return fmt.Errorf("SVG has a <%s> element", t.Name.Local)
	}
	for _, a := range t.Attr {
		name := strings.ToLower(a.Name.Local)
		switch {
		case strings.HasPrefix(name, "on"):
			return fmt.Errorf("SVG has an event handler %s=", a.Name.Local)
		case name == "href" || name == "src":
			if !localReference(a.Value) {
				return fmt.Errorf("SVG refers to %q outside itself", a.Value)
			}
		case name == "style":
			if err := checkCSS(a.Value); err != nil {
				return err
			}
		default:
			if err := checkCSS(a.Value); err != nil { // fill="url(…)"
				return err
			}
		}
	}
	return nil
}

// localReference is a link to a fragment of the same document or to
// embedded raster image data.
func localReference(v string) bool {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "#") {
		return true
	}
	l := strings.ToLower(v)
	for _, p := range []string{"data:image/png;", "data:image/jpeg;", "data:image/gif;"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

var cssURL = lazyre.New(`(?i)url\(\s*['"]?([^'")]*)`)

// checkCSS refuses @import and url(…) that is not a fragment or data.
func checkCSS(s string) error {
	l := strings.ToLower(s)
	if strings.Contains(l, "@import") {
		return errors.New("SVG style imports another file")
	}
	for _, m := range cssURL.FindAllStringSubmatch(s, -1) {
		if !localReference(m[1]) {
			return fmt.Errorf("SVG style refers to %q outside itself", m[1])
		}
	}
	return nil
}

// iconDir is the hicolor directory for an icon: scalable for SVG, else
// the standard size nearest to the PNG's.
func iconDir(ic *Icon) string {
	if ic.Ext == "svg" {
		return "scalable"
	}
	best := iconSizes[0]
	for _, s := range iconSizes {
		if abs(s-ic.Size) < abs(best-ic.Size) {
			best = s
		}
	}
	return fmt.Sprintf("%dx%d", best, best)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// IconPath is where an icon of a profile is installed.
func IconPath(env Env, name string, ic *Icon) string {
	return filepath.Join(iconTheme(env), iconDir(ic), "apps", IconName(name)+"."+ic.Ext)
}

// writeIcon installs ic as the profile's icon and removes the profile's
// icons of other sizes or types, so exactly one remains.
func writeIcon(env Env, name string, ic *Icon) (string, error) {
	p := IconPath(env, name, ic)
	if err := safefile.WriteAtomic(p, ic.Data, 0o644); err != nil {
		return "", fmt.Errorf("install icon %s: %w", p, err)
	}
	for _, old := range installedIcons(env, name) {
		if old != p {
			if err := os.Remove(old); err != nil && !notExist(err) {
				return "", fmt.Errorf("remove old icon: %w", err)
			}
		}
	}
	return p, nil
}

// installedIcons are the profile's icon files in the user's hicolor
// theme, any size.
func installedIcons(env Env, name string) []string {
	var out []string
	for _, ext := range []string{"png", "svg"} {
		m, _ := filepath.Glob(filepath.Join(iconTheme(env), "*", "apps", IconName(name)+"."+ext))
		out = append(out, m...)
	}
	return out
}

// OwnIconPath installs lxcage's own icon as "lxcage" in the user's
// hicolor theme (if it is not there already) and returns its path, for
// notifications.
func OwnIconPath(env Env) (string, error) {
	p := filepath.Join(iconTheme(env), "scalable", "apps", "lxcage.svg")
	want := assets.Icon()
	if have, err := os.ReadFile(p); err == nil && bytes.Equal(have, want) {
		return p, nil
	}
	if err := safefile.WriteAtomic(p, want, 0o644); err != nil {
		return "", fmt.Errorf("install lxcage's icon: %w", err)
	}
	return p, nil
}
