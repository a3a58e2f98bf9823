package sqllogic

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Rewrite is the -rewrite test flag: rewrite the expected results of the
// files run from the oracle database's output instead of checking them.
//
//	go test ./internal/sqllogic/ -run TestCorpusOnPostgres -rewrite
var Rewrite = flag.Bool("rewrite", false, "sqllogic: rewrite expected query results in test files from the oracle database's output")

// DB is a database to run test files on. Either Conn or DSN must be set;
// with DSN the runner opens (and closes) its own connection. One connection
// is used for a whole file, so session state such as transactions carries
// from record to record.
type DB struct {
	Name string // used in messages and by skipif/onlyif
	Conn *pgx.Conn
	DSN  string
	// Loaded names the data sets the database already holds; the runner
	// loads any other data set a file asks for ("load" lines) before the
	// file's first record.
	Loaded []string
}

// Protocol is the wire-protocol flow statements are sent with.
type Protocol int

const (
	// SimpleProtocol sends each record with a Query message (several
	// statements per record allowed).
	SimpleProtocol Protocol = iota
	// ExtendedProtocol sends each record with Parse/Bind/Describe/Execute/
	// Sync, unnamed statement, no parameters, text results.
	ExtendedProtocol
)

// Options tune a run. The zero value is the strictest, default setting.
type Options struct {
	Protocol Protocol
	// IgnoreColumnTypes stops comparing result column type OIDs across
	// databases.
	IgnoreColumnTypes bool
	// IgnoreCommandTags stops comparing command tags (e.g. "INSERT 0 3")
	// across databases.
	IgnoreCommandTags bool
	// StatementTimeout bounds each record on each database (default 30s).
	StatementTimeout time.Duration
	// MaxFailures stops a file after that many failed records (default 20;
	// negative: no limit).
	MaxFailures int
	// Rewrite rewrites expected results from the oracle (also set by the
	// -rewrite flag).
	Rewrite bool
}

// Failure is one failed record.
type Failure struct {
	Path    string
	Line    int
	SQL     string
	Message string
}

