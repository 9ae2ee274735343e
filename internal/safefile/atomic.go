// Package safefile writes and opens files without surprises: atomic
// writes (readers see the old or the new content, never a part), and
// opens beneath a directory the container can write that never follow a
// link out of it and never block on a FIFO.
package safefile

import (
	"os"
	"path/filepath"
)

// WriteAtomic writes data to path through a temporary file and a rename.
// The parent directory is created (0755) if missing.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, os.Rename)
}

// WriteNew is WriteAtomic for a file that must not exist yet: it fails
// with an fs.ErrExist error if path appeared meanwhile, and never
// clobbers it (a hard link, not a rename, puts it in place).
func WriteNew(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, os.Link)
}

func write(path string, data []byte, perm os.FileMode, place func(tmp, path string) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return place(tmp, path)
}
