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
	"sync"
	"time"

	"github.com/lxcage/lxcage/profiles"
)

// CreateSpec is what Create builds a container from.
type CreateSpec struct {
	// Config is the final LXC config text (its paths name Dir(name)).
	Config string
	// BuildConfig renders the config for the container while it is
	// built in another directory (see profiles.Plan.ConfigAt); nil uses
	// Config as is.
	BuildConfig func(dir string) string
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
	// ForceCache makes a download image come from LXC's cache only.
	ForceCache bool
	// Snapshot makes a clone an overlay snapshot of its base (the config
	// says overlay:…); otherwise it is a full copy.
	Snapshot bool
	// Provision, when set, runs after the rootfs exists, on the container
	// under its temporary name (setup steps); an error fails the create.
	Provision func(ctx context.Context, tmpName string) error
	// Progress hears what the image tools print, line by line.
	Progress func(line string)
	// Replace builds a new container to replace an existing (stopped)
	// one; the old one is removed only once the new one is complete.
	Replace bool
}

// skeletonHashFile records which skeleton a host-image rootfs holds.
const skeletonHashFile = "lxcage-skeleton"

// BuildName is the name a container is built under before it is renamed
// into place; "_" cannot occur in a profile name, so it never collides.
func BuildName(name string) string { return name + "_build" }

