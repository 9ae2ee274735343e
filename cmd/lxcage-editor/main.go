// Command lxcage-editor is the graphical editor of lxcage profiles. The
// GUI lives in package app; this is only its command line.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/lxcage/lxcage/app"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	fs := flag.NewFlagSet("lxcage-editor", flag.ContinueOnError)
	lxcpath := os.Getenv("LXCAGE_LXCPATH")
	for _, n := range []string{"P", "lxcpath"} {
		fs.StringVar(&lxcpath, n, lxcpath, "where containers live (default: LXC's, ~/.local/share/lxc; env LXCAGE_LXCPATH)")
	}
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: lxcage-editor [-P LXCPATH] [PROFILE]\n\nEdits, launches and removes lxcage profiles; PROFILE is shown first.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if *showVersion {
		fmt.Println("lxcage-editor", version)
		return
	}
	if fs.NArg() > 1 {
		fs.Usage()
		os.Exit(2)
	}
	if err := app.Run(lxcpath, fs.Arg(0)); err != nil {
		fmt.Fprintf(os.Stderr, "lxcage-editor: %v\n", err)
		os.Exit(1)
	}
}