func (f Failure) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: %s\n", f.Path, f.Line, strings.TrimRight(f.Message, "\n"))
	if f.SQL != "" {
		b.WriteString("    SQL:\n")
		for _, l := range strings.Split(f.SQL, "\n") {
			b.WriteString("      ")
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Report is the outcome of Check.
type Report struct {
	Failures []Failure
	Ran      int // records run on at least one database
	Skipped  int // records that ran on no database
	// Rewritten holds the file's new contents when Options.Rewrite was set
	// and expected results changed; nil otherwise.
	Rewritten []byte
}

// Run runs the test file at path on dbs with default options. dbs[0] is the
// system under test, dbs[1:] the oracles: every record must behave the same
// on all of them (same SQLSTATE on error; same command tag, column count,
// column types and rows on success), and as the file expects. Each failed
// record is reported with t.Error.
func Run(t *testing.T, path string, dbs ...DB) {
	t.Helper()
	RunWith(t, path, Options{}, dbs...)
}

// RunWith is Run with options.
func RunWith(t *testing.T, path string, opts Options, dbs ...DB) {
	t.Helper()
	f, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(context.Background(), f, opts, dbs...)
	if rep != nil {
		for _, fl := range rep.Failures {
			t.Error(fl.String())
		}
		if rep.Rewritten != nil {
			if werr := os.WriteFile(path, rep.Rewritten, 0o644); werr != nil {
				t.Fatalf("rewriting %s: %v", path, werr)
			}
			t.Logf("rewrote %s", path)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

// RunDir runs every *.test file in dir (sorted by name) as a subtest named
// after the file, each on the fresh databases that open returns (open is
// called inside the subtest and should register its own cleanup).
func RunDir(t *testing.T, dir string, open func(t *testing.T) []DB) {
	t.Helper()
	RunDirWith(t, dir, Options{}, open)
}

// RunDirWith is RunDir with options.
func RunDirWith(t *testing.T, dir string, opts Options, open func(t *testing.T) []DB) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.test"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("sqllogic: no .test files in %s", dir)
	}
	slices.Sort(paths)
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".test")
		t.Run(name, func(t *testing.T) {
			RunWith(t, p, opts, open(t)...)
		})
	}
}

type session struct {
	name  string
	pg    *pgconn.PgConn
	owned bool
}

// outcome is what one record did on one database.
type outcome struct {
	pgErr *pgconn.PgError
	err   error // anything other than an SQL error: the file stops
	tag   string
	count int64
	cols  []string
	oids  []uint32
	rows  [][]string // raw text values, nullValue for NULL
}

func (o *outcome) code() string {
	if o.pgErr == nil {
		return ""
	}
	return o.pgErr.Code
}

func (o *outcome) describe() string {
	if o.pgErr != nil {
		return fmt.Sprintf("error %s: %s", o.pgErr.Code, o.pgErr.Message)
	}
	return "success (" + o.tag + ")"
}

// Check runs a parsed file on dbs and reports what failed. The error is
// non-nil when the run could not go on (a connection failed or a statement
// timed out); the report then holds the failures found so far. Check does
// not write files: with Options.Rewrite the new contents are in
// Report.Rewritten.
func Check(ctx context.Context, f *File, opts Options, dbs ...DB) (*Report, error) {
	if len(dbs) == 0 {
		return nil, errors.New("sqllogic: no databases")
	}
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = 30 * time.Second
	}
	if opts.MaxFailures == 0 {
		opts.MaxFailures = 20
	}
	if *Rewrite {
		opts.Rewrite = true
	}
	sessions := make([]*session, len(dbs))
	defer func() {
		for _, s := range sessions {
			if s != nil && s.owned {
				cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = s.pg.Close(cctx)
				cancel()
			}
		}
	}()
	for i, db := range dbs {
		s := &session{name: db.Name}
		if s.name == "" {
			s.name = fmt.Sprintf("db%d", i)
		}
		switch {
		case db.Conn != nil:
			s.pg = db.Conn.PgConn()
		case db.DSN != "":
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			pg, err := pgconn.Connect(cctx, db.DSN)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("sqllogic: connecting to %s: %w", s.name, err)
			}
			s.pg, s.owned = pg, true
		default:
			return nil, fmt.Errorf("sqllogic: database %s has neither Conn nor DSN", s.name)
		}
		sessions[i] = s
	}
	if err := loadDatasets(ctx, f, dbs, sessions); err != nil {
		return nil, err
	}
	r := &runner{f: f, opts: opts, sessions: sessions, labels: map[string]map[string][]string{}}
	err := r.run(ctx)
	rep := &Report{Failures: r.failures, Ran: r.ran, Skipped: r.skipped}
	if opts.Rewrite && len(r.edits) > 0 {
		rep.Rewritten = r.rewrite()
	}
	return rep, err
}

type edit struct {
	rec    *Record
	header string   // new header line; "" keeps it
	result []string // new lines after the SQL (including "----"); nil keeps them
}

type runner struct {
	f        *File
	opts     Options
	sessions []*session
	failures []Failure
	ran      int
	skipped  int
	edits    []edit
	labels   map[string]map[string][]string // db -> label -> result lines
}

func (r *runner) run(ctx context.Context) error {
	for _, rec := range r.f.Records {
		if r.opts.MaxFailures > 0 && len(r.failures) >= r.opts.MaxFailures {
			return fmt.Errorf("sqllogic: %s: stopped after %d failures", r.f.Path, len(r.failures))
		}
		var ran []*session
		var outs []*outcome
		for _, s := range r.sessions {
			if !rec.runsOn(s.name) {
				continue
			}
			o := r.exec(ctx, s, rec.SQL)
			if o.err != nil {
				r.fail(rec, fmt.Sprintf("%s: %v", s.name, o.err))
				return fmt.Errorf("sqllogic: %s:%d: %s: %w", r.f.Path, rec.Line, s.name, o.err)
			}
			ran = append(ran, s)
			outs = append(outs, o)
		}
		if len(ran) == 0 {
			r.skipped++
			continue
		}
		r.ran++
		var msgs []string
		if rec.Kind == Query && !rec.ExpectError {
			msgs = r.checkQuery(rec, ran, outs)
		} else {
			msgs = r.checkStatement(rec, ran, outs)
		}
		if len(msgs) > 0 {
			r.fail(rec, strings.Join(msgs, "\n"))
		}
	}
	return nil
}

