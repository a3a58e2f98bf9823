package tpch

// The TPC-H refresh functions (specification clause 2.5), run over the
// PostgreSQL protocol, so they work the same against Cirrus and PostgreSQL.
//
// RF1 inserts refresh set n's new orders and their lineitems (dbgen's
// orders.tbl.u<n> and lineitem.tbl.u<n>, from dbgen.RefreshSet) with
// COPY FROM STDIN in one transaction.
//
// RF2 deletes orders and their lineitems in one transaction: the keys go
// into a scratch table with COPY, then
//
//	DELETE FROM lineitem WHERE l_orderkey IN (SELECT k FROM <scratch>)
//	DELETE FROM orders WHERE o_orderkey IN (SELECT k FROM <scratch>)
//
// and the scratch table is dropped before COMMIT (created and dropped inside
// the transaction, it is never visible to anyone else). Any failure rolls
// back everything, so a failed or cancelled RF2 leaves the tables as they
// were.
//
// Which orders RF2 deletes: dbgen's delete list (delete.<n>) names *old*
// orders of the initial population (order numbers (n−1)·R+1 … n·R with
// sequence 0), while RF1 inserts *new* orders with the same order numbers
// and sequence 1 (keys 8 higher, in the gaps of the sparse key space; see
// dbgen/refresh.go). RF1 followed by the specification's RF2 therefore
// leaves the tables with the same number of rows but not the same rows.
// By default (RF2Inserted) RF2 deletes the orders RF1 of the same set
// inserted, so that RF1 + RF2 restore the tables exactly, which makes the
// pair repeatable and checkable (same table checksums before and after);
// RF2DBGen deletes dbgen's delete list, as the specification's RF2 does (use
// it for a conforming refresh stream).

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/tpch/canon"
	"github.com/cirrusdb/cirrus/internal/tpch/dbgen"
)

// RF2Mode says which orders RF2 deletes.
type RF2Mode int

const (
	// RF2Inserted deletes the orders RF1 of the same set inserts (so RF1
	// then RF2 restore the tables exactly).
	RF2Inserted RF2Mode = iota
	// RF2DBGen deletes dbgen's delete list of the set (old orders), as the
	// TPC-H specification's RF2 does.
	RF2DBGen
)

func (m RF2Mode) String() string {
	if m == RF2DBGen {
		return "dbgen's delete list"
	}
	return "the orders RF1 inserts"
}

// RefreshConfig says which refresh functions to run where.
type RefreshConfig struct {
	// DSN is the PostgreSQL connection string (a Cirrus coordinator or a
	// PostgreSQL server holding the TPC-H tables).
	DSN string
	// SF is the scale factor of the loaded data; 0 detects it (DetectSF).
	SF float64
	// Set is the refresh set (default 1).
	Set int
	// RF1 and RF2 select the functions; if neither is set, both run (RF1
	// first).
	RF1, RF2 bool
	// RF2Keys says which orders RF2 deletes.
	RF2Keys RF2Mode
	// Checksums computes the checksums of orders and lineitem before and
	// after each function (reads both tables entirely; not timed).
	Checksums bool
	// Out, if set, receives what is done and the time of each function.
	Out io.Writer
	// Step, if set, is called before each statement of a function (with
	// "RF1" or "RF2" and a short name of the statement: "begin",
	// "check keys", "copy orders", "copy lineitem", "create keys",
	// "copy keys", "delete lineitem", "delete orders", "drop keys",
	// "commit"). An error it returns aborts the function, which rolls back.
	Step func(fn, step string) error
}

// FuncResult is the outcome of one refresh function.
type FuncResult struct {
	Orders    int64 // orders inserted (RF1) or deleted (RF2)
	Lineitems int64 // lineitems inserted or deleted
	Elapsed   time.Duration
}

// Checksums are the checksums of orders and lineitem at one point.
type Checksums struct {
	Orders, Lineitem TableChecksum
}

// RefreshResult is the outcome of Refresh.
type RefreshResult struct {
	SF  float64
	Set int
	RF1 *FuncResult // nil if it did not run
	RF2 *FuncResult
	// With Checksums: the checksums before, after RF1 (if it ran) and
	// after RF2 (if it ran), in that order.
	Checksums []Checksums
}

