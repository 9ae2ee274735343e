package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// ReadOnlyHookCommand is the hidden lxcage subcommand LXC runs as the
// container's mount hook (lxc.hook.mount) to make its read-only
// recursive binds read-only all the way down.
//
// LXC 5.0 makes only the top of an `rbind,ro` entry read-only: a
// filesystem mounted below a read-only share, or the host's cgroup tree
// below a bound /sys, stays writable inside. A plain bind is no way out:
// in a user namespace a bind that would uncover what a locked submount
// hides fails with EINVAL. mount_setattr(2) with AT_RECURSIVE (Linux
// 5.12) sets MOUNT_ATTR_RDONLY on the whole tree; the container's root
// may make its mounts stricter, never looser.
const ReadOnlyHookCommand = "_rohook"

// ReadOnlyHook is the body of ReadOnlyHookCommand. LXC runs it in the
// container's mount namespace after the mount entries are made, before
// pivot_root, with LXC_CONFIG_FILE and LXC_ROOTFS_MOUNT set.
func ReadOnlyHook() error {
	conf, root := os.Getenv("LXC_CONFIG_FILE"), os.Getenv("LXC_ROOTFS_MOUNT")
	if conf == "" || root == "" {
		return fmt.Errorf("%s: run by LXC as a mount hook (LXC_CONFIG_FILE, LXC_ROOTFS_MOUNT unset)", ReadOnlyHookCommand)
	}
	targets, err := readOnlyTargets(conf)
	if err != nil {
		return err
	}
	mounted, err := mountPoints("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, t := range targets {
		p := filepath.Join(root, t)
		// Only a mount of its own: an optional entry whose source was
		// missing is no mount, and the rootfs below it must stay as is.
		if !mounted[p] {
			continue
		}
		attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
		if err := unix.MountSetattr(unix.AT_FDCWD, p, unix.AT_RECURSIVE|unix.AT_SYMLINK_NOFOLLOW, attr); err != nil {
			return fmt.Errorf("make %s read-only all the way down: %w", t, err)
		}
	}
	return nil
}

// readOnlyTargets are the targets of the config's recursive read-only
// mount entries.
func readOnlyTargets(conf string) ([]string, error) {
	c, err := ReadConfig(conf)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range c.Get("lxc.mount.entry") {
		f := strings.Fields(v)
		if len(f) < 4 {
			continue
		}
		opts := strings.Split(f[3], ",")
		if slices.Contains(opts, "rbind") && slices.Contains(opts, "ro") {
			out = append(out, UnescapeMountPath(f[1]))
		}
	}
	return out, nil
}

// mountPoints reads the mount points of a mountinfo file.
func mountPoints(file string) (map[string]bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 4 {
			m[UnescapeMountPath(f[4])] = true
		}
	}
	return m, sc.Err()
}
