package net

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lxcage/lxcage/internal/run"
	"github.com/lxcage/lxcage/sandbox"
	"github.com/lxcage/lxcage/services"
	"github.com/lxcage/lxcage/services/net/nettest"
)

// benchTools are the programs to compare, those installed.
func benchTools(b *testing.B) []Tool {
	var out []Tool
	for _, t := range []Tool{Pasta, Slirp4netns} {
		if _, err := exec.LookPath(string(t)); err == nil {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		need(b, exec.ErrNotFound, "pasta or slirp4netns")
	}
	return out
}

// BenchmarkNATStart is the time from Start to a configured interface
// and loaded guard in a freshly started container (the service's whole
// cost in a launch), next to the raw pasta command alone.
func BenchmarkNATStart(b *testing.B) {
	c := startCtr(b)
	fresh := func(b *testing.B) {
		b.StopTimer()
		c.stop()
		c.start(b)
		b.StartTimer()
	}
	for _, tool := range benchTools(b) {
		b.Run(string(tool), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				fresh(b)
				s := &Service{Tool: tool, Dir: c.dir}
				undo, err := startFrozen(s, c.pid)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				undo.Run(context.Background(), run.Exec{})
				waitGone(killOf(b, undo))
				b.StartTimer()
			}
		})
	}
	if _, err := exec.LookPath("pasta"); err != nil {
		return
	}
	b.Run("raw-pasta", func(b *testing.B) {
		s := &Service{Dir: c.dir}
		for i := 0; i < b.N; i++ {
			fresh(b)
			if out, err := exec.Command("pasta", s.pastaArgs(s.pidFile(Pasta), c.pid, true, true)...).CombinedOutput(); err != nil {
				b.Fatalf("pasta: %v %s", err, out)
			}
			b.StopTimer()
			pid, err := readPID(s.pidFile(Pasta))
			if err != nil {
				b.Fatal(err)
			}
			st, _ := services.ProcStartTime(pid)
			p := services.Proc{PID: pid, Start: st}
			p.Stop()
			waitGone(p)
			b.StartTimer()
		}
	})
}

// BenchmarkNATColdStart starts a stopped container and, for nat, its
// network: lxc-start, then (nat only) lxc-info for the init's PID and the
// service. "off" is lxc-start alone; the ratio to it bounds what nat
// adds to a cold launch.
func BenchmarkNATColdStart(b *testing.B) {
	c := startCtr(b)
	c.stop()
	for _, tool := range append([]Tool{"off"}, benchTools(b)...) {
		b.Run(string(tool), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if out, err := c.lxc("lxc-start", "-d"); err != nil {
					b.Fatalf("lxc-start: %v %s", err, out)
				}
				var undo services.Undo
				if tool != "off" {
					out, err := c.lxc("lxc-info", "-p", "-H")
					pid, _ := strconv.Atoi(out)
					if err != nil || pid <= 0 {
						b.Fatalf("lxc-info: %v %q", err, out)
					}
					s := &Service{Tool: tool, Dir: c.dir}
					if undo, err = startFrozen(s, pid); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				undo.Run(context.Background(), run.Exec{})
				c.lxc("lxc-stop", "-k")
				b.StartTimer()
			}
		})
	}
}

// BenchmarkNATThroughput downloads 64 MiB from the stand-in internet:
// from the host itself, and from inside a container through each
// program (the same Go client, run as the probe).
func BenchmarkNATThroughput(b *testing.B) {
	need(b, nettest.InetUp(), "the stand-in internet")
	url := "http://" + nettest.InetAddr + nettest.BigPath
	b.Run("host", func(b *testing.B) {
		throughput(b, func() string { return nettest.Probe([]string{"download", url}) })
	})
	for _, tool := range benchTools(b) {
		b.Run(string(tool), func(b *testing.B) {
			c := startCtr(b)
			c.startNet(b, &Service{Tool: tool})
			throughput(b, func() string { return c.do("download", url) })
		})
	}
}

// BenchmarkNATRoundTrip is the time of one small HTTP request on an
// open connection to the stand-in internet: what a page of many small
// requests feels.
func BenchmarkNATRoundTrip(b *testing.B) {
	need(b, nettest.InetUp(), "the stand-in internet")
	url := "http://" + nettest.InetAddr + "/"
	run := func(b *testing.B, probe func(...string) string) {
		got := strings.Fields(probe("rtt", url, strconv.Itoa(b.N)))
		if len(got) != 2 || got[0] != "ok" {
			b.Fatalf("rtt: %v", got)
		}
		ns, _ := strconv.ParseFloat(got[1], 64)
		b.ReportMetric(ns/1e3, "µs/request")
	}
	b.Run("host", func(b *testing.B) {
		run(b, func(w ...string) string { return nettest.Probe(w) })
	})
	for _, tool := range benchTools(b) {
		b.Run(string(tool), func(b *testing.B) {
			c := startCtr(b)
			c.startNet(b, &Service{Tool: tool})
			run(b, c.do)
		})
	}
}

// throughput runs download b.N times and reports MB/s from the bytes it
// saw; a short download (a failed one) fails the benchmark.
func throughput(b *testing.B, download func() string) {
	var bytes, nanos int64
	for i := 0; i < b.N; i++ {
		f := strings.Fields(download())
		if len(f) != 3 || f[0] != "ok" {
			b.Fatalf("download: %v", f)
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		d, _ := strconv.ParseInt(f[2], 10, 64)
		if n != 64<<20 {
			b.Fatalf("downloaded %d bytes, want %d", n, 64<<20)
		}
		bytes += n
		nanos += d
	}
	b.SetBytes(64 << 20)
	b.ReportMetric(float64(bytes)/1e6/(float64(nanos)/float64(time.Second)), "MB/s-inside")
}

// BenchmarkNATRelayCPU is the CPU time the relay process spends per
// MiB downloaded: unlike throughput, it hardly moves with the load of
// a shared machine.
func BenchmarkNATRelayCPU(b *testing.B) {
	need(b, nettest.InetUp(), "the stand-in internet")
	url := "http://" + nettest.InetAddr + nettest.BigPath
	for _, tool := range benchTools(b) {
		b.Run(string(tool), func(b *testing.B) {
			c := startCtr(b)
			p := killOf(b, c.startNet(b, &Service{Tool: tool}))
			before := cpuTicks(b, p.PID)
			throughput(b, func() string { return c.do("download", url) })
			ticks := cpuTicks(b, p.PID) - before
			// Clock ticks are 1/100 s on Linux.
			b.ReportMetric(float64(ticks)*10/float64(b.N*64), "ms-cpu/MiB")
		})
	}
}

// cpuTicks is a process's user and system time in clock ticks.
func cpuTicks(b *testing.B, pid int) int64 {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	s := string(st)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

// startFrozen starts s as a launch does: in the container frozen, its
// filter and relay side by side (services.Env.Frozen), thawed once s is
// up.
func startFrozen(s *Service, pid int) (services.Undo, error) {
	f, err := sandbox.Freeze(pid)
	undo, serr := s.Start(context.Background(), services.Env{Runner: run.Exec{}, InitPID: pid, Frozen: err == nil})
	f.Thaw()
	return undo, serr
}

// readPID reads the pid file a daemonized pasta wrote (the raw runs).
func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: no pid in %q", path, b)
	}
	return pid, nil
}
