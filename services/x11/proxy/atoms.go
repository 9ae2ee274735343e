package proxy

import (
	"strconv"
	"strings"
)

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
	// roles are the selections whose owner other clients trust with a
	// role for the whole display: the window manager (WM_Sn, whose
	// owner the running one hands over to and exits), the compositor,
	// the system tray, the XSETTINGS manager (themes, input method) and
	// the clipboard manager.
	roles map[uint32]bool
}

// roleNames are the selections of roles; the ones ending in _S are per
// screen (_S0, _S1…).
var roleNames = []string{"WM_S", "_NET_WM_CM_S", "_NET_SYSTEM_TRAY_S", "_XSETTINGS_S", "CLIPBOARD_MANAGER"}

// roleAtoms lists the role selections of a display with n screens.
func roleAtoms(n int) []string {
	var out []string
	for _, r := range roleNames {
		if !strings.HasSuffix(r, "_S") {
			out = append(out, r)
			continue
		}
		for i := 0; i < n; i++ {
			out = append(out, r+strconv.Itoa(i))
		}
	}
	return out
}

// atomNames are interned at start, in the order of the fields of atoms.
var atomNames = []string{"CLIPBOARD", "CLIPBOARD_MANAGER", "WM_PROTOCOLS", "_NET_WM_PING", "_XSETTINGS_SETTINGS", "_NET_SYSTEM_TRAY_OPCODE"}

// setRoles notes the atoms of the role selections.
func (a *atoms) setRoles(vals []uint32) {
	a.roles = map[uint32]bool{}
	for _, v := range vals {
		a.roles[v] = true
	}
}

func (a *atoms) set(vals []uint32) {
	p := []*uint32{&a.clipboard, &a.clipboardManager, &a.wmProtocols, &a.netWMPing, &a.xsettings, &a.trayOpcode}
	for i := range p {
		if i < len(vals) {
			*p[i] = vals[i]
		}
	}
}
