package profiles

import (
	"fmt"
	"path"
	"strings"
)

// stageShares binds the profile's shared folders, each checked against
// the secrets and policy files it must not expose.
func stageShares(c *compiler) error {
	p, h, home, file, kind := c.p, c.h, c.home, c.file, c.kind
	for i, s := range p.Shares {
		key := fmt.Sprintf("share[%d]", i)
		hostAbs := ExpandHome(s.Host, h.Home)
		inside := s.Path
		if inside == "" {
			inside = DefaultSharePath(s.Host, home)
		}
		inside = path.Clean(inside)
		if why := sensitive(hostAbs, h); why != "" && !s.AllowSensitive {
			return &Error{File: file, Key: key + ".host", Msg: fmt.Sprintf("sharing %s would give the app %s", s.Host, why),
				Fix: "share a narrower directory, or write allow_sensitive = true in this [[share]] if you mean it"}
		}
		create := "create=dir"
		switch kind(hostAbs) {
		case PathFile:
			create = "create=file"
		case PathMissing:
			if !s.Optional {
				return &Error{File: file, Key: key + ".host", Msg: fmt.Sprintf("%s does not exist", hostAbs),
					Fix: fmt.Sprintf("create it (mkdir -p %q) or write optional = true", hostAbs)}
			}
		}
		opts := []string{"rbind"}
		if s.Readonly {
			opts = append(opts, "ro")
		}
		if s.Optional {
			opts = append(opts, "optional")
		}
		c.bind(hostAbs, inside, append(opts, create)...)
		c.plan.Shares = append(c.plan.Shares, ResolvedShare{Host: hostAbs, Path: inside, Readonly: s.Readonly, Optional: s.Optional})
	}
	return nil
}

// secretDirs are home-relative paths whose content is a credential.
var secretDirs = []string{".ssh", ".gnupg", ".pki", ".aws", ".kube", ".docker", ".password-store", ".netrc", ".local/share/keyrings", ".mozilla", ".config/chromium", ".config/google-chrome"}

// sensitive explains why sharing hostAbs would expose the user's secrets
// or lxcage's own policy, or returns "".
func sensitive(hostAbs string, h *Host) string {
	p := path.Clean(hostAbs)
	within := func(parent string) bool {
		parent = path.Clean(parent)
		return p == parent || strings.HasPrefix(p, strings.TrimSuffix(parent, "/")+"/")
	}
	contains := func(child string) bool { // p is child or an ancestor of it
		child = path.Clean(child)
		return p == child || p == "/" || strings.HasPrefix(child, p+"/")
	}
	switch {
	case p == "/":
		return "the whole host filesystem"
	case p == path.Clean(h.Home):
		return "your whole home directory"
	}
	for _, s := range secretDirs {
		if within(path.Join(h.Home, s)) {
			return "your credentials in ~/" + s
		}
	}
	configHome := orDefault(h.ConfigHome, path.Join(h.Home, ".config"))
	// Policy paths: refused when shared themselves, inside or above.
	guarded := map[string]string{
		path.Join(configHome, "lxcage"): "lxcage's profiles, so it could rewrite its own sandbox",
		path.Join(configHome, "lxc"):    "your LXC configuration",
		h.LXCPath:                       "the LXC containers and their configs",
	}
	if h.StateDir != "" {
		guarded[path.Dir(h.StateDir)] = "lxcage's runtime state"
	}
	for _, g := range sortedKeys(guarded) {
		if g != "" && (contains(g) || within(g)) {
			return guarded[g]
		}
	}
	if contains(configHome) {
		return "your whole ~/.config, including lxcage's profiles"
	}
	for _, sys := range []string{"/etc", "/root", "/proc", "/sys", "/dev", "/boot", "/run/user", "/run/dbus", "/run/docker.sock", "/var/run"} {
		if within(sys) {
			return "the host's " + sys
		}
	}
	return ""
}
