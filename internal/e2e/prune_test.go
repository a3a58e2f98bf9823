package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestPruneFiles writes a table as files of narrow key ranges, so that
// scans with filters skip files by their statistics (coordinator) and row
// groups (participants), and checks answers, including scans where every
// file is skipped.
func TestPruneFiles(t *testing.T) {
	c := startCluster(t, "")
	conn := connect(t, c)
	exec1(t, conn, `CREATE TABLE pr (k int NOT NULL, c char(4), v numeric(10,2), d date, s text)`)
	modes := []string{"AIR", "RAIL", "SHIP", "MAIL"}
	for f := 0; f < 8; f++ {
		var tuples []string
		for i := 0; i < 50; i++ {
			k := f*100 + i
			cv := "'" + modes[f%4] + "'"
			if i%7 == 0 {
				cv = "NULL"
			}
			tuples = append(tuples, fmt.Sprintf("(%d, %s, %d.%02d, date '2020-01-01' + %d, 'x%03d')", k, cv, k, i, f*30, k))
		}
		exec1(t, conn, "INSERT INTO pr VALUES "+strings.Join(tuples, ","))
	}
	for _, tc := range []struct{ sql, want string }{
		{`SELECT count(*), sum(k) FROM pr WHERE k BETWEEN 100 AND 149`, "50|6225"},
		{`SELECT count(*), sum(k) FROM pr WHERE k >= 10000`, "0|<null>"},
		{`SELECT count(*), min(v), max(v) FROM pr WHERE v > 700`, "49|701.01|749.49"},
		{`SELECT count(*), min(v), max(v) FROM pr WHERE v >= 700`, "50|700.00|749.49"},
		{`SELECT count(*) FROM pr WHERE c = 'RAIL'`, "84"},
		{`SELECT count(*) FROM pr WHERE c = 'RAIL  '`, "84"},
		{`SELECT count(*) FROM pr WHERE c IN ('AIR', 'MAIL') AND k < 400`, "84"},
		{`SELECT count(*) FROM pr WHERE c = 'TRUCK'`, "0"},
		{`SELECT count(*) FROM pr WHERE c IS NULL AND k < 200`, "16"},
		{`SELECT count(*) FROM pr WHERE d >= date '2020-03-01'`, "300"}, // files 2..7
		{`SELECT count(*) FROM pr WHERE d > timestamp '2020-07-28 23:59:59'`, "50"},
		{`SELECT count(*) FROM pr WHERE d > timestamp '2020-07-29 00:00:01'`, "0"},
		{`SELECT count(*) FROM pr WHERE s >= 'x700'`, "50"},
		{`SELECT count(*) FROM pr WHERE k = 5 OR k = 705`, "2"},
		{`SELECT count(*) FROM pr WHERE k < 0 OR s < 'a'`, "0"},
		{`SELECT k FROM pr WHERE k IN (3, 349, 1000) ORDER BY k`, "3\n349"},
	} {
		got, err := textRows(t.Context(), conn, tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if g := strings.Join(got, "\n"); g != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.sql, g, tc.want)
		}
	}
	var scanned, pruned int64
	for i := range 2 {
		st := c.Participant(i).StorageStats()
		scanned += st.RowGroupsScanned
		pruned += st.RowGroupsPruned
	}
	t.Logf("row groups scanned %d, pruned on participants %d", scanned, pruned)
	if scanned >= 17*8 {
		t.Errorf("%d row groups scanned by 17 queries over 8 files: files were not pruned", scanned)
	}
}
