# qrpos — one Makefile for technicians and CI. Every target installs what it needs.
SWIFT        ?= swift
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the build, the tests and `make run` need (pkg-config name -> apt provider in Package.swift).
DEB_PACKAGES := pkg-config libqrencode-dev libzbar-dev libpng-dev libdrm-dev libgpiod-dev \
                libv4l-dev libzint-dev libjpeg-dev libmagickwand-6.q16-dev libsqlite3-dev zbar-tools libfreetype-dev libfontconfig-dev fonts-noto-cjk curl \
                libharfbuzz-dev libharfbuzz-bin fonts-noto-core libicu-dev \
                libsystemd-dev libasound2-dev
# What `make deb` and `make deb-test` need besides: Debian's packaging tools, libcurl's link library (static
# FoundationNetworking) and debootstrap for a clean Debian root.
DEB_TOOLS    := dpkg-dev binutils lintian debootstrap libcurl4-openssl-dev
RELEASE_BIN  := .build/release
# SwiftPM adds -color-diagnostics only when it writes to a terminal, and a changed flag recompiles every
# module: builds always write to a pipe, so `make run` in a terminal and from a script share one build.
SHELL        := /bin/bash
.SHELLFLAGS  := -o pipefail -c
NOTTY        := 2>&1 | cat
DEMO_PNG     ?= .build/demo-jpqr.png

.PHONY: deps deb-deps build debug test bench run clean screenshots vm-test ecr-contract chaos fuzz deb deb-test metrics-test image image-deps image-test bundle

# apt-get install the packages in $(1) that are missing; `update` only then.
define apt_ensure
@missing=""; for p in $(1); do \
  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
done; \
if [ -n "$$missing" ]; then \
  echo "make: installing$$missing"; \
  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
else echo "make: all Debian packages present"; fi
endef

# Idempotent: apt-get runs only when something is missing, and `update` only then.
deps:
	$(call apt_ensure,$(DEB_PACKAGES))

deb-deps:
	$(call apt_ensure,$(DEB_TOOLS))

# Both programs: the terminal and the acquirer simulator it is tested and demonstrated against.
build: deps
	$(SWIFT) build -c release --product qrpos $(NOTTY)
	$(SWIFT) build -c release --product acquirer-sim $(NOTTY)

debug: deps
	$(SWIFT) build $(NOTTY)

# One test at a time: on 2 cores, CPU-bound tests (screens at every size, the scanner corpus) running beside
# the TLS and end-to-end tests starve Swift's cooperative pool and trip their network timeouts.
test: deps
	$(SWIFT) build --build-tests $(NOTTY)
	$(SWIFT) test --skip-build --no-parallel
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10
	python3 Tests/Chaos/chaos.py --bin .build/debug --sales $(CHAOS_TEST_SALES) --seed $(CHAOS_TEST_SEED)
	$(MAKE) --no-print-directory ecr-contract
	$(MAKE) --no-print-directory metrics-test
	$(MAKE) --no-print-directory vm-test
	$(MAKE) --no-print-directory deb-test DEB_CONFIG=debug DEB_COMPRESSION=gzip

bench: deps
	$(SWIFT) build -c release --product qrpos $(NOTTY)
	$(RELEASE_BIN)/qrpos bench
	$(SWIFT) build -c release --product acquirer-sim $(NOTTY)
	$(RELEASE_BIN)/acquirer-sim bench --sales 1000
	BIN=$(RELEASE_BIN) ./Board/sim/bench.sh