// Refresh runs the refresh functions of cfg over one connection.
func Refresh(ctx context.Context, cfg RefreshConfig) (*RefreshResult, error) {
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	if cfg.Set == 0 {
		cfg.Set = 1
	}
	if cfg.Set < 1 {
		return nil, fmt.Errorf("refresh set %d: sets are numbered from 1", cfg.Set)
	}
	if !cfg.RF1 && !cfg.RF2 {
		cfg.RF1, cfg.RF2 = true, true
	}
	conn, err := pgx.Connect(ctx, cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.DSN, err)
	}
	defer conn.Close(context.Background())

	res := &RefreshResult{SF: cfg.SF, Set: cfg.Set}
	if res.SF == 0 {
		if res.SF, err = DetectSF(ctx, conn); err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "scale factor %g (from the customer table)\n", res.SF)
	}
	set, err := dbgen.RefreshSet(res.SF, cfg.Set)
	if err != nil {
		return nil, err
	}
	checksums := func(when string) error {
		if !cfg.Checksums {
			return nil
		}
		start := time.Now()
		cs, err := TableChecksums(ctx, conn)
		if err != nil {
			return fmt.Errorf("checksums %s: %w", when, err)
		}
		res.Checksums = append(res.Checksums, cs)
		fmt.Fprintf(out, "checksums %s (%.2fs):\n  orders   %s\n  lineitem %s\n", when, time.Since(start).Seconds(), cs.Orders, cs.Lineitem)
		return nil
	}
	if err := checksums("before"); err != nil {
		return nil, err
	}
	step := func(fn string) func(string) error {
		if cfg.Step == nil {
			return nil
		}
		return func(s string) error { return cfg.Step(fn, s) }
	}
	if cfg.RF1 {
		r, err := RF1(ctx, conn, set, step("RF1"))
		if err != nil {
			return res, fmt.Errorf("RF1 (rolled back): %w", err)
		}
		res.RF1 = &r
		fmt.Fprintf(out, "RF1: inserted %d orders and %d lineitems (refresh set %d, SF %g) in one transaction: %.3fs\n",
			r.Orders, r.Lineitems, cfg.Set, res.SF, r.Elapsed.Seconds())
		if err := checksums("after RF1"); err != nil {
			return res, err
		}
	}
	if cfg.RF2 {
		keys := InsertedKeys(set)
		if cfg.RF2Keys == RF2DBGen {
			keys = set.DeleteKeys
		}
		r, err := RF2(ctx, conn, keys, step("RF2"))
		if err != nil {
			return res, fmt.Errorf("RF2 (rolled back): %w", err)
		}
		res.RF2 = &r
		fmt.Fprintf(out, "RF2: deleted %d orders and %d lineitems (%d keys: %s of refresh set %d) in one transaction: %.3fs\n",
			r.Orders, r.Lineitems, len(keys), cfg.RF2Keys, cfg.Set, r.Elapsed.Seconds())
		if r.Orders < int64(len(keys)) {
			fmt.Fprintf(out, "RF2: %d of the %d keys had no order\n", int64(len(keys))-r.Orders, len(keys))
		}
		if err := checksums("after RF2"); err != nil {
			return res, err
		}
	}
	if n := len(res.Checksums); n == 3 {
		same := res.Checksums[0] == res.Checksums[n-1]
		note := ""
		if cfg.RF2Keys == RF2DBGen {
			note = " (as expected: RF2 deleted dbgen's delete list, not the orders RF1 inserted)"
		}
		fmt.Fprintf(out, "orders and lineitem are as they were before: %v%s\n", same, note)
	}
	return res, nil
}

// DetectSF returns the scale factor of the loaded data from the customer
// table, which the refresh functions do not change (150,000 rows per unit;
// dbgen scales a fractional SF by thousandths).
func DetectSF(ctx context.Context, conn *pgx.Conn) (float64, error) {
	var n int64
	if err := conn.QueryRow(ctx, "select count(*) from customer", pgx.QueryExecModeSimpleProtocol).Scan(&n); err != nil {
		return 0, fmt.Errorf("scale factor from customer: %w (give it)", err)
	}
	if n == 0 || n%150 != 0 {
		return 0, fmt.Errorf("customer has %d rows, not a TPC-H scale factor's (give the scale factor)", n)
	}
	if n%150_000 == 0 {
		return float64(n / 150_000), nil
	}
	// Thousandths of a unit: 1,500 rows are SF 0.01.
	return float64(n/150) / 1000, nil
}

