// Package runtest is the one recording stand-in for run.Runner in unit
// tests: it records each call as a line of text ("lxc-info -P /p -n x
// -s -H"), answers from a table of prefixes, and fails the test on a
// call nobody expected.
package runtest

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Answer is what a recorded call returns.
type Answer struct {
	Out string
	Err error
}

// Recorder implements run.Runner.
type Recorder struct {
	// T, when set, fails on a call that matches no answer.
	T testing.TB
	// Answers maps call prefixes to answers; the longest prefix wins.
	Answers map[string]Answer
	// Commands maps call prefixes to what Command returns instead of the
	// real program (nil: the real program, run for real).
	Commands map[string]func() *exec.Cmd

	mu    sync.Mutex
	calls []string
}

// New returns a Recorder failing t on unexpected calls.
func New(t testing.TB, answers map[string]Answer) *Recorder {
	return &Recorder{T: t, Answers: answers}
}

func (r *Recorder) record(name string, args []string) string {
	call := strings.TrimSpace(name + " " + strings.Join(args, " "))
	r.mu.Lock()
	r.calls = append(r.calls, call)
	r.mu.Unlock()
	return call
}

// longest returns the longest key of m that prefixes call.
func longest[V any](m map[string]V, call string) (V, bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		if strings.HasPrefix(call, k) {
			return m[k], true
		}
	}
	var zero V
	return zero, false
}

// Run implements run.Runner.
func (r *Recorder) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	call := r.record(name, args)
	if a, ok := longest(r.Answers, call); ok {
		return []byte(a.Out), a.Err
	}
	if r.T != nil {
		r.T.Errorf("unexpected call: %s", call)
	}
	return nil, errors.New("runtest: unexpected call: " + call)
}

// Command implements run.Runner: it records the call and returns the
// stand-in of Commands, or the real program.
func (r *Recorder) Command(name string, args ...string) *exec.Cmd {
	call := r.record(name, args)
	if f, ok := longest(r.Commands, call); ok {
		return f()
	}
	return exec.Command(name, args...)
}

// Calls returns the calls so far, one line each.
func (r *Recorder) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// Reset forgets the calls so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.calls = nil
	r.mu.Unlock()
}
