package e2e

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/devcluster"
)

// TestCatalogHistory runs DDL and queries concurrently through two
// coordinators and checks the history: every query must run on a catalog
// version that was committed before the query ended (nothing from the
// future) and that had not been superseded by a commit that returned before
// the query started (nothing stale).
//
// The catalog version is observable: version k of table h has columns
// c0..ck, so a query's column count names the version it ran on. Version k
// is created by `ALTER TABLE h ADD COLUMN ck`, whose call and return times
// are recorded; queries record theirs.
func TestCatalogHistory(t *testing.T) {
	dur := 10 * time.Second
	if os.Getenv("CI") == "true" {
		dur = 60 * time.Second
	}
	if testing.Short() {
		dur = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur+60*time.Second)
	defer cancel()
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: t.TempDir(), Coordinators: 2, Participants: 3, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	dial := func(i int) *pgx.Conn {
		cn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://cirrus@%s/cirrus?sslmode=disable", c.PGAddrs[i]))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cn.Close(context.Background()) })
		return cn
	}
	ddl := dial(0)
	if _, err := ddl.Exec(ctx, `CREATE TABLE h (c0 integer)`); err != nil {
		t.Fatal(err)
	}
	if _, err := ddl.Exec(ctx, `INSERT INTO h VALUES (1)`); err != nil {
		t.Fatal(err)
	}

	type span struct{ start, end time.Time }
	var (
		mu       sync.Mutex
		versions = map[int]span{0: {}} // version → its commit's call and return
	)
	type obs struct {
		version    int
		start, end time.Time
		coord      int
	}
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}

	// DDL: one writer, alternating coordinators, so commits are ordered.
	wg.Add(1)
	go func() {
		defer wg.Done()
		conns := []*pgx.Conn{ddl, dial(1)}
		for k := 1; time.Now().Before(stop) && k < 1200; k++ {
			start := time.Now()
			if _, err := conns[k%2].Exec(ctx, fmt.Sprintf(`ALTER TABLE h ADD COLUMN c%d integer`, k)); err != nil {
				fail(fmt.Errorf("ddl %d: %w", k, err))
				return
			}
			mu.Lock()
			versions[k] = span{start, time.Now()}
			mu.Unlock()
		}
	}()

	// Readers on both coordinators.
	var observations []obs
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			coord := r % 2
			cn := dial(coord)
			var local []obs
			for time.Now().Before(stop) {
				start := time.Now()
				// The simple protocol: a cached prepared statement would
				// (rightly) fail with "cached plan must not change result type".
				rows, err := cn.Query(ctx, `SELECT * FROM h`, pgx.QueryExecModeSimpleProtocol)
				if err != nil {
					fail(fmt.Errorf("reader %d: %w", r, err))
					return
				}
				n := len(rows.FieldDescriptions())
				for rows.Next() {
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					fail(fmt.Errorf("reader %d: %w", r, err))
					return
				}
				local = append(local, obs{version: n - 1, start: start, end: time.Now(), coord: coord})
			}
			mu.Lock()
			observations = append(observations, local...)
			mu.Unlock()
		}(r)
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}

	stale, future := 0, 0
	for _, o := range observations {
		v, ok := versions[o.version]
		if !ok || (o.version > 0 && v.start.After(o.end)) {
			future++
			continue
		}
		if next, ok := versions[o.version+1]; ok && next.end.Before(o.start) {
			stale++
			if stale <= 5 {
				t.Errorf("stale read on coordinator %d: saw version %d at %v, but version %d committed at %v",
					o.coord, o.version, o.start.Format(time.StampMicro), o.version+1, next.end.Format(time.StampMicro))
			}
		}
	}
	t.Logf("%d DDL commits, %d queries checked: %d stale, %d from the future", len(versions)-1, len(observations), stale, future)
	if stale > 0 || future > 0 {
		t.Fatalf("%d stale executions, %d from the future", stale, future)
	}
	if len(versions) < 10 || len(observations) < 100 {
		t.Fatalf("history too short to mean anything: %d commits, %d queries", len(versions)-1, len(observations))
	}
}
