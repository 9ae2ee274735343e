package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/internal/safefile"
)

// CreateSpec is what Create builds a container from.
type CreateSpec struct {
	// Config is the final LXC config text (its paths name Dir(name)).
	Config string
	// BuildConfig renders the config for the container while it is
	// built in another directory (see profiles.Build.ConfigAt); nil uses
	// Config as is.
	BuildConfig func(dir string) string
	// Source says where the rootfs comes from.
	Source RootfsSource
	// IDMap is the container's id map; UID and GID the app user.
	IDMap    []IDMapEntry
	UID, GID int
	// Files are written next to the config (name → content), such as
	// the seccomp policy the config refers to.
	Files map[string]string
	// ForceCache makes a download image come from LXC's cache only.
	ForceCache bool
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
	if spec.Source == nil {
		return fmt.Errorf("create %s: no rootfs source", name)
	}
	if err := l.clearDebris(ctx, name, spec.IDMap); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	tmpName := BuildName(name)
	defer func() {
		if err != nil {
			cleanup := context.WithoutCancel(ctx)
			l.Stop(cleanup, tmpName, 0)
			if rerr := l.discard(cleanup, tmpName, spec.IDMap); rerr != nil {
				err = errors.Join(err, rerr)
			}
			if base := cloneBase(spec.Source); base != "" {
				l.renameSnapshot(base, tmpName, "")
			}
		}
	}()
	if err := l.build(ctx, tmpName, spec); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return l.moveIntoPlace(ctx, tmpName, name, spec)
}

// clearDebris makes way for a build: the LXC path exists and is closed
// to others, a directory without a config (an older failure) and an
// interrupted build are removed.
func (l *LXC) clearDebris(ctx context.Context, name string, idmap []IDMapEntry) error {
	if err := l.ensurePath(); err != nil {
		return err
	}
	final := l.Dir(name)
	if _, err := os.Lstat(final); err == nil && !l.Exists(name) {
		if err := l.RemoveTree(ctx, final, idmap); err != nil {
			return fmt.Errorf("clear leftover %s: %w", final, err)
		}
	}
	tmpName := BuildName(name)
	if l.Exists(tmpName) {
		l.Stop(ctx, tmpName, 0) // a build interrupted by a kill may still run
	}
	if err := l.discard(ctx, tmpName, idmap); err != nil {
		return fmt.Errorf("clear an interrupted build: %w", err)
	}
	return nil
}

// build makes the container tmpName: rootfs, files, the build config,
// provisioning, then the final config.
func (l *LXC) build(ctx context.Context, tmpName string, spec CreateSpec) error {
	tmp := l.Dir(tmpName)
	buildConfig := spec.Config
	if spec.BuildConfig != nil {
		buildConfig = spec.BuildConfig(tmp)
	}
	if err := spec.Source.build(ctx, l, tmpName, buildConfig, spec); err != nil {
		return err
	}
	// lxc-create hands an image container's directory to the container's
	// root (mode 0770, the user's group): already closed to others.
	if err := os.Chmod(tmp, dirMode); err != nil && !errors.Is(err, fs.ErrPermission) {
		return err
	}
	for f, content := range spec.Files {
		if content == "" {
			continue
		}
		if err := safefile.WriteAtomic(filepath.Join(tmp, f), []byte(content), 0o600); err != nil {
			return err
		}
	}
	if err := safefile.WriteAtomic(filepath.Join(tmp, "config"), []byte(buildConfig), 0o600); err != nil {
		return err
	}
	if spec.Provision != nil {
		if err := spec.Provision(ctx, tmpName); err != nil {
			return err
		}
	}
	return safefile.WriteAtomic(filepath.Join(tmp, "config"), []byte(spec.Config), 0o600)
}

// moveIntoPlace renames the finished build to name, replacing (with
// spec.Replace) the old container only now.
func (l *LXC) moveIntoPlace(ctx context.Context, tmpName, name string, spec CreateSpec) error {
	final, old := l.Dir(name), ""
	if spec.Replace && l.Exists(name) {
		old = l.Dir(name + "_old")
		l.discard(ctx, name+"_old", spec.IDMap)
		if err := os.Rename(final, old); err != nil {
			return fmt.Errorf("rebuild %s: %w", name, err)
		}
	}
	if err := os.Rename(l.Dir(tmpName), final); err != nil {
		if old != "" {
			os.Rename(old, final)
		}
		return fmt.Errorf("create %s: %w", name, err)
	}
	if snap, ok := spec.Source.(Snapshot); ok {
		// LXC lists a base's snapshots by name; the snapshot was made
		// under its build name.
		if err := l.renameSnapshot(snap.Base, tmpName, name); err != nil {
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
	return safefile.WriteAtomic(path, []byte(strings.Join(out, "\n")+"\n"), 0o600)
}

// discard removes a container directory that may hold files of the
// container's ids.
func (l *LXC) discard(ctx context.Context, name string, idmap []IDMapEntry) error {
	dir := l.Dir(name)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return l.RemoveTree(ctx, dir, idmap)
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
	tail := &run.TailWriter{Max: 15, OnLine: progress}
	cmd.Stdout, cmd.Stderr = tail, tail
	if err := cmd.Start(); err != nil {
		return &run.ToolError{Tool: name, Args: args, Err: err}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return &run.ToolError{Tool: name, Args: args, Err: err, Stderr: tail.String()}
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
