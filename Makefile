# The test command of the README and of .ci/run.
GO ?= go

.PHONY: test lint check fuzz build run bench

test:
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# What CI runs: lint, then the whole suite under the race detector.
check: lint test

build:
	$(GO) build -o bin/mangahub ./cmd/mangahub

run:
	$(GO) run ./cmd/mangahub serve

# A longer fuzzing session of the protocol decoder (the seeds run in `make test`).
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzDecode -fuzztime=2m ./internal/protocol

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
