package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/tpch"
)

// psqlCommands are the meta-commands whose output must be PostgreSQL's.
// (\d+ of a view prints its definition, which Cirrus keeps as written, not
// in PostgreSQL's deparsed form, and \dx lists PostgreSQL's plpgsql, which
// Cirrus does not have: not compared.)
// psql sends its own catalog queries for each (Appendix B of
// ../shared/pgcompat/CAPTURES.md); Cirrus answers them with its general
// SQL engine over the pg_catalog relations.
var psqlCommands = []string{`\dt`, `\d`, `\dn`, `\di`, `\dv`, `\dT`, `\df`, `\dt+`, `\l`, `\du`, `\d lineitem`, `\d+ lineitem`, `\d orders`, `\d revenue`, `\db`, `\dp`, `\dconfig work_mem`, `\dconfig datestyle`}

// tabCompletionQueries are queries psql 15's tab completion sends
// (tab-complete.c, captured on the wire: CAPTURES.md Appendix C).
var tabCompletionQueries = []string{
	`SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) LIKE '%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE '%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000`,
	`SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) LIKE 'line%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE 'line%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000`,
	`SELECT nspname FROM pg_catalog.pg_namespace  WHERE nspname LIKE '%'
LIMIT 1000`,
	`SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p') AND (c.relname) LIKE '%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE '%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000`,
	`SELECT a.attname, NULL::pg_catalog.text FROM pg_catalog.pg_attribute a, pg_catalog.pg_class c WHERE c.oid = a.attrelid and a.attnum > 0 and not a.attisdropped AND (a.attname) LIKE '%' AND c.relname = 'lineitem' AND pg_catalog.pg_table_is_visible(c.oid)
LIMIT 1000`,
	`SELECT a.attname, NULL::pg_catalog.text FROM pg_catalog.pg_attribute a, pg_catalog.pg_class c WHERE c.oid = a.attrelid and a.attnum > 0 and not a.attisdropped AND (a.attname) LIKE 'l\_%' AND c.relname = 'lineitem' AND pg_catalog.pg_table_is_visible(c.oid)
LIMIT 1000`,
	`SELECT pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p') AND substring(pg_catalog.quote_ident(c.relname),1,4)='line' AND pg_catalog.pg_table_is_visible(c.oid)`,
	`SELECT c.relname, n.nspname FROM pg_catalog.pg_class c, pg_catalog.pg_namespace n WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) LIKE '%' AND n.nspname = 'public'
LIMIT 1000`,
}

// catalogView is a view of the TPC-H schema both servers hold, for \dv.
const catalogView = `create view revenue as select l_suppkey as supplier_no, sum(l_extendedprice * (1 - l_discount)) as total_revenue from lineitem group by l_suppkey`

// TestPsqlCatalog runs psql's meta-commands and tab-completion queries
// against Cirrus and PostgreSQL 15 loaded with the TPC-H schema and
// requires the same output, up to owner names, OIDs and sizes.
func TestPsqlCatalog(t *testing.T) {
	psql := lookPsql(t)
	const db = "psqlcat"
	pg := pgtest.Shared(t)
	pg.DropDB(t, db)
	pg.CreateDB(t, db)
	pgConn := pg.Connect(t, db)
	c := startCluster(t, "")
	conn := connect(t, c)
	for _, name := range tpch.Tables {
		exec1(t, pgConn, tpch.DDL[name])
		exec1(t, conn, tpch.DDL[name])
	}
	exec1(t, pgConn, catalogView)
	exec1(t, conn, catalogView)

	host, port, _ := strings.Cut(c.PGAddrs[0], ":")
	cirrus := func(args ...string) string {
		return runPsql(t, psql, append([]string{"-h", host, "-p", port, "-U", "cirrus", db}, args...))
	}
	postgres := func(args ...string) string {
		return runPsql(t, psql, append([]string{"-h", pg.Host(), "-p", fmt.Sprint(pg.Port()), "-U", pgtest.SuperUser, db}, args...))
	}
	for _, cmd := range psqlCommands {
		t.Run(cmd, func(t *testing.T) {
			got, want := normalizePsql(cirrus("-c", cmd), db), normalizePsql(postgres("-c", cmd), db)
			if cmd == `\l` {
				// PostgreSQL also lists its templates: only the test's
				// database is compared.
				got, want = rowsWith(got, db), rowsWith(want, db)
			}
			if got != want {
				t.Errorf("%s on Cirrus:\n%s\nPostgreSQL 15:\n%s", cmd, got, want)
			}
		})
	}
	for i, q := range tabCompletionQueries {
		t.Run(fmt.Sprintf("tab%d", i), func(t *testing.T) {
			// psql sorts completions itself: the order of rows is free.
			got, want := sortedPsqlRows(normalizePsql(cirrus("-c", q), db)), sortedPsqlRows(normalizePsql(postgres("-c", q), db))
			if got != want {
				t.Errorf("%s\non Cirrus:\n%s\nPostgreSQL 15:\n%s", q, got, want)
			}
		})
	}
}

// lookPsql returns psql's path; without psql the test is skipped (and
// fails on CI).
func lookPsql(t *testing.T) string {
	t.Helper()
	psql, err := exec.LookPath("psql")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("psql not found")
		}
		t.Skip("psql not found")
	}
	return psql
}

// runPsql runs psql without a startup file; errors are part of the output.
func runPsql(t *testing.T, psql string, args []string) string {
	t.Helper()
	cmd := exec.Command(psql, append([]string{"-X"}, args...)...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PGPASSWORD=")
	out, _ := cmd.CombinedOutput()
	return string(out)
}

var (
	sizeRE   = regexp.MustCompile(`\b\d+ (bytes|kB|MB|GB)\b`)
	ownerRE  = regexp.MustCompile(`\b(postgres|cirrus|nobody)\b`)
	dashesRE = regexp.MustCompile(`-+`)
)

// normalizePsql makes two psql outputs comparable: sizes, owner names and
// column widths (which follow them) are not compared.
func normalizePsql(out, db string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		l = sizeRE.ReplaceAllString(l, "<size>")
		l = ownerRE.ReplaceAllString(l, "<owner>")
		l = dashesRE.ReplaceAllString(l, "-")
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}

// rowsWith keeps the lines of out that mention s.
func rowsWith(out, s string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// sortedPsqlRows sorts the rows of a table psql printed (between the header's
// separator line and the row count).
func sortedPsqlRows(out string) string {
	lines := strings.Split(out, "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "-") })
	end := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "(") && strings.HasSuffix(l, ")") })
	if start >= 0 && end > start {
		slices.Sort(lines[start+1 : end])
	}
	return strings.Join(lines, "\n")
}
