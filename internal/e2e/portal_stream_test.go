package e2e

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/cirrusdb/cirrus/internal/metrics/metricstest"
)

// portalFetch runs sql as portal "p" inside BEGIN … COMMIT and fetches it
// chunk rows per Execute, each Execute followed by Sync, as pgjdbc does
// with setFetchSize; after(i) runs once the i-th Execute's rows arrived.
// It returns the number of rows and of Executes.
func portalFetch(tb testing.TB, conn *pgconn.PgConn, sql string, chunk uint32, after func(i int)) (rows, executes int) {
	tb.Helper()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "BEGIN").ReadAll(); err != nil {
		tb.Fatal(err)
	}
	fe := conn.Frontend()
	fe.Send(&pgproto3.Parse{Query: sql})
	fe.Send(&pgproto3.Bind{DestinationPortal: "p"})
	for done := false; !done; {
		fe.Send(&pgproto3.Execute{Portal: "p", MaxRows: chunk})
		fe.Send(&pgproto3.Sync{})
		if err := fe.Flush(); err != nil {
			tb.Fatal(err)
		}
		for {
			msg, err := receive(ctx, conn)
			if err != nil {
				tb.Fatal(err)
			}
			switch m := msg.(type) {
			case *pgproto3.DataRow:
				rows++
			case *pgproto3.CommandComplete:
				done = true
			case *pgproto3.ErrorResponse:
				tb.Fatalf("%s: %s", m.Code, m.Message)
			}
			if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
				break
			}
		}
		executes++
		if after != nil {
			after(executes)
		}
	}
	if _, err := conn.Exec(ctx, "COMMIT").ReadAll(); err != nil {
		tb.Fatal(err)
	}
	return rows, executes
}

// liveHeap is the process's live heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestPortalStreamsRows fetches TPC-H lineitem (SF 0.01, 60,175 rows)
// 100 rows per Execute through a portal and checks that the coordinator
// pulls rows as they are asked for: the participants' fragments stay open
// while the portal is suspended (a portal that ran whole at its first
// Execute would have ended them), the live heap of the process (cluster
// and client) is logged, and closing the portal half way, or ending its
// transaction, ends the fragments.
func TestPortalStreamsRows(t *testing.T) {
	if testing.Short() {
		t.Skip("loads TPC-H lineitem")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startTPCHCluster(ctx, t, 0.01, []string{"lineitem"})
	url := metricsServer(t, c)
	conn := connectSetUp(t, dsn(c), "SELECT 1")
	const sql = "SELECT * FROM lineitem"
	// A first full read fills the participants' caches, which stay.
	res, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	total := len(res[0].Rows)
	var resultBytes uint64
	for _, r := range res[0].Rows {
		for _, v := range r {
			resultBytes += uint64(len(v))
		}
	}
	res = nil
	base := liveHeap()
	var peak uint64
	running := 0.0
	rows, executes := portalFetch(t, conn, sql, 100, func(i int) {
		if i%50 == 0 {
			peak = max(peak, liveHeap())
		}
		if i == 10 {
			running = metricValue(t, metricstest.Get(t, url), "cirrus_participant_fragments_running")
		}
	})
	if rows != total || executes != total/100+1 {
		t.Fatalf("%d rows in %d Executes, want %d in %d", rows, executes, total, total/100+1)
	}
	if running == 0 {
		t.Errorf("no fragment running while the portal was suspended")
	}
	// At this size the batches in flight (the gather's queue, gRPC's flow
	// control windows) hold about the whole result either way; the
	// benchmark below measures the heap at SF 0.1.
	t.Logf("result %d rows, %.1f MB as text; live heap growth while fetching: %.1f MB",
		total, float64(resultBytes)/1e6, (float64(peak)-float64(base))/1e6)
	waitParticipantsIdle(t, url, 5*time.Second)

	// A portal closed half way, and one whose transaction ends while it
	// is suspended, end their fragments.
	for _, end := range []pgproto3.FrontendMessage{&pgproto3.Close{ObjectType: 'P', Name: "p"}, &pgproto3.Query{String: "ROLLBACK"}} {
		if _, err := conn.Exec(ctx, "BEGIN").ReadAll(); err != nil {
			t.Fatal(err)
		}
		fe := conn.Frontend()
		fe.Send(&pgproto3.Parse{Query: sql})
		fe.Send(&pgproto3.Bind{DestinationPortal: "p"})
		fe.Send(&pgproto3.Execute{Portal: "p", MaxRows: 100})
		fe.Send(&pgproto3.Sync{})
		fe.Send(end)
		if _, ok := end.(*pgproto3.Close); ok {
			fe.Send(&pgproto3.Sync{})
		}
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		for ready := 0; ready < 2; {
			msg, err := receive(ctx, conn)
			if err != nil {
				t.Fatal(err)
			}
			if m, ok := msg.(*pgproto3.ErrorResponse); ok {
				t.Fatalf("%T: %s %s", end, m.Code, m.Message)
			}
			if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
				ready++
			}
		}
		if _, ok := end.(*pgproto3.Close); ok {
			if _, err := conn.Exec(ctx, "COMMIT").ReadAll(); err != nil {
				t.Fatal(err)
			}
		}
		waitParticipantsIdle(t, url, 5*time.Second)
	}
}

// BenchmarkPortalFetch fetches lineitem at SF 0.1 (600,572 rows) through a
// portal 100 rows per Execute, as a JDBC client with setFetchSize(100)
// does, and reports the peak growth of the process's live heap.
//
//	go test -run '^$' -bench PortalFetch -benchtime 1x ./internal/e2e/
func BenchmarkPortalFetch(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := startTPCHCluster(ctx, b, 0.1, []string{"lineitem"})
	conn, err := pgconn.Connect(ctx, dsn(c))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT * FROM lineitem").ReadAll(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		base := liveHeap()
		var peak uint64
		start := time.Now()
		rows, _ := portalFetch(b, conn, "SELECT * FROM lineitem", 100, func(i int) {
			if i%200 == 0 {
				peak = max(peak, liveHeap())
			}
		})
		b.ReportMetric(float64(int64(peak)-int64(base))/1e6, "peak-heap-growth-MB")
		b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
		b.Logf("%d rows", rows)
	}
}
