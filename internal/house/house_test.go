package house

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/lxcage/lxcage"

// pkg is what `go list -json` says of a package.
type pkg struct {
	ImportPath string
	Dir        string
	Imports    []string
	Deps       []string
	GoFiles    []string
}

// listAll lists the module's packages, with the given build env.
func listAll(t *testing.T, env ...string) map[string]*pkg {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no go tool in CI")
		}
		t.Skip("no go tool to list packages with")
	}
	cmd := exec.Command(goBin, "list", "-e", "-json", module+"/...")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	all := map[string]*pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		all[p.ImportPath] = &p
	}
	return all
}

// under reports whether path is the package base or below it.
func under(path, base string) bool {
	base = module + "/" + base
	return path == base || strings.HasPrefix(path, base+"/")
}

// TestLayering: the mechanism (sandbox, services) imports no policy;
// profiles never reaches up to what runs it; the editor speaks the
// launcher's words, not the sandbox's.
func TestLayering(t *testing.T) {
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{"sandbox", []string{"profiles", "launcher", "desktop", "app", "services", "hostcheck", "hostfacts", "cmd"}},
		{"services", []string{"profiles", "launcher", "desktop", "app", "hostcheck", "hostfacts", "cmd"}},
		{"profiles", []string{"launcher", "desktop", "app", "hostcheck", "hostfacts", "cmd"}},
		{"hostfacts", []string{"launcher", "desktop", "app", "cmd"}},
		{"hostcheck", []string{"launcher", "desktop", "app", "cmd"}},
		{"launcher", []string{"desktop", "app", "cmd", "hostcheck"}},
		{"desktop", []string{"app", "cmd"}},
		{"app", []string{"sandbox", "services", "cmd"}},
		{"internal", []string{"profiles", "launcher", "desktop", "app", "sandbox", "services", "hostcheck", "hostfacts", "cmd"}},
	}
	all := listAll(t)
	for _, p := range all {
		for _, r := range rules {
			if !under(p.ImportPath, r.pkg) {
				continue
			}
			for _, imp := range p.Imports {
				for _, f := range r.forbidden {
					if under(imp, f) {
						t.Errorf("%s imports %s: %s must not import %s", p.ImportPath, imp, r.pkg, f)
					}
				}
			}
		}
	}
}

// TestProfilesIsPure: compiling a profile runs no program and touches no
// socket or kernel interface; host facts come in as data (hostfacts).
func TestProfilesIsPure(t *testing.T) {
	p := listAll(t)[module+"/profiles"]
	if p == nil {
		t.Fatal("no profiles package")
	}
	for _, imp := range p.Imports {
		switch imp {
		case "os/exec", "net", "syscall", "golang.org/x/sys/unix", "os/user":
			t.Errorf("profiles imports %s; host facts belong in hostfacts", imp)
		}
	}
}

// TestOnlyTheEditorLinksFyne: the CLI (started from every menu entry,
// built without cgo) and every package but the editor's stay free of
// the GUI toolkit.
func TestOnlyTheEditorLinksFyne(t *testing.T) {
	for _, p := range listAll(t, "CGO_ENABLED=0") {
		if under(p.ImportPath, "app") || under(p.ImportPath, "cmd/lxcage-editor") {
			continue
		}
		for _, d := range append(p.Imports, p.Deps...) {
			if strings.HasPrefix(d, "fyne.io/") {
				t.Errorf("%s depends on %s", p.ImportPath, d)
				break
			}
		}
	}
}

// maxFuncLines is how long a function of the product may be: about what
// one reads at once. Tests and generated tables are not held to it.
const maxFuncLines = 80

// TestFunctionsAreShort: no function of the product is longer than
// maxFuncLines.
func TestFunctionsAreShort(t *testing.T) {
	fset := token.NewFileSet()
	for _, p := range listAll(t) {
		for _, name := range p.GoFiles {
			path := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if ast.IsGenerated(f) {
				continue
			}
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
				if lines > maxFuncLines {
					t.Errorf("%s:%d: %s is %d lines long (at most %d)", path, fset.Position(fn.Pos()).Line, fn.Name.Name, lines, maxFuncLines)
				}
			}
		}
	}
}
