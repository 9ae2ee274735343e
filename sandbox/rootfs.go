package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RootfsSource says where a container's root filesystem comes from. It is
// one of SkeletonDir, Download, FSTree, Debootstrap, Copy or Snapshot.
type RootfsSource interface {
	// Describe names the source for progress and errors.
	Describe() string
	build(ctx context.Context, l *LXC, name, config string, spec CreateSpec) error
}

// SkeletonDir is a rootfs made of a few files and directories, with the
// host's /usr bound in by the config (a host image).
type SkeletonDir struct {
	Skeleton *Skeleton
}

// Download is an image from an LXC image server (lxc-create -t download).
type Download struct {
	Dist, Release, Arch, Variant string
	// Server is the image server; "" means LXC's default.
	Server string
}

// FSTree is a rootfs and metadata tarball on the host (lxc-create -t
// local).
type FSTree struct {
	Rootfs, Metadata string
}

// Debootstrap builds a Debian or Ubuntu rootfs with debootstrap.
type Debootstrap struct {
	Suite, Mirror, Variant, Arch string
	Components                   []string
}

// Copy is a full copy of another container's rootfs (lxc-copy).
type Copy struct {
	Base string
}

// Snapshot is an overlay snapshot of another container (lxc-copy -s -B
// overlayfs): the base's rootfs stays the lower layer.
type Snapshot struct {
	Base string
}

// Describe implements RootfsSource.
func (SkeletonDir) Describe() string { return "your host's /usr" }

// Describe implements RootfsSource.
func (d Download) Describe() string {
	return fmt.Sprintf("image %s %s %s from %s", d.Dist, d.Release, orArch(d.Arch), orDefault(d.Server, "images.linuxcontainers.org"))
}

// Describe implements RootfsSource.
func (f FSTree) Describe() string { return "local image " + f.Rootfs }

// Describe implements RootfsSource.
func (d Debootstrap) Describe() string { return "debootstrap " + d.Suite + " from " + d.mirror() }

// Describe implements RootfsSource.
func (c Copy) Describe() string { return "a copy of " + c.Base }

// Describe implements RootfsSource.
func (s Snapshot) Describe() string { return "a snapshot of " + s.Base }

func (s SkeletonDir) build(ctx context.Context, l *LXC, name, _ string, spec CreateSpec) error {
	dir := l.Dir(name)
	if err := os.Mkdir(dir, dirMode); err != nil {
		return err
	}
	rootfs := filepath.Join(dir, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return err
	}
	return l.ApplySkeleton(ctx, rootfs, s.Skeleton, spec.IDMap, spec.UID, spec.GID)
}

func (d Download) build(ctx context.Context, l *LXC, name, config string, spec CreateSpec) error {
	args := []string{"-t", "download", "--", "-d", d.Dist, "-r", d.Release, "-a", orArch(d.Arch)}
	if d.Variant != "" {
		args = append(args, "--variant", d.Variant)
	}
	if d.Server != "" {
		args = append(args, "--server", d.Server)
	}
	if spec.ForceCache {
		args = append(args, "--force-cache")
	}
	if err := l.lxcCreate(ctx, name, config, args, spec.Progress); err != nil {
		return fmt.Errorf("download %s: %w", d.Describe(), err)
	}
	return nil
}

func (f FSTree) build(ctx context.Context, l *LXC, name, config string, spec CreateSpec) error {
	args := []string{"-t", "local", "--", "--metadata", f.Metadata, "--fstree", f.Rootfs}
	if err := l.lxcCreate(ctx, name, config, args, spec.Progress); err != nil {
		return fmt.Errorf("import local image %s: %w", f.Rootfs, err)
	}
	return nil
}

// ubuntuSuites are the Ubuntu releases debootstrap can build (from
// archive.ubuntu.com, with Ubuntu's keyring).
var ubuntuSuites = map[string]bool{"bionic": true, "focal": true, "jammy": true, "noble": true, "oracular": true, "plucky": true, "questing": true}

// debianReleases are the Debian suites with -updates and -security
// archives: released ones (testing and unstable have none worth
// trusting: testing-security is empty, sid has no security support).
var debianReleases = map[string]bool{"bullseye": true, "bookworm": true, "trixie": true, "stable": true, "oldstable": true, "oldoldstable": true}

