package profiles

import (
	"path"

	"github.com/lxcage/lxcage/sandbox"
)

// ImageType is one value of [image] type and everything lxcage knows
// about it: its fields, how it is checked, where its rootfs comes from.
// The editor, validation, compile and the launcher all read ImageTypes.
type ImageType struct {
	// Name is the value of type.
	Name string
	// Doc says in one line what it is (editor hint, docs).
	Doc string
	// Fields are the [image] keys it uses, in the order shown.
	Fields []ImageField
	// HostRoot means the rootfs is a skeleton over the host's own /usr.
	HostRoot bool
	// PackageManager means the image has one, so [setup] packages and
	// debs can work and `lxcage upgrade` updates it.
	PackageManager bool
	// check adds type-specific problems (fields that go together).
	check func(p *Profile, ps *problems)
	// source is the rootfs source of a profile of this type.
	source func(c *compiler) sandbox.RootfsSource
}

// ImageField is one [image] key of a type.
type ImageField struct {
	// Key is the TOML key under [image].
	Key string
	// Required fields must be set.
	Required bool
	// Placeholder is an example value.
	Placeholder string
	// List is true for a list of words (components).
	List bool
}

// Get returns a pointer to the string field of im named by f (nil for a
// list field).
func (f ImageField) Get(im *Image) *string { return imageString(im, f.Key) }

func imageString(im *Image, key string) *string {
	switch key {
	case "dist":
		return &im.Dist
	case "release":
		return &im.Release
	case "arch":
		return &im.Arch
	case "variant":
		return &im.Variant
	case "server":
		return &im.Server
	case "rootfs":
		return &im.Rootfs
	case "metadata":
		return &im.Metadata
	case "suite":
		return &im.Suite
	case "mirror":
		return &im.Mirror
	case "base":
		return &im.Base
	case "updates":
		return &im.Updates
	}
	return nil
}

var (
	fieldArch    = ImageField{Key: "arch", Placeholder: "amd64"}
	fieldVariant = ImageField{Key: "variant", Placeholder: "default"}
)

// ImageTypes are the image types, in the order the editor offers them.
var ImageTypes = []ImageType{
	{
		Name: ImageHost, Doc: "Your own /usr, read-only: nothing to download, always as up to date as your system.",
		HostRoot: true,
		source:   func(c *compiler) sandbox.RootfsSource { return sandbox.SkeletonDir{Skeleton: skeleton(c.p, c.h)} },
	},
	{
		Name: ImageDownload, Doc: "A distribution image from the LXC image server.",
		Fields: []ImageField{{Key: "dist", Required: true, Placeholder: "ubuntu"}, {Key: "release", Required: true, Placeholder: "noble"},
			fieldArch, fieldVariant, {Key: "server", Placeholder: "images.linuxcontainers.org"}},
		PackageManager: true,
		check: func(p *Profile, ps *problems) {
			if p.Image.Dist == "" || p.Image.Release == "" {
				ps.add("image", `write dist = "ubuntu" and release = "noble" (see lxc-create -t download -- --list)`, "a download image needs dist and release")
			}
		},
		source: func(c *compiler) sandbox.RootfsSource {
			im := c.p.Image
			return sandbox.Download{Dist: im.Dist, Release: im.Release, Arch: im.Arch, Variant: im.Variant, Server: im.Server}
		},
	},
	{
		Name: ImageLocal, Doc: "An image from rootfs and metadata tarballs on this computer.",
		Fields:         []ImageField{{Key: "rootfs", Required: true, Placeholder: "~/images/rootfs.tar.xz"}, {Key: "metadata", Required: true, Placeholder: "~/images/meta.tar.xz"}},
		PackageManager: true,
		check: func(p *Profile, ps *problems) {
			if p.Image.Rootfs == "" || p.Image.Metadata == "" {
				ps.add("image", `write rootfs = "path/rootfs.tar.xz" and metadata = "path/meta.tar.xz"`, "a local image needs rootfs and metadata")
			}
			hostPath(ps, "image.rootfs", p.Image.Rootfs)
			hostPath(ps, "image.metadata", p.Image.Metadata)
		},
		source: func(c *compiler) sandbox.RootfsSource {
			return sandbox.FSTree{Rootfs: ExpandHome(c.p.Image.Rootfs, c.h.Home), Metadata: ExpandHome(c.p.Image.Metadata, c.h.Home)}
		},
	},
	{
		Name: ImageDebootstrap, Doc: "A Debian or Ubuntu system built with debootstrap.",
		Fields: []ImageField{{Key: "suite", Required: true, Placeholder: "bookworm"}, {Key: "mirror", Placeholder: "http://deb.debian.org/debian/"},
			fieldVariant, {Key: "components", List: true, Placeholder: "main contrib"}, fieldArch, {Key: "updates"}},
		PackageManager: true,
		check: func(p *Profile, ps *problems) {
			if p.Image.Suite == "" {
				ps.add("image.suite", `write suite = "bookworm"`, "a debootstrap image needs a suite")
			}
			if u := p.Image.Updates; u != "" && u != "none" {
				ps.add("image.updates", `remove it (the distribution's update and security archives are added), or write updates = "none" to build without them`, "unknown value %q", u)
			}
		},
		source: func(c *compiler) sandbox.RootfsSource {
			im := c.p.Image
			return sandbox.Debootstrap{Suite: im.Suite, Mirror: im.Mirror, Variant: im.Variant, Arch: im.Arch, Components: im.Components}
		},
	},
	{
		Name: ImageClone, Doc: "A snapshot of another profile's container.",
		Fields:         []ImageField{{Key: "base", Required: true, Placeholder: "another profile's name"}},
		PackageManager: true,
		check: func(p *Profile, ps *problems) {
			if err := CheckName(p.Image.Base); err != nil {
				ps.add("image.base", "name the profile whose container to clone", "%v", err)
			} else if p.Image.Base == p.Name {
				ps.add("image.base", "name another profile", "a profile cannot clone itself")
			}
		},
		source: func(c *compiler) sandbox.RootfsSource {
			if c.h.OverlayOK {
				return sandbox.Snapshot{Base: c.p.Image.Base}
			}
			return sandbox.Copy{Base: c.p.Image.Base}
		},
	},
}

