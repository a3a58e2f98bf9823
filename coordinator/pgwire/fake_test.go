package pgwire_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// fakeBackend is a tiny engine that understands a few fixed statements.
type fakeBackend struct {
	mu        sync.Mutex
	copied    map[string][]byte // table → everything received by COPY
	copyRows  map[string]int
	canceled  chan string // statements whose context was cancelled
	connected []pgwire.StartupParams
	closed    int
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{copied: map[string][]byte{}, copyRows: map[string]int{}, canceled: make(chan string, 16)}
}

func (b *fakeBackend) Connect(ctx context.Context, p pgwire.StartupParams) (pgwire.Session, error) {
	if p.Database == "nosuchdb" {
		return nil, sqlerr.Errorf("3D000", "database \"%s\" does not exist", p.Database)
	}
	b.mu.Lock()
	b.connected = append(b.connected, p)
	b.mu.Unlock()
	return &fakeSession{b: b, tx: 'I'}, nil
}

type fakeSession struct {
	b       *fakeBackend
	tx      byte
	changed [][2]string
	errs    int
}

func (s *fakeSession) Split(sql string) ([]string, error) {
	if strings.Contains(sql, "syntax error") {
		return nil, &sqlerr.Error{Code: sqlerr.SyntaxError, Message: `syntax error at or near "error"`, Position: int32(strings.Index(sql, "error") + 1)}
	}
	var out []string
	for _, part := range strings.Split(sql, ";") {
		// drop -- comments
		var lines []string
		for _, l := range strings.Split(part, "\n") {
			if i := strings.Index(l, "--"); i >= 0 {
				l = l[:i]
			}
			lines = append(lines, l)
		}
		if strings.TrimSpace(strings.Join(lines, "\n")) != "" {
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out, nil
}

func (s *fakeSession) TxStatus() byte { return s.tx }

func (s *fakeSession) Close() {
	s.b.mu.Lock()
	s.b.closed++
	s.b.mu.Unlock()
}

func (s *fakeSession) ChangedParameters() [][2]string {
	c := s.changed
	s.changed = nil
	return c
}

func (s *fakeSession) ProtocolError(*sqlerr.Error) {
	s.errs++
	if s.tx == 'T' {
		s.tx = 'E'
	}
}

// fakeStmt runs a Go function.
type fakeStmt struct {
	params []catalog.Type
	cols   []pgwire.Column
	run    func(ctx context.Context, params []plan.Datum, w pgwire.ResultWriter) (string, error)
}

func (st *fakeStmt) ParamTypes() []catalog.Type { return st.params }
func (st *fakeStmt) Columns() []pgwire.Column   { return st.cols }
func (st *fakeStmt) Execute(ctx context.Context, params []plan.Datum, w pgwire.ResultWriter) (string, error) {
	return st.run(ctx, params, w)
}

var (
	typeNames = map[string]catalog.Type{
		"int2": catalog.TypeInt2, "int4": catalog.TypeInt4, "int": catalog.TypeInt4, "int8": catalog.TypeInt8,
		"float4": catalog.TypeFloat4, "float8": catalog.TypeFloat8, "text": catalog.TypeText, "date": catalog.TypeDate,
		"timestamp": catalog.TypeTimestamp, "bool": catalog.TypeBool, "numeric": {Kind: catalog.Numeric, Scale: 4},
	}
	castRE    = regexp.MustCompile(`\$(\d+)::(\w+)(?:\((\d+)(?:,\s*(\d+))?\))?`)
	literalRE = regexp.MustCompile(`(?:'((?:[^']|'')*)'|(null))\s*::(\w+)(?:\((\d+)(?:,\s*(\d+))?\))?`)
	seriesRE  = regexp.MustCompile(`^select \* from generate_series\(1, ?(\d+)\)$`)
)

func typeFor(name, a, b string) catalog.Type {
	n1, _ := strconv.Atoi(a)
	n2, _ := strconv.Atoi(b)
	switch name {
	case "numeric":
		if a != "" {
			return catalog.NumericType(int32(n1), int32(n2))
		}
	case "varchar":
		return catalog.Type{Kind: catalog.Varchar, Length: int32(n1)}
	case "char":
		if a == "" {
			n1 = 1
		}
		return catalog.Type{Kind: catalog.Bpchar, Length: int32(n1)}
	}
	return typeNames[name]
}

// oidTypes maps client-declared OIDs.
var oidTypes = map[uint32]catalog.Type{
	16: catalog.TypeBool, 20: catalog.TypeInt8, 21: catalog.TypeInt2, 23: catalog.TypeInt4, 25: catalog.TypeText,
	700: catalog.TypeFloat4, 701: catalog.TypeFloat8, 1043: {Kind: catalog.Varchar}, 1082: catalog.TypeDate, 1114: catalog.TypeTimestamp,
}

// oneRow returns a batch with one row of the given datums.
func oneRow(types []catalog.Type, ds []plan.Datum) *vec.Batch {
	b := vec.NewBatch(types, 1)
	for i, t := range types {
		appendDatum(b.Cols[i], t, ds[i])
	}
	b.N = 1
	return b
}

func appendDatum(v *vec.Vector, t catalog.Type, d plan.Datum) {
	switch {
	case d.Null:
		v.AppendNull()
	case t.Kind == catalog.Bool:
		v.AppendBool(d.B)
	case t.Kind == catalog.Float4 || t.Kind == catalog.Float8:
		v.AppendFloat64(d.F)
	case t.IsString():
		v.AppendBytes([]byte(d.S))
	default:
		v.AppendInt64(d.I)
	}
}

func colsOf(types []catalog.Type) []pgwire.Column {
	cols := make([]pgwire.Column, len(types))
	for i, t := range types {
		cols[i] = pgwire.Column{Name: t.String(), Type: t}
	}
	return cols
}

// typesRow is the row "select types" returns, as PostgreSQL prints it.
var typesRow = []struct {
	t    catalog.Type
	text string
}{
	{catalog.TypeInt2, "-12"}, {catalog.TypeInt4, "123456"}, {catalog.TypeInt8, "-9000000000"},
	{catalog.TypeFloat4, "1.5"}, {catalog.TypeFloat8, "0.1"}, {catalog.NumericType(15, 2), "12345.67"},
	{catalog.TypeText, "héllo"}, {catalog.Type{Kind: catalog.Varchar, Length: 10}, "abc"},
	{catalog.Type{Kind: catalog.Bpchar, Length: 3}, "ab "}, {catalog.TypeDate, "2024-01-31"},
	{catalog.TypeTimestamp, "2024-01-31 13:45:00.5"}, {catalog.TypeBool, "t"},
}

func (s *fakeSession) Prepare(ctx context.Context, sql string, oids []uint32) (pgwire.Statement, error) {
	sql = strings.TrimSpace(sql)
	lower := strings.ToLower(sql)
	tagOnly := func(tag string, f func()) *fakeStmt {
		return &fakeStmt{run: func(context.Context, []plan.Datum, pgwire.ResultWriter) (string, error) {
			if f != nil {
				f()
			}
			return tag, nil
		}}
	}
	switch {
	case lower == "select 1" || lower == "select 2":
		v := int64(lower[7] - '0')
		return &fakeStmt{cols: []pgwire.Column{{Name: "?column?", Type: catalog.TypeInt4}}, run: func(_ context.Context, _ []plan.Datum, w pgwire.ResultWriter) (string, error) {
			return "SELECT 1", w.WriteBatch(oneRow([]catalog.Type{catalog.TypeInt4}, []plan.Datum{{I: v}}))
		}}, nil
	case lower == "select * from nosuch":
		return nil, &sqlerr.Error{Code: sqlerr.UndefinedTable, Message: `relation "nosuch" does not exist`, Position: 15}
	case lower == "select types":
		types := make([]catalog.Type, len(typesRow))
		ds := make([]plan.Datum, len(typesRow))
		nulls := make([]plan.Datum, len(typesRow))
		for i, tr := range typesRow {
			types[i] = tr.t
			d, err := pgtype.ParseText(tr.t, []byte(tr.text))
			if err != nil {
				return nil, err
			}
			ds[i] = d
			nulls[i] = plan.Datum{Null: true}
		}
		cols := colsOf(types)
		cols[0].TableOID, cols[0].Attnum = 16385, 1
		return &fakeStmt{cols: cols, run: func(_ context.Context, _ []plan.Datum, w pgwire.ResultWriter) (string, error) {
			b := oneRow(types, ds)
			for i, t := range types {
				appendDatum(b.Cols[i], t, nulls[i])
			}
			b.N = 2
			return "SELECT 2", w.WriteBatch(b)
		}}, nil
	case seriesRE.MatchString(lower):
		n, _ := strconv.Atoi(seriesRE.FindStringSubmatch(lower)[1])
		types := []catalog.Type{catalog.TypeInt8}
		return &fakeStmt{cols: []pgwire.Column{{Name: "generate_series", Type: catalog.TypeInt8}}, run: func(ctx context.Context, _ []plan.Datum, w pgwire.ResultWriter) (string, error) {
			b := vec.NewBatch(types, vec.BatchSize)
			for i := 1; i <= n; {
				b.Reset()
				for ; i <= n && b.N < vec.BatchSize; i++ {
					b.Cols[0].AppendInt64(int64(i))
					b.N++
				}
				if err := w.WriteBatch(b); err != nil {
					return "", err
				}
			}
			return "SELECT " + strconv.Itoa(n), nil
		}}, nil
	case strings.HasPrefix(lower, "select") && strings.Contains(sql, "$"):
		// echo: select $1::type, ... returns its parameters
		var types []catalog.Type
		for _, m := range castRE.FindAllStringSubmatch(sql, -1) {
			n, _ := strconv.Atoi(m[1])
			if n < 1 || n > 100 {
				return nil, sqlerr.Errorf(sqlerr.UndefinedParameter, "there is no parameter $%s", m[1])
			}
			for len(types) < n {
				types = append(types, catalog.TypeUnknown)
			}
			types[n-1] = typeFor(m[2], m[3], m[4])
		}
		for i := range types {
			if i < len(oids) && oids[i] != 0 {
				if t, ok := oidTypes[oids[i]]; ok {
					types[i] = t
				}
			}
			if types[i].Kind == catalog.Unknown {
				types[i] = catalog.TypeText
			}
		}
		return &fakeStmt{params: types, cols: colsOf(types), run: func(_ context.Context, ps []plan.Datum, w pgwire.ResultWriter) (string, error) {
			return "SELECT 1", w.WriteBatch(oneRow(types, ps))
		}}, nil
	case strings.HasPrefix(lower, "select ") && literalRE.MatchString(sql):
		// pgx's simple protocol interpolates parameters: select '1' ::int8, ...
		var types []catalog.Type
		var ds []plan.Datum
		for _, m := range literalRE.FindAllStringSubmatch(sql, -1) {
			t := typeFor(m[3], m[4], m[5])
			d, err := pgtype.ParseText(t, []byte(strings.ReplaceAll(m[1], "''", "'")))
			if m[2] != "" {
				d, err = plan.Datum{Null: true}, nil
			}
			if err != nil {
				return nil, err
			}
			types = append(types, t)
			ds = append(ds, d)
		}
		return &fakeStmt{cols: colsOf(types), run: func(_ context.Context, _ []plan.Datum, w pgwire.ResultWriter) (string, error) {
			return "SELECT 1", w.WriteBatch(oneRow(types, ds))
		}}, nil
	case strings.HasPrefix(lower, "select ") && strings.Contains(lower, " from "):
		// pgx CopyFrom describes `select "a", "b" from "t"`: a, b int8 text
		return &fakeStmt{cols: []pgwire.Column{{Name: "a", Type: catalog.TypeInt8}, {Name: "b", Type: catalog.TypeText}}, run: func(context.Context, []plan.Datum, pgwire.ResultWriter) (string, error) {
			return "SELECT 0", nil
		}}, nil
	case lower == "sleep":
		return &fakeStmt{run: func(ctx context.Context, _ []plan.Datum, _ pgwire.ResultWriter) (string, error) {
			select {
			case <-ctx.Done():
				s.b.canceled <- sql
				return "", ctx.Err()
			case <-time.After(10 * time.Second):
				return "SLEEP", nil
			}
		}}, nil
	case lower == "select 1/0":
		return &fakeStmt{cols: []pgwire.Column{{Name: "?column?", Type: catalog.TypeInt4}}, run: func(context.Context, []plan.Datum, pgwire.ResultWriter) (string, error) {
			return "", sqlerr.New(sqlerr.DivisionByZero, "division by zero")
		}}, nil
	case lower == "panic":
		return &fakeStmt{run: func(context.Context, []plan.Datum, pgwire.ResultWriter) (string, error) {
			panic("boom")
		}}, nil
	case lower == "begin":
		return tagOnly("BEGIN", func() { s.tx = 'T' }), nil
	case lower == "commit" || lower == "rollback":
		return tagOnly(strings.ToUpper(lower), func() { s.tx = 'I' }), nil
	case lower == "fail tx":
		return &fakeStmt{run: func(context.Context, []plan.Datum, pgwire.ResultWriter) (string, error) {
			if s.tx == 'T' {
				s.tx = 'E'
			}
			return "", sqlerr.New(sqlerr.DivisionByZero, "division by zero")
		}}, nil
	case strings.HasPrefix(lower, "set application_name"):
		v := strings.Trim(strings.TrimSpace(sql[strings.IndexAny(sql, "=")+1:]), "'")
		return tagOnly("SET", func() { s.changed = append(s.changed, [2]string{"application_name", v}) }), nil
	case lower == "drop table if exists nosuch":
		return &fakeStmt{run: func(_ context.Context, _ []plan.Datum, w pgwire.ResultWriter) (string, error) {
			return "DROP TABLE", w.Notice(sqlerr.New(sqlerr.SuccessfulCompletion, `table "nosuch" does not exist, skipping`))
		}}, nil
	case strings.HasPrefix(lower, "insert"):
		return tagOnly("INSERT 0 1", nil), nil
	case strings.HasPrefix(lower, "copy "):
		return s.prepareCopy(lower)
	}
	return nil, sqlerr.Errorf(sqlerr.SyntaxError, "fake backend does not understand %q", sql)
}

var copyRE = regexp.MustCompile(`^copy\s+"?(\w+)"?.*from stdin(.*)$`)

func (s *fakeSession) prepareCopy(lower string) (pgwire.Statement, error) {
	m := copyRE.FindStringSubmatch(strings.TrimSuffix(lower, ";"))
	if m == nil {
		return nil, sqlerr.New(sqlerr.SyntaxError, "bad copy")
	}
	table := m[1]
	format := int16(0)
	if strings.Contains(m[2], "binary") {
		format = 1
	}
	failAfter := strings.Contains(m[2], "fail")
	return &fakeStmt{run: func(ctx context.Context, _ []plan.Datum, w pgwire.ResultWriter) (string, error) {
		src, err := w.CopyIn(format, 2)
		if err != nil {
			return "", err
		}
		var all []byte
		for {
			chunk, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return "", err
			}
			all = append(all, chunk...)
			if failAfter {
				return "", sqlerr.New(sqlerr.BadCopyFileFormat, "extra data after last expected column")
			}
		}
		n := 0
		if format == 1 {
			n = countBinaryCopyRows(all)
		} else {
			for _, line := range strings.Split(string(all), "\n") {
				if line != "" && line != `\.` {
					n++
				}
			}
		}
		s.b.mu.Lock()
		s.b.copied[table] = append(s.b.copied[table], all...)
		s.b.copyRows[table] += n
		s.b.mu.Unlock()
		return "COPY " + strconv.Itoa(n), nil
	}}, nil
}

func countBinaryCopyRows(b []byte) int {
	if len(b) < 19 || !bytes.HasPrefix(b, []byte("PGCOPY\n\377\r\n\000")) {
		return -1
	}
	b = b[19:]
	n := 0
	for len(b) >= 2 {
		fields := int16(binary.BigEndian.Uint16(b))
		b = b[2:]
		if fields == -1 {
			return n
		}
		for f := 0; f < int(fields); f++ {
			if len(b) < 4 {
				return -1
			}
			l := int32(binary.BigEndian.Uint32(b))
			b = b[4:]
			if l > 0 {
				b = b[l:]
			}
		}
		n++
	}
	return n
}

// panicLog records error-level log records (panics) from the server.
type panicLog struct {
	mu   sync.Mutex
	msgs []string
}

func (p *panicLog) Enabled(context.Context, slog.Level) bool { return true }
func (p *panicLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		msg := r.Message
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "panic" || (a.Key == "stack" && testing.Verbose()) {
				msg += ": " + a.Value.String()
			}
			return true
		})
		p.mu.Lock()
		p.msgs = append(p.msgs, msg)
		p.mu.Unlock()
	}
	return nil
}
func (p *panicLog) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *panicLog) WithGroup(string) slog.Handler      { return p }
func (p *panicLog) panics() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.msgs...)
}

