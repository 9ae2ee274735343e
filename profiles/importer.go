package profiles

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/lxcage/lxcage/internal/lazyre"
	"github.com/lxcage/lxcage/sandbox"
)

// Imported is a profile made from an old LXC config, with notes on what
// was carried over and what was left behind.
type Imported struct {
	Profile *Profile
	Notes   []string
}

var templateArgsRE = lazyre.New(`Parameters passed to the template:(.*)$`)

// Import turns an LXC 1.0-style container config (lxc.id_map,
// lxc.aa_profile, lxc.network.*, lxc.mount.entry for the X socket and
// devices, lxc.cgroup.*, lxc.logfile …), or a modern one, into a profile
// named name that runs command. An id map that passes an id through is
// the user's own uid: lxcage always does that, whatever the uid.
func Import(r io.Reader, name string, command []string, home string) (*Imported, error) {
	p := &Profile{Name: name, Command: command}
	im := &Imported{Profile: p}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		note := func(format string, args ...any) {
			im.Notes = append(im.Notes, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
		}
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		if raw[0] == '#' {
			if m := templateArgsRE.FindStringSubmatch(raw); m != nil {
				importTemplateArgs(p, strings.Fields(m[1]))
			}
			continue
		}
		key, val, ok := strings.Cut(raw, "=")
		if !ok {
			note("not a key = value line, skipped")
			continue
		}
		importKey(p, strings.TrimSpace(key), strings.TrimSpace(val), home, note)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if p.Access.Network == "" {
		p.Access.Network = NetworkOff
	}
	if p.Image.Type == "" {
		p.Image.Type = ImageHost
		im.Notes = append(im.Notes, "no image named in the config: using the host's /usr (type = \"host\"); set [image] to the distribution you used")
	}
	p.Description = "Imported from an LXC config"
	return im, nil
}

// importKey takes one key of an old config into p, or notes why not.
func importKey(p *Profile, key, val, home string, note func(string, ...any)) {
	switch {
	case key == "lxc.id_map" || key == "lxc.idmap":
		f := strings.Fields(val)
		if len(f) == 4 && f[1] == f[2] && f[3] == "1" && f[0] == "u" {
			note("uid %s passed through → the user's own uid (whatever it is on this machine)", f[1])
		}
	case key == "lxc.aa_profile" || key == "lxc.apparmor.profile":
		p.Security.AppArmor = val
	case strings.HasPrefix(key, "lxc.network.") || strings.HasPrefix(key, "lxc.net."):
		importNetwork(p, key, val, note)
	case key == "lxc.mount.entry":
		importMount(p, val, home, func(s string) { note("%s", s) })
	case strings.HasPrefix(key, "lxc.cgroup"):
		importLimit(p, key, val, note)
	case key == "lxc.logfile" || key == "lxc.log.file":
		p.Log.File = homeRelative(val, home)
	case key == "lxc.loglevel" || key == "lxc.log.level":
		p.Log.Level = logLevelName(val)
	case key == "lxc.cap.drop":
		p.Security.DropCaps = append(p.Security.DropCaps, strings.Fields(val)...)
	case strings.HasPrefix(key, "lxc.hook."):
		if strings.Contains(key, "pre-start") {
			p.Access.PulseAudio = true
			note("the pre-start hook (the article's PulseAudio socket) → pulseaudio = true; lxcage sets up the socket itself")
		} else {
			note("hook %s not imported", key)
		}
	case key == "lxc.utsname" || key == "lxc.uts.name", key == "lxc.rootfs" || key == "lxc.rootfs.path",
		key == "lxc.include", key == "lxc.arch", key == "lxc.rootfs.backend":
		// Decided by lxcage.
	default:
		note("%s not imported", key)
	}
}

// importNetwork takes the network keys: the type decides the switch.
func importNetwork(p *Profile, key, val string, note func(string, ...any)) {
	switch key {
	case "lxc.network.type", "lxc.net.0.type":
		switch val {
		case "veth":
			p.Access.Network = NetworkBridge
		case "none":
			p.Access.Network = NetworkHost
		case "empty":
			p.Access.Network = NetworkOff
		default:
			note("network type %q has no lxcage equivalent; network is off", val)
		}
	case "lxc.network.link", "lxc.net.0.link":
		if val != "lxcbr0" {
			note("bridge %q: lxcage uses lxcbr0", val)
		}
	}
	// flags, hwaddr: LXC picks them.
}

// importLimit takes the cgroup limits lxcage knows.
func importLimit(p *Profile, key, val string, note func(string, ...any)) {
	switch key {
	case "lxc.cgroup.memory.limit_in_bytes", "lxc.cgroup2.memory.max":
		if n, err := strconv.ParseInt(val, 10, 64); err == nil && n > 0 {
			p.Limits.Memory = strconv.FormatInt(max(n>>20, 16), 10) + "M"
		} else if _, err := ParseSize(val); err == nil {
			p.Limits.Memory = val
		}
	case "lxc.cgroup.pids.max", "lxc.cgroup2.pids.max":
		if n, err := strconv.ParseInt(val, 10, 64); err == nil {
			p.Limits.Pids = n
		}
	case "lxc.cgroup.cpu.shares":
		if n, err := strconv.ParseInt(val, 10, 64); err == nil {
			p.Limits.CPUWeight = min(max(n*100/1024, 1), 10000)
		}
	default:
		note("%s not imported", key)
	}
}

// importTemplateArgs reads the download template's -d/-r/-a options,
// which lxc-create records in a comment of the config.
func importTemplateArgs(p *Profile, args []string) {
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "-d", "--dist":
			p.Image.Dist = args[i+1]
		case "-r", "--release":
			p.Image.Release = args[i+1]
		case "-a", "--arch":
			p.Image.Arch = args[i+1]
		case "--variant":
			p.Image.Variant = args[i+1]
		}
	}
	if p.Image.Dist != "" && p.Image.Release != "" {
		p.Image.Type = ImageDownload
	}
}

