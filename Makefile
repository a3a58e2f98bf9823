# Cirrus: a PostgreSQL-wire-compatible analytical SQL engine.
#
#   make run    build and start `cirrus dev` (embedded etcd, metad, 1 coordinator, 2 participants)
#   make test   run every test (starts its own PostgreSQL 15 and clusters on free loopback ports)

GO        ?= go
BIN       := bin/cirrus
DATA      ?= ./data
PORT      ?= 5433
export CGO_ENABLED := 1

.PHONY: all build run test vet bench clean deps

all: build

build:
	$(GO) build -o $(BIN) ./cmd/cirrus

run: build
	./$(BIN) dev --data $(DATA) --port $(PORT) --tpch 0.1

vet:
	$(GO) vet ./...

deps:
	./scripts/ensure-postgres.sh

test: deps build vet
	$(GO) test -count=1 -timeout 15m ./...

# Benchmarks with figures for the issues' closing notes (each also runs PostgreSQL 15 where it compares).
bench: build deps
	$(GO) test -run '^$$' -bench 'Copy' -benchtime 5x ./internal/e2e/
	$(GO) test -run '^$$' -bench 'CountStar' -benchtime 20x ./internal/e2e/
	$(GO) test -run '^$$' -bench 'DDLApplied|ColdStart|FragmentCatalog' -benchtime 200x ./internal/e2e/

clean:
	rm -rf bin
