package launcher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lxcage/lxcage/internal/fix"
	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/internal/safefile"
	"github.com/lxcage/lxcage/profiles"
	"github.com/lxcage/lxcage/sandbox"
	"github.com/lxcage/lxcage/services"
)

// SetupError is a failed provisioning step, with what it printed last.
type SetupError struct {
	Step, Steps int
	Name        string
	Argv        []string
	Status      int
	Tail        string
	Log         string
	// Hint is the step's own fix, when it has one.
	Hint string
	Err  error
}

func (e *SetupError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "setup step %d of %d (%s) failed: %s", e.Step, e.Steps, e.Name, shellQuote(e.Argv))
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	} else {
		fmt.Fprintf(&b, " exited with status %d", e.Status)
	}
	if e.Tail != "" {
		b.WriteString("\nlast lines of its output:\n" + e.Tail)
	}
	if e.Log != "" {
		b.WriteString("\nfull output: " + e.Log)
	}
	if e.Hint != "" {
		b.WriteString("\nfix: " + e.Hint)
	}
	return b.String()
}

func (e *SetupError) Unwrap() error { return e.Err }

// shellQuote renders argv for a human, quoting what needs it.
func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`;&|<>()*?[]{}~#") {
			q[i] = a
			continue
		}
		if len(a) > 60 {
			a = a[:57] + "…"
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// BuildOptions tune a create.
type BuildOptions struct {
	// ForceCache takes a download image from LXC's cache only (offline).
	ForceCache bool
}

// createSpec is what the sandbox needs to keep plan's container in step
// with the plan (config, files, rootfs source).
func createSpec(plan *profiles.Plan) sandbox.CreateSpec {
	return sandbox.CreateSpec{
		Config: plan.Config.String(), Source: plan.Source,
		IDMap: plan.IDMap, UID: plan.Attach.UID, GID: plan.Attach.GID,
		Files: plan.Files,
	}
}

// buildSpec is the full spec of plan's container: rootfs, config, and
// the provisioning that runs its build steps before it is renamed into
// place.
func (l *Launcher) buildSpec(plan *profiles.Plan, opts BuildOptions) (sandbox.CreateSpec, error) {
	spec := createSpec(plan)
	spec.ForceCache = opts.ForceCache
	spec.Progress = l.Progress
	if !plan.Provision || plan.Build == nil {
		return spec, nil
	}
	b := plan.Build
	spec.BuildConfig = b.ConfigAt
	spec.Provision = func(ctx context.Context, tmpName string) error {
		return l.provision(ctx, plan.Name, b, tmpName, b.SetupSteps)
	}
	return spec, nil
}

// provision starts the container being built (with the build config: the
// host's network, none of the app's access), runs the steps as root in
// it, and stops it.
func (l *Launcher) provision(ctx context.Context, profile string, b *profiles.Build, name string, steps func(pm string) ([]sandbox.SetupStep, error)) (err error) {
	if err := os.MkdirAll(b.ServiceDir, 0o700); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(l.logFile(b.LogFile)), 0o700); err != nil {
		return err
	}
	if err := l.ensureCgroups(ctx, profile); err != nil {
		return err
	}
	undo, err := l.startBuild(ctx, b, name)
	defer func() {
		if serr := l.LXC.Stop(context.WithoutCancel(ctx), name, 0); serr != nil && err == nil {
			err = serr
		}
		undo.Run(ctx, l.runner)
	}()
	if err != nil {
		return err
	}
	pm, err := l.detectPM(ctx, name, b.DetectPM)
	if err != nil {
		return err
	}
	list, err := steps(pm)
	if err != nil {
		return err
	}
	return l.runSteps(ctx, profile, b, name, list)
}

// startBuild starts the build container with its host services (its
// network) and returns how to undo them.
func (l *Launcher) startBuild(ctx context.Context, b *profiles.Build, name string) (services.Undo, error) {
	undo, err := l.startServices(ctx, b.Services, services.BeforeStart, 0)
	if err != nil {
		return nil, err
	}
	logOffset := fileSize(l.logFile(b.LogFile))
	if err := l.LXC.Start(ctx, name); err != nil {
		return undo, l.startError(name, b.LogFile, err, logOffset)
	}
	pid, err := l.LXC.InitPID(ctx, name)
	if err != nil {
		return undo, err
	}
	after, err := l.startServices(ctx, b.Services, services.AfterStart, pid)
	return append(undo, after...), err
}

// runSteps runs setup steps in order, their output to the setup log.
func (l *Launcher) runSteps(ctx context.Context, profile string, b *profiles.Build, name string, list []sandbox.SetupStep) error {
	logPath := filepath.Join(filepath.Dir(l.logFile(b.LogFile)), profile+"-setup.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("setup log: %w", err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n=== lxcage: provisioning %s, %s\n", profile, time.Now().Format(time.RFC3339))
	rootfs := filepath.Join(l.LXC.Dir(name), b.Rootfs)
	for i, st := range list {
		l.progress("(%d/%d) %s", i+1, len(list), st.Name)
		fmt.Fprintf(logf, "\n=== step %d/%d: %s\n$ %s\n", i+1, len(list), st.Name, shellQuote(st.Argv))
		if err := l.runStep(ctx, name, st, logf, rootfs, i+1, len(list)); err != nil {
			var se *SetupError
			if errors.As(err, &se) {
				se.Step, se.Steps, se.Log, se.Hint = i+1, len(list), logPath, st.Hint
			}
			return err
		}
	}
	return nil
}

// rootEnv is the environment of setup commands.
var rootEnv = []string{
	"PATH=" + profiles.DefaultPath, "HOME=/root", "LANG=C.UTF-8", "TERM=dumb",
	"DEBIAN_FRONTEND=noninteractive", "DEBCONF_NONINTERACTIVE_SEEN=true",
}

// detectPM asks the image which package manager it has.
func (l *Launcher) detectPM(ctx context.Context, name string, script []string) (string, error) {
	var out bytes.Buffer
	cmd := l.LXC.AttachCmd(name, sandbox.AttachOptions{UID: 0, GID: 0, Env: rootEnv, Argv: script})
	cmd.Stdout = &out
	if err := runCtx(ctx, cmd); err != nil {
		return "", fmt.Errorf("look for a package manager in the image: %w", err)
	}
	return strings.TrimSpace(out.String()), nil
}

// runStep runs one setup step as root, its output to the log (and the
// last lines kept for the error). Downloads report their size as they go.
func (l *Launcher) runStep(ctx context.Context, name string, st sandbox.SetupStep, log io.Writer, rootfs string, n, total int) error {
	cmd := l.LXC.AttachCmd(name, sandbox.AttachOptions{UID: 0, GID: 0, Env: rootEnv, Cwd: "/root", Argv: st.Argv})
	tail := &run.TailWriter{Max: 20}
	w := io.MultiWriter(log, tail)
	cmd.Stdout, cmd.Stderr = w, w
	if st.StdinFile != "" {
		f, err := os.Open(st.StdinFile)
		if err != nil {
			return &SetupError{Name: st.Name, Argv: st.Argv, Err: err}
		}
		defer f.Close()
		cmd.Stdin = f
	}
	stop := l.watchDownload(st, rootfs, n, total)
	err := runCtx(ctx, cmd)
	stop()
	if err != nil {
		se := &SetupError{Name: st.Name, Argv: st.Argv, Tail: tail.String()}
		if code, _ := exitStatus(err); code > 0 && ctx.Err() == nil {
			se.Status = code
		} else {
			se.Err = err
		}
		return se
	}
	return nil
}

// watchDownload reports the size of the file a step is writing (the
// rootfs is readable from the host) until stop is called.
func (l *Launcher) watchDownload(st sandbox.SetupStep, rootfs string, n, total int) (stop func()) {
	if st.Watch == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				// The build's root may be hostile: never follow its links.
				if fst, err := safefile.StatBeneath(rootfs, st.Watch); err == nil {
					l.progress("(%d/%d) %s: %.1f MB", n, total, st.Name, float64(fst.Size)/1e6)
				}
			}
		}
	}()
	return func() { close(done) }
}

// runCtx runs cmd, killing it when ctx ends (the caller stops the
// container, which ends the command inside: killing lxc-attach does not).
func runCtx(ctx context.Context, cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		return ctx.Err()
	}
}

// Upgrade updates the distribution inside p's stopped container, with
// the build config (the network, none of the app's access), as the
// article's API example does.
func (l *Launcher) Upgrade(ctx context.Context, p *profiles.Profile) error {
	plan, err := l.Compile(p)
	if err != nil {
		return err
	}
	if !plan.Upgradable || plan.Build == nil {
		return fix.New(fmt.Sprintf("upgrade %s: a host-image container runs your own /usr", p.Name), "upgrade the host instead")
	}
	return l.locked(ctx, p.Name, func(st *state) error {
		if s, err := l.LXC.State(ctx, p.Name); err != nil {
			return err
		} else if s == sandbox.NotCreated {
			return fix.New(fmt.Sprintf("upgrade %s: the container does not exist", p.Name), "lxcage create "+p.Name)
		} else if s != sandbox.Stopped {
			return fix.New(fmt.Sprintf("upgrade %s: it is %s", p.Name, strings.ToLower(string(s))), "stop it first: lxcage stop "+p.Name)
		}
		if _, err := l.LXC.WriteConfig(p.Name, plan.Build.Config.String()); err != nil {
			return err
		}
		// Whatever happens, the container goes back to its own config.
		defer l.LXC.WriteConfig(p.Name, plan.Config.String())
		return l.provision(ctx, p.Name, plan.Build, p.Name, plan.Build.UpgradeSteps)
	})
}

// Rebuild builds p's container afresh and replaces the old one only when
// the new one is complete; data in [[share]] directories stays, the old
// container's own files (its home included) go.
func (l *Launcher) Rebuild(ctx context.Context, p *profiles.Profile, opts BuildOptions) error {
	plan, err := l.Compile(p)
	if err != nil {
		return err
	}
	return l.locked(ctx, p.Name, func(st *state) error {
		if s, err := l.LXC.State(ctx, p.Name); err != nil {
			return err
		} else if s == sandbox.Running {
			return fix.New(fmt.Sprintf("rebuild %s: it is running", p.Name), "stop it first: lxcage stop "+p.Name)
		}
		spec, err := l.buildSpec(plan, opts)
		if err != nil {
			return err
		}
		spec.Replace = true
		return l.LXC.Create(ctx, p.Name, spec)
	})
}

// Create builds p's container if it does not exist yet: its image, then
// [setup] inside it, with progress.
func (l *Launcher) Create(ctx context.Context, p *profiles.Profile, opts BuildOptions) error {
	plan, err := l.Compile(p)
	if err != nil {
		return err
	}
	return l.locked(ctx, p.Name, func(st *state) error {
		if l.LXC.Exists(p.Name) {
			return fmt.Errorf("create %s: %w", p.Name, sandbox.ErrExists)
		}
		spec, err := l.buildSpec(plan, opts)
		if err != nil {
			return err
		}
		return l.LXC.Create(ctx, p.Name, spec)
	})
}