func importMount(p *Profile, val, home string, note func(string)) {
	f := strings.Fields(val)
	if len(f) < 4 {
		note("mount entry " + strconv.Quote(val) + " is malformed, skipped")
		return
	}
	src, dst, opts := sandbox.UnescapeMountPath(f[0]), sandbox.UnescapeMountPath(f[1]), f[3]
	switch {
	case src == "/tmp/.X11-unix" || strings.HasPrefix(src, "/tmp/.X11-unix/"):
		p.Access.X11 = X11Trusted
		note("the X socket → x11 = \"trusted\" (as the article gave it); consider x11 = true (untrusted)")
	case src == "/dev/dri":
		p.Access.GPU = true
	case src == "/dev/snd":
		p.Access.Sound = true
	case strings.HasPrefix(src, "/dev/video"):
		p.Access.Webcam = true
	case strings.HasPrefix(src, "/dev/input"):
		p.Access.Input = true
	case strings.Contains(opts, "bind") && strings.HasPrefix(src, "/"):
		s := Share{Host: homeRelative(src, home), Path: "/" + strings.TrimPrefix(path.Clean("/"+dst), "/")}
		s.Readonly = hasOpt(opts, "ro")
		s.Optional = hasOpt(opts, "optional")
		p.Shares = append(p.Shares, s)
	default:
		note("mount " + src + " → " + dst + " not imported")
	}
}

func hasOpt(opts, o string) bool {
	for _, x := range strings.Split(opts, ",") {
		if x == o {
			return true
		}
	}
	return false
}

func homeRelative(p, home string) string {
	if home != "" && (p == home || strings.HasPrefix(p, home+"/")) {
		return "~" + strings.TrimPrefix(p, home)
	}
	return p
}

func logLevelName(v string) string {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(LogLevels) {
		return LogLevels[n]
	}
	return strings.ToUpper(v)
}
