package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/lxcage/lxcage/internal/run"
	"golang.org/x/sys/unix"
)

// On a systemd desktop with the unified (v2) cgroup hierarchy only, two
// rules of cgroup v2 decide where a user's container can go (both seen
// in the systemd VM of make test-vm):
//
//   - No internal processes: LXC makes lxc.monitor.NAME and
//     lxc.payload.NAME below the cgroup lxc-start runs in and enables
//     the memory, pids and cpu controllers there, which the kernel
//     refuses (EBUSY) while any other process is in that cgroup. A
//     launcher waiting in it, or the desktop's own app scope, leaves the
//     container without its [limits]: lxc-start fails on pids.max.
//   - Moving a process needs write access to the common ancestor: from a
//     terminal or ssh login (user-UID.slice/session-N.scope, root's)
//     lxc-attach cannot move the app into the container's cgroup below
//     user@UID.service (EACCES).
//
// So a start asks the user's systemd manager for a transient scope with
// Delegate=yes (ContainerScope), the launcher moves itself into a leaf
// of it, and lxc-start is forked straight into the scope's top
// (CLONE_INTO_CGROUP), which then holds nothing but LXC's own cgroups.
// An attach from outside the user manager's tree first moves the
// launcher into a scope of that manager (AttachScope).

// launcherLeaf is the cgroup inside a scope where the launcher waits.
const launcherLeaf = "lxcage.launcher"

// Scope is a delegated cgroup systemd gave one container start.
type Scope struct {
	// Unit is the systemd unit, e.g. lxcage-NAME-PID.scope.
	Unit string
	// Dir is the scope's cgroup directory, where lxc-start starts.
	Dir string
	top *os.File
}

// ContainerScope readies a container start on a systemd host with the
// unified hierarchy only: a delegated scope whose top lxc-start will run
// in (see Scope.Runner), with the calling process moved into a leaf of
// it. It returns nil, nil where it does not apply: cgroup v1 or hybrid
// hosts, or no systemd user manager on the bus at address (the caller
// then falls back to the cgroups it owns).
func ContainerScope(ctx context.Context, address, name string) (*Scope, error) {
	cg, err := ReadCgroups()
	if err != nil || !cg.UnifiedOnly() {
		return nil, err
	}
	unit, err := DelegateScope(ctx, address, name)
	if errors.Is(err, ErrNoSystemd) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	dir, err := ownUnifiedCgroup()
	if err != nil {
		return nil, err
	}
	if filepath.Base(dir) != unit {
		return nil, fmt.Errorf("systemd scope %s: this process is in %s instead", unit, dir)
	}
	return enterLeaf(unit, dir)
}

// enterLeaf moves the calling process from the scope's top at dir into
// its launcher leaf and opens the top for CLONE_INTO_CGROUP.
func enterLeaf(unit, dir string) (*Scope, error) {
	leaf := filepath.Join(dir, launcherLeaf)
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("systemd scope %s: %w", unit, err)
	}
	if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, fmt.Errorf("systemd scope %s: move the launcher into %s: %w", unit, leaf, err)
	}
	top, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("systemd scope %s: %w", unit, err)
	}
	return &Scope{Unit: unit, Dir: dir, top: top}, nil
}

// AttachScope makes sure lxc-attach can move an app into a container's
// cgroup: on a unified-only host, a caller outside its user manager's
// tree (a terminal or ssh login) moves into a scope of that manager. It
// does nothing where that is not needed or there is no systemd.
func AttachScope(ctx context.Context, address, name string) error {
	cg, err := ReadCgroups()
	if err != nil || !cg.UnifiedOnly() {
		return err
	}
	if u, _ := cg.Unified(); InUserManager(u.Dir, os.Getuid()) {
		return nil
	}
	if _, err := DelegateScope(ctx, address, name+"-attach"); err != nil && !errors.Is(err, ErrNoSystemd) {
		return err
	}
	return nil
}

// InUserManager reports whether the cgroup directory dir lies in the
// tree of uid's systemd user manager (user@UID.service), where the user
// may move its processes between cgroups.
func InUserManager(dir string, uid int) bool {
	return strings.Contains(dir+"/", "/user@"+strconv.Itoa(uid)+".service/")
}

// ownUnifiedCgroup is the calling process's cgroup directory in the
// unified hierarchy.
func ownUnifiedCgroup() (string, error) {
	cg, err := ReadCgroups()
	if err != nil {
		return "", err
	}
	u, ok := cg.Unified()
	if !ok {
		return "", errors.New("no unified cgroup hierarchy")
	}
	return u.Dir, nil
}

// Close releases the scope's directory; the scope itself lives on while
// the container does.
func (s *Scope) Close() error { return s.top.Close() }

// Runner is r with lxc-start forked straight into the scope's top; every
// other tool runs where the caller is. lxc-start's monitor (with the
// waiting lxc-start) then moves into lxc.monitor.NAME, the top is left
// empty, and LXC can enable the controllers the container's limits need.
func (s *Scope) Runner(r run.Runner) run.Runner { return scopeRunner{Runner: r, top: s.top} }

type scopeRunner struct {
	run.Runner
	top *os.File
}

// startsInScope are the tools that run in the scope's top.
var startsInScope = map[string]bool{"lxc-start": true}

// command prepares a tool run: lxc-start into the scope's top.
func (r scopeRunner) command(name string, args ...string) *exec.Cmd {
	cmd := r.Runner.Command(name, args...)
	if startsInScope[name] {
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(r.top.Fd())}
	}
	return cmd
}

// Run implements Runner.
func (r scopeRunner) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	if !startsInScope[name] {
		return r.Runner.Run(ctx, stdin, name, args...)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, run.DefaultTimeout)
		defer cancel()
	}
	cmd := r.command(name, args...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		return nil, &run.ToolError{Tool: name, Args: args, Err: err}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		err = fmt.Errorf("%w (%v)", <-done, ctx.Err())
	}
	if err != nil {
		return out.Bytes(), &run.ToolError{Tool: name, Args: args, Err: err, Stderr: run.Tail(errb.String(), 4000)}
	}
	return out.Bytes(), nil
}

// UnifiedOnly is true on a host with the unified hierarchy and no v1
// controller hierarchy: every systemd desktop of recent years.
func (c *Cgroups) UnifiedOnly() bool {
	_, ok := c.Unified()
	return ok && len(c.legacy()) == 0
}

// DelegatedControllers lists the controllers uid's systemd user manager
// may hand on (cgroup.controllers of user@UID.service), or nil when that
// cgroup is not there.
func DelegatedControllers(root string, uid int) []string {
	u := strconv.Itoa(uid)
	f, err := os.Open(filepath.Join(root, "user.slice", "user-"+u+".slice", "user@"+u+".service", "cgroup.controllers"))
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Split(bufio.ScanWords)
	var out []string
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
