package pgwire_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

func connect(t *testing.T, ts *testServer, mode pgx.QueryExecMode, extra string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(ts.url(extra))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var allModes = []pgx.QueryExecMode{
	pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec,
	pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol,
}

func TestPgxStartup(t *testing.T) {
	ts := startServer(t)
	// sslmode=prefer: SSLRequest answered 'N', then plain startup.
	c := connect(t, ts, pgx.QueryExecModeCacheStatement, "sslmode=prefer&application_name=cirrus-test")
	pc := c.PgConn()
	want := map[string]string{
		"server_version": "15.6 (Cirrus)", "client_encoding": "UTF8", "DateStyle": "ISO, MDY",
		"standard_conforming_strings": "on", "integer_datetimes": "on", "TimeZone": "UTC",
		"session_authorization": "tester", "application_name": "cirrus-test", "is_superuser": "on",
	}
	for k, v := range want {
		if got := pc.ParameterStatus(k); got != v {
			t.Errorf("ParameterStatus(%s) = %q, want %q", k, got, v)
		}
	}
	if pc.PID() == 0 || pc.SecretKey() == nil {
		t.Errorf("no BackendKeyData: pid %d", pc.PID())
	}
	ts.b.mu.Lock()
	p := ts.b.connected[len(ts.b.connected)-1]
	ts.b.mu.Unlock()
	if p.User != "tester" || p.Database != "testdb" || p.Options["application_name"] != "cirrus-test" {
		t.Errorf("startup params %+v", p)
	}
	// Connect error → FATAL with the backend's SQLSTATE.
	_, err := pgx.Connect(tctx(t), "postgres://tester@"+ts.addr+"/nosuchdb?sslmode=disable")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "3D000" || pe.Severity != "FATAL" {
		t.Errorf("connect to nosuchdb: %v", err)
	}
}

func TestPgxQueryAllModes(t *testing.T) {
	ts := startServer(t)
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			c := connect(t, ts, mode, "sslmode=disable")
			ctx := tctx(t)
			var one int32
			if err := c.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("select 1: %v %v", one, err)
			}
			// the D.1 capture query: parameters of every type, echoed back
			var (
				i2  int16
				i4  int32
				i8  int64
				f8  float64
				num pgtype.Numeric
				txt string
				vc  string
				ch  string
				d   time.Time
				ts_ time.Time
				b   bool
			)
			day := time.Date(1998, 9, 2, 0, 0, 0, 0, time.UTC)
			stamp := time.Date(2024, 1, 31, 13, 45, 0, 500000000, time.UTC)
			err := c.QueryRow(ctx, "select $1::int2, $2::int4, $3::int8, $4::float8, $5::numeric(15,2), $6::text, $7::varchar(10), $8::char(3), $9::date, $10::timestamp, $11::bool",
				int16(-7), int32(123456), int64(-9000000000), 0.1, "12345.675", "héllo", "abc", "ab", day, stamp, true).
				Scan(&i2, &i4, &i8, &f8, &num, &txt, &vc, &ch, &d, &ts_, &b)
			if err != nil {
				t.Fatal(err)
			}
			nf, _ := num.Float64Value()
			if i2 != -7 || i4 != 123456 || i8 != -9000000000 || f8 != 0.1 || math.Abs(nf.Float64-12345.68) > 1e-9 || txt != "héllo" || vc != "abc" || ch != "ab " ||
				!d.Equal(day) || !ts_.Equal(stamp) || !b {
				t.Errorf("echo: %v %v %v %v %v %q %q %q %v %v %v", i2, i4, i8, f8, nf, txt, vc, ch, d, ts_, b)
			}
			// NULL parameters
			var np *int64
			var ns *string
			if err := c.QueryRow(ctx, "select $1::int8, $2::text", nil, nil).Scan(&np, &ns); err != nil || np != nil || ns != nil {
				t.Errorf("nulls: %v %v %v", np, ns, err)
			}
			// all result types, text and binary, and a NULL row
			rows, err := c.Query(ctx, "select types")
			if err != nil {
				t.Fatal(err)
			}
			var got [][]any
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, vals)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("select types: %d rows", len(got))
			}
			want := []string{"-12", "123456", "-9000000000", "1.5", "0.1", "12345.67", "héllo", "abc", "ab ", "2024-01-31", "2024-01-31 13:45:00.5", "true"}
			for i, v := range got[0] {
				s := fmt.Sprint(v)
				switch x := v.(type) {
				case time.Time:
					if i == 9 {
						s = x.Format("2006-01-02")
					} else {
						s = x.Format("2006-01-02 15:04:05.999999")
					}
				case pgtype.Numeric:
					f, _ := x.Float64Value()
					s = fmt.Sprint(f.Float64)
				}
				if s != want[i] {
					t.Errorf("column %d: got %q want %q", i, s, want[i])
				}
			}
			for i, v := range got[1] {
				if v != nil {
					t.Errorf("NULL row column %d: %v", i, v)
				}
			}
			// errors keep the connection usable
			_, err = c.Exec(ctx, "select * from nosuch")
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42P01" || pe.Position != 15 {
				t.Errorf("nosuch: %v", err)
			}
			_, err = c.Exec(ctx, "select 1/0")
			if !errors.As(err, &pe) || pe.Code != "22012" || pe.Message != "division by zero" {
				t.Errorf("1/0: %v", err)
			}
			// many rows across batches and flushes
			rows, err = c.Query(ctx, "select * from generate_series(1, 50000)")
			if err != nil {
				t.Fatal(err)
			}
			var n, sum int64
			for rows.Next() {
				var x int64
				if err := rows.Scan(&x); err != nil {
					t.Fatal(err)
				}
				n++
				sum += x
			}
			if rows.Err() != nil || n != 50000 || sum != 50000*50001/2 || rows.CommandTag().String() != "SELECT 50000" {
				t.Errorf("series: %d %d %v %q", n, sum, rows.Err(), rows.CommandTag())
			}
			if err := c.Ping(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestPgxPrepared(t *testing.T) {
	ts := startServer(t)
	c := connect(t, ts, pgx.QueryExecModeCacheStatement, "sslmode=disable")
	ctx := tctx(t)
	sd, err := c.Prepare(ctx, "echo", "select $1::int8, $2::text")
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 2 || sd.ParamOIDs[0] != 20 || sd.ParamOIDs[1] != 25 || len(sd.Fields) != 2 || sd.Fields[0].DataTypeOID != 20 {
		t.Errorf("description: %+v", sd)
	}
	for i := range 3 {
		var a int64
		var b string
		if err := c.QueryRow(ctx, "echo", int64(i), fmt.Sprint("x", i)).Scan(&a, &b); err != nil || a != int64(i) || b != fmt.Sprint("x", i) {
			t.Errorf("run %d: %v %v %v", i, a, b, err)
		}
	}
	// preparing the same name again with other SQL fails like PostgreSQL
	_, err = c.PgConn().Prepare(ctx, "echo", "select 1", nil)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42P05" {
		t.Errorf("duplicate prepare: %v", err)
	}
	if err := c.Deallocate(ctx, "echo"); err != nil {
		t.Error(err)
	}
	if _, err := c.PgConn().Prepare(ctx, "echo", "select 1", nil); err != nil {
		t.Errorf("prepare after deallocate: %v", err)
	}
	// bad parameter value → 22P02 from the type's input function
	_, err = c.Exec(ctx, "select $1::int4", "abc")
	if !errors.As(err, &pe) || pe.Code != "22P02" || pe.Message != `invalid input syntax for type integer: "abc"` {
		t.Errorf("bad param: %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Error(err)
	}
}

func TestPgxBatchErrorInPipeline(t *testing.T) {
	ts := startServer(t)
	c := connect(t, ts, pgx.QueryExecModeCacheStatement, "sslmode=disable")
	ctx := tctx(t)
	b := &pgx.Batch{}
	b.Queue("select 1")
	b.Queue("select 1/0")
	b.Queue("select 2")
	br := c.SendBatch(ctx, b)
	var x int32
	if err := br.QueryRow().Scan(&x); err != nil || x != 1 {
		t.Errorf("first: %v %v", x, err)
	}
	var pe *pgconn.PgError
	if err := br.QueryRow().Scan(&x); !errors.As(err, &pe) || pe.Code != "22012" {
		t.Errorf("second: %v", err)
	}
	if err := br.QueryRow().Scan(&x); err == nil {
		t.Errorf("third statement ran after an error in the pipeline")
	}
	if err := br.Close(); err == nil || !strings.Contains(err.Error(), "22012") {
		t.Logf("batch close: %v", err)
	}
	if err := c.QueryRow(ctx, "select 2").Scan(&x); err != nil || x != 2 {
		t.Errorf("after batch: %v %v", x, err)
	}

	// Low-level pipeline: Parse/Bind/Execute × 3 under one Sync, error in the middle.
	pc := c.PgConn()
	p := pc.StartPipeline(ctx)
	p.SendQueryParams("select 1", nil, nil, nil, nil)
	p.SendQueryParams("select * from nosuch", nil, nil, nil, nil)
	p.SendQueryParams("select 2", nil, nil, nil, nil)
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	var results []string
	for {
		res, err := p.GetResults()
		if err != nil {
			results = append(results, "err:"+err.Error())
			continue
		}
		if res == nil {
			break
		}
		switch r := res.(type) {
		case *pgconn.ResultReader:
			rr := r.Read()
			if rr.Err != nil {
				results = append(results, "err:"+rr.Err.Error())
			} else {
				results = append(results, rr.CommandTag.String())
			}
		case *pgconn.PipelineSync:
			results = append(results, "sync")
		}
		if results[len(results)-1] == "sync" {
			break
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 || results[0] != "SELECT 1" || !strings.Contains(results[1], "42P01") || results[2] != "sync" {
		t.Errorf("pipeline results %q", results)
	}
	if err := c.QueryRow(ctx, "select 1").Scan(&x); err != nil || x != 1 {
		t.Errorf("after pipeline: %v %v", x, err)
	}
}

func TestPgxCopy(t *testing.T) {
	ts := startServer(t)
	c := connect(t, ts, pgx.QueryExecModeCacheStatement, "sslmode=disable")
	ctx := tctx(t)
	// binary COPY via CopyFrom
	rows := [][]any{{int64(1), "a"}, {int64(2), nil}, {int64(3), "ccc"}}
	n, err := c.CopyFrom(ctx, pgx.Identifier{"t"}, []string{"a", "b"}, pgx.CopyFromRows(rows))
	if err != nil || n != 3 {
		t.Fatalf("CopyFrom: %d %v", n, err)
	}
	ts.b.mu.Lock()
	got := ts.b.copyRows["t"]
	ts.b.mu.Unlock()
	if got != 3 {
		t.Errorf("backend counted %d binary rows", got)
	}
	// text COPY through pgconn
	data := strings.Repeat("1\tx\n", 10000)
	tag, err := c.PgConn().CopyFrom(ctx, strings.NewReader(data), "COPY u FROM STDIN")
	if err != nil || tag.String() != "COPY 10000" {
		t.Fatalf("text copy: %v %v", tag, err)
	}
	// an error in the middle of the COPY: the rest is drained, the session stays in sync
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader(data), "COPY v FROM STDIN fail")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22P04" {
		t.Errorf("failing copy: %v", err)
	}
	var x int32
	if err := c.QueryRow(ctx, "select 1").Scan(&x); err != nil || x != 1 {
		t.Errorf("after failed copy: %v %v", x, err)
	}
	// a reader error makes pgconn send CopyFail → 57014 with its message
	_, err = c.PgConn().CopyFrom(ctx, &failingReader{}, "COPY w FROM STDIN")
	if !errors.As(err, &pe) || pe.Code != "57014" || !strings.Contains(pe.Message, "COPY from stdin failed") {
		t.Errorf("copy fail: %v", err)
	}
	if err := c.QueryRow(ctx, "select 1").Scan(&x); err != nil || x != 1 {
		t.Errorf("after CopyFail: %v %v", x, err)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		return 0, errors.New("reader broke")
	}
	r.n++
	return copy(p, "1\tx\n"), nil
}

func TestPgxCancel(t *testing.T) {
	ts := startServer(t)
	c := connect(t, ts, pgx.QueryExecModeSimpleProtocol, "sslmode=disable")
	ctx := tctx(t)
	go func() {
		time.Sleep(100 * time.Millisecond)
		if err := c.PgConn().CancelRequest(context.Background()); err != nil {
			t.Errorf("CancelRequest: %v", err)
		}
	}()
	start := time.Now()
	_, err := c.Exec(ctx, "sleep")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || pe.Message != "canceling statement due to user request" {
		t.Fatalf("sleep: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancel took %v", time.Since(start))
	}
	var x int32
	if err := c.QueryRow(ctx, "select 1").Scan(&x); err != nil || x != 1 {
		t.Errorf("after cancel: %v %v", x, err)
	}
	// A context deadline makes pgx send a CancelRequest by itself.
	c2 := connect(t, ts, pgx.QueryExecModeCacheStatement, "sslmode=disable")
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := c2.Exec(dctx, "sleep"); err == nil {
		t.Errorf("deadline did not interrupt")
	}
	select {
	case <-ts.b.canceled:
	case <-time.After(5 * time.Second):
		t.Errorf("statement context not cancelled")
	}
}

func TestPgxSimpleMulti(t *testing.T) {
	ts := startServer(t)
	c := connect(t, ts, pgx.QueryExecModeSimpleProtocol, "sslmode=disable")
	ctx := tctx(t)
	res, err := c.PgConn().Exec(ctx, "select 1; select 2; insert into t values (1)").ReadAll()
	if err != nil || len(res) != 3 || string(res[0].Rows[0][0]) != "1" || string(res[1].Rows[0][0]) != "2" || res[2].CommandTag.String() != "INSERT 0 1" {
		t.Fatalf("multi: %v %+v", err, res)
	}
	// error stops the rest; position is relative to the whole string
	res, err = c.PgConn().Exec(ctx, "select 1; select * from nosuch; select 2").ReadAll()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42P01" || pe.Position != 25 || len(res) != 1 {
		t.Errorf("multi error: %v %d", err, len(res))
	}
	// empty query
	res, err = c.PgConn().Exec(ctx, " ; -- nothing").ReadAll()
	if err != nil || len(res) != 1 || res[0].CommandTag.String() != "" {
		t.Errorf("empty: %v %v", res, err)
	}
	// notices and ParameterStatus changes
	var notices []string
	cfg, _ := pgconn.ParseConfig(ts.url("sslmode=disable"))
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		notices = append(notices, n.Severity+" "+n.Code+" "+n.Message)
	}
	pc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	if _, err := pc.Exec(ctx, "drop table if exists nosuch; set application_name = 'x2'").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 || notices[0] != `NOTICE 00000 table "nosuch" does not exist, skipping` {
		t.Errorf("notices %q", notices)
	}
	if pc.ParameterStatus("application_name") != "x2" {
		t.Errorf("application_name %q", pc.ParameterStatus("application_name"))
	}
	// transaction status
	if _, err := pc.Exec(ctx, "begin").ReadAll(); err != nil || pc.TxStatus() != 'T' {
		t.Errorf("begin: %v %c", err, pc.TxStatus())
	}
	pc.Exec(ctx, "fail tx").ReadAll()
	if pc.TxStatus() != 'E' {
		t.Errorf("failed tx: %c", pc.TxStatus())
	}
	if _, err := pc.Exec(ctx, "rollback").ReadAll(); err != nil || pc.TxStatus() != 'I' {
		t.Errorf("rollback: %v %c", err, pc.TxStatus())
	}
}

func TestPanicClosesOnlyThatConnection(t *testing.T) {
	ts := startServer(t)
	c1 := connect(t, ts, pgx.QueryExecModeSimpleProtocol, "sslmode=disable")
	c2 := connect(t, ts, pgx.QueryExecModeSimpleProtocol, "sslmode=disable")
	ctx := tctx(t)
	_, err := c1.Exec(ctx, "panic")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "XX000" || pe.Severity != "FATAL" {
		t.Errorf("panic: %v", err)
	}
	if err := c1.Ping(ctx); err == nil {
		t.Errorf("connection survived a panic")
	}
	var x int32
	if err := c2.QueryRow(ctx, "select 1").Scan(&x); err != nil {
		t.Errorf("other connection: %v", err)
	}
	if len(ts.log.panics()) != 1 {
		t.Errorf("logged %q", ts.log.panics())
	}
}