# libFuzzer targets for every parser of outside input (Fuzz/, README "Fuzzing"): its own package, never part of
# the root build, with ASan and libFuzzer in .build-fuzz/. `-c debug` keeps toml++'s assertions on (no NDEBUG),
# `-O` makes the Swift code fast enough to fuzz. Corpora grow in .build-fuzz/corpus/; a crash fails the target
# and names the input that reproduces it (.build-fuzz/artifacts/).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= FuzzMerchantCode FuzzClassifier FuzzTOML FuzzSaleRequest FuzzAcquirerAnswer
FUZZ_BUILD   := .build-fuzz
fuzz: deps
	$(SWIFT) build --package-path Fuzz -c debug --scratch-path $(FUZZ_BUILD) --sanitize=fuzzer --sanitize=address \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -O -Xcxx -O1 $(NOTTY) | grep -v 'Cannot export local symbol'
	python3 Fuzz/seeds.py $(FUZZ_BUILD)/seeds
	@status=0; for t in $(FUZZ_TARGETS); do Fuzz/run.sh $(FUZZ_BUILD) $$t $(FUZZ_SECONDS) || status=1; done; exit $$status

# The virtual board (Board/qemu-x86_64): the device backends against real kernel drivers (bochs DRM and
# fbdev, vivid, gpio-sim) in Debian's kernel under QEMU, with the host's debug build. Fetches and caches the
# kernel in Board/qemu-x86_64/cache/ on first use. VM_BUILD=DIR builds in another scratch folder.
VM_BUILD     ?= .build
vm-test: deps
	$(SWIFT) build --scratch-path $(VM_BUILD) --product qrpos $(NOTTY)
	$(SWIFT) build --scratch-path $(VM_BUILD) --product acquirer-sim $(NOTTY)
	python3 Board/qemu-x86_64/vm.py --bin $(VM_BUILD)/debug test

# GET /metrics of a real `qrpos run` (with acquirer-sim) scraped by a real Prometheus (Debian's package, installed here
# when missing; its service is not used: the test runs its own on loopback with a temporary config and data folder).
metrics-test: deps
	@dpkg-query -W -f='$${Status}' prometheus 2>/dev/null | grep -q 'ok installed' || { \
	  echo "make metrics-test: installing prometheus"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus; }
	$(SWIFT) build --product qrpos $(NOTTY)
	$(SWIFT) build --product acquirer-sim $(NOTTY)
	python3 Tests/Prometheus/prometheus_test.py --bin .build/debug

# The ECR API of a real `qrpos run` (with acquirer-sim) against Docs/ecr-api.yaml, checked by schemathesis from PyPI
# (installed once into the git-ignored .build-venv/): no 5xx, documented statuses, content types and bodies only.
ecr-contract: deps
	$(SWIFT) build --product qrpos $(NOTTY)
	$(SWIFT) build --product acquirer-sim $(NOTTY)
	BIN=.build/debug ./Tests/ECRContract/run.sh

# The chaos test (Tests/Chaos/chaos.py): several `qrpos run` terminals against one `acquirer-sim`, as processes,
# SALES sales in every mode with faults on both sides of the commit, SIGKILLs and host restarts; every sale is
# checked against the host's ledger. SEED=N replays a run (the seed is printed); BIN=DIR tests other binaries
# (default: the debug build, built first). `make test` runs CHAOS_TEST_SALES sales with a fixed seed.
SALES            ?= 10000
SEED             ?= random
BIN              ?= .build/debug
CHAOS_TEST_SALES ?= 300
CHAOS_TEST_SEED  ?= 1
chaos: deps
	$(SWIFT) build --product qrpos $(NOTTY)
	$(SWIFT) build --product acquirer-sim $(NOTTY)
	python3 Tests/Chaos/chaos.py --bin $(BIN) --sales $(SALES) --seed $(SEED)

# The terminal on the simulated board with the acquirer simulator (auto-pay after 3 s); state in .run/.
run: deps
	$(SWIFT) build -c release --product qrpos $(NOTTY)
	$(SWIFT) build -c release --product acquirer-sim $(NOTTY)
	BIN=$(RELEASE_BIN) ./Board/sim/run.sh

