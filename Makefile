# lxcage — see README.md.
GO      ?= go
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(DESTDIR)$(PREFIX)/bin
SHAREDIR := $(DESTDIR)$(PREFIX)/share
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all build test test-vm unit demo bench lint install uninstall clean screenshot

all: build

build: bin/lxcage bin/lxcage-editor bin/lxcage.1 bin/completions

# The man page and the shell completions, made by lxcage from its own
# command table (the one --help prints).
bin/lxcage.1: bin/lxcage
	bin/lxcage _man >$@

bin/completions: bin/lxcage
	mkdir -p $@
	bin/lxcage completion bash >$@/lxcage
	bin/lxcage completion zsh >$@/_lxcage
	bin/lxcage completion fish >$@/lxcage.fish

# The CLI and launcher: no cgo, no GUI toolkit, starts fast.
bin/lxcage: FORCE
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $@ ./cmd/lxcage

# The Fyne editor (cgo, OpenGL); it runs the lxcage next to it.
bin/lxcage-editor: FORCE
	$(GO) build -ldflags '$(LDFLAGS)' -o $@ ./cmd/lxcage-editor

# Everything: as root it installs and starts what the tests need, then runs
# the integration tests as an unprivileged test user (hack/test.sh).
test:
	./hack/test.sh

# The integration tests on a systemd desktop (as root): a Debian 12 VM
# under qemu with cgroup v2 only, a logind session and a systemd user
# manager; the image is built once and cached (hack/vm/vm.sh).
test-vm:
	./hack/vm/vm.sh test

unit:
	$(GO) test ./...

# xeyes from the built-in preset, in a container, on your display (or on a
# private Xvfb when there is none).
demo: bin/lxcage
	./hack/demo.sh

bench:
	./hack/bench.sh

# docs/screenshot.png: the editor's main window at 1280x800 on a private
# Xvfb (xwd + ImageMagick), showing the built-in presets.
screenshot:
	./hack/screenshot.sh

lint:
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./tests/integration/

install: build
	install -d $(BINDIR)
	install -m 0755 bin/lxcage $(BINDIR)/lxcage
	install -m 0755 bin/lxcage-editor $(BINDIR)/lxcage-editor
	install -D -m 0644 bin/lxcage.1 $(SHAREDIR)/man/man1/lxcage.1
	install -D -m 0644 bin/completions/lxcage $(SHAREDIR)/bash-completion/completions/lxcage
	install -D -m 0644 bin/completions/_lxcage $(SHAREDIR)/zsh/site-functions/_lxcage
	install -D -m 0644 bin/completions/lxcage.fish $(SHAREDIR)/fish/vendor_completions.d/lxcage.fish

uninstall:
	rm -f $(BINDIR)/lxcage
	rm -f $(BINDIR)/lxcage-editor
	rm -f $(SHAREDIR)/man/man1/lxcage.1 $(SHAREDIR)/bash-completion/completions/lxcage
	rm -f $(SHAREDIR)/zsh/site-functions/_lxcage $(SHAREDIR)/fish/vendor_completions.d/lxcage.fish

clean:
	rm -rf bin

FORCE:
