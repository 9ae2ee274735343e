package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lxcage/lxcage/launcher"
	"github.com/lxcage/lxcage/profiles"
)

func init() {
	commands = append(commands, &command{name: "top", args: "[NAME…]", short: "live view of running containers: CPU, memory, processes, uptime",
		long: `Every second, for each running container (or those named): its CPU use
(100% = one core), memory and its limit, processes and threads and their
limit, uptime, and the app's processes. On a terminal it redraws until
Ctrl-C; otherwise it prints once (--count sets how often).`,
		run: cmdTop, complete: "profiles",
		flags: func(fs *flag.FlagSet) {
			fs.Int("count", 0, "print this many times, then exit (default: until Ctrl-C on a terminal, else once)")
			fs.Duration("interval", time.Second, "time between two readings")
		}})
}

func cmdTop(e *env, fs *flag.FlagSet, args []string) error {
	count, _ := strconv.Atoi(fs.Lookup("count").Value.String())
	interval, _ := time.ParseDuration(fs.Lookup("interval").Value.String())
	if count < 0 || interval < 100*time.Millisecond {
		return usageError{"--count must be positive and --interval at least 100ms"}
	}
	tty := isTerminal(e.stdout)
	if count == 0 && !tty {
		count = 1
	}
	for _, n := range args {
		if err := profiles.CheckName(n); err != nil {
			return err
		}
	}
	l, err := e.setup()
	if err != nil {
		return err
	}
	r := &launcher.StatsReader{}
	// A first reading, so that the first table has CPU figures.
	if _, err := e.topReadings(l, r, args); err != nil {
		return err
	}
	for i := 0; count == 0 || i < count; i++ {
		wait := interval
		if i == 0 {
			wait = min(interval, 300*time.Millisecond)
		}
		select {
		case <-e.ctx.Done():
			return nil
		case <-time.After(wait):
		}
		stats, err := e.topReadings(l, r, args)
		if err != nil {
			return err
		}
		if tty {
			fmt.Fprint(e.stdout, "\033[H\033[2J") // home, clear
		}
		printTop(e.stdout, stats, len(args) > 0)
	}
	return nil
}

// topReadings reads the running containers among names (all when none
// are given).
func (e *env) topReadings(l *launcher.Launcher, r *launcher.StatsReader, names []string) ([]*launcher.Stats, error) {
	all := names
	if len(all) == 0 {
		var err error
		if all, err = allNames(e, l); err != nil {
			return nil, err
		}
	}
	var out []*launcher.Stats
	for _, n := range all {
		s, err := l.Status(e.ctx, n, nil)
		if err != nil || s.State != launcher.Running || s.InitPID <= 0 {
			continue
		}
		if st, err := r.Read(n, s.InitPID); err == nil {
			out = append(out, st)
		}
	}
	return out, nil
}

// printTop writes one table of readings.
func printTop(w io.Writer, stats []*launcher.Stats, named bool) {
	if len(stats) == 0 {
		if named {
			fmt.Fprintln(w, "none of them is running")
		} else {
			fmt.Fprintln(w, "no container is running (lxcage list shows them all)")
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCPU\tMEMORY\tPIDS\tUPTIME\tAPP PROCESSES")
	for _, s := range stats {
		var procs []string
		for _, p := range s.Procs {
			procs = append(procs, fmt.Sprintf("%s(%d)", p.Name, p.PID))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, cpuText(s.CPU), ofLimit(launcher.Bytes(s.Memory), s.MemoryLimit, launcher.Bytes),
			ofLimit(strconv.FormatInt(s.Pids, 10), s.PidsLimit, func(n int64) string { return strconv.FormatInt(n, 10) }),
			launcher.Uptime(s.Uptime), strings.Join(procs, " "))
	}
	tw.Flush()
	for _, s := range stats {
		if len(s.Procs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", s.Name)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, p := range s.Procs {
			fmt.Fprintf(tw, "  %d\t%s\t%s\n", p.PID, launcher.Bytes(p.RSS), p.Cmd)
		}
		tw.Flush()
	}
}

func cpuText(pct float64) string {
	if pct < 0 {
		return "…"
	}
	return fmt.Sprintf("%.1f%%", pct)
}

func ofLimit(cur string, limit int64, f func(int64) string) string {
	if limit <= 0 {
		return cur
	}
	return cur + " / " + f(limit)
}
