package sandbox

// SetupStep is one command run as root inside a container being built.
type SetupStep struct {
	// Name says what the step does, for progress and errors.
	Name string
	// Argv is the command; never a shell string built from profile
	// values (fixed scripts take values as positional parameters).
	Argv []string
	// StdinFile, when set, is a host file fed to the command's stdin (a
	// .deb copied in).
	StdinFile string
	// Network is true when the step needs the network.
	Network bool
	// Watch, when set, is a file the step writes (a download, relative
	// to the rootfs) whose size is worth reporting as progress.
	Watch string
	// Hint, when set, is the fix shown if the step fails (where the
	// likely cause is known, as a mirror without update archives).
	Hint string
}
