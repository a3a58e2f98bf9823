package sqllogic

import (
	"fmt"
	"testing"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

// corpusDir holds the differential corpus shared with Cirrus's own tests.
const corpusDir = "../../testdata/sql"

// TestCorpusOnPostgres runs the corpus with PostgreSQL as both the system
// under test and the oracle, over both protocol flows, so every file is known
// to pass on PostgreSQL 15 itself. The two sides are databases of two
// different servers: roles are cluster-wide, so a file that creates roles
// (roles.test) would otherwise collide with itself. Regenerate expected
// results with
//
//	go test ./internal/sqllogic/ -run TestCorpusOnPostgres -rewrite
func TestCorpusOnPostgres(t *testing.T) {
	sut, oracle := pgtest.Shared(t), pgtest.Start(t)
	openServers := func(t *testing.T) []DB {
		n := dbSeq.Add(1)
		var dbs []DB
		for _, side := range []struct {
			name string
			srv  *pgtest.Server
		}{{"sut", sut}, {"oracle", oracle}} {
			db := fmt.Sprintf("sqllogic_%d_%s", n, side.name)
			side.srv.CreateDB(t, db)
			t.Cleanup(func() { side.srv.DropDB(t, db) })
			dbs = append(dbs, DB{Name: side.name, DSN: side.srv.DSN(db)})
		}
		return dbs
	}
	for _, c := range []struct {
		name  string
		proto Protocol
	}{{"simple", SimpleProtocol}, {"extended", ExtendedProtocol}} {
		t.Run(c.name, func(t *testing.T) {
			RunDirWith(t, corpusDir, Options{Protocol: c.proto}, openServers)
		})
	}
}