// Create builds a new container. It builds under BuildName(name) and
// renames it into place only when complete (rootfs, provisioning,
// config), so a failed or interrupted create never leaves a container
// that looks usable; what it made is removed.
func (l *LXC) Create(ctx context.Context, name string, spec CreateSpec) (err error) {
	if l.Exists(name) && !spec.Replace {
		return fmt.Errorf("create %s: %w", name, ErrExists)
	}
	if err := l.ensurePath(); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	final := l.Dir(name)
	if _, err := os.Lstat(final); err == nil && !l.Exists(name) {
		// A directory without a config: debris of an older failure.
		if err := l.RemoveTree(ctx, final, spec.IDMap); err != nil {
			return fmt.Errorf("create %s: clear leftover %s: %w", name, final, err)
		}
	}
	tmpName := BuildName(name)
	tmp := l.Dir(tmpName)
	if l.Exists(tmpName) {
		l.Stop(ctx, tmpName, 0) // a build interrupted by a kill may still run
	}
	if err := l.discard(ctx, tmpName, spec.IDMap); err != nil {
		return fmt.Errorf("create %s: clear an interrupted build: %w", name, err)
	}
	defer func() {
		if err != nil {
			cleanup := context.WithoutCancel(ctx)
			l.Stop(cleanup, tmpName, 0)
			if rerr := l.discard(cleanup, tmpName, spec.IDMap); rerr != nil {
				err = errors.Join(err, rerr)
			}
			if spec.Image.Type == profiles.ImageClone {
				l.renameSnapshot(spec.Image.Base, tmpName, "")
			}
		}
	}()
	buildConfig := spec.Config
	if spec.BuildConfig != nil {
		buildConfig = spec.BuildConfig(tmp)
	}
	if err := l.buildRootfs(ctx, tmpName, buildConfig, spec); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	// lxc-create hands an image container's directory to the container's
	// root (mode 0770, the user's group): already closed to others.
	if err := os.Chmod(tmp, dirMode); err != nil && !errors.Is(err, fs.ErrPermission) {
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
	if err := WriteFileAtomic(filepath.Join(tmp, "config"), []byte(buildConfig), 0o600); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if spec.Provision != nil {
		if err := spec.Provision(ctx, tmpName); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	if err := WriteFileAtomic(filepath.Join(tmp, "config"), []byte(spec.Config), 0o600); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	var old string
	if spec.Replace && l.Exists(name) {
		old = l.Dir(name + "_old")
		l.discard(ctx, name+"_old", spec.IDMap)
		if err := os.Rename(final, old); err != nil {
			return fmt.Errorf("rebuild %s: %w", name, err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		if old != "" {
			os.Rename(old, final)
		}
		return fmt.Errorf("create %s: %w", name, err)
	}
	if spec.Image.Type == profiles.ImageClone && spec.Snapshot {
		// LXC lists a base's snapshots by name; the snapshot was made
		// under its build name.
		if err := l.renameSnapshot(spec.Image.Base, tmpName, name); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	if old != "" {
		if err := l.discard(context.WithoutCancel(ctx), name+"_old", spec.IDMap); err != nil {
			return fmt.Errorf("rebuild %s: the new container is in place, but removing the old one failed: %w", name, err)
		}
	}
	return nil
}

// renameSnapshot updates base's list of snapshots after snapshot from
// was renamed to to ("" removes it from the list).
func (l *LXC) renameSnapshot(base, from, to string) error {
	path := filepath.Join(l.Dir(base), "lxc_snapshots")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// Pairs of lines: the snapshot's LXC path, then its name.
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	var out []string
	for i := 0; i+1 < len(lines); i += 2 {
		p, n := lines[i], lines[i+1]
		if n == from && filepath.Clean(p) == filepath.Clean(l.Path) {
			if to == "" {
				continue
			}
			n = to
		}
		out = append(out, p, n)
	}
	if len(out) == 0 {
		return os.Remove(path)
	}
	return WriteFileAtomic(path, []byte(strings.Join(out, "\n")+"\n"), 0o600)
}

// discard removes a container directory that may hold files of the
// container's ids.
func (l *LXC) discard(ctx context.Context, name string, idmap []profiles.IDMapEntry) error {
	dir := l.Dir(name)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return l.RemoveTree(ctx, dir, idmap)
}

// buildRootfs makes the rootfs of container name (its directory must
// not exist yet) from spec.Image.
func (l *LXC) buildRootfs(ctx context.Context, name, config string, spec CreateSpec) error {
	dir := l.Dir(name)
	switch spec.Image.Type {
	case profiles.ImageHost, "":
		if err := os.Mkdir(dir, dirMode); err != nil {
			return err
		}
		rootfs := filepath.Join(dir, "rootfs")
		if err := os.Mkdir(rootfs, 0o755); err != nil {
			return err
		}
		return l.ApplySkeleton(ctx, rootfs, spec)
	case profiles.ImageDownload:
		args := []string{"-t", "download", "--", "-d", spec.Image.Dist, "-r", spec.Image.Release, "-a", orArch(spec.Image.Arch)}
		if spec.Image.Variant != "" {
			args = append(args, "--variant", spec.Image.Variant)
		}
		if spec.Image.Server != "" {
			args = append(args, "--server", spec.Image.Server)
		}
		if spec.ForceCache {
			args = append(args, "--force-cache")
		}
		if err := l.lxcCreate(ctx, name, config, args, spec.Progress); err != nil {
			server := orDefault(spec.Image.Server, "images.linuxcontainers.org")
			return fmt.Errorf("download image %s %s %s from %s: %w", spec.Image.Dist, spec.Image.Release, orArch(spec.Image.Arch), server, err)
		}
		return nil
	case profiles.ImageLocal:
		args := []string{"-t", "local", "--", "--metadata", spec.Image.Metadata, "--fstree", spec.Image.Rootfs}
		if err := l.lxcCreate(ctx, name, config, args, spec.Progress); err != nil {
			return fmt.Errorf("import local image %s: %w", spec.Image.Rootfs, err)
		}
		return nil
	case profiles.ImageDebootstrap:
		return l.debootstrap(ctx, dir, spec)
	case profiles.ImageClone:
		return l.clone(ctx, name, spec)
	}
	return fmt.Errorf("unknown image type %q", spec.Image.Type)
}

func orArch(a string) string {
	if a == "" {
		return "amd64"
	}
	return a
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// lxcCreate runs lxc-create with a template, streaming its output to
// progress. LXC is given only the container's id map (so the image is
// unpacked with the container's ids) and makes the rootfs where it likes;
// lxcage writes the real config afterwards.
func (l *LXC) lxcCreate(ctx context.Context, name, config string, tmplArgs []string, progress func(string)) error {
	cf, err := os.CreateTemp("", "lxcage-create-*.conf")
	if err != nil {
		return err
	}
	defer os.Remove(cf.Name())
	for _, line := range strings.Split(config, "\n") {
		if strings.HasPrefix(line, "lxc.idmap") {
			cf.WriteString(line + "\n")
		}
	}
	cf.Close()
	args := append(l.args(name, "-f", cf.Name()), tmplArgs...)
	return l.stream(ctx, progress, "lxc-create", args...)
}

// stream runs a long tool, passing each output line to progress and
// keeping the last lines for the error.
func (l *LXC) stream(ctx context.Context, progress func(string), name string, args ...string) error {
	cmd := l.Runner.Command(name, args...)
	tail := &TailWriter{Max: 15, OnLine: progress}
	cmd.Stdout, cmd.Stderr = tail, tail
	if err := cmd.Start(); err != nil {
		return &ToolError{Tool: name, Args: args, Err: err}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return &ToolError{Tool: name, Args: args, Err: err, Stderr: tail.String()}
		}
		return nil
	case <-ctx.Done():
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		return fmt.Errorf("%s: %w", name, ctx.Err())
	}
}

// TailWriter splits what is written to it into lines, hands each
// non-empty line to OnLine (if set) and keeps the last Max of them: the
// output of a long tool, shown as progress and quoted when it fails.
type TailWriter struct {
	Max    int
	OnLine func(line string)

	mu      sync.Mutex
	partial []byte
	lines   []string
}

// Write implements io.Writer; it never fails.
func (t *TailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexAny(t.partial, "\r\n")
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
		if line == "" {
			continue
		}
		t.lines = append(t.lines, line)
		if len(t.lines) > t.Max {
			t.lines = t.lines[1:]
		}
		if t.OnLine != nil {
			t.OnLine(line)
		}
	}
	return len(p), nil
}

// String is the last lines, with any unfinished line after them.
func (t *TailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if rest := strings.TrimSpace(string(t.partial)); rest != "" {
		lines = append(append([]string(nil), lines...), rest)
	}
	return strings.Join(lines, "\n")
}

// ubuntuSuites are the Ubuntu releases debootstrap can build (from
// archive.ubuntu.com, with Ubuntu's keyring).
var ubuntuSuites = map[string]bool{"bionic": true, "focal": true, "jammy": true, "noble": true, "oracular": true, "plucky": true, "questing": true}

// debootstrap runs debootstrap's first stage unprivileged: inside a user
// namespace with the container's id map, so the files get the ids they
// will have in the container (the second stage runs inside it, as a
// setup step). container=lxc tells debootstrap not to make device nodes.
func (l *LXC) debootstrap(ctx context.Context, dir string, spec CreateSpec) error {
	if err := os.Mkdir(dir, dirMode); err != nil {
		return err
	}
	bin := "/usr/sbin/debootstrap"
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("image type debootstrap needs debootstrap (apt-get install debootstrap)")
	}
	im := spec.Image
	mirror := im.Mirror
	var extra []string
	if mirror == "" {
		mirror = "http://deb.debian.org/debian/"
		if ubuntuSuites[im.Suite] {
			mirror = "http://archive.ubuntu.com/ubuntu/"
		}
	}
	if ubuntuSuites[im.Suite] {
		if k := "/usr/share/keyrings/ubuntu-archive-keyring.gpg"; fileExists(k) {
			extra = append(extra, "--keyring="+k)
		}
	}
	args := append(usernsArgs(spec.IDMap), "--", "env", "container=lxc", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", bin, "--foreign",
		"--variant="+orDefault(im.Variant, "minbase"), "--arch="+orArch(im.Arch))
	if len(im.Components) > 0 {
		args = append(args, "--components="+strings.Join(im.Components, ","))
	}
	args = append(args, extra...)
	// debootstrap takes no "--"; the suite is validated to start with a
	// letter or digit.
	args = append(args, im.Suite, filepath.Join(dir, "rootfs"), mirror)
	if err := l.stream(ctx, spec.Progress, "lxc-usernsexec", args...); err != nil {
		return fmt.Errorf("debootstrap %s from %s: %w", im.Suite, mirror, err)
	}
	return nil
}

// clone makes container name a copy of the base profile's container: an
// overlay snapshot where the kernel lets users mount overlayfs (the base
// stays the lower layer, so ten apps share one image), else a full copy.
func (l *LXC) clone(ctx context.Context, name string, spec CreateSpec) error {
	base := spec.Image.Base
	if !l.Exists(base) {
		return fmt.Errorf("clone of %s: create the base first (lxcage create %s)", base, base)
	}
	if st, err := l.State(ctx, base); err == nil && st == Running {
		return fmt.Errorf("clone of %s: the base container is running; stop it first (lxcage stop %s)", base, base)
	}
	args := l.args(base, "-N", name)
	if spec.Snapshot {
		args = append(args, "-s", "-B", "overlayfs")
	} else if spec.Progress != nil {
		spec.Progress("this kernel does not let users mount overlayfs: making a full copy of " + base)
	}
	if err := l.stream(ctx, spec.Progress, "lxc-copy", args...); err != nil {
		return fmt.Errorf("clone %s: %w", base, err)
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
