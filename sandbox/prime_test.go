package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The priming move leaves the process where it was, in every hierarchy.
func TestPrimeCgroupMovesStaysPut(t *testing.T) {
	before, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Skip("no cgroups here:", err)
	}
	err = primeCgroupMoves()
	if errors.Is(err, ErrNotPrimed) {
		t.Skip("no cgroup this user may write")
	}
	if err != nil {
		t.Fatalf("prime: %v", err)
	}
	after, _ := os.ReadFile("/proc/self/cgroup")
	if string(after) != string(before) {
		t.Fatalf("the priming move changed the process's cgroups:\nbefore %s\nafter %s", before, after)
	}
}

// BenchmarkCgroupMove is the time of a move of a process between cgroups
// (of this process into its own) after a pause as long as a user's
// between two clicks: "cold" as lxc-start meets it, "primed" after
// PrimeCgroupMoves began 5 ms earlier (a launch's own work before
// lxc-start is longer).
func BenchmarkCgroupMove(b *testing.B) {
	cg, err := ReadCgroups()
	if err != nil {
		b.Skip(err)
	}
	h, ok := cg.primeTarget()
	if !ok || cg.UnifiedOnly() {
		b.Skip("no cgroup to move in")
	}
	procs := filepath.Join(h.Dir, "cgroup.procs")
	pid := []byte(strconv.Itoa(os.Getpid()))
	for _, primed := range []bool{false, true} {
		name := map[bool]string{false: "cold", true: "primed"}[primed]
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				time.Sleep(300 * time.Millisecond)
				if primed {
					PrimeCgroupMoves()
					time.Sleep(5 * time.Millisecond)
				}
				b.StartTimer()
				if err := os.WriteFile(procs, pid, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
