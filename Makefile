# havip — developer entry points. `make demo` and `make test` are the two set-up commands of the README.
GO        ?= go
PKG       := ./...
# The release: the VERSION file, which the image tag, the chart's appVersion and the compose and
# catalog files' image tags repeat (deploy/version_test.go checks that they agree).
VERSION   ?= $(shell cat VERSION)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 10s

.PHONY: all build demo test lint fuzz fuzz-short bench clean chaos

all: lint test

## build: a static havip binary in ./bin
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/havip ./cmd/havip

## demo: render the keepalived template from its sample answers to stdout, then say what to try next
demo:
	@$(GO) run ./cmd/havip render keepalived --answers templates/keepalived/1/answers.txt
	@printf '%s\n' \
	  '' \
	  'That was templates/keepalived/1/answers.txt rendered. Next:' \
	  '  make build && export PATH="$$PWD/bin:$$PATH"      # havip on your PATH' \
	  '  havip catalog show keepalived                     # every question, its env var and default' \
	  '  havip render keepalived --set virtual_ip=192.0.2.10 --set vrid=51 --set check_port=0 -o out/   # out/keepalived.conf + docker-compose.yml' \
	  '  havip check -f out/keepalived.conf                # the keepalived -t of havip' \
	  '  sudo "$$(command -v havip)" run -f out/keepalived.conf   # on two hosts of one segment: a running pair' \
	  '  havip status                                      # who holds the VIP, and why' >&2

## test: every test, including the privileged namespace, keepalived-interop and tshark tests (they skip when not root).
## The namespace suites under test/ measure timing on the wire (takeover, advert jitter under abuse), so they run
## one package at a time, after the others: sharing the CPUs with each other skews those figures by hundreds of ms.
test: fuzz-short
	$(GO) test -count=1 -timeout 15m $$($(GO) list $(PKG) | grep -v '/test/')
	$(GO) test -count=1 -timeout 20m -p 1 ./test/...

## chaos: the long seeded fault suite (root): HAVIP_FAULT_STEPS faults per speaker, longer floods,
## 1000 reloads of keepalived too; HAVIP_FAULT_SEED picks the walk (default: the current time, printed)
HAVIP_FAULT_STEPS ?= 200
ifeq ($(origin HAVIP_FAULT_SEED),undefined)
HAVIP_FAULT_SEED  := $(shell date +%s)
endif
chaos:
	@echo "make chaos: HAVIP_FAULT_SEED=$(HAVIP_FAULT_SEED) HAVIP_FAULT_STEPS=$(HAVIP_FAULT_STEPS), full log in chaos.log"
	@HAVIP_FAULT_STEPS=$(HAVIP_FAULT_STEPS) HAVIP_FAULT_SEED=$(HAVIP_FAULT_SEED) \
	  $(GO) test -count=1 -v -timeout 180m ./test/fault >chaos.log 2>&1; status=$$?; \
	  grep -vE '^=== (RUN|PAUSE|CONT)' chaos.log; exit $$status

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKG)

## fuzz: run every fuzz target for FUZZTIME each (a duration such as 30s, or a count such as 50000x)
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKG)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: the Go micro-benchmarks, then (as root) the failover/footprint comparison with keepalived
bench:
	$(GO) test -run '^$$' -bench . -benchmem $$($(GO) list $(PKG) | grep -v /test/bench)
	test/bench/run.sh

clean:
	rm -rf bin

## install: bin/havip into $(DESTDIR)$(PREFIX)/bin
## install-keepalived: also /usr/sbin/keepalived -> havip and the keepalived.service drop-in (Debian layout)
PREFIX    ?= /usr/local
.PHONY: install install-keepalived
install: build
	install -D -m 0755 bin/havip $(DESTDIR)$(PREFIX)/bin/havip
install-keepalived: install
	install -d $(DESTDIR)/usr/sbin
	ln -sf $(PREFIX)/bin/havip $(DESTDIR)/usr/sbin/keepalived
	install -D -m 0644 deploy/systemd/keepalived.service $(DESTDIR)/etc/systemd/system/keepalived.service

## fuzz-short: every fuzz target for FUZZSHORT executions (part of `make test`).
## A count, not a duration: Go 1.26's fuzz coordinator can fail a healthy target with
## "context deadline exceeded" when a -fuzztime duration expires (golang/go#75804, fixed in 1.27);
## a count never arms that deadline.
FUZZSHORT ?= 30000x
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZSHORT)

## image: the container image $(IMAGE):$(VERSION) (havip + static BusyBox, FROM scratch) built with buildah
## image-minimal: $(IMAGE):$(VERSION)-minimal, havip alone (no shell: only the native TCP check runs)
IMAGE     ?= havip/havip
.PHONY: image image-minimal
image:
	VERSION=$(VERSION) deploy/image/build.sh $(IMAGE):$(VERSION)
image-minimal:
	VERSION=$(VERSION) deploy/image/build.sh --minimal $(IMAGE):$(VERSION)-minimal