// InsertedKeys returns the order keys of a refresh set's new orders (the
// first field of each RF1 order row).
func InsertedKeys(r *dbgen.Refresh) []int64 {
	var keys []int64
	for data := r.Orders; len(data) > 0; {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		f, _, _ := bytes.Cut(line, []byte{'|'})
		if len(f) == 0 {
			continue
		}
		k, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			panic(fmt.Sprintf("tpch: refresh order row %q: %v", line, err))
		}
		keys = append(keys, k)
	}
	return keys
}

// stepper runs a function's statements in one transaction.
type stepper struct {
	ctx  context.Context
	tx   pgx.Tx
	step func(string) error
}

func (s *stepper) at(name string) error {
	if s.step == nil {
		return nil
	}
	if err := s.step(name); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return s.ctx.Err()
}

func (s *stepper) exec(name, sql string) (int64, error) {
	if err := s.at(name); err != nil {
		return 0, err
	}
	tag, err := s.tx.Exec(s.ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", sql, err)
	}
	return tag.RowsAffected(), nil
}

func (s *stepper) copy(name, sql string, data []byte) (int64, error) {
	if err := s.at(name); err != nil {
		return 0, err
	}
	tag, err := s.tx.Conn().PgConn().CopyFrom(s.ctx, bytes.NewReader(data), sql)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", sql, err)
	}
	return tag.RowsAffected(), nil
}

