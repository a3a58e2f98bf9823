package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

// The COPY benchmark loads the same 1,000,000-row, 8-column CSV file into
// Cirrus and into PostgreSQL 15 with COPY FROM STDIN, and then times
// SELECT count(*) on the loaded table. Run with
//
//	go test -run '^$' -bench 'Copy|CountStar' -benchtime 3x ./internal/e2e/
const benchRows = 1_000_000

const benchDDL = `CREATE TABLE bench (id bigint NOT NULL, a integer, b smallint, price numeric(12,2),
	f double precision, s text, d date, flag boolean)`

var (
	benchFileOnce sync.Once
	benchFile     string
)

func benchCSV(b *testing.B) string {
	benchFileOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cirrus-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchFile = filepath.Join(dir, "bench.csv")
		f, err := os.Create(benchFile)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		for i := 0; i < benchRows; i++ {
			fmt.Fprintf(w, "%d,%d,%d,%d.%02d,%g,name-%d,2024-%02d-%02d,%t\n",
				i, i*7%100000, i%1000, i%100000, i%100, float64(i)/8, i%5000, i%12+1, i%28+1, i%3 == 0)
		}
		w.Flush()
		f.Close()
	})
	return benchFile
}

func copyFile(b *testing.B, conn *pgx.Conn, path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	tag, err := conn.PgConn().CopyFrom(context.Background(), bufio.NewReaderSize(f, 1<<20), "COPY bench FROM STDIN (FORMAT csv)")
	if err != nil {
		b.Fatal(err)
	}
	return tag.RowsAffected()
}

func benchCopy(b *testing.B, conn *pgx.Conn) {
	path := benchCSV(b)
	ctx := context.Background()
	var times []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		conn.Exec(ctx, `DROP TABLE IF EXISTS bench`)
		if _, err := conn.Exec(ctx, benchDDL); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if n := copyFile(b, conn, path); n != benchRows {
			b.Fatalf("copied %d rows", n)
		}
		times = append(times, time.Since(start))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	med := times[len(times)/2]
	b.ReportMetric(float64(benchRows)/med.Seconds(), "median-rows/s")
	b.ReportMetric(float64(med.Microseconds())/1000, "median-ms")
}

func benchCount(b *testing.B, conn *pgx.Conn) {
	ctx := context.Background()
	conn.Exec(ctx, `DROP TABLE IF EXISTS bench`)
	if _, err := conn.Exec(ctx, benchDDL); err != nil {
		b.Fatal(err)
	}
	copyFile(b, conn, benchCSV(b))
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		var n int64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM bench`).Scan(&n); err != nil || n != benchRows {
			b.Fatalf("count: %d %v", n, err)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
}

func cirrusConn(b *testing.B) *pgx.Conn {
	return connect(b, startCluster(b, ""))
}

func pgConn(b *testing.B) *pgx.Conn {
	pg := pgtest.Shared(b)
	db := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	pg.CreateDB(b, db)
	conn, err := pgx.Connect(context.Background(), pg.DSN(db))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func BenchmarkCopy(b *testing.B) {
	b.Run("cirrus", func(b *testing.B) { benchCopy(b, cirrusConn(b)) })
	b.Run("postgres", func(b *testing.B) { benchCopy(b, pgConn(b)) })
}

func BenchmarkCountStar(b *testing.B) {
	b.Run("cirrus", func(b *testing.B) { benchCount(b, cirrusConn(b)) })
	b.Run("postgres", func(b *testing.B) { benchCount(b, pgConn(b)) })
}