# README screenshots, drawn by the code itself (release build, the demo merchant of Board/sim).
SCREENS := idle amount-entry show-code present-code processing paid declined offline
screenshots: build
	mkdir -p Docs/screenshots
	for s in $(SCREENS); do $(RELEASE_BIN)/qrpos screen $$s --size 800x480 --png Docs/screenshots/$$s-800x480.png > /dev/null || exit 1; done
	$(RELEASE_BIN)/qrpos screen show-code --size 480x320 --png Docs/screenshots/show-code-480x320.png > /dev/null
	$(RELEASE_BIN)/qrpos screen show-code --size 720x1280 --lang zh-Hans,ja,en --png Docs/screenshots/show-code-720x1280-zh.png > /dev/null
	$(RELEASE_BIN)/qrpos screen test-pattern --size 1280x720 --png Docs/screenshots/test-pattern-1280x720.png > /dev/null
	# Visitors' languages: a Thai shopper (PromptPay app) and a Cambodian (KHQR app) paying the shown JPQR.
	for l in th km; do \
	  $(RELEASE_BIN)/qrpos screen show-code --size 800x480 --lang $$l,ja,en --png Docs/screenshots/show-code-800x480-$$l.png > /dev/null || exit 1; \
	  $(RELEASE_BIN)/qrpos screen paid --size 800x480 --lang $$l,ja,en --png Docs/screenshots/paid-800x480-$$l.png > /dev/null || exit 1; \
	done
	$(RELEASE_BIN)/qrpos screen paid --size 800x480 --lang th,ja,en --large-text --png Docs/screenshots/paid-800x480-th-large.png > /dev/null

