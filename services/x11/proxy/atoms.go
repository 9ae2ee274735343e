package proxy

// Predefined atoms of the core protocol the policy names.
const (
	atomCutBuffer0 = 9
	atomCutBuffer7 = 16
	atomWMName     = 39
)

// atoms are the values of the atoms the policy names beyond the
// predefined ones, interned on the proxy's own connection at start.
type atoms struct {
	clipboard        uint32
	clipboardManager uint32
	wmProtocols      uint32
	netWMPing        uint32
	xsettings        uint32 // _XSETTINGS_SETTINGS
	trayOpcode       uint32 // _NET_SYSTEM_TRAY_OPCODE
}

// atomNames are interned at start, in the order of the fields of atoms.
var atomNames = []string{"CLIPBOARD", "CLIPBOARD_MANAGER", "WM_PROTOCOLS", "_NET_WM_PING", "_XSETTINGS_SETTINGS", "_NET_SYSTEM_TRAY_OPCODE"}

func (a *atoms) set(vals []uint32) {
	p := []*uint32{&a.clipboard, &a.clipboardManager, &a.wmProtocols, &a.netWMPing, &a.xsettings, &a.trayOpcode}
	for i := range p {
		if i < len(vals) {
			*p[i] = vals[i]
		}
	}
}
