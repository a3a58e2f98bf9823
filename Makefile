# Cirrus: a PostgreSQL-wire-compatible analytical SQL engine.
#
#   make run    build and start `cirrus dev` (embedded etcd, metad, 1 coordinator, 2 participants)
#   make test   run every test (starts its own PostgreSQL 15, MinIO servers and clusters on free loopback ports)
#
#   make minio          install the MinIO server if missing and start it on loopback (data under $(DATA)/minio)
#   make minio-stop     stop that MinIO server
#   make cluster        start a local deployment as separate processes (config: deploy/local/cluster.conf)
#   make cluster-stop   stop it

GO        ?= go
BIN       := bin/cirrus
DATA      ?= ./data
PORT      ?= 5433
export CGO_ENABLED := 1

CLUSTER_CONF ?= deploy/local/cluster.conf

.PHONY: all build run test vet bench clean deps minio-bin minio minio-stop cluster cluster-stop

all: build

build:
	$(GO) build -o $(BIN) ./cmd/cirrus

run: build
	./$(BIN) dev --data $(DATA) --port $(PORT) --tpch 0.1

vet:
	$(GO) vet ./...

deps: minio-bin
	./scripts/ensure-postgres.sh
	./scripts/ensure-drivers.sh

# The MinIO server binary (go install; about 4 minutes the first time).
minio-bin:
	./scripts/ensure-minio.sh

minio: minio-bin
	DATA=$(DATA) ./scripts/minio.sh start

minio-stop:
	DATA=$(DATA) ./scripts/minio.sh stop

cluster: build minio-bin
	./scripts/cluster.sh start $(CLUSTER_CONF)

cluster-stop:
	./scripts/cluster.sh stop $(CLUSTER_CONF)

test: deps build vet
	$(GO) test -count=1 -timeout 15m ./...

# Benchmarks with figures for the issues' closing notes (each also runs PostgreSQL 15 where it compares).
bench: build deps
	$(GO) test -run '^$$' -bench 'Copy' -benchtime 5x ./internal/e2e/
	$(GO) test -run '^$$' -bench 'CountStar' -benchtime 20x ./internal/e2e/
	$(GO) test -run '^$$' -bench 'DDLApplied|ColdStart|FragmentCatalog' -benchtime 200x ./internal/e2e/

clean:
	rm -rf bin
