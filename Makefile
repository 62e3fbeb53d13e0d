# haul: the two commands a fresh machine needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/haul
GOLANGCI_LINT_VERSION := v2.15.0
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: build tools test test-deploy unit fuzz demo soak storm bench bench-resume bench-sync bench-scale bench-concurrency bench-sendcost bench-bwlimit lint fmt-check clean bench-checksum cross

build:
	$(GO) build -o $(BIN) ./cmd/haul

# Pinned S3 servers (versitygw, MinIO) built into .tools/bin; skipped when already there.
tools:
	scripts/install-tools.sh

# Every test, against real servers (HAUL_TEST_SERVERS=versitygw,minio,moto picks a subset).
# -count=1: e2e builds haul itself, which the test cache cannot see. go test prints nothing
# of a package that passes, so internal/s3test appends a line per package, server and outcome
# (started, could not start, skipped, not used) to $HAUL_TEST_SERVER_REPORT; it is printed
# after go test, pass or fail, and the recipe then exits with go test's status.
# e2e runs beside the other packages and without -race: what it tests is the haul binary,
# which it builds without -race anyway, and the race detector there only slowed the
# harness's proxies (a quarter of the machine's CPU in a run that took over 20 minutes);
# the harness (internal/s3test) and every library package run with -race.
test: tools build fmt-check
	$(GO) vet ./...
	@report=$$(mktemp "$${TMPDIR:-/tmp}/haul-test-servers.XXXXXX") || exit 1; \
	trap 'rm -f "$$report"' EXIT; \
	pkgs=$$($(GO) list ./... | grep -v '/e2e$$'); \
	echo "HAUL_TEST_SERVER_REPORT=$$report $(GO) test -race -count=1 -timeout 20m <every package but e2e> &"; \
	HAUL_TEST_SERVER_REPORT=$$report $(GO) test -race -count=1 -timeout 20m $$pkgs & unit=$$!; \
	echo "HAUL_TEST_SERVER_REPORT=$$report $(GO) test -count=1 -timeout 30m ./e2e/"; \
	HAUL_TEST_SERVER_REPORT=$$report $(GO) test -count=1 -timeout 30m ./e2e/; status=$$?; \
	wait $$unit || status=1; \
	echo "== S3 servers used by the tests (package: server: outcome)"; \
	if [ -s "$$report" ]; then sort -s -t: -k1,1 "$$report"; else echo "no test started a server"; fi; \
	exit $$status
	$(MAKE) fuzz FUZZTIME=100000x
	$(MAKE) test-deploy

# The Kubernetes manifests of deploy/kubernetes, checked by a module of their own
# (deploy/kubernetes/check, so that haul's module has no Kubernetes dependency): decoded
# strictly into the Kubernetes API types, held to the rules haul relies on, each Job's
# command parsed by haul built from this tree, and the Jobs run as local processes (one per
# pod, JOB_COMPLETION_INDEX set) against a local versitygw. About 30 s.
test-deploy: tools
	cd deploy/kubernetes/check && $(GO) vet ./... && $(GO) test -count=1 -timeout 10m ./...

# Unit tests only: no servers.
unit:
	$(GO) test -race -short ./...

# haul built for every platform it supports, into bin/cross/haul-OS-ARCH (.exe on Windows),
# and go vet (which compiles the tests too) of every package for each. Nothing runs there:
# this proves only that it compiles. README, "Platforms", says what works where.
CROSS_PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
cross:
	@set -e; for p in $(CROSS_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; \
		case $$os in windows) ext=.exe;; esac; \
		echo "cross: $$os/$$arch: build bin/cross/haul-$$os-$$arch$$ext, vet ./..."; \
		GOOS=$$os GOARCH=$$arch $(GO) build -o bin/cross/haul-$$os-$$arch$$ext ./cmd/haul; \
		GOOS=$$os GOARCH=$$arch $(GO) vet ./...; \
	done

# FUZZTIME is a duration (30s) or an execution count (100000x). make test uses a count: Go
# 1.26's fuzz coordinator can fail a run with "context deadline exceeded" when a duration
# expires while a worker is busy (golang/go#75804, fixed in Go 1.27); a count has no deadline.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParseURL$$' -fuzztime=$(FUZZTIME) ./object/
	$(GO) test -run='^$$' -fuzz='^FuzzParseSize$$' -fuzztime=$(FUZZTIME) ./internal/bytesize/
	$(GO) test -run='^$$' -fuzz='^FuzzSafeJoin$$' -fuzztime=$(FUZZTIME) ./localfs/
	$(GO) test -run='^$$' -fuzz='^FuzzParseMetadata$$' -fuzztime=$(FUZZTIME) ./internal/cli/
	$(GO) test -run='^$$' -fuzz='^FuzzMatch$$' -fuzztime=$(FUZZTIME) ./filter/

