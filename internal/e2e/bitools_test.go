package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/internal/tpch"
)

// The queries DBeaver and Metabase send at connection, navigation and sync
// (testdata/bitools/*.sql, each file's header says where they come from),
// replayed one statement at a time through psql against Cirrus and
// PostgreSQL 15 holding the same TPC-H schema and a few rows.

// biToolEntry is one statement of a replay file.
type biToolEntry struct {
	action  string // the header line: "<tool>: <action> (<source>)"
	sql     string
	rows    bool   // compare the result rows too
	sorted  bool   // sort the rows before comparing (the query has no ORDER BY)
	pending string // why the entry cannot pass yet ("<helper>: <reason>"); "" when it must
	line    int
}

// parseBIToolFile reads a replay file: entries separated by blank lines,
// each a header comment ("-- tool: action"), optional mark comments
// ("-- rows", "-- rows unordered", "-- pending <helper>: <reason>") and
// the statement. A block of comments alone (the file's preamble) is not
// an entry.
func parseBIToolFile(t *testing.T, path string) []biToolEntry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []biToolEntry
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); {
		for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
			i++
		}
		start := i
		var block []string
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			block = append(block, lines[i])
			i++
		}
		if len(block) == 0 {
			break
		}
		if !slices.ContainsFunc(block, func(l string) bool { return !strings.HasPrefix(l, "--") }) {
			continue // comments only
		}
		e := biToolEntry{line: start + 1}
		j := 0
		for ; j < len(block) && strings.HasPrefix(block[j], "--"); j++ {
			c := strings.TrimSpace(strings.TrimPrefix(block[j], "--"))
			switch {
			case j == 0:
				e.action = c
			case c == "rows":
				e.rows = true
			case c == "rows unordered":
				e.rows, e.sorted = true, true
			case strings.HasPrefix(c, "pending "):
				e.pending = strings.TrimPrefix(c, "pending ")
			default:
				t.Fatalf("%s:%d: unknown mark %q", path, start+j+1, c)
			}
		}
		e.sql = strings.TrimSuffix(strings.TrimSpace(strings.Join(block[j:], "\n")), ";")
		if !strings.Contains(e.action, ": ") {
			t.Fatalf("%s:%d: entry without a \"tool: action\" header", path, start+1)
		}
		out = append(out, e)
	}
	return out
}

// biToolSetup is the schema both servers hold besides TPC-H's tables: a
// view, and a few rows so that reading data and field values return
// something.
var biToolSetup = []string{
	catalogView,
	`insert into region values (0, 'AFRICA', 'lar deposits'), (1, 'AMERICA', 'hs use ironic'), (2, 'ASIA', 'ges. thinly even'), (3, 'EUROPE', 'ly final courts'), (4, 'MIDDLE EAST', 'uickly special')`,
	`insert into nation values (0, 'ALGERIA', 0, 'haggle'), (1, 'ARGENTINA', 1, 'al foxes'), (2, 'BRAZIL', 1, 'y alongside'), (3, 'CANADA', 1, 'eas hang'), (8, 'INDIA', 2, 'ss excuses'), (6, 'FRANCE', 3, 'refully final')`,
	`insert into orders values (1, 370, 'O', 172799.49, date '1996-01-02', '5-LOW', 'Clerk#000000951', 0, 'nstructions sleep'), (2, 781, 'O', 38426.09, date '1996-12-01', '1-URGENT', 'Clerk#000000880', 0, 'foxes'), (3, 1234, 'F', 205654.30, date '1995-03-14', '5-LOW', 'Clerk#000000955', 0, 'sly final'), (4, 1369, 'O', 56000.91, date '1995-10-11', '5-LOW', 'Clerk#000000124', 0, 'sits'), (5, 445, 'F', 105367.67, date '1995-07-30', '5-LOW', 'Clerk#000000925', 0, 'quickly')`,
	`insert into lineitem values (1, 1552, 93, 1, 17, 24710.35, 0.04, 0.02, 'N', 'O', date '1996-03-13', date '1996-02-12', date '1996-03-22', 'DELIVER IN PERSON', 'TRUCK', 'egular courts'), (3, 4297, 1798, 1, 45, 54058.05, 0.06, 0.00, 'R', 'F', date '1994-02-02', date '1994-01-04', date '1994-02-23', 'NONE', 'AIR', 'ongside of')`,
}

