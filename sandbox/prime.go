package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
)

// Why a launch moves itself into the cgroup it is already in.
//
// Every move of a process between cgroups (a write to cgroup.procs, in
// any hierarchy, v1 or v2) takes the kernel's cgroup_threadgroup_rwsem
// for writing, and a writer that comes when no other has come for a
// while first waits for an RCU grace period: 6-16 ms on the 2-vCPU
// machines here, where the move itself takes 0.1 ms. A start pays it
// when lxc-start moves its monitor (about a third of what lxc-start
// takes on a cgroup v1 host), a warm launch when lxc-attach moves the app
// into the container's cgroup. Writers that follow within about a grace
// period of the last one do not wait.
//
// So a launch makes the first move itself, at its very beginning and in
// the background: the grace period then runs while the launch reads the
// profile and begins the services, and LXC's moves come after it. The
// move is a no-op (the process's own pid into its own cgroup). Unless
// the hierarchy is mounted with favordynmods, which takes the wait away
// for everyone.

// PrimeCgroupMoves starts, in the background, the wait that the next
// move of a process between cgroups would otherwise pay (see above). It
// does nothing on a unified-only host, where the launch itself moves
// into a systemd scope at once (ContainerScope): a second writer of its
// pid could put it back. Errors are ignored: this only saves time.
func PrimeCgroupMoves() { go primeCgroupMoves() }

// primeCgroupMoves moves the process into its own cgroup, in the first
// hierarchy it may write (none: ErrNotPrimed).
func primeCgroupMoves() error {
	cg, err := ReadCgroups()
	if err != nil {
		return err
	}
	if cg.UnifiedOnly() {
		return ErrNotPrimed
	}
	h, ok := cg.primeTarget()
	if !ok {
		return ErrNotPrimed
	}
	return os.WriteFile(filepath.Join(h.Dir, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0)
}

// ErrNotPrimed is a host where a launch does not prime cgroup moves.
var ErrNotPrimed = errors.New("no cgroup to prime moves in")

// primeTarget is a hierarchy whose cgroup.procs, in the process's own
// cgroup, the user may write.
func (c *Cgroups) primeTarget() (Hierarchy, bool) {
	for _, h := range c.Hierarchies {
		if h.Writable {
			return h, true
		}
	}
	return Hierarchy{}, false
}
