package launcher

import (
	"fmt"
	"os"
	"time"
)

// Tracing: LXCAGE_TRACE=1 prints how long each step of a launch takes, to
// find what makes a click feel slow.
var (
	traceOn    = os.Getenv("LXCAGE_TRACE") != ""
	traceStart = time.Now()
)

// Trace records a step for LXCAGE_TRACE=1 (for the CLI's own steps).
func Trace(step string) { trace(step) }

func trace(step string) {
	if traceOn {
		fmt.Fprintf(os.Stderr, "lxcage: %7.2f ms  %s\n", float64(time.Since(traceStart).Microseconds())/1000, step)
	}
}
