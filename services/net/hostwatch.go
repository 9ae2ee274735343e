package net

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/services"
)

// The guard's list of host addresses is taken when the container starts.
// A host that gains an address later (another Wi-Fi, a VPN coming up, a
// bridge of a VM) would be open to the container through it: a
// connection from the relay to an address of the host's own is local,
// past any firewall rule for the network, and reaches every server
// listening on all addresses. So for as long as the container runs, a
// watcher of its own (`lxcage _serve netguard`, run as the user like the
// relay) follows the host's addresses through rtnetlink and reloads the
// guard whenever they change.

// GuardKind is the mediator kind of the watcher (services.Serve).
const GuardKind = "netguard"

func init() { services.RegisterMain(GuardKind, guardMain) }

// guardArgs is the command line of the watcher for the container whose
// init is pid, with the guard loaded for addrs.
func guardArgs(self string, pid int, addrs []netip.Addr) []string {
	return []string{self, services.ServeCommand, GuardKind, "-pid", strconv.Itoa(pid), "-loaded", addrKey(addrs)}
}

// guardMain runs the watcher: `lxcage _serve netguard -pid INIT -loaded
// ADDRS`. It returns when the container's init exits.
func guardMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet(GuardKind, flag.ContinueOnError)
	pid := fs.Int("pid", 0, "the container's init (its network namespace holds the guard)")
	loaded := fs.String("loaded", "", "the host addresses the loaded guard holds, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pid <= 0 || fs.NArg() > 0 {
		return errors.New("netguard: usage: -pid INIT [-loaded ADDR,…]")
	}
	initFD, err := unix.PidfdOpen(*pid, 0)
	if err != nil {
		return nil // the container is gone already
	}
	defer unix.Close(initFD)
	reload := func(addrs []netip.Addr) error {
		return loadGuard(ctx, run.Exec{}, *pid, addrs)
	}
	return watchAddrs(ctx, initFD, *loaded, reload)
}

// watchAddrs calls reload with the host's addresses each time they
// differ from what the guard holds (loaded, an addrKey), until the
// descriptor done (a pidfd) is readable or ctx ends. It subscribes
// before it first looks, so no change between the guard's load and the
// subscription goes unseen.
func watchAddrs(ctx context.Context, done int, loaded string, reload func([]netip.Addr) error) error {
	nl, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netguard: netlink: %w", err)
	}
	defer unix.Close(nl)
	groups := uint32(unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR)
	if err := unix.Bind(nl, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		return fmt.Errorf("netguard: netlink: %w", err)
	}
	// ctx ending wakes the poll below through this eventfd.
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return err
	}
	defer unix.Close(wake)
	stop := context.AfterFunc(ctx, func() { unix.Write(wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })
	defer stop()
	buf := make([]byte, 64<<10)
	for {
		addrs := hostAddrs()
		if key := addrKey(addrs); key != loaded {
			if err := reload(addrs); err != nil {
				// The next change tries again; the log says why.
				fmt.Fprintln(os.Stderr, "netguard:", err)
			} else {
				loaded = key
			}
		}
		fds := []unix.PollFd{{Fd: int32(nl), Events: unix.POLLIN}, {Fd: int32(done), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
			return fmt.Errorf("netguard: %w", err)
		}
		if fds[1].Revents != 0 || fds[2].Revents != 0 {
			return nil
		}
		// What changed does not matter, only the addresses now: drain
		// the messages (an overflow, ENOBUFS, is a change too).
		for {
			if _, _, err := unix.Recvfrom(nl, buf, 0); err == unix.EAGAIN {
				break
			} else if err != nil && err != unix.ENOBUFS && err != unix.EINTR {
				return fmt.Errorf("netguard: netlink: %w", err)
			}
		}
	}
}

// addrKey renders the addresses the guard filters, sorted, to compare
// two lists.
func addrKey(addrs []netip.Addr) string {
	var out []string
	for _, a := range addrs {
		if guarded(a) {
			out = append(out, a.String())
		}
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ",")
}