# The soak at scale (not in make test): SOAK_FILES files (default 20,000; a few multipart)
# up and down through the random-fault proxy at SOAK_RATE (0.1), once per seed of
# SOAK_SEEDS; each run logs faults, retries, what was verified and haul's peak RSS.
SOAK_FILES ?= 20000
SOAK_RATE ?= 0.1
SOAK_SEEDS ?= 1 2 3
soak: tools build
	@set -e; for s in $(SOAK_SEEDS); do \
		HAUL_TEST_SERVERS=minio HAUL_SOAK_FILES=$(SOAK_FILES) HAUL_SOAK_RATE=$(SOAK_RATE) HAUL_SOAK_SEED=$$s \
			$(GO) test -count=1 -timeout 60m -run '^TestSoakRandomFaults$$' -v ./e2e; \
	done

# The throttle storm with more seeds and a longer storm (make test runs seeds 1,2 for 3 s).
STORM_SEEDS ?= 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20
STORM_SECONDS ?= 20
storm: tools build
	HAUL_TEST_SERVERS=minio HAUL_STORM_SEEDS=$(STORM_SEEDS) HAUL_STORM_SECONDS=$(STORM_SECONDS) \
		$(GO) test -count=1 -parallel 2 -timeout 90m -run '^TestThrottleStormThenFaultsLosesNothing$$' -v ./e2e

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi

# Starts a local versitygw, uploads a sample directory, lists it, downloads it and verifies it.
# Installs only versitygw: a fresh machine does not build MinIO for the demo.
demo: build
	scripts/install-tools.sh versitygw
	scripts/demo.sh

# haul beside aws-cli, rclone and s5cmd (from ../shared/peers, if there) against MinIO on
# tmpfs; prints medians (BENCH_RUNS=3). BASELINE=<git rev> also runs haul built from that
# revision, as haul-base, in every round and prints haul/haul-base ratios.
# The copy workloads (bench.sh), the sync workloads (bench-sync.sh), and the client CPU
# that verifying a 1 GiB download costs, for objects written by haul, aws-cli and s5cmd
# (bench-checksum.sh's downloads; make bench-checksum runs its uploads too).
bench: tools build
	$(if $(BASELINE),HAUL_BASELINE_REV='$(BASELINE)' )scripts/bench.sh
	scripts/bench-sync.sh
	BENCH_ONLY=download scripts/bench-checksum.sh

# Cost at scale: haul's peak RSS and CPU per file at 2,000 and 200,000 small files, up and
# down, against MinIO on tmpfs (BENCH_RUNS=3).
bench-scale: tools build
	scripts/bench-scale.sh

# The curve the concurrency default is chosen from: haul's throughput against --concurrency
# for one big file and for many small files, up and down, against MinIO on tmpfs.
bench-concurrency: tools build
	scripts/bench-concurrency.sh

# Client CPU to send a 1 GiB file to an endpoint that discards bodies (scripts/sink), haul
# (--checksum crc32c and none) beside curl -T, and curl -T after a CRC32C pass (BENCH_RUNS=5).
bench-sendcost: build
	scripts/bench-sendcost.sh

# A 1 GiB upload killed (kill -9) half way and resumed, against a fresh upload, on MinIO on tmpfs (BENCH_RUNS=3).
bench-resume: tools build
	scripts/bench-resume.sh

# A 1 GiB upload and download under --bwlimit 50MiB/s against MinIO on tmpfs, each run's
# achieved rate beside the cap (BENCH_RUNS=3, BENCH_RATE, BENCH_MIB).
bench-bwlimit: tools build
	scripts/bench-bwlimit.sh

# haul sync beside aws s3 sync, rclone sync and s5cmd sync on a 2,000-file tree (first run,
# unchanged, 1% changed; up and down) against MinIO on tmpfs: medians of wall, CPU, RSS
# (BENCH_RUNS=3) and the requests each sent, counted by scripts/countproxy.
bench-sync: tools build
	scripts/bench-sync.sh

# Man pages, one per command, from the command definitions, into bin/man (generated, not
# committed; SOURCE_DATE_EPOCH sets their date). man -l bin/man/haul-cp.1 reads one.
.PHONY: man
man:
	$(GO) run ./internal/cli/genman bin/man

lint:
	GOBIN=$(CURDIR)/.tools/bin $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	golangci-lint run ./...
	cd deploy/kubernetes/check && golangci-lint run ./...

clean:
	rm -rf bin

# Client CPU per GiB of each --checksum mode on a 1 GiB upload to MinIO on tmpfs.
bench-checksum: tools build
	$(if $(BASELINE),HAUL_BASELINE_REV='$(BASELINE)' )scripts/bench-checksum.sh

# A release built into dist/ and published nowhere (scripts/release-snapshot.sh): goreleaser,
# pinned and installed into .tools/bin, makes the binaries, archives and checksums file
# (.goreleaser.yaml), scripts/ociimage the container image. Minutes on 2 cores: not in make test.
.PHONY: release-snapshot release-test
release-snapshot:
	scripts/release-snapshot.sh

# Builds the snapshot, then checks it (e2e/release): the linux binary reports its version and
# revision, the checksums match the files, the archives and the image hold the binaries; and
# go install ...@v0.99.1 from a module proxy on disk serving this checkout reports v0.99.1.
release-test: release-snapshot
	$(GO) test -tags release -count=1 ./e2e/release/
