package launcher

import (
	"strings"
	"testing"
)

// A start that failed on a linked /etc/resolv.conf says how to repair it.
func TestStartErrorLinkedResolvConf(t *testing.T) {
	e := &StartError{Name: "web", LogFile: "/tmp/web.log", LogTail: `lxc-start web 20261130090542.779 ERROR    utils - ../src/lxc/utils.c:open_without_symlink:1084 - Too many levels of symbolic links - resolv.conf in /usr/lib/x86_64-linux-gnu/lxc/rootfs/etc/resolv.conf was a symbolic link!`}
	if got := e.Error(); !strings.HasSuffix(got, "lxcage upgrade web makes it a file again (or lxcage rebuild web)") {
		t.Errorf("no fix: %q", got)
	}
	e.LogTail = "ERROR conf - Failed to mount /home/a on home/user"
	if strings.Contains(e.Error(), "fix:") {
		t.Errorf("a fix for another failure: %q", e.Error())
	}
}
