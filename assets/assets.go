// Package assets holds the files lxcage ships inside its binary: the
// preset profiles and lxcage's own icon.
package assets

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed presets/*.toml
var presets embed.FS

//go:embed icons/lxcage.svg
var icon []byte

// Icon returns lxcage's own icon (SVG): the fallback for an app whose
// own icon cannot be found or is refused, and the icon of notifications.
func Icon() []byte { return append([]byte(nil), icon...) }

// Presets lists the names of the built-in presets, sorted.
func Presets() []string {
	ents, _ := fs.ReadDir(presets, "presets")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".toml"))
	}
	sort.Strings(out)
	return out
}

// Preset returns the TOML text of a preset, or false if there is none.
func Preset(name string) ([]byte, bool) {
	if strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	b, err := presets.ReadFile("presets/" + name + ".toml")
	return b, err == nil
}
