package profiles

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/lxcage/lxcage/internal/safefile"
)

// Encode renders a profile as TOML, with header as leading comment
// lines. Defaults are left out so the file says only what was chosen.
func Encode(p *Profile, header string) ([]byte, error) {
	var b bytes.Buffer
	for _, line := range strings.Split(strings.TrimSpace(header), "\n") {
		if line != "" {
			b.WriteString("# " + line + "\n")
		}
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	q := *p
	q.Name = ""
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(q); err != nil {
		return nil, fmt.Errorf("encode profile %s: %w", p.Name, err)
	}
	return b.Bytes(), nil
}

// Save validates p and writes it to dir/NAME.toml atomically: a reader
// sees the old file or the new one, and an invalid profile is never
// written. overwrite=false refuses to replace an existing profile.
func Save(dir string, p *Profile, header string, overwrite bool) (string, error) {
	if err := Validate(p); err != nil {
		return "", err
	}
	data, err := Encode(p, header)
	if err != nil {
		return "", err
	}
	return WriteFile(dir, p.Name, data, overwrite)
}

// WriteFile writes profile text to dir/NAME.toml atomically after
// checking that it parses and validates as profile name.
func WriteFile(dir, name string, data []byte, overwrite bool) (string, error) {
	path := Path(dir, name)
	if _, err := Parse(name, path, data); err != nil {
		return "", err
	}
	if !overwrite {
		if _, err := os.Stat(path); err == nil {
			return "", fmt.Errorf("%s already exists; pass --force to replace it", path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	write := safefile.WriteAtomic
	if !overwrite {
		write = safefile.WriteNew // never clobber a file that appeared meanwhile
	}
	if err := write(path, data, 0o600); err != nil {
		return "", fmt.Errorf("save %s: %w", path, err)
	}
	return path, nil
}

// Remove deletes a profile file.
func Remove(dir, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(dir, name+Ext))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", Path(dir, name), ErrNoProfile)
	}
	return err
}
