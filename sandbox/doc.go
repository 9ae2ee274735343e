// Package sandbox is lxcage's container mechanism and its vocabulary: it
// drives LXC through its own command-line tools (create, start, attach,
// stop, destroy unprivileged containers), makes sure the caller may run
// them (cgroup delegation), and owns the words a container is described
// in — config lines and mount entries, id maps, rootfs sources and the
// skeleton of a host-image rootfs. It is mechanism only: what a container
// should look like is decided by package profiles, which translates a
// profile into these types (as runc's specconv translates a spec into
// libcontainer's configs). It imports no policy.
package sandbox
