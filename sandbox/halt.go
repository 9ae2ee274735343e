package sandbox

import (
	"os"
	"path"
	"strconv"

	"golang.org/x/sys/unix"
)

// SigRTMin3 is SIGRTMIN+3 as LXC and systemd count it (glibc's SIGRTMIN
// is 34, past the two real-time signals the C library keeps): systemd's
// request to halt.
const SigRTMin3 = unix.Signal(37)

// haltSignals is the signal each init program takes as a request for a
// clean shutdown, by the name of its executable. lxc-stop sends one
// signal, lxc.signal.halt, whatever the image runs, and an init ignores
// the signals it has no handler for: busybox's init (Alpine's, and many
// small images') ignores systemd's SIGRTMIN+3, so that lxc-stop waited
// out its whole timeout and then killed everything, without the image's
// shutdown actions.
var haltSignals = map[string]unix.Signal{
	"systemd": SigRTMin3,
	// busybox init: SIGUSR1 halts, SIGUSR2 powers off, SIGTERM reboots;
	// each runs the ::shutdown actions of its inittab first.
	"busybox": unix.SIGUSR2,
}

// HaltSignal is the signal that asks the init running as pid for a clean
// shutdown, known by the program it runs (/proc/PID/exe); ok is false for
// an init it does not know, which lxc-stop's lxc.signal.halt is left to.
// The image's root chooses its init and so what this returns: at worst a
// signal its init ignores, and the stop's timeout and kill that follow.
func HaltSignal(pid int) (sig unix.Signal, ok bool) {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return 0, false
	}
	sig, ok = haltSignals[path.Base(exe)]
	return sig, ok
}