# Debian packages (Packaging/, README "For technicians"): qrpos_VERSION_ARCH.deb and qrpos-acquirer-sim_VERSION_ARCH.deb
# in .build-deb/, from a release build with the Swift runtime linked in (its own scratch folder, .build-deb/swift).
# VERSION is the one place for the version; DEB_REVISION counts package builds of the same version.
DEB_REVISION ?= 1
DEB_VERSION  := $(shell cat VERSION)-$(DEB_REVISION)
DEB_ARCH     := $(shell dpkg --print-architecture)
DEB_OUT      := .build-deb
# The static FoundationNetworking (qrpos's `bench terminal` uses URLSession) needs libcurl, which the static
# runtime does not name itself; --as-needed keeps libraries a program does not call out of its Depends.
# DEB_CONFIG=debug packs an unoptimised build of the same sources: `make test` installs that one, because the
# optimised static build alone takes about 30 minutes from scratch on 2 cores (CI's clean clone).
DEB_CONFIG   ?= release
DEB_COMPRESSION ?= xz
DEB_SWIFT    := $(SWIFT) build -c $(DEB_CONFIG) --static-swift-stdlib -Xlinker --as-needed -Xlinker -lcurl --scratch-path $(DEB_OUT)/swift
deb: deps deb-deps
	$(DEB_SWIFT) --product qrpos $(NOTTY)
	$(DEB_SWIFT) --product acquirer-sim $(NOTTY)
	rm -f $(DEB_OUT)/*.deb
	DEB_COMPRESSION=$(DEB_COMPRESSION) Packaging/build-deb.sh $(DEB_VERSION) $(DEB_ARCH) $(DEB_OUT)/swift/$(DEB_CONFIG) $(DEB_OUT)

# The packages installed, upgraded, removed and purged in a clean Debian 12 root (debootstrap, cached in .cache/).
deb-test: deb
	$(SUDO) Packaging/deb-test.sh $(DEB_OUT) .cache

# The disk image for counters (Packaging/image, README "For technicians"): Debian 12 from Debian's packages with
# mmdebstrap, Debian's kernel, GRUB EFI, root slots A and B, a data partition; .build-image/qrpos-BOARD-ARCH.img
# and its .bmap. The qrpos packages come from `make deb`, or DEBDIR=FOLDER of built ones (DEBDIR=none: an image
# without qrpos). Downloaded .debs are kept in .cache/. Runs as root (mmdebstrap, file owners) or through sudo.
ARCH         ?= amd64
BOARD        ?= generic-pc
DEBDIR       ?= $(DEB_OUT)
ROOT_MIB     ?= 1536
IMAGE_OUT    := .build-image
IMAGE        := $(IMAGE_OUT)/qrpos-$(BOARD)-$(ARCH).img
IMAGE_TOOLS  := mmdebstrap e2fsprogs fdisk dosfstools mtools grub-efi-amd64-bin grub-common bmap-tools zstd
# `make deb` first unless DEBDIR was given (packages built elsewhere) or is none.
IMAGE_DEBS   := $(if $(filter command line environment,$(origin DEBDIR)),,deb)
image-deps:
	$(call apt_ensure,$(IMAGE_TOOLS))

IMAGE_ZSTD   ?= 1
image: image-deps $(IMAGE_DEBS)
	$(SUDO) env IMAGE_ZSTD=$(IMAGE_ZSTD) Packaging/image/build-image.sh $(IMAGE_OUT) .cache $(ARCH) $(BOARD) $(DEBDIR) $(ROOT_MIB)

# The image booted in QEMU under UEFI (OVMF) and checked as a technician's first boot (Packaging/image/image-test.py:
# PASS/FAIL lines): systemd, first-boot step, provisioning against acquirer-sim on the host (from DEBDIR's .debs),
# the service, the idle screen, self-test, a sale over the ECR API with its JPQR read off the screen, SIGKILL mid-sale,
# a timed reboot, then updates (below). Builds the image first when there is none. KVM when it works, else TCG (QRPOS_VM_ACCEL=kvm|tcg).
# Then the updates: bundles (signed, another key, corrupted) from a local HTTP server, slot B, the rollback;
# IMAGE_TEST_UPDATE=0 leaves them out; IMAGE_TEST_FIRST_BOOT_ONLY=1 (meant as make test's short run, not yet timed
# there) stops after the SIGKILL mid-sale: no timed reboot, no updates. IMAGE_ZSTD=0 skips the .img.zst.
IMAGE_TEST_FIRST_BOOT_ONLY ?= 0
IMAGE_TEST_TOOLS  := qemu-system-x86 ovmf mtools e2fsprogs fdisk zbar-tools openssl rauc squashfs-tools
IMAGE_TEST_UPDATE ?= 1
image-test: $(if $(wildcard $(IMAGE)),,image)
	$(call apt_ensure,$(IMAGE_TEST_TOOLS))
	$(SUDO) python3 Packaging/image/image-test.py --image $(IMAGE) $(if $(filter none,$(DEBDIR)),,--debdir $(DEBDIR)) \
	  --work $(IMAGE_OUT)/test --keys .cache/rauc-keys $(if $(filter 1,$(IMAGE_TEST_UPDATE)),--update) \
	  $(if $(filter 1,$(IMAGE_TEST_FIRST_BOOT_ONLY)),--first-boot-only)

# A signed RAUC bundle (Packaging/image/make-bundle.sh) with the root file system `make image` made (the image is built
# first when there is none): .build-image/qrpos-BOARD-ARCH-VERSION.raucb. RAUC_KEY=… RAUC_CERT=… sign with real keys
# (the image must have been built with the same RAUC_CERT); the default is the development pair in .cache/rauc-keys.
BUNDLE_VERSION ?= $(shell cat VERSION)-$(shell git describe --always --dirty 2>/dev/null)
RAUC_KEY       ?= .cache/rauc-keys/development.key.pem
RAUC_CERT      ?= .cache/rauc-keys/development.cert.pem
bundle: $(if $(wildcard $(IMAGE_OUT)/rootfs.ext4),,image)
	$(call apt_ensure,rauc squashfs-tools openssl)
	Packaging/image/make-bundle.sh $(IMAGE_OUT)/rootfs.ext4 $(RAUC_KEY) $(RAUC_CERT) \
	  $(IMAGE_OUT)/qrpos-$(BOARD)-$(ARCH)-$(BUNDLE_VERSION).raucb $(BUNDLE_VERSION) qrpos-$(BOARD)-$(ARCH)

clean:
	rm -rf .build .build-fuzz .build-deb .build-image
