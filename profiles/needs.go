package profiles

// HostNeeds are the host facts compiling p needs: the rest can be
// skipped on a launch's hot path (each is a handful of system calls).
func (p *Profile) HostNeeds() Needs {
	var n Needs
	for _, s := range AccessSwitches {
		if s.Get == nil && s.GetList == nil {
			continue
		}
		if s.On(&p.Access) {
			n.Devices = n.Devices || s.Needs.Devices
			n.HostRoot = n.HostRoot || s.Needs.HostRoot
			n.Swap = n.Swap || s.Needs.Swap
		}
	}
	if t, ok := ImageTypeNamed(p.Image.Type); !ok || t.HostRoot {
		n.HostRoot = true
		if len(p.Command) > 0 {
			n.Command = p.Command[0]
		}
	}
	n.Swap = n.Swap || p.Limits.Memory != ""
	return n
}

// AllNeeds gathers every fact (the host check, the editor).
var AllNeeds = Needs{Devices: true, HostRoot: true, Swap: true}
