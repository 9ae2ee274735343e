package app

import (
	"regexp"
	"strings"
	"testing"

	"github.com/lxcage/lxcage/profiles"
)

// TestEveryProfileKeyHasAWidget: the package promises a widget for every
// key of the profile format. A key added to profiles.Profile without one
// fails here, naming the key.
func TestEveryProfileKeyHasAWidget(t *testing.T) {
	h := setup(t)
	src := `command = ["x"]
[env]
A = "1"
[[share]]
host = "~/Downloads"
optional = true
[setup]
run = [["true"]]
urls = [{ url = "https://example.com/a.deb", sha256 = "` + strings.Repeat("a", 64) + `" }]
`
	if _, err := profiles.WriteFile(h.dir, "all", []byte(src), false); err != nil {
		t.Fatal(err)
	}
	u := h.open()
	ed := u.ed
	index := regexp.MustCompile(`\[\d+\]`)
	have := map[string]bool{}
	collect := func() {
		for k := range ed.entries {
			have[index.ReplaceAllString(k, "")] = true
		}
		for k := range ed.choices {
			have[k] = true
		}
		for k := range ed.checks {
			have[index.ReplaceAllString(k, "")] = true
		}
	}
	for _, typ := range profiles.ImageTypeNames() {
		ed.choices["image.type"].SetSelected(typ)
		collect()
	}
	for _, k := range profiles.SchemaKeys() {
		if strings.HasPrefix(k, "env.") || k == "env" {
			k = "env"
			if len(ed.env) == 0 {
				t.Error("the [env] table has no rows")
			}
			continue
		}
		if !have[k] {
			t.Errorf("profile key %s has no widget in the editor", k)
		}
	}
}
