package sqllogic

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

var templateSeq atomic.Int64

// DatasetTemplate is a PostgreSQL database that holds a data set, loaded on
// first use, from which fresh databases are copied (CREATE DATABASE ...
// TEMPLATE), so that many test files can each have their own database
// without loading the data again. Call Drop when done.
type DatasetTemplate struct {
	Server  *pgtest.Server
	Dataset string // e.g. DatasetTPCH

	once sync.Once
	name string
	err  error
}

func pgAdmin(ctx context.Context, srv *pgtest.Server, sql string) error {
	conn, err := pgconn.Connect(ctx, srv.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql).ReadAll()
	return err
}

func uniqueDBName(kind string) string {
	return fmt.Sprintf("sqllogic_%s_%d_%d", kind, os.Getpid(), templateSeq.Add(1))
}

func (p *DatasetTemplate) load(t testing.TB) {
	p.once.Do(func() {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		name := uniqueDBName(p.Dataset + "_template")
		if p.err = pgAdmin(ctx, p.Server, "CREATE DATABASE "+pgtest.QuoteIdent(name)+" TEMPLATE template0 STRATEGY = FILE_COPY"); p.err != nil {
			return
		}
		p.name = name
		conn, err := pgconn.Connect(ctx, p.Server.DSN(name))
		if err != nil {
			p.err = err
			return
		}
		defer conn.Close(context.Background())
		if p.err = LoadDataset(ctx, conn, p.Dataset); p.err != nil {
			return
		}
		if _, p.err = conn.Exec(ctx, "VACUUM ANALYZE").ReadAll(); p.err != nil {
			return
		}
		t.Logf("sqllogic: loaded data set %s into PostgreSQL template database %s in %v", p.Dataset, name, time.Since(start).Round(time.Millisecond))
	})
	if p.err != nil {
		t.Fatalf("sqllogic: PostgreSQL template database for %s: %v", p.Dataset, p.err)
	}
}

// Fresh returns a new database, named name in test messages, copied from
// the template (which is loaded on first use); it is dropped when t ends.
func (p *DatasetTemplate) Fresh(t testing.TB, name string) DB {
	t.Helper()
	p.load(t)
	db := uniqueDBName(p.Dataset)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The template must have no sessions while it is copied; it has none
	// after loading, and nothing else connects to it.
	if err := pgAdmin(ctx, p.Server, "CREATE DATABASE "+pgtest.QuoteIdent(db)+" TEMPLATE "+pgtest.QuoteIdent(p.name)+" STRATEGY = FILE_COPY"); err != nil {
		t.Fatalf("sqllogic: creating %s from template %s: %v", db, p.name, err)
	}
	t.Cleanup(func() { p.Server.DropDB(t, db) })
	return DB{Name: name, DSN: p.Server.DSN(db), Loaded: []string{p.Dataset}}
}

// Drop drops the template database, if it was created.
func (p *DatasetTemplate) Drop() {
	if p.name == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = pgAdmin(ctx, p.Server, "DROP DATABASE IF EXISTS "+pgtest.QuoteIdent(p.name)+" WITH (FORCE)")
}
