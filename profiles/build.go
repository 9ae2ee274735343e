package profiles

import (
	"path"
)

// stageBuild compiles how the container is provisioned: the build
// profile's config (the host's network, none of the app's access) and
// the setup and upgrade steps for each package manager an image may
// have. A host image without [setup] needs no build at all.
func stageBuild(c *compiler) error {
	t, _ := ImageTypeNamed(c.p.Image.Type)
	s := c.p.Setup
	hasSetup := len(s.Packages)+len(s.Debs)+len(s.URLs)+len(s.Run) > 0
	c.plan.Provision = !t.HostRoot || hasSetup
	c.plan.Upgradable = t.PackageManager
	if !c.plan.Provision && !c.plan.Upgradable {
		return nil
	}
	bc, err := newCompiler(BuildProfile(c.p), c.h, c.kind)
	if err != nil {
		return err
	}
	bc.build = true
	for _, st := range stages {
		if st.name == "build" || st.name == "attach" {
			continue
		}
		if err := st.run(bc); err != nil {
			return err
		}
	}
	b := &Build{
		Config: bc.plan.Config, ContainerDir: bc.plan.ContainerDir,
		ServiceDir: bc.plan.ServiceDir, LogFile: bc.plan.LogFile,
		DetectPM: DetectPMScript,
		Services: bc.plan.Services,
		Rootfs:   path.Base(c.plan.Rootfs),
		setup:    map[string]stepList{}, upgrade: map[string]stepList{},
	}
	// The build's resolver config is the user-mode network's: a host
	// image has it bound in (read-only: replacing it would fail with
	// "Device or resource busy"); an image gets it written as its own.
	resolv := ""
	if !t.HostRoot {
		resolv = path.Join(bc.plan.ServiceDir, "net", "resolv.conf")
	}
	for _, pm := range []string{"", PMApt, PMDnf, PMApk} {
		steps, err := SetupSteps(c.p, pm, c.h.UID, c.h.GID, c.h.Home, resolv)
		for i := range steps {
			steps[i].StdinFile = ExpandHome(steps[i].StdinFile, c.h.Home)
		}
		b.setup[pm] = stepList{steps, err}
		up, err := UpgradeSteps(c.p, pm, resolv)
		b.upgrade[pm] = stepList{up, err}
	}
	c.plan.Build = b
	return nil
}
