package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lxcage/lxcage/profiles"
)

// CreateSpec is what Create builds a container from.
type CreateSpec struct {
	// Config is the LXC config text; its rootfs path must be the final
	// Dir(name)/rootfs.
	Config string
	// Image says where the rootfs comes from.
	Image profiles.Image
	// Skeleton is the rootfs of a host image.
	Skeleton *profiles.Skeleton
	// IDMap is the container's id map; UID and GID the app user.
	IDMap    []profiles.IDMapEntry
	UID, GID int
	// Files are written next to the config (name → content), such as
	// the seccomp policy the config refers to.
	Files map[string]string
}

// skeletonHashFile records which skeleton a host-image rootfs holds.
const skeletonHashFile = "lxcage-skeleton"

// Create builds a new container. It builds under a temporary name and
// renames it into place only when complete, so a failed or interrupted
// create never leaves a container that looks usable.
func (l *LXC) Create(ctx context.Context, name string, spec CreateSpec) (err error) {
	if l.Exists(name) {
		return fmt.Errorf("create %s: %w", name, ErrExists)
	}
	if spec.Image.Type != profiles.ImageHost {
		return fmt.Errorf("create %s: image type %q is not supported yet; use type = \"host\"", name, spec.Image.Type)
	}
	if err := l.ensurePath(); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	final := l.Dir(name)
	if _, err := os.Lstat(final); err == nil {
		// A directory without a config: debris of an older failure.
		if err := l.RemoveTree(ctx, final, spec.IDMap); err != nil {
			return fmt.Errorf("create %s: clear leftover %s: %w", name, final, err)
		}
	}
	tmp, err := os.MkdirTemp(l.Path, "."+name+".creating-")
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			if rerr := l.RemoveTree(context.WithoutCancel(ctx), tmp, spec.IDMap); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	if err := os.Chmod(tmp, dirMode); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	rootfs := filepath.Join(tmp, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if err := l.ApplySkeleton(ctx, rootfs, spec); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	for f, content := range spec.Files {
		if content == "" {
			continue
		}
		if err := WriteFileAtomic(filepath.Join(tmp, f), []byte(content), 0o600); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	if err := WriteFileAtomic(filepath.Join(tmp, "config"), []byte(spec.Config), 0o600); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return nil
}

// dirMode is for the LXC path and container directories: the container's
// root must pass through them to its rootfs, but other users have no
// business listing the containers or reading their configs.
const dirMode = 0o711

// ensurePath creates the LXC path, or closes it to other users' eyes.
func (l *LXC) ensurePath() error {
	if err := os.MkdirAll(l.Path, dirMode); err != nil {
		return err
	}
	fi, err := os.Stat(l.Path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o066 != 0 {
		return os.Chmod(l.Path, fi.Mode().Perm()&^0o066)
	}
	return nil
}

// SkeletonCurrent reports whether the container's rootfs holds sk.
func (l *LXC) SkeletonCurrent(name string, sk *profiles.Skeleton) bool {
	b, err := os.ReadFile(filepath.Join(l.Dir(name), skeletonHashFile))
	return err == nil && strings.TrimSpace(string(b)) == sk.Hash()
}

// RefreshSkeleton rewrites a host-image rootfs's files when the profile
// changed them (say, a new user name), leaving the home untouched.
func (l *LXC) RefreshSkeleton(ctx context.Context, name string, spec CreateSpec) error {
	if spec.Skeleton == nil || l.SkeletonCurrent(name, spec.Skeleton) {
		return nil
	}
	if err := l.ApplySkeleton(ctx, filepath.Join(l.Dir(name), "rootfs"), spec); err != nil {
		return fmt.Errorf("update rootfs of %s: %w", name, err)
	}
	return nil
}

// ApplySkeleton writes a host-image rootfs. The files must belong to the
// container's root, an id the user holds only inside a user namespace, so
// lxcage runs itself there (lxc-usernsexec) to write them.
func (l *LXC) ApplySkeleton(ctx context.Context, rootfs string, spec CreateSpec) error {
	if spec.Skeleton == nil {
		return nil
	}
	if l.Self == "" {
		return errors.New("write rootfs: the lxcage binary's path is unknown")
	}
	job := skeletonJob{Rootfs: rootfs, UID: spec.UID, GID: spec.GID, Skeleton: *spec.Skeleton}
	data, err := json.Marshal(job)
	if err != nil {
		return err
	}
	args := append(usernsArgs(spec.IDMap), "--", l.Self, SkeletonCommand)
	if _, err := l.Runner.Run(ctx, bytes.NewReader(data), "lxc-usernsexec", args...); err != nil {
		return fmt.Errorf("write rootfs: %w", err)
	}
	return WriteFileAtomic(filepath.Join(filepath.Dir(rootfs), skeletonHashFile), []byte(spec.Skeleton.Hash()+"\n"), 0o644)
}

// SkeletonCommand is the hidden lxcage subcommand that runs SkeletonMain.
const SkeletonCommand = "_skeleton"

type skeletonJob struct {
	Rootfs   string
	UID, GID int
	Skeleton profiles.Skeleton
}

// SkeletonMain is the part of ApplySkeleton that runs inside the user
// namespace, as the container's root: it reads the job from r and writes
// the rootfs. Parent directories are checked not to be symlinks, so a
// rootfs that was tampered with cannot redirect the writes.
func SkeletonMain(r io.Reader) error {
	var job skeletonJob
	if err := json.NewDecoder(io.LimitReader(r, 16<<20)).Decode(&job); err != nil {
		return fmt.Errorf("read skeleton: %w", err)
	}
	root := filepath.Clean(job.Rootfs)
	if err := os.Chown(root, 0, 0); err != nil {
		return fmt.Errorf("own rootfs: %w", err)
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return err
	}
	sk := job.Skeleton
	for _, d := range sk.Dirs {
		p, err := safePath(root, d.Path)
		if err != nil {
			return err
		}
		created := false
		if fi, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(p, fs.FileMode(d.Mode&0o777)); err != nil {
				return err
			}
			created = true
		} else if err != nil {
			return err
		} else if !fi.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", d.Path)
		}
		uid, gid := 0, 0
		if d.User {
			uid, gid = job.UID, job.GID
			if !created {
				continue // the user's home: leave its owner and mode be
			}
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			return err
		}
		if err := os.Chmod(p, fileMode(d.Mode)); err != nil {
			return err
		}
	}
	for _, f := range sk.Files {
		p, err := safePath(root, f.Path)
		if err != nil {
			return err
		}
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			return fmt.Errorf("%s exists and is a directory", f.Path)
		}
		tmp := p + ".lxcage-new"
		os.Remove(tmp)
		if err := os.WriteFile(tmp, []byte(f.Content), 0o600); err != nil {
			return err
		}
		if err := os.Chmod(tmp, fileMode(f.Mode)); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
	}
	for _, lk := range sk.Links {
		p, err := safePath(root, lk.Path)
		if err != nil {
			return err
		}
		if t, err := os.Readlink(p); err == nil && t == lk.Target {
			continue
		}
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			if err := os.Remove(p); err != nil { // only an empty dir
				return fmt.Errorf("replace %s with a link: %w", lk.Path, err)
			}
		} else {
			os.Remove(p)
		}
		if err := os.Symlink(lk.Target, p); err != nil {
			return err
		}
		if err := os.Lchown(p, 0, 0); err != nil {
			return err
		}
	}
	return nil
}

func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// safePath joins rel under root and refuses a path whose parents are not
// plain directories (a symlink could point anywhere on the host).
func safePath(root, rel string) (string, error) {
	clean := filepath.Clean("/" + rel)
	if clean == "/" || strings.Contains(rel, "..") {
		return "", fmt.Errorf("bad rootfs path %q", rel)
	}
	parts := strings.Split(strings.TrimPrefix(clean, "/"), "/")
	p := root
	for _, part := range parts[:len(parts)-1] {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if err != nil {
			return "", err
		}
		if !fi.IsDir() {
			return "", fmt.Errorf("rootfs path %s: %s is not a directory", rel, strconv.Quote(p))
		}
	}
	return filepath.Join(root, clean), nil
}