func (r *runner) fail(rec *Record, msg string) {
	r.failures = append(r.failures, Failure{Path: r.f.Path, Line: rec.Line, SQL: rec.SQL, Message: msg})
}

func (r *runner) exec(ctx context.Context, s *session, sql string) *outcome {
	ctx, cancel := context.WithTimeout(ctx, r.opts.StatementTimeout)
	defer cancel()
	o := &outcome{}
	var err error
	switch r.opts.Protocol {
	case ExtendedProtocol:
		rr := s.pg.ExecParams(ctx, sql, nil, nil, nil, nil)
		err = readResult(rr, o)
	default:
		mrr := s.pg.Exec(ctx, sql)
		for mrr.NextResult() {
			cur := &outcome{}
			if rerr := readResult(mrr.ResultReader(), cur); rerr != nil {
				err = rerr
				break
			}
			o = cur
		}
		if cerr := mrr.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && !s.pg.IsClosed() {
			return &outcome{pgErr: pgErr}
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("timed out after %v: %w", r.opts.StatementTimeout, err)
		}
		return &outcome{err: err}
	}
	return o
}

func readResult(rr *pgconn.ResultReader, o *outcome) error {
	for _, fd := range rr.FieldDescriptions() {
		o.cols = append(o.cols, fd.Name)
		o.oids = append(o.oids, fd.DataTypeOID)
	}
	for rr.NextRow() {
		vals := rr.Values()
		row := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				row[i] = nullValue
			} else {
				row[i] = string(v)
			}
		}
		o.rows = append(o.rows, row)
	}
	tag, err := rr.Close()
	if err != nil {
		return err
	}
	o.tag = tag.String()
	o.count = tag.RowsAffected()
	return nil
}

// checkError checks an outcome against an error expectation.
func checkError(rec *Record, s *session, o *outcome) []string {
	if o.pgErr == nil {
		want := "an error"
		if rec.ErrorCode != "" {
			want = "error " + rec.ErrorCode
		}
		return []string{fmt.Sprintf("%s: expected %s, got %s", s.name, want, o.describe())}
	}
	var msgs []string
	if rec.ErrorCode != "" && o.pgErr.Code != rec.ErrorCode {
		msgs = append(msgs, fmt.Sprintf("%s: expected error %s, got %s", s.name, rec.ErrorCode, o.describe()))
	}
	if rec.ErrorPattern != nil && !rec.ErrorPattern.MatchString(o.pgErr.Message) {
		msgs = append(msgs, fmt.Sprintf("%s: error message %q does not match %q", s.name, o.pgErr.Message, rec.ErrorPattern))
	}
	return msgs
}

