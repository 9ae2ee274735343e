package proxy

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"runtime/debug"
	"syscall"
)

// Main runs a proxy as its own process (`lxcage _serve x11 ARGS…`) until
// ctx ends: it listens on -listen and serves the container's clients
// with the display -display. The socket appears only once the display
// answered, so its existence means the proxy is ready.
func Main(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("x11", flag.ContinueOnError)
	listen := fs.String("listen", "", "Unix socket to listen on (bound into the container as /tmp/.X11-unix/XN)")
	display := fs.String("display", os.Getenv("DISPLAY"), "the user's display")
	xauth := fs.String("xauthority", "", "the user's X authority file (default $XAUTHORITY or ~/.Xauthority)")
	clip := fs.String("clipboard", ClipboardOnInput, "clipboard access: none, on-input or full")
	gpu := fs.Bool("gpu", false, "let clients use the GPU (DRI3)")
	debugLog := fs.String("debug-log", "", "log each refused request to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *listen == "" || fs.NArg() > 0 {
		return errors.New("x11 proxy: usage: -listen SOCKET [-display :N] [-xauthority FILE] [-clipboard MODE] [-gpu] [-debug-log FILE]")
	}
	syscall.Umask(0o077)
	// A proxy per container: keep the heap small (it is mostly buffers
	// and garbage of packets passed on).
	debug.SetGCPercent(50)
	debug.SetMemoryLimit(6 << 20)
	opt := Options{Display: *display, Xauthority: *xauth, Config: Config{Clipboard: *clip, GPU: *gpu}}
	if *debugLog != "" {
		f, err := os.OpenFile(*debugLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return fmt.Errorf("x11 proxy: debug log: %w", err)
		}
		defer f.Close()
		opt.DebugLog = f
	}
	p, err := New(opt)
	if err != nil {
		return fmt.Errorf("x11 proxy: %w", err)
	}
	ln, err := Listen(*listen)
	if err != nil {
		p.Close()
		return fmt.Errorf("x11 proxy: %w", err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	serr := p.Serve(ln)
	ln.Close()
	p.Close()
	os.Remove(*listen)
	return serr
}

// Listen makes the proxy's socket at path, replacing a stale socket of
// an earlier run (never any other kind of file). The socket appears at
// path only once it listens (bound under a temporary name, then renamed),
// so that whoever waits for it can connect as soon as it is there.
func Listen(path string) (*net.UnixListener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		os.Remove(path)
	}
	tmp := fmt.Sprintf("%s.%d", path, os.Getpid())
	os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	return ln, nil
}
