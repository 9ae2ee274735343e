package profiles

// AppArmorShippedFile is the source of LXC's lxc-container-default-cgns
// profile as Debian's and Ubuntu's lxc packages install it; the apparmor
// service loads it at boot (through /etc/apparmor.d/lxc-containers).
const AppArmorShippedFile = "/etc/apparmor.d/lxc/lxc-default-cgns"

// defaultAppArmor is the AppArmor profile of a container whose profile
// names none. LXC's "generated" profile has to be loaded into a policy
// namespace of the container's own, which only root may create: for
// anyone else lxc-start fails ("Permission denied - Error creating
// AppArmor namespace", or "apparmor_parser not available" when /usr/sbin
// is not on the PATH), as seen on a Debian 12 systemd desktop (the
// test-vm lane). Any process may switch into a profile that is already
// loaded, so a user's container gets LXC's own default profile, or its
// nesting variant when the app makes namespaces of its own (userns).
//
// A sandbox that mounts a root of its own (nested_sandbox: bwrap,
// pressure-vessel) gets no AppArmor profile: every loaded LXC profile
// refuses to change the propagation of / ("bwrap: Failed to make /
// slave: Permission denied" under lxc-container-default-with-nesting, in
// the test-vm lane), and only root may load one that allows it. The
// user namespace, seccomp and the dropped capabilities still confine it;
// docs/security.md says what the AppArmor profile would have added.
func defaultAppArmor(h *Host, userns, mounts bool) string {
	switch {
	case h.UID == 0 || !h.AppArmorShipped:
		return "generated"
	case mounts:
		return "unconfined"
	case userns:
		return "lxc-container-default-with-nesting"
	default:
		return "lxc-container-default-cgns"
	}
}
