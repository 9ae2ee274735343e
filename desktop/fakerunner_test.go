package desktop

import (
	"context"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// fakeRunner records tool calls as text lines and runs nothing.
type fakeRunner struct {
	mu    sync.Mutex
	calls []string
}

func (r *fakeRunner) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, name+" "+strings.Join(args, " "))
	return nil, nil
}

func (r *fakeRunner) Command(name string, args ...string) *exec.Cmd {
	panic("fakeRunner: Command " + name + " not expected")
}

func (r *fakeRunner) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}
