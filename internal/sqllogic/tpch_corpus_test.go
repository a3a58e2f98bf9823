package sqllogic

import (
	"os"
	"testing"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

// TPCHCorpusDir holds the differential corpus over the TPC-H schema and its
// SF 0.01 data (files that start with "load tpch"), relative to this
// package's directory. The default run does not read it: corpusDir's glob is
// not recursive. Package tpchcorpus runs it on Cirrus.
const tpchCorpusDir = "../../testdata/sql/tpch"

// TestTPCHCorpusOnPostgres runs the TPC-H corpus, when CIRRUS_TPCH_CORPUS=1,
// with PostgreSQL against PostgreSQL over both protocol flows, so that every
// file is known to pass on PostgreSQL 15 itself. Each file gets fresh copies
// of one template database that is loaded once. Fill in expected results
// with
//
//	CIRRUS_TPCH_CORPUS=1 go test ./internal/sqllogic/ -run TestTPCHCorpusOnPostgres -rewrite
func TestTPCHCorpusOnPostgres(t *testing.T) {
	if os.Getenv("CIRRUS_TPCH_CORPUS") != "1" {
		t.Skip("set CIRRUS_TPCH_CORPUS=1 to run the TPC-H corpus")
	}
	if err := DatasetAvailable(DatasetTPCH); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	tpl := &DatasetTemplate{Server: pgtest.Shared(t), Dataset: DatasetTPCH}
	t.Cleanup(tpl.Drop)
	for _, c := range []struct {
		name  string
		proto Protocol
	}{{"simple", SimpleProtocol}, {"extended", ExtendedProtocol}} {
		t.Run(c.name, func(t *testing.T) {
			RunDirWith(t, tpchCorpusDir, Options{Protocol: c.proto}, func(t *testing.T) []DB {
				return []DB{tpl.Fresh(t, "sut"), tpl.Fresh(t, "oracle")}
			})
		})
	}
}