// checkStatement checks statement records and error queries.
func (r *runner) checkStatement(rec *Record, ran []*session, outs []*outcome) []string {
	var msgs []string
	for i, s := range ran {
		o := outs[i]
		switch {
		case rec.ExpectError:
			msgs = append(msgs, checkError(rec, s, o)...)
		case o.pgErr != nil:
			msgs = append(msgs, fmt.Sprintf("%s: expected success, got %s", s.name, o.describe()))
		case rec.HasCount && o.count != rec.Count && !r.opts.Rewrite:
			msgs = append(msgs, fmt.Sprintf("%s: expected %d rows affected, got %d (%s)", s.name, rec.Count, o.count, o.tag))
		}
	}
	sut, so := ran[0], outs[0]
	for i := 1; i < len(ran); i++ {
		oo := outs[i]
		switch {
		case so.code() != oo.code():
			msgs = append(msgs, fmt.Sprintf("differs from %s: %s: %s; %s: %s", ran[i].name, sut.name, so.describe(), ran[i].name, oo.describe()))
		case so.pgErr == nil && !r.opts.IgnoreCommandTags && so.tag != oo.tag:
			msgs = append(msgs, fmt.Sprintf("command tag differs: %s: %q; %s: %q", sut.name, so.tag, ran[i].name, oo.tag))
		}
	}
	if r.opts.Rewrite && rec.HasCount {
		if o := r.oracleOutcome(ran, outs); o != nil && o.pgErr == nil && o.count != rec.Count {
			r.edits = append(r.edits, edit{rec: rec, header: fmt.Sprintf("statement count %d", o.count)})
		}
	}
	return msgs
}

// oracleOutcome returns the outcome of the oracle (the second database, or
// the only one), or nil if it did not run the record.
func (r *runner) oracleOutcome(ran []*session, outs []*outcome) *outcome {
	oracle := r.sessions[0]
	if len(r.sessions) > 1 {
		oracle = r.sessions[1]
	}
	for i, s := range ran {
		if s == oracle {
			return outs[i]
		}
	}
	return nil
}

func (r *runner) checkQuery(rec *Record, ran []*session, outs []*outcome) []string {
	var msgs []string
	ncol := len(rec.Types)

	// Expectations, per database.
	var wantNames []string
	var wantRows [][]string
	if rec.HasResults {
		lines := rec.Expected
		if rec.ColNames && len(lines) > 0 {
			wantNames = splitRow(lines[0], ncol)
			lines = lines[1:]
		}
		for _, l := range lines {
			wantRows = append(wantRows, splitRow(l, ncol))
		}
		wantRows = sortRows(wantRows, rec.Sort)
	}
	for i, s := range ran {
		o := outs[i]
		if o.pgErr != nil {
			msgs = append(msgs, fmt.Sprintf("%s: expected success, got %s", s.name, o.describe()))
			continue
		}
		if r.opts.Rewrite {
			continue
		}
		if len(o.cols) != ncol {
			msgs = append(msgs, fmt.Sprintf("%s: query returned %d columns, type string %q has %d", s.name, len(o.cols), rec.Types, ncol))
			continue
		}
		if !rec.HasResults {
			continue
		}
		if rec.ColNames {
			gotNames := make([]string, len(o.cols))
			for j, c := range o.cols {
				gotNames[j] = formatRaw(c)
			}
			if !slices.Equal(gotNames, wantNames) {
				msgs = append(msgs, fmt.Sprintf("%s: column names: got %s, expected %s", s.name, formatRow(gotNames), formatRow(wantNames)))
			}
		}
		got := sortRows(formatRows(o.rows), rec.Sort)
		if !rowsEqual(got, wantRows) {
			msgs = append(msgs, fmt.Sprintf("%s: results differ from expected (%s; - expected, + %s):\n%s",
				s.name, rec.Sort, s.name, LineDiff(rowLines(wantRows), rowLines(got), 100)))
		}
	}

	// Differential: every database against the first.
	sut, so := ran[0], outs[0]
	for i := 1; i < len(ran); i++ {
		od, oo := ran[i], outs[i]
		if so.code() != oo.code() {
			msgs = append(msgs, fmt.Sprintf("differs from %s: %s: %s; %s: %s", od.name, sut.name, so.describe(), od.name, oo.describe()))
			continue
		}
		if so.pgErr != nil {
			continue
		}
		if len(so.cols) != len(oo.cols) {
			msgs = append(msgs, fmt.Sprintf("column count differs: %s: %d %v; %s: %d %v", sut.name, len(so.cols), so.cols, od.name, len(oo.cols), oo.cols))
			continue
		}
		if rec.ColNames && !slices.Equal(so.cols, oo.cols) {
			msgs = append(msgs, fmt.Sprintf("column names differ: %s: %q; %s: %q", sut.name, so.cols, od.name, oo.cols))
		}
		if !r.opts.IgnoreColumnTypes && !slices.Equal(so.oids, oo.oids) {
			msgs = append(msgs, fmt.Sprintf("column type OIDs differ: %s: %v; %s: %v (columns %q)", sut.name, so.oids, od.name, oo.oids, oo.cols))
		}
		sr, or := sortRows(so.rows, rec.Sort), sortRows(oo.rows, rec.Sort)
		if !rowsEqual(sr, or) {
			msgs = append(msgs, fmt.Sprintf("results differ (%s; - %s, + %s):\n%s",
				rec.Sort, od.name, sut.name, LineDiff(rowLines(formatRows(or)), rowLines(formatRows(sr)), 100)))
		} else if !r.opts.IgnoreCommandTags && so.tag != oo.tag {
			msgs = append(msgs, fmt.Sprintf("command tag differs: %s: %q; %s: %q", sut.name, so.tag, od.name, oo.tag))
		}
	}

	// Labels: per database, queries with one label must agree.
	if rec.Label != "" {
		for i, s := range ran {
			o := outs[i]
			if o.pgErr != nil {
				continue
			}
			lines := rowLines(sortRows(formatRows(o.rows), rec.Sort))
			m := r.labels[s.name]
			if m == nil {
				m = map[string][]string{}
				r.labels[s.name] = m
			}
			if prev, ok := m[rec.Label]; ok {
				if !slices.Equal(prev, lines) {
					msgs = append(msgs, fmt.Sprintf("%s: results differ from earlier query labelled %q (- earlier, + this):\n%s",
						s.name, rec.Label, LineDiff(prev, lines, 100)))
				}
			} else {
				m[rec.Label] = lines
			}
		}
	}

	if r.opts.Rewrite {
		if o := r.oracleOutcome(ran, outs); o != nil && o.pgErr == nil {
			r.rewriteQuery(rec, o)
		}
	}
	return msgs
}

