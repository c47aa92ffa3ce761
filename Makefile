# The test command of the README and of .ci/run.
GO ?= go

# The race detector needs cgo, hence a C compiler; without one the tests
# still run, just without it (CI has one and so always uses it).
RACE ?= $(if $(shell command -v cc || command -v gcc),-race,)

.PHONY: test lint check fuzz build run bench

# tools/load is a module of its own (the load tool, kept out of the
# product), so ./... of this module does not reach it: each target runs
# there too.
LOAD := tools/load

test:
	$(GO) test $(RACE) -count=1 ./...
	cd $(LOAD) && $(GO) test $(RACE) -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	cd $(LOAD) && $(GO) vet ./... && $(GO) tool staticcheck ./...

# What CI runs: lint, then the whole suite under the race detector.
check: lint test

build:
	$(GO) build -buildvcs=auto -o bin/mangahub ./cmd/mangahub

run:
	$(GO) run ./cmd/mangahub serve

# A longer fuzzing session of the protocol decoder (the seeds run in `make test`).
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzDecode -fuzztime=2m ./internal/protocol

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	cd $(LOAD) && $(GO) test -run='^$$' -bench=. -benchmem ./...