// inTx runs fn in a transaction on conn and commits it; an error (or a
// cancelled ctx) rolls it back.
func inTx(ctx context.Context, conn *pgx.Conn, step func(string) error, fn func(s *stepper) error) (time.Duration, error) {
	start := time.Now()
	s := &stepper{ctx: ctx, step: step}
	if err := s.at("begin"); err != nil {
		return 0, err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	s.tx = tx
	defer tx.Rollback(context.Background())
	if err := fn(s); err != nil {
		return 0, err
	}
	if err := s.at("commit"); err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return time.Since(start), nil
}

// RF1 inserts a refresh set's new orders and lineitems in one transaction.
// It first checks that none of the set's order keys is there yet (the set
// was not inserted already): the set's keys are exactly the keys of its
// range with its sequence number (bits 3–4 of the key).
func RF1(ctx context.Context, conn *pgx.Conn, set *dbgen.Refresh, step func(string) error) (FuncResult, error) {
	keys := InsertedKeys(set)
	if len(keys) == 0 {
		return FuncResult{}, errors.New("refresh set has no orders")
	}
	lo, hi := keys[0], keys[0]
	for _, k := range keys {
		lo, hi = min(lo, k), max(hi, k)
	}
	seq := keys[0] >> 3 & 3
	var r FuncResult
	el, err := inTx(ctx, conn, step, func(s *stepper) error {
		if err := s.at("check keys"); err != nil {
			return err
		}
		var there int64
		q := fmt.Sprintf("select count(*) from orders where o_orderkey between %d and %d and o_orderkey / 8 %% 4 = %d", lo, hi, seq)
		if err := s.tx.QueryRow(ctx, q, pgx.QueryExecModeSimpleProtocol).Scan(&there); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		if there > 0 {
			return fmt.Errorf("%d of the refresh set's %d orders are already there (was RF1 of this set run without RF2?)", there, len(keys))
		}
		var err error
		if r.Orders, err = s.copy("copy orders", "copy orders from stdin with (delimiter '|')", set.Orders); err != nil {
			return err
		}
		r.Lineitems, err = s.copy("copy lineitem", "copy lineitem from stdin with (delimiter '|')", set.Lineitems)
		return err
	})
	r.Elapsed = el
	return r, err
}

// RF2 deletes the orders with the given keys and their lineitems in one
// transaction (see the package comment of this file).
func RF2(ctx context.Context, conn *pgx.Conn, keys []int64, step func(string) error) (FuncResult, error) {
	var r FuncResult
	var rnd [4]byte
	rand.Read(rnd[:])
	scratch := "tpch_rf2_keys_" + hex.EncodeToString(rnd[:])
	var data []byte
	for _, k := range keys {
		data = strconv.AppendInt(data, k, 10)
		data = append(data, '\n')
	}
	el, err := inTx(ctx, conn, step, func(s *stepper) error {
		if _, err := s.exec("create keys", "create table "+scratch+" (k integer not null)"); err != nil {
			return err
		}
		if _, err := s.copy("copy keys", "copy "+scratch+" from stdin", data); err != nil {
			return err
		}
		var err error
		if r.Lineitems, err = s.exec("delete lineitem", "delete from lineitem where l_orderkey in (select k from "+scratch+")"); err != nil {
			return err
		}
		if r.Orders, err = s.exec("delete orders", "delete from orders where o_orderkey in (select k from "+scratch+")"); err != nil {
			return err
		}
		_, err = s.exec("drop keys", "drop table "+scratch)
		return err
	})
	r.Elapsed = el
	return r, err
}

// TableChecksum summarizes a table's rows: the row count, the sums of its
// key and price columns (computed by the database), and an order-
// independent hash of its rows computed by the client: the sum (mod 2^128)
// of the SHA-256 (first 16 bytes) of each row's canonical text (package
// canon: fields joined by '|', strings without trailing spaces, decimals to
// 4 places), so two databases with the same rows, in any order and any
// file layout, have the same checksum.
type TableChecksum struct {
	Rows     int64
	KeySum   string
	PriceSum string
	Hash     string
}

func (c TableChecksum) String() string {
	return fmt.Sprintf("rows %d, sum(key) %s, sum(price) %s, hash %s", c.Rows, c.KeySum, c.PriceSum, c.Hash)
}

// checksummed are the tables the refresh functions change, with the key
// and price column summed.
var checksummed = map[string][2]string{
	"orders":   {"o_orderkey", "o_totalprice"},
	"lineitem": {"l_orderkey", "l_extendedprice"},
}

// TableChecksums returns the checksums of orders and lineitem.
func TableChecksums(ctx context.Context, conn *pgx.Conn) (Checksums, error) {
	var cs Checksums
	var err error
	if cs.Orders, err = Checksum(ctx, conn, "orders"); err != nil {
		return cs, err
	}
	cs.Lineitem, err = Checksum(ctx, conn, "lineitem")
	return cs, err
}

// Checksum returns the checksum of orders or lineitem.
func Checksum(ctx context.Context, conn *pgx.Conn, table string) (TableChecksum, error) {
	cols, ok := checksummed[table]
	if !ok {
		return TableChecksum{}, fmt.Errorf("no checksum for table %q", table)
	}
	var c TableChecksum
	var n int64
	var keys, prices []byte
	q := fmt.Sprintf("select count(*), sum(%s), sum(%s) from %s", cols[0], cols[1], table)
	rows, err := conn.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return c, fmt.Errorf("%s: %w", q, err)
	}
	for rows.Next() {
		v := rows.RawValues()
		n, _ = strconv.ParseInt(string(v[0]), 10, 64)
		keys, prices = append([]byte(nil), v[1]...), append([]byte(nil), v[2]...)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("%s: %w", q, err)
	}
	c.Rows = n
	c.KeySum = canon.Text(canon.Numeric, keys)
	c.PriceSum = canon.Text(canon.Numeric, prices)

	q = "select * from " + table
	rows, err = conn.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return c, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	var kinds []canon.Kind
	var hi, lo uint64
	var line []byte
	fetched := int64(0)
	for rows.Next() {
		if kinds == nil {
			for _, fd := range rows.FieldDescriptions() {
				kinds = append(kinds, canon.KindOfOID(fd.DataTypeOID))
			}
		}
		line = line[:0]
		for i, v := range rows.RawValues() {
			if i > 0 {
				line = append(line, '|')
			}
			line = append(line, canon.Text(kinds[i], v)...)
		}
		h := sha256.Sum256(line)
		var carry uint64
		lo, carry = bits.Add64(lo, binary.BigEndian.Uint64(h[8:16]), 0)
		hi, _ = bits.Add64(hi, binary.BigEndian.Uint64(h[:8]), carry)
		fetched++
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("%s: %w", q, err)
	}
	if fetched != n {
		return c, fmt.Errorf("%s: count(*) is %d but %d rows were read", table, n, fetched)
	}
	var sum [16]byte
	binary.BigEndian.PutUint64(sum[:8], hi)
	binary.BigEndian.PutUint64(sum[8:], lo)
	c.Hash = hex.EncodeToString(sum[:])
	return c, nil
}

// Answer runs a query (simple protocol) and returns its rows in the
// canonical form of package canon, to compare two databases' answers.
func Answer(ctx context.Context, conn *pgx.Conn, sql string) ([]string, error) {
	rows, _, err := runOnce(ctx, conn, sql, 10*time.Minute, true)
	return rows, err
}