// ImageTypeNamed returns the image type called name ("" is host).
func ImageTypeNamed(name string) (ImageType, bool) {
	if name == "" {
		name = ImageHost
	}
	for _, t := range ImageTypes {
		if t.Name == name {
			return t, true
		}
	}
	return ImageType{}, false
}

// ImageTypeNames are the names of ImageTypes, in order.
func ImageTypeNames() []string {
	out := make([]string, len(ImageTypes))
	for i, t := range ImageTypes {
		out[i] = t.Name
	}
	return out
}

// stageRootfs sets where the rootfs comes from and where it lives.
func stageRootfs(c *compiler) error {
	t, _ := ImageTypeNamed(c.p.Image.Type)
	c.plan.Source = t.source(c)
	c.plan.Rootfs = path.Join(c.plan.ContainerDir, "rootfs")
	spec := "dir:" + c.plan.Rootfs
	if snap, ok := c.plan.Source.(sandbox.Snapshot); ok {
		// A snapshot: the base's rootfs below, this container's changes
		// in delta0 (what lxc-copy -s -B overlayfs makes).
		c.plan.RootfsLower = path.Join(c.h.LXCPath, snap.Base, "rootfs")
		c.plan.Rootfs = path.Join(c.plan.ContainerDir, "delta0")
		spec = "overlay:" + c.plan.RootfsLower + ":" + c.plan.Rootfs
	}
	cfg := &c.plan.Config
	cfg.Comment("Generated by lxcage from profile " + c.p.Name + ". Edit the profile, not this file.")
	cfg.Add("lxc.uts.name", c.p.Name)
	cfg.Add("lxc.rootfs.path", spec)
	for _, e := range c.plan.IDMap {
		cfg.Add("lxc.idmap", e.String())
	}
	return nil
}

// checkImageFields reports [image] keys the type does not use.
func checkImageFields(t ImageType, im Image, ps *problems) {
	used := map[string]bool{}
	for _, f := range t.Fields {
		used[f.Key] = true
	}
	set := func(key string) bool {
		if key == "components" {
			return len(im.Components) > 0
		}
		return *imageString(&im, key) != ""
	}
	for _, key := range []string{"arch", "base", "components", "dist", "metadata", "mirror", "release", "rootfs", "server", "suite", "updates", "variant"} {
		if set(key) && !used[key] {
			ps.add("image."+key, "remove it, or set type to the image type that uses it", "is not used by image type %q", t.Name)
		}
	}
}

// imageTypeKnown checks the type's name.
func imageTypeKnown(typ string, ps *problems) (ImageType, bool) {
	t, ok := ImageTypeNamed(typ)
	if !ok {
		oneOf(ps, "image.type", typ, ImageTypeNames()...)
	}
	return t, ok
}
