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
	./$(BIN) dev --data $(DATA) --port $(PORT)

vet:
	$(GO) vet ./...

deps:
	./scripts/ensure-postgres.sh

test: deps build vet
	$(GO) test -count=1 -timeout 15m ./...

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x ./coordinator/... ./storage/... ./executor/...

clean:
	rm -rf bin
