// Command x11probe attacks the X display it is given as an app in a
// container would, and says for each attack whether it was refused. Run
// inside a container behind lxcage's X11 proxy, every line must start
// with "refused"; it exits 1 if any attack succeeded, 2 if a probe could
// not run.
//
//	x11probe [-display :0] [-target 0xWINDOW] [-listen 3s] [PROBE…]
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/lxcage/lxcage/services/x11/proxy/probe"
)

func main() {
	display := flag.String("display", os.Getenv("DISPLAY"), "display to attack")
	target := flag.String("target", "", "a window of another client (hex or decimal)")
	listen := flag.Duration("listen", 3*time.Second, "how long the keylogger listens")
	flag.Parse()
	t := probe.Target{Display: *display, Listen: *listen}
	if *target != "" {
		w, err := strconv.ParseUint(*target, 0, 32)
		if err != nil {
			fmt.Fprintln(os.Stderr, "x11probe: -target:", err)
			os.Exit(2)
		}
		t.Window = uint32(w)
	}
	names := flag.Args()
	if len(names) == 0 {
		names = probe.Names()
	}
	status := 0
	for _, n := range names {
		r, err := probe.Run(n, t)
		if err != nil {
			fmt.Fprintln(os.Stderr, "x11probe:", err)
			status = 2
			continue
		}
		fmt.Println(r)
		if !r.Refused && status == 0 {
			status = 1
		}
	}
	os.Exit(status)
}
