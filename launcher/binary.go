package launcher

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Binary finds the lxcage CLI, the one program that launches, watches
// and serves containers: $LXCAGE_BIN, else this program if it is lxcage,
// else the lxcage beside it (an installed or built pair: the editor),
// else lxcage on $PATH. The path is absolute, so menu entries written
// with it run from anywhere.
func Binary() (string, error) {
	if b := os.Getenv("LXCAGE_BIN"); b != "" {
		return filepath.Abs(b)
	}
	if self, err := os.Executable(); err == nil {
		if filepath.Base(self) == "lxcage" {
			return self, nil
		}
		if beside := filepath.Join(filepath.Dir(self), "lxcage"); isExecutable(beside) {
			return beside, nil
		}
	}
	p, err := exec.LookPath("lxcage")
	if err != nil {
		return "", fmt.Errorf("cannot find the lxcage command next to this program or on $PATH; install it or set LXCAGE_BIN: %w", err)
	}
	return filepath.Abs(p)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
