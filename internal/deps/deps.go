//go:build tools

// Package deps pins the modules Cirrus builds with.
package deps

import (
	_ "github.com/apache/arrow/go/v15/arrow/flight"
	_ "github.com/apache/arrow/go/v15/parquet/pqarrow"
	_ "github.com/jackc/pgproto3/v2"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/minio/minio-go/v7"
	_ "github.com/pganalyze/pg_query_go/v5"
	_ "go.etcd.io/etcd/client/v3"
	_ "go.etcd.io/etcd/server/v3/embed"
)
