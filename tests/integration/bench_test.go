//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The launch benchmarks compare lxcage with the raw LXC sequence of the
// LXC 1.0 article on the same container:
//
//	cold: lxcage launch (start, run `true`, stop)  vs  lxc-start -d; lxc-wait; lxc-attach; lxc-stop
//	warm: lxcage launch on a running container     vs  lxc-attach
//
// Targets: cold ≤ 1.25×, warm ≤ 1.5× the raw figures (make bench prints
// the ratios).

func benchEnv(b *testing.B) *tenv { return benchEnvWith(b, "") }

// benchEnvWith is benchEnv with more of the profile (an [access] table).
func benchEnvWith(b *testing.B, extra string) *tenv {
	e := newEnv(b)
	e.profile("bench", `command = ["true"]`+"\n"+extra)
	e.mustRun("create", "bench")
	return e
}

func lxc(b *testing.B, e *tenv, tool string, args ...string) {
	cmd := exec.Command(tool, append([]string{"-P", e.lxcpath, "-n", "bench"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
}

func BenchmarkColdLaunch(b *testing.B) { coldLaunch(b, benchEnv(b)) }

// BenchmarkColdLaunchNat is the cold launch with network = "nat": the
// user-mode network is started with the container and waited for
// (target: ≤ 1.3× the cold launch without a network).
func BenchmarkColdLaunchNat(b *testing.B) {
	_, err := exec.LookPath("pasta")
	need(b, err == nil, "pasta")
	coldLaunch(b, benchEnvWith(b, "[access]\nnetwork = \"nat\"\n"))
}

func coldLaunch(b *testing.B, e *tenv) {
	for i := 0; i < 3; i++ { // warm the page cache and cgroups
		e.mustRun("launch", "bench")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.run("launch", "bench"); r.code != 0 {
			b.Fatalf("launch: %s", r.stderr)
		}
	}
}

func BenchmarkRawCold(b *testing.B) {
	e := benchEnv(b)
	e.mustRun("launch", "bench") // writes the config the raw tools use
	uid, gid := strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid())
	for i := 0; i < 2; i++ {
		lxc(b, e, "lxc-start", "-d")
		lxc(b, e, "lxc-stop", "-k")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lxc(b, e, "lxc-start", "-d")
		lxc(b, e, "lxc-wait", "-s", "RUNNING", "-t", "10")
		lxc(b, e, "lxc-attach", "--clear-env", "-u", uid, "-g", gid, "--", "true")
		lxc(b, e, "lxc-stop", "-k")
	}
}

// holdRunning keeps the container up with a long launch.
// Both warm benchmarks run `sleep 0`, the same program as the holder.
func holdRunning(b *testing.B, e *tenv) *started {
	e.profile("bench", `command = ["sleep"]`)
	l := e.start("launch", "bench", "1000")
	if !e.waitState("bench", "RUNNING", 10*time.Second) {
		b.Fatalf("container did not start:\n%s", l.out)
	}
	return l
}

func BenchmarkWarmLaunch(b *testing.B) {
	e := benchEnv(b)
	holdRunning(b, e)
	for i := 0; i < 5; i++ { // warm the page cache, as for the raw run
		e.run("launch", "bench", "0")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.run("launch", "bench", "0"); r.code != 0 {
			b.Fatalf("launch: %s", r.stderr)
		}
	}
	b.StopTimer()
	e.run("stop", "bench")
}

func BenchmarkRawAttach(b *testing.B) {
	e := benchEnv(b)
	holdRunning(b, e)
	uid, gid := strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid())
	for i := 0; i < 5; i++ {
		lxc(b, e, "lxc-attach", "--clear-env", "-u", uid, "-g", gid, "--", "sleep", "0")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lxc(b, e, "lxc-attach", "--clear-env", "-u", uid, "-g", gid, "--", "sleep", "0")
	}
	b.StopTimer()
	e.run("stop", "bench")
}

// BenchmarkStopAfterExit measures how long after the app's last process
// exits the container is stopped (the launcher stops it before it exits).
func BenchmarkStopAfterExit(b *testing.B) {
	e := newEnv(b)
	dir := filepath.Join(e.cache, "stamp")
	os.MkdirAll(dir, 0o755)
	e.profile("bench", `command = ["sh", "-c", "date +%s%N > /mnt/stamp/t"]
[[share]]
host = "`+dir+`"
path = "/mnt/stamp"
`)
	e.mustRun("create", "bench")
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.run("launch", "bench"); r.code != 0 {
			b.Fatalf("launch: %s", r.stderr)
		}
		done := time.Now()
		s, _ := os.ReadFile(filepath.Join(dir, "t"))
		ns, err := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		total += done.Sub(time.Unix(0, ns))
		if st := e.state("bench"); st != "STOPPED" {
			b.Fatalf("container %s after the launcher exited", st)
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-stopped")
}
