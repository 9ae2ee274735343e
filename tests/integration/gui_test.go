//go:build integration

package integration

import (
	"os/exec"
	"testing"
	"time"
)

// TestHostImageGUIPrograms: real GUI programs of the host start from a
// host-image container with the default X access (x11 = true, the
// proxy) — plain Xt, GTK 3 and Qt 5 — and show their windows.
func TestHostImageGUIPrograms(t *testing.T) {
	e := newEnv(t)
	x := xconn(t)
	for _, tc := range []struct {
		name, bin, profile, window string
	}{
		{"xclock", "xclock", `command = ["xclock"]`, "xclock"},
		{"xterm", "xterm", `command = ["xterm", "-T", "xterm-in-lxcage"]`, "xterm-in-lxcage"},
		{"gtk", "zenity", `command = ["zenity", "--info", "--title=gtk-in-lxcage", "--text=hello"]`, "gtk-in-lxcage"},
		{"qt", "python3", `command = ["python3", "-c", "import sys; from PyQt5.QtWidgets import QApplication, QLabel; a = QApplication(sys.argv); l = QLabel('hello'); l.setWindowTitle('qt-in-lxcage'); l.show(); a.exec_()"]
[env]
QT_X11_NO_MITSHM = "1"`, "qt-in-lxcage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := exec.LookPath(tc.bin)
			need(t, err == nil, tc.bin+" (hack/setup-host.sh installs it)")
			if tc.name == "qt" {
				need(t, exec.Command("python3", "-c", "import PyQt5.QtWidgets").Run() == nil, "python3-pyqt5")
			}
			e.profile(tc.name, tc.profile+"\n[access]\nx11 = true\n")
			l := e.start("launch", tc.name)
			w, ok := waitWindow(t, x, tc.window, 30*time.Second)
			if !ok {
				t.Fatalf("no %q window; output:\n%s", tc.window, l.out)
			}
			killClient(t, x, w)
			l.wait(t, 15*time.Second)
			if !e.waitState(tc.name, "STOPPED", time.Second) {
				t.Errorf("container %s after the window closed", e.state(tc.name))
			}
		})
	}
}