// UpdateSources are the apt lines a debootstrap rootfs lacks.
// debootstrap writes the release alone, so an image built from it never
// gets the distribution's fixes: a bookworm container stayed on Chromium
// 150 while bookworm-security had 156. Ubuntu: SUITE-updates and
// SUITE-security from the mirror. Debian: SUITE-updates from the mirror,
// SUITE-security from the security archive (deb.debian.org's, or the
// mirror's sibling debian-security when the mirror is a …/debian
// path, as apt-cacher-ng and most mirrors lay it out). None for suites
// without them.
func (d Debootstrap) UpdateSources() []string {
	comps := "main"
	if len(d.Components) > 0 {
		comps = strings.Join(d.Components, " ")
	}
	m := d.mirror()
	switch {
	case ubuntuSuites[d.Suite]:
		return []string{"deb " + m + " " + d.Suite + "-updates " + comps, "deb " + m + " " + d.Suite + "-security " + comps}
	case debianReleases[d.Suite]:
		sec := "http://deb.debian.org/debian-security/"
		if base, ok := strings.CutSuffix(strings.TrimSuffix(d.Mirror, "/"), "/debian"); ok && base != "" {
			sec = base + "/debian-security/"
		}
		return []string{"deb " + m + " " + d.Suite + "-updates " + comps, "deb " + sec + " " + d.Suite + "-security " + comps}
	}
	return nil
}

func (d Debootstrap) mirror() string {
	switch {
	case d.Mirror != "":
		return d.Mirror
	case ubuntuSuites[d.Suite]:
		return "http://archive.ubuntu.com/ubuntu/"
	}
	return "http://deb.debian.org/debian/"
}

// build runs debootstrap's first stage unprivileged: inside a user
// namespace with the container's id map, so the files get the ids they
// will have in the container (the second stage runs inside it, as a
// setup step). container=lxc tells debootstrap not to make device nodes.
func (d Debootstrap) build(ctx context.Context, l *LXC, name, _ string, spec CreateSpec) error {
	dir := l.Dir(name)
	if err := os.Mkdir(dir, dirMode); err != nil {
		return err
	}
	bin := "/usr/sbin/debootstrap"
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("image type debootstrap needs debootstrap (apt-get install debootstrap)")
	}
	var extra []string
	if ubuntuSuites[d.Suite] {
		if k := "/usr/share/keyrings/ubuntu-archive-keyring.gpg"; fileExists(k) {
			extra = append(extra, "--keyring="+k)
		}
	}
	args := append(usernsArgs(spec.IDMap), "--", "env", "container=lxc", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", bin, "--foreign",
		"--variant="+orDefault(d.Variant, "minbase"), "--arch="+orArch(d.Arch))
	if len(d.Components) > 0 {
		args = append(args, "--components="+strings.Join(d.Components, ","))
	}
	args = append(args, extra...)
	// debootstrap takes no "--"; the suite is validated to start with a
	// letter or digit.
	args = append(args, d.Suite, filepath.Join(dir, "rootfs"), d.mirror())
	if err := l.stream(ctx, spec.Progress, "lxc-usernsexec", args...); err != nil {
		return fmt.Errorf("debootstrap %s from %s: %w", d.Suite, d.mirror(), err)
	}
	return nil
}

func (c Copy) build(ctx context.Context, l *LXC, name, _ string, spec CreateSpec) error {
	if spec.Progress != nil {
		spec.Progress("making a full copy of " + c.Base + " (this kernel does not let users mount overlayfs)")
	}
	return l.clone(ctx, c.Base, name, false, spec.Progress)
}

func (s Snapshot) build(ctx context.Context, l *LXC, name, _ string, spec CreateSpec) error {
	return l.clone(ctx, s.Base, name, true, spec.Progress)
}

// cloneBase is the base container of a clone source ("" for others).
func cloneBase(src RootfsSource) string {
	switch s := src.(type) {
	case Copy:
		return s.Base
	case Snapshot:
		return s.Base
	}
	return ""
}

// clone makes container name a copy of base: an overlay snapshot (the
// base stays the lower layer, so ten apps share one image), or a full
// copy.
func (l *LXC) clone(ctx context.Context, base, name string, snapshot bool, progress func(string)) error {
	if !l.Exists(base) {
		return fmt.Errorf("clone of %s: create the base first (lxcage create %s)", base, base)
	}
	if st, err := l.State(ctx, base); err == nil && st == Running {
		return fmt.Errorf("clone of %s: the base container is running; stop it first (lxcage stop %s)", base, base)
	}
	args := l.args(base, "-N", name)
	if snapshot {
		args = append(args, "-s", "-B", "overlayfs")
	}
	if err := l.stream(ctx, progress, "lxc-copy", args...); err != nil {
		return fmt.Errorf("clone %s: %w", base, err)
	}
	return nil
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
