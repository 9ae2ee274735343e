package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lxcage/lxcage/internal/safefile"
)

// Skeleton is a minimal root filesystem for host-image containers: the
// host's /usr is bound in read-only, and only the few /etc files that
// must differ from the host's are written.
type Skeleton struct {
	Dirs  []SkelDir
	Files []SkelFile
	Links []SkelLink
}

// SkelDir is a directory of the skeleton; User means owned by the app
// user rather than the container's root.
type SkelDir struct {
	Path string
	Mode uint32
	User bool
}

// SkelFile is a file of the skeleton, owned by the container's root.
type SkelFile struct {
	Path    string
	Mode    uint32
	Content string
}

// SkelLink is a symlink of the skeleton.
type SkelLink struct {
	Path, Target string
}

// Hash is a short digest of the skeleton, to know when to rewrite it.
func (s *Skeleton) Hash() string {
	h := sha256.New()
	for _, d := range s.Dirs {
		fmt.Fprintf(h, "d %s %o %v\n", d.Path, d.Mode, d.User)
	}
	for _, f := range s.Files {
		fmt.Fprintf(h, "f %s %o %d\n%s", f.Path, f.Mode, len(f.Content), f.Content)
	}
	for _, l := range s.Links {
		fmt.Fprintf(h, "l %s %s\n", l.Path, l.Target)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// SkeletonCurrent reports whether the container's rootfs holds sk.
func (l *LXC) SkeletonCurrent(name string, sk *Skeleton) bool {
	b, err := os.ReadFile(filepath.Join(l.Dir(name), skeletonHashFile))
	return err == nil && strings.TrimSpace(string(b)) == sk.Hash()
}

// RefreshSkeleton rewrites a host-image rootfs's files when the profile
// changed them (say, a new user name), leaving the home untouched.
func (l *LXC) RefreshSkeleton(ctx context.Context, name string, spec CreateSpec) error {
	src, ok := spec.Source.(SkeletonDir)
	if !ok || src.Skeleton == nil || l.SkeletonCurrent(name, src.Skeleton) {
		return nil
	}
	if err := l.ApplySkeleton(ctx, filepath.Join(l.Dir(name), "rootfs"), src.Skeleton, spec.IDMap, spec.UID, spec.GID); err != nil {
		return fmt.Errorf("update rootfs of %s: %w", name, err)
	}
	return nil
}

// ApplySkeleton writes a host-image rootfs. The files must belong to the
// container's root, an id the user holds only inside a user namespace, so
// lxcage runs itself there (lxc-usernsexec) to write them.
func (l *LXC) ApplySkeleton(ctx context.Context, rootfs string, sk *Skeleton, idmap []IDMapEntry, uid, gid int) error {
	if sk == nil {
		return nil
	}
	if l.Self == "" {
		return errors.New("write rootfs: the lxcage binary's path is unknown")
	}
	job := skeletonJob{Rootfs: rootfs, UID: uid, GID: gid, Skeleton: *sk}
	data, err := json.Marshal(job)
	if err != nil {
		return err
	}
	args := append(usernsArgs(idmap), "--", l.Self, SkeletonCommand)
	if _, err := l.Runner.Run(ctx, bytes.NewReader(data), "lxc-usernsexec", args...); err != nil {
		return fmt.Errorf("write rootfs: %w", err)
	}
	return safefile.WriteAtomic(filepath.Join(filepath.Dir(rootfs), skeletonHashFile), []byte(sk.Hash()+"\n"), 0o644)
}

// SkeletonCommand is the hidden lxcage subcommand that runs SkeletonMain.
const SkeletonCommand = "_skeleton"

type skeletonJob struct {
	Rootfs   string
	UID, GID int
	Skeleton Skeleton
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
	for _, d := range job.Skeleton.Dirs {
		if err := skelDir(root, d, job.UID, job.GID); err != nil {
			return err
		}
	}
	for _, f := range job.Skeleton.Files {
		if err := skelFile(root, f); err != nil {
			return err
		}
	}
	for _, lk := range job.Skeleton.Links {
		if err := skelLink(root, lk); err != nil {
			return err
		}
	}
	return nil
}

// skelDir makes a directory of the skeleton (or fixes its owner and
// mode); the user's home, once made, is left as the user keeps it.
func skelDir(root string, d SkelDir, userUID, userGID int) error {
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
		uid, gid = userUID, userGID
		if !created {
			return nil
		}
	}
	if err := os.Lchown(p, uid, gid); err != nil {
		return err
	}
	return os.Chmod(p, fileMode(d.Mode))
}

// skelFile writes a file of the skeleton through a temporary file.
func skelFile(root string, f SkelFile) error {
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
	return os.Rename(tmp, p)
}

// skelLink makes a symlink of the skeleton, replacing what is there (an
// empty directory at most).
func skelLink(root string, lk SkelLink) error {
	p, err := safePath(root, lk.Path)
	if err != nil {
		return err
	}
	if t, err := os.Readlink(p); err == nil && t == lk.Target {
		return nil
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
	return os.Lchown(p, 0, 0)
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
