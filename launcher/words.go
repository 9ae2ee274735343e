package launcher

import "github.com/lxcage/lxcage/sandbox"

// State is a container's state, in the words front ends show; they speak
// these instead of reaching into the sandbox.
type State = sandbox.State

// Container states.
const (
	NotCreated = sandbox.NotCreated
	Stopped    = sandbox.Stopped
	Starting   = sandbox.Starting
	Running    = sandbox.Running
	Stopping   = sandbox.Stopping
	Aborting   = sandbox.Aborting
	Frozen     = sandbox.Frozen
)

// ErrExists is returned by Create when the container already exists.
var ErrExists = sandbox.ErrExists

// SkeletonCommand is the hidden lxcage subcommand that writes a
// host-image rootfs inside a user namespace; SkeletonMain runs it.
const SkeletonCommand = sandbox.SkeletonCommand

// SkeletonMain is the body of SkeletonCommand.
var SkeletonMain = sandbox.SkeletonMain

// ReadOnlyHookCommand is the hidden lxcage subcommand LXC runs as a
// container's mount hook; ReadOnlyHook runs it.
const ReadOnlyHookCommand = sandbox.ReadOnlyHookCommand

// ReadOnlyHook is the body of ReadOnlyHookCommand.
var ReadOnlyHook = sandbox.ReadOnlyHook
