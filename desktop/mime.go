package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/profiles"
)

// SetDefault makes the profile's entry the default handler of its MIME
// types with xdg-mime (which picks the right store for the desktop in
// use). The entry should be installed first.
func SetDefault(ctx context.Context, env Env, p *profiles.Profile) error {
	if len(p.Desktop.MimeTypes) == 0 {
		return fmt.Errorf("profile %s has no [desktop] mime_types to be the default handler of", p.Name)
	}
	if env.Runner == nil {
		if _, err := exec.LookPath("xdg-mime"); err != nil {
			return fmt.Errorf("xdg-mime is needed to register default handlers; install xdg-utils: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	// Profile names and MIME types are validated: neither can start
	// with "-" and be taken for an option.
	args := append([]string{"default", EntryID(p.Name)}, p.Desktop.MimeTypes...)
	if _, err := env.runner().Run(ctx, nil, "xdg-mime", args...); err != nil {
		return fmt.Errorf("register %s as default handler: %w", EntryID(p.Name), err)
	}
	return nil
}

// mimeFiles are the files where default handlers and associations are
// recorded: mimeapps.list (and its desktop-specific variants) in the
// config home, the deprecated copies in the applications directory, and
// update-desktop-database's cache.
func mimeFiles(env Env) []string {
	files := []string{filepath.Join(env.ConfigHome, "mimeapps.list")}
	if m, err := filepath.Glob(filepath.Join(env.ConfigHome, "*-mimeapps.list")); err == nil {
		files = append(files, m...)
	}
	apps := ApplicationsDir(env)
	return append(files,
		filepath.Join(apps, "mimeapps.list"),
		filepath.Join(apps, "defaults.list"),
		filepath.Join(apps, "mimeinfo.cache"))
}

// removeMimeDefaults takes the profile's entry out of every association
// list, leaving every other line as it was.
func removeMimeDefaults(env Env, name string) error {
	var errs []error
	for _, f := range mimeFiles(env) {
		if err := dropFromLists(f, EntryID(name)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// MimeDefaults lists the MIME types whose default handler (in the
// config home's mimeapps.list) is the profile's entry.
func MimeDefaults(env Env, name string) []string {
	data, err := os.ReadFile(filepath.Join(env.ConfigHome, "mimeapps.list"))
	if err != nil {
		return nil
	}
	kf, err := ParseKeyFile(data)
	if err != nil {
		return nil
	}
	var out []string
	const g = "Default Applications"
	for k := range kf.groups[g] {
		for _, id := range kf.List(g, k) {
			if id == EntryID(name) {
				out = append(out, k)
			}
		}
	}
	return out
}

// dropFromLists removes id from every key's list in a mimeapps-style
// file; a key left with an empty list is removed. The file is rewritten
// atomically, and only if it changed.
func dropFromLists(path, id string) error {
	fi, err := os.Stat(path)
	if notExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(string(data), "\n")
	changed := false
	var out strings.Builder
	for _, line := range lines {
		body := strings.TrimRight(line, "\r\n")
		k, v, ok := strings.Cut(body, "=")
		if !ok || strings.HasPrefix(strings.TrimSpace(body), "#") || !strings.Contains(v, id) {
			out.WriteString(line)
			continue
		}
		items := SplitList(v)
		var keep []string
		for _, item := range items {
			if item != id {
				keep = append(keep, strings.ReplaceAll(EscapeValue(item), ";", `\;`))
			}
		}
		if len(keep) == len(items) {
			out.WriteString(line)
			continue
		}
		changed = true
		if len(keep) == 0 {
			continue
		}
		out.WriteString(k + "=" + strings.Join(keep, ";") + ";" + line[len(body):])
	}
	if !changed {
		return nil
	}
	if err := safefile.WriteAtomic(path, []byte(out.String()), fi.Mode().Perm()); err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	return nil
}
