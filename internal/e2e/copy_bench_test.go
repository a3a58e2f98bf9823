package e2e

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/tpch"
)

// BenchmarkCopyToLineitem measures COPY lineitem TO STDOUT at SF 0.1
// (600,572 rows) in text, CSV and binary on a two-participant cluster and
// on PostgreSQL 15 holding the same rows (copied over from Cirrus), and
// reports bytes and rows per second of the client's stream:
//
//	go test -run '^$' -bench CopyToLineitem -benchtime 5x ./internal/e2e/
func BenchmarkCopyToLineitem(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := startTPCHCluster(ctx, b, 0.1, []string{"lineitem"})
	cirrus, err := pgconn.Connect(ctx, dsn(c))
	if err != nil {
		b.Fatal(err)
	}
	defer cirrus.Close(context.Background())

	pg := pgtest.Shared(b)
	db := fmt.Sprintf("copybench_%d", diffDBs.Add(1))
	pg.CreateDB(b, db)
	postgres, err := pgconn.Connect(ctx, pg.DSN(db))
	if err != nil {
		b.Fatal(err)
	}
	defer postgres.Close(context.Background())
	if _, err := postgres.Exec(ctx, tpch.DDL["lineitem"]).ReadAll(); err != nil {
		b.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := cirrus.CopyTo(ctx, pw, "COPY lineitem TO STDOUT (FORMAT binary)")
		pw.CloseWithError(err)
	}()
	if _, err := postgres.CopyFrom(ctx, pr, "COPY lineitem FROM STDIN (FORMAT binary)"); err != nil {
		b.Fatal(err)
	}
	if _, err := postgres.Exec(ctx, "VACUUM ANALYZE lineitem").ReadAll(); err != nil {
		b.Fatal(err)
	}

	for _, format := range []string{"text", "csv", "binary"} {
		sql := "COPY lineitem TO STDOUT (FORMAT " + format + ")"
		for _, sys := range []struct {
			name string
			conn *pgconn.PgConn
		}{{"cirrus", cirrus}, {"postgres", postgres}} {
			b.Run(format+"/"+sys.name, func(b *testing.B) {
				var w countingWriter
				tag, err := sys.conn.CopyTo(ctx, &w, sql) // warms caches
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(w.n)
				start := time.Now()
				for b.Loop() {
					if _, err := sys.conn.CopyTo(ctx, io.Discard, sql); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(tag.RowsAffected())*float64(b.N)/time.Since(start).Seconds(), "rows/s")
			})
		}
	}
}

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