func (r *runner) rewriteQuery(rec *Record, o *outcome) {
	var e edit
	e.rec = rec
	if len(o.cols) != len(rec.Types) {
		types := make([]byte, len(o.oids))
		for i, oid := range o.oids {
			types[i] = typeChar(oid)
		}
		header := strings.Fields(r.f.lines[rec.headerIdx])
		header[1] = string(types)
		if len(types) > 0 {
			e.header = strings.Join(header, " ")
		}
	}
	res := []string{"----"}
	if rec.ColNames {
		names := make([]string, len(o.cols))
		for i, c := range o.cols {
			names[i] = formatRaw(c)
		}
		res = append(res, formatRow(names))
	}
	rows := formatRows(o.rows)
	if rec.Sort != NoSort {
		rows = sortRows(rows, RowSort)
	}
	res = append(res, rowLines(rows)...)
	old := r.f.lines[rec.sqlEnd:rec.resEnd]
	if e.header == "" && slices.Equal(old, res) {
		return
	}
	e.result = res
	r.edits = append(r.edits, e)
}

func (r *runner) rewrite() []byte {
	lines := r.f.lines
	var out []string
	next := 0
	for _, e := range r.edits {
		rec := e.rec
		out = append(out, lines[next:rec.headerIdx]...)
		if e.header != "" {
			out = append(out, e.header)
		} else {
			out = append(out, lines[rec.headerIdx])
		}
		out = append(out, lines[rec.headerIdx+1:rec.sqlEnd]...)
		if e.result != nil {
			out = append(out, e.result...)
		} else {
			out = append(out, lines[rec.sqlEnd:rec.resEnd]...)
		}
		next = rec.resEnd
	}
	out = append(out, lines[next:]...)
	return []byte(strings.Join(out, "\n") + "\n")
}