// biToolVars are the psql variables the replay files use, each the answer
// of a query on the server replayed against (the objects' OIDs differ).
var biToolVars = [][2]string{
	{"dbname", `select current_database()`},
	{"public_oid", `select oid from pg_namespace where nspname = 'public'`},
	{"lineitem_oid", `select 'lineitem'::regclass::oid`},
	{"revenue_oid", `select 'revenue'::regclass::oid`},
	{"lineitem_pkey_oid", `select indexrelid from pg_index where indrelid = 'lineitem'::regclass`},
	{"lineitem_pkey_conoid", `select oid from pg_constraint where conrelid = 'lineitem'::regclass and contype = 'p'`},
}

// TestBIToolsReplay replays DBeaver's and Metabase's queries through psql
// against Cirrus and PostgreSQL 15 and requires the same outcome for each:
// both succeed with the same columns (and, where marked, the same rows up
// to OIDs and owner names), or both fail with the same SQLSTATE. Entries
// marked pending are run and reported, not required (and must be unmarked
// once they pass).
func TestBIToolsReplay(t *testing.T) {
	psql := lookPsql(t)
	const db = "bitools"
	pg := pgtest.Shared(t)
	pg.DropDB(t, db)
	pg.CreateDB(t, db)
	pgConn := pg.Connect(t, db)
	c := startCluster(t, "")
	// Cirrus has one database, named as the client names it: connect to
	// it by the name the psql replays use.
	conn, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://cirrus@%s/%s?sslmode=disable", c.PGAddrs[0], db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	for _, name := range tpch.Tables {
		exec1(t, pgConn, tpch.DDL[name])
		exec1(t, conn, tpch.DDL[name])
	}
	for _, s := range biToolSetup {
		exec1(t, pgConn, s)
		exec1(t, conn, s)
	}
	waitLiveTuples(t, pgConn, conn)

	host, port, _ := strings.Cut(c.PGAddrs[0], ":")
	cirrus := psqlReplayer(t, psql, []string{"-h", host, "-p", port, "-U", "cirrus", db}, conn)
	postgres := psqlReplayer(t, psql, []string{"-h", pg.Host(), "-p", fmt.Sprint(pg.Port()), "-U", pgtest.SuperUser, db}, pgConn)

	files, _ := filepath.Glob("testdata/bitools/*.sql")
	if len(files) == 0 {
		t.Fatal("no replay files under testdata/bitools")
	}
	for _, f := range files {
		tool := strings.TrimSuffix(filepath.Base(f), ".sql")
		entries := parseBIToolFile(t, f)
		t.Run(tool, func(t *testing.T) {
			same := 0
			var pending []string
			for _, e := range entries {
				got, want := cirrus(e.sql), postgres(e.sql)
				diff := got.diff(want, e)
				switch {
				case e.pending != "" && diff == "":
					t.Errorf("%s:%d %s: marked pending (%s) but has PostgreSQL's outcome now: remove the mark", f, e.line, e.action, e.pending)
				case e.pending != "":
					pending = append(pending, fmt.Sprintf("%s:%d %s: pending (%s): %s", f, e.line, e.action, e.pending, diff))
				case diff != "":
					t.Errorf("%s:%d %s\n%s\n%s", f, e.line, e.action, e.sql, diff)
				default:
					same++
				}
			}
			t.Logf("%s: %d statements, %d with PostgreSQL's outcome, %d pending", tool, len(entries), same, len(pending))
			for _, p := range pending {
				t.Log(p)
			}
		})
	}
}

