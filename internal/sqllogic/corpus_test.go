package sqllogic

import (
	"testing"
)

// corpusDir holds the differential corpus shared with Cirrus's own tests.
const corpusDir = "../../testdata/sql"

// TestCorpusOnPostgres runs the corpus with PostgreSQL as both the system
// under test and the oracle, over both protocol flows, so every file is known
// to pass on PostgreSQL 15 itself. Regenerate expected results with
//
//	go test ./internal/sqllogic/ -run TestCorpusOnPostgres -rewrite
func TestCorpusOnPostgres(t *testing.T) {
	for _, c := range []struct {
		name  string
		proto Protocol
	}{{"simple", SimpleProtocol}, {"extended", ExtendedProtocol}} {
		t.Run(c.name, func(t *testing.T) {
			RunDirWith(t, corpusDir, Options{Protocol: c.proto}, openPair)
		})
	}
}
