package hostfacts

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// valveVendor is Valve's USB vendor id: the Steam Controller's and the
// Steam Deck's gamepad interface is a vendor-defined HID device with no
// joystick node of its own, which Steam drives through hidraw.
const valveVendor = "28DE"

// gamepadHidraw lists the /dev/hidraw* nodes of game controllers, looked
// up under the sysfs root sys (normally /sys): those whose HID device
// also has a joystick node (a DualShock, a Switch pad), and Valve's.
// Other raw HID nodes stay out: a keyboard's would be a keylogger, a
// security key's would let the app sign with it.
func gamepadHidraw(sys string) []string {
	ents, _ := os.ReadDir(filepath.Join(sys, "class", "hidraw"))
	var out []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "hidraw") {
			continue
		}
		dev := filepath.Join(sys, "class", "hidraw", e.Name(), "device")
		if isGamepadHID(dev) {
			out = append(out, "/dev/"+e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// isGamepadHID reports whether the HID device at dev (a sysfs directory
// named BUS:VENDOR:PRODUCT.N) is a game controller.
func isGamepadHID(dev string) bool {
	target, err := filepath.EvalSymlinks(dev)
	if err != nil {
		return false
	}
	if f := strings.Split(filepath.Base(target), ":"); len(f) == 3 && strings.EqualFold(f[1], valveVendor) {
		return true
	}
	js, _ := filepath.Glob(filepath.Join(dev, "input", "input*", "js[0-9]*"))
	return len(js) > 0
}
