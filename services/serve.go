package services

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ServeCommand is the hidden lxcage subcommand that runs a mediator
// written in Go as a process of its own: `lxcage _serve KIND ARGS…`. A
// process per container keeps one container's mediator from taking
// another's down with it, and lets it outlive the launch that started it
// (the container lives as long as its last launch).
const ServeCommand = "_serve"

// MainFunc runs a mediator until ctx ends or it fails.
type MainFunc func(ctx context.Context, args []string) error

var (
	mainsMu sync.Mutex
	mains   = map[string]MainFunc{}
)

// RegisterMain makes kind runnable by Serve; mediator packages call it
// from init.
func RegisterMain(kind string, main MainFunc) {
	mainsMu.Lock()
	defer mainsMu.Unlock()
	mains[kind] = main
}

// Serve runs the mediator args[0] with the rest of args.
func Serve(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s: which mediator? (%s)", ServeCommand, strings.Join(kinds(), ", "))
	}
	mainsMu.Lock()
	m := mains[args[0]]
	mainsMu.Unlock()
	if m == nil {
		return fmt.Errorf("%s: unknown mediator %q (%s)", ServeCommand, args[0], strings.Join(kinds(), ", "))
	}
	return m(ctx, args[1:])
}

func kinds() []string {
	mainsMu.Lock()
	defer mainsMu.Unlock()
	var out []string
	for k := range mains {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