// take returns the recorded messages and forgets them.
func (p *panicLog) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.msgs
	p.msgs = nil
	return m
}

type testServer struct {
	srv  *pgwire.Server
	b    *fakeBackend
	addr string
	port string
	log  *panicLog
	done chan error
}

func startServer(t testing.TB) *testServer {
	t.Helper()
	return startServerWith(t, pgwire.Options{})
}

// startServerWith starts a server with opts (Logger and MaxMessageSize are
// the test's).
func startServerWith(t testing.TB, opts pgwire.Options) *testServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{b: newFakeBackend(), addr: l.Addr().String(), log: &panicLog{}, done: make(chan error, 1)}
	_, ts.port, _ = net.SplitHostPort(ts.addr)
	opts.Logger, opts.MaxMessageSize = slog.New(ts.log), 1<<20
	ts.srv = pgwire.NewServer(ts.b, opts)
	go func() { ts.done <- ts.srv.Serve(l) }()
	t.Cleanup(func() {
		ts.srv.Close()
		select {
		case err := <-ts.done:
			if !errors.Is(err, pgwire.ErrServerClosed) {
				t.Errorf("Serve returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return ts
}

func (ts *testServer) url(extra string) string {
	return "postgres://tester@" + ts.addr + "/testdb?" + extra
}

func pgwireNewServerDefault(b pgwire.Backend) *pgwire.Server {
	return pgwire.NewServer(b, pgwire.Options{Logger: slog.New(&panicLog{})})
}
