package proxy

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets the test binary run as the proxy process itself:
// LXCAGE_X11_PROXY_ARGS="-listen … -display …" makes it Main, as
// `lxcage _serve x11` would (benchmarks and manual runs use this).
func TestMain(m *testing.M) {
	if args := os.Getenv("LXCAGE_X11_PROXY_ARGS"); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		err := Main(ctx, strings.Fields(args))
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
