package profiles

import (
	"fmt"
	"path"
	"strings"
)

// stageShares binds the profile's shared folders, each checked against
// the secrets, start-up files and policy files it must not expose.
func stageShares(c *compiler) error {
	p, h, home := c.p, c.h, c.home
	for i, s := range p.Shares {
		key := fmt.Sprintf("share[%d]", i)
		hostAbs := ExpandHome(s.Host, h.Home)
		inside := s.Path
		if inside == "" {
			inside = DefaultSharePath(s.Host, home)
			// An absolute path in the user's home goes to the app's home
			// too: the host home's path is a link inside.
			if rel, ok := strings.CutPrefix(hostAbs, path.Clean(h.Home)+"/"); ok && strings.HasPrefix(s.Host, "/") {
				inside = path.Join(home, rel)
			}
		}
		inside = path.Clean(inside)
		if why, fix := sensitive(hostAbs, h); why != "" && !s.AllowSensitive {
			return &Error{File: c.file, Key: key + ".host", Msg: fmt.Sprintf("sharing %s would %s", s.Host, why),
				Fix: fix + ", or write allow_sensitive = true in this [[share]] if you mean it"}
		}
		create := "create=dir"
		switch c.kind(hostAbs) {
		case PathFile:
			create = "create=file"
		case PathMissing:
			if !s.Optional {
				return &Error{File: c.file, Key: key + ".host", Msg: fmt.Sprintf("%s does not exist", hostAbs),
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
		c.plan.Shares = append(c.plan.Shares, ResolvedShare{Host: hostAbs, Path: inside, Readonly: s.Readonly,
			Optional: s.Optional, AllowSockets: s.AllowSensitive})
	}
	return nil
}

// secretDirs are home-relative paths whose content is a credential.
var secretDirs = []string{".ssh", ".gnupg", ".pki", ".aws", ".kube", ".docker", ".password-store", ".netrc", ".local/share/keyrings", ".mozilla"}

// startupFiles are home-relative paths the user's own shell, session or
// menu runs or reads: an app that writes one runs code on the host, as
// the user, at the next login, shell or menu click.
var startupFiles = []string{
	".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc", ".zshenv", ".zprofile",
	".zlogin", ".zlogout", ".cshrc", ".tcshrc", ".login", ".kshrc", ".mkshrc", ".inputrc", ".pam_environment",
	".xprofile", ".xinitrc", ".xsession", ".xsessionrc", ".Xresources", ".Xdefaults", ".xserverrc",
	".local/bin", ".local/share/applications", ".local/share/systemd", ".local/share/dbus-1",
	".local/share/flatpak/exports", "bin",
}

// hostRuntime are host directories whose sockets trust the user's uid
// (an ssh-agent in /tmp, the X server's sockets, the session's runtime
// dir): a read-only share does not stop connect().
var hostRuntime = []string{"/tmp", "/var/tmp", "/run/user", "/dev/shm", "/run/dbus", "/run/docker.sock", "/var/run"}

// sensitive explains what sharing hostAbs would give away and how to
// share less, or returns "".
func sensitive(hostAbs string, h *Host) (why, fix string) {
	p := path.Clean(hostAbs)
	within := func(parent string) bool {
		parent = path.Clean(parent)
		return p == parent || strings.HasPrefix(p, strings.TrimSuffix(parent, "/")+"/")
	}
	contains := func(child string) bool { // p is child or an ancestor of it
		child = path.Clean(child)
		return p == child || p == "/" || strings.HasPrefix(child, p+"/")
	}
	narrower := "share a narrower directory"
	switch {
	case p == "/":
		return "give the app the whole host filesystem", narrower
	case p == path.Clean(h.Home):
		return "give the app your whole home directory, with your keys and the files your shell runs", narrower + " (e.g. ~/Downloads)"
	}
	if why, fix := sensitivePolicy(p, h, within, contains); why != "" {
		return why, fix
	}
	for _, s := range secretDirs {
		if within(path.Join(h.Home, s)) || contains(path.Join(h.Home, s)) {
			return "give the app your credentials in ~/" + s, narrower
		}
	}
	for _, s := range startupFiles {
		if within(path.Join(h.Home, s)) || contains(path.Join(h.Home, s)) {
			return "let the app change ~/" + s + ", which your shell, session or menu runs as you on the host", "share a folder of data instead"
		}
	}
	for _, d := range hostRuntime {
		if within(d) || contains(d) {
			return "let the app reach the host's " + d + ", where services that trust your uid (ssh-agent, X, your session bus) keep their sockets", "share a folder of data instead"
		}
	}
	for _, sys := range []string{"/etc", "/root", "/proc", "/sys", "/dev", "/boot"} {
		if within(sys) {
			return "give the app the host's " + sys, narrower
		}
	}
	return "", ""
}

// sensitivePolicy: lxcage's own profiles and state, LXC's config and
// containers, and the whole of ~/.config (other apps' settings and
// tokens, autostart entries), refused when shared themselves, inside or
// above.
func sensitivePolicy(p string, h *Host, within, contains func(string) bool) (why, fix string) {
	configHome := orDefault(h.ConfigHome, path.Join(h.Home, ".config"))
	guarded := map[string]string{
		path.Join(configHome, "lxcage"): "let the app rewrite lxcage's profiles, and so its own sandbox",
		path.Join(configHome, "lxc"):    "give the app your LXC configuration",
		h.LXCPath:                       "give the app the LXC containers and their configs",
	}
	if h.StateDir != "" {
		guarded[path.Dir(h.StateDir)] = "give the app lxcage's runtime state"
	}
	for _, g := range sortedKeys(guarded) {
		if g != "" && (contains(g) || within(g)) {
			return guarded[g], "share a narrower directory"
		}
	}
	if within(configHome) || contains(configHome) || within(path.Join(h.Home, ".config")) || contains(path.Join(h.Home, ".config")) {
		return "give the app your settings in ~/.config: other apps' tokens, autostart entries that run at login, lxcage's profiles", "share a folder of data instead"
	}
	return "", ""
}
