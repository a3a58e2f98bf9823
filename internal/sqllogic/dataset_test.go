package sqllogic

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestParseLoad(t *testing.T) {
	f, err := Parse("mem.test", strings.NewReader("# data\nload tpch\nload tpch\n\nquery I\nselect 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Datasets, []string{DatasetTPCH}) || len(f.Records) != 1 {
		t.Fatalf("Datasets %q, %d records", f.Datasets, len(f.Records))
	}
	for _, c := range []struct{ src, want string }{
		{"load\n", `want "load DATASET"`},
		{"load tpch extra\n", `want "load DATASET"`},
		{"load nope\n", `unknown data set "nope"`},
		{"statement ok\nselect 1\n\nload tpch\n", "must come before the first record"},
		{"skipif cirrus\nload tpch\n", "must come before the first record"},
	} {
		_, err := Parse("mem.test", strings.NewReader(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got error %v, want %q", c.src, err, c.want)
		}
	}
}

// TestLoadTPCH loads the TPC-H data set through "load tpch" into two fresh
// PostgreSQL databases, then runs a file on the same databases marked as
// loaded, which must not load it again.
func TestLoadTPCH(t *testing.T) {
	if err := DatasetAvailable(DatasetTPCH); err != nil {
		t.Skip(err)
	}
	src := `load tpch

query IIIIIIII
select (select count(*) from region), (select count(*) from nation), (select count(*) from supplier),
       (select count(*) from customer), (select count(*) from part), (select count(*) from partsupp),
       (select count(*) from orders), (select count(*) from lineitem)
----
5 25 100 1500 2000 8000 15000 60175

query TTR
select n_name, c_mktsegment, sum(l_extendedprice) from lineitem, orders, customer, nation
where l_orderkey = o_orderkey and o_custkey = c_custkey and c_nationkey = n_nationkey and l_orderkey = 1
group by 1, 2
----
JAPAN                    	FURNITURE 	180734.63
`
	f, err := Parse("mem.test", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	dbs := openPair(t)
	for _, loaded := range []bool{false, true} {
		if loaded {
			for i := range dbs {
				dbs[i].Loaded = []string{DatasetTPCH}
			}
		}
		rep, err := Check(context.Background(), f, Options{}, dbs...)
		if err != nil {
			t.Fatalf("loaded=%v: %v", loaded, err)
		}
		if len(rep.Failures) > 0 || rep.Ran != 2 {
			t.Fatalf("loaded=%v: ran %d, failures:\n%s", loaded, rep.Ran, messages(rep))
		}
	}
}
