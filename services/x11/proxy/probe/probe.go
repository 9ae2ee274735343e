// Package probe holds attacks on the user's display as an app in a
// container would try them through the X11 proxy: input injection
// (XTEST), recording (RECORD), screenshots, other clients' titles and
// properties, their clipboard, killing or driving their windows,
// keylogging with XInput2 raw events, grabs and event selections on the
// root window, and windows left behind. Each probe reports whether the
// attack was refused. The x11probe command runs them, so the same
// attacks run from inside a container.
package probe

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lxcage/lxcage/services/x11/proxy/xclient"
)

// Target is what the probes attack.
type Target struct {
	// Display is where the app's clients connect (":N" or a socket).
	Display string
	// Window is a window of another client (a host app) to attack.
	Window uint32
	// Listen is how long the listening probes (keylogger) listen.
	Listen time.Duration
	// Ready, when set, is called once a listening probe listens: the
	// harness then types into the other client's window (before it
	// returns or during Listen; what the server delivers waits in the
	// socket until the probe reads it).
	Ready func()
}

// Result is one probe's finding.
type Result struct {
	Name string
	// Refused says the attack failed.
	Refused bool
	Detail  string
}

func (r Result) String() string {
	if r.Refused {
		return "refused " + r.Name + ": " + r.Detail
	}
	return "LEAK " + r.Name + ": " + r.Detail
}

// probe runs an attack: it returns "" when refused (with detail) or
// what leaked.
type probe func(c *xclient.Conn, t Target) (leak, detail string, err error)

var probes = map[string]probe{
	"xtest":      xtest,
	"record":     record,
	"hidden":     hiddenOpcodes,
	"screenshot": screenshot,
	"title":      title,
	"clipboard":  clipboard,
	"killclient": killClient,
	"drive":      drive,
	"grabs":      grabs,
	"keylogger":  keylogger,
	"retain":     retain,
	"roles":      roles,
}

// Names lists the probes.
func Names() []string {
	var out []string
	for n := range probes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Run runs one probe on a connection of its own, without a cookie (as
// an app in a container has none).
func Run(name string, t Target) (Result, error) {
	return RunWith(name, t, xclient.Options{})
}

// RunWith runs a probe connected with opt (a cookie, to compare with a
// client the display trusts).
func RunWith(name string, t Target, opt xclient.Options) (Result, error) {
	p := probes[name]
	if p == nil {
		return Result{}, fmt.Errorf("no probe %q (%s)", name, strings.Join(Names(), ", "))
	}
	c, err := xclient.Dial(t.Display, opt)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	leak, detail, err := p(c, t)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}
	if leak != "" {
		return Result{Name: name, Detail: leak}, nil
	}
	return Result{Name: name, Refused: true, Detail: detail}, nil
}

// xerr reports whether err is an X error (the request was refused).
func xerr(err error) bool {
	var e *xclient.Error
	return errors.As(err, &e)
}

// expectErrors sends requests and reports which of them did not end in
// an error.
func expectErrors(c *xclient.Conn, reqs [][]byte) ([]int, error) {
	var seqs []uint16
	for _, r := range reqs {
		s, err := c.Raw(r, 1)
		if err != nil {
			return nil, err
		}
		seqs = append(seqs, s)
	}
	sync, err := c.Send(43, 0)
	if err != nil {
		return nil, err
	}
	failed := map[uint16]bool{}
	for {
		p, err := c.NextEvent(xclient.ReplyTimeout)
		if err != nil {
			return nil, err
		}
		seq := c.Order().Uint16(p[2:])
		if p[0] == 0 {
			failed[seq] = true
		}
		if p[0] == 1 && seq == sync {
			break
		}
	}
	var passed []int
	for i, s := range seqs {
		if !failed[s] {
			passed = append(passed, i)
		}
	}
	return passed, nil
}