// waitLiveTuples waits until PostgreSQL's pg_stat_user_tables counts the
// rows the setup inserted, as Cirrus's does at once. A PostgreSQL backend
// publishes its table statistics at most once a second (or after idling),
// so Metabase's estimated_row_count would otherwise compare a count with
// 0 depending on timing: force the loading backend's next flush and poll.
func waitLiveTuples(t *testing.T, pgConn, conn *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	const q = `select coalesce(sum(n_live_tup), 0)::int8 from pg_stat_user_tables`
	var want, got int64
	if err := conn.QueryRow(ctx, q).Scan(&want); err != nil {
		t.Fatal(err)
	}
	exec1(t, pgConn, `select pg_stat_force_next_flush()`)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := pgConn.QueryRow(ctx, q).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL's pg_stat_user_tables counts %d live rows after 20 s, Cirrus's %d", got, want)
		}
	}
}

// psqlOutcome is what psql printed for one statement.
type psqlOutcome struct {
	code   string   // the SQLSTATE of an error; "" for success
	header string   // the column names, unaligned
	rows   []string // the rows, unaligned
	out    string   // everything, for messages
}

var (
	sqlstateRE = regexp.MustCompile(`ERROR:\s+([0-9A-Z]{5})`)
	rowCountRE = regexp.MustCompile(`^\((\d+) rows?\)$`)
	userOIDRE  = regexp.MustCompile(`\b(1[6-9]\d{3}|[2-9]\d{4}|\d{6,})\b`)
)

// psqlReplayer returns a function that runs one statement through psql
// (unaligned output, errors as their SQLSTATE), with the replay files'
// variables set to their values on the server conn reaches.
func psqlReplayer(t *testing.T, psql string, connArgs []string, conn *pgx.Conn) func(sql string) psqlOutcome {
	args := []string{"-X", "-q", "-A", "-v", "VERBOSITY=sqlstate"}
	for _, v := range biToolVars {
		var val string
		if err := conn.QueryRow(context.Background(), "select ("+v[1]+")::text").Scan(&val); err != nil {
			t.Fatalf("%s: %v", v[1], err)
		}
		args = append(args, "-v", v[0]+"="+val)
	}
	args = append(append(args, connArgs...), "-f", "-")
	return func(sql string) psqlOutcome {
		cmd := exec.Command(psql, args...)
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PGPASSWORD=", "PGOPTIONS=")
		cmd.Stdin = strings.NewReader(sql + ";\n")
		b, _ := cmd.CombinedOutput()
		o := psqlOutcome{out: string(b)}
		if m := sqlstateRE.FindStringSubmatch(o.out); m != nil {
			o.code = m[1]
			return o
		}
		lines := strings.Split(strings.TrimRight(o.out, "\n"), "\n")
		if len(lines) > 0 && lines[0] != "" {
			o.header = lines[0]
			for _, l := range lines[1:] {
				if rowCountRE.MatchString(l) {
					break
				}
				o.rows = append(o.rows, l)
			}
		}
		return o
	}
}

// diff describes how o (Cirrus's) differs from want (PostgreSQL's) for e;
// "" when they agree.
func (o psqlOutcome) diff(want psqlOutcome, e biToolEntry) string {
	switch {
	case o.code != want.code:
		return fmt.Sprintf("Cirrus: %s\nPostgreSQL 15: %s", outcomeText(o), outcomeText(want))
	case o.code != "":
		return ""
	case o.header != want.header:
		return fmt.Sprintf("columns differ:\nCirrus:        %s\nPostgreSQL 15: %s", o.header, want.header)
	case !e.rows:
		return ""
	}
	got, exp := normalizeBIRows(o.rows, e.sorted), normalizeBIRows(want.rows, e.sorted)
	if !slices.Equal(got, exp) {
		return fmt.Sprintf("rows differ:\nCirrus:\n%s\nPostgreSQL 15:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
	return ""
}

func outcomeText(o psqlOutcome) string {
	if o.code != "" {
		return "error " + strings.TrimSpace(o.out)
	}
	return fmt.Sprintf("ok, %d rows", len(o.rows))
}

// normalizeBIRows makes rows comparable across the two servers: the OIDs
// of user objects (16384 and up) and owner names differ.
func normalizeBIRows(rows []string, sorted bool) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		r = userOIDRE.ReplaceAllString(r, "<oid>")
		out[i] = ownerRE.ReplaceAllString(r, "<owner>")
	}
	if sorted {
		slices.Sort(out)
	}
	return out
}
