package hostfacts

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestGamepadHidraw: of a fake sysfs with a DualShock (a joystick node
// under its HID device), a Steam Controller (Valve, no joystick node), a
// keyboard and a security key, only the two controllers' hidraw nodes
// are handed to input = true.
func TestGamepadHidraw(t *testing.T) {
	sys := t.TempDir()
	hid := func(node, dev string, js bool) {
		d := filepath.Join(sys, "devices", "pci0000:00", "usb1", dev)
		os.MkdirAll(filepath.Join(d, "input", "input7"), 0o755)
		if js {
			os.MkdirAll(filepath.Join(d, "input", "input7", "js0"), 0o755)
		}
		os.MkdirAll(filepath.Join(sys, "class", "hidraw", node), 0o755)
		if err := os.Symlink(d, filepath.Join(sys, "class", "hidraw", node, "device")); err != nil {
			t.Fatal(err)
		}
	}
	hid("hidraw0", "0003:054C:09CC.0001", true)  // DualShock 4
	hid("hidraw1", "0003:28DE:1142.0002", false) // Steam Controller dongle
	hid("hidraw2", "0003:046D:C31C.0003", false) // a keyboard
	hid("hidraw3", "0003:1050:0407.0004", false) // a YubiKey
	got := gamepadHidraw(sys)
	want := []string{"/dev/hidraw0", "/dev/hidraw1"}
	if !slices.Equal(got, want) {
		t.Errorf("gamepad hidraw nodes %v, want %v", got, want)
	}
	if got := gamepadHidraw(filepath.Join(sys, "missing")); len(got) != 0 {
		t.Errorf("no sysfs: %v", got)
	}
}
