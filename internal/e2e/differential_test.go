package e2e

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/sqllogic"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// diffDBs numbers the PostgreSQL databases of differential runs; the shared
// server outlives a single run of the test (-count).
var diffDBs atomic.Int64

// TestDifferential runs the SQL corpus under testdata/sql on a fresh Cirrus
// cluster and a fresh PostgreSQL 15 database per file, over both the simple
// and the extended protocol, and requires identical results and SQLSTATEs.
func TestDifferential(t *testing.T) {
	pg := pgtest.Shared(t)
	open := func(t *testing.T) []sqllogic.DB {
		c := startCluster(t, "")
		db := fmt.Sprintf("diff_%d", diffDBs.Add(1))
		pg.CreateDB(t, db)
		return []sqllogic.DB{
			{Name: "cirrus", DSN: dsn(c)},
			{Name: "postgres", DSN: pg.DSN(db)},
		}
	}
	for _, p := range []sqllogic.Protocol{sqllogic.SimpleProtocol, sqllogic.ExtendedProtocol} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			sqllogic.RunDirWith(t, "../../testdata/sql", sqllogic.Options{Protocol: p}, open)
		})
	}
}
