# qrpos — one Makefile for technicians and CI. Every target installs what it needs.
SWIFT        ?= swift
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the build, the tests and `make run` need (pkg-config name -> apt provider in Package.swift).
DEB_PACKAGES := pkg-config libqrencode-dev libzbar-dev libpng-dev libdrm-dev libgpiod-dev \
                libv4l-dev libsqlite3-dev zbar-tools libfreetype-dev libfontconfig-dev
RELEASE_BIN  := .build/release
DEMO_PNG     ?= .build/demo-jpqr.png

.PHONY: deps build debug test bench run clean

# Idempotent: apt-get runs only when something is missing, and `update` only then.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	else echo "make deps: all Debian packages present"; fi

build: deps
	$(SWIFT) build -c release --product qrpos

debug: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	$(SWIFT) build -c release --product qrpos
	$(RELEASE_BIN)/qrpos bench

# Until the terminal lands: a sample dynamic JPQR in the terminal and as a PNG.
run: build
	$(RELEASE_BIN)/qrpos demo --png $(DEMO_PNG)

clean:
	rm -rf .build
