package tpch

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cirrusdb/cirrus/internal/tpch/canon"
)

// RunConfig says which queries to run where.
type RunConfig struct {
	DSN string
	// Dir holds q01.sql … q22.sql.
	Dir string
	// Queries are query numbers (nil: 1..22).
	Queries []int
	// Runs is how many times each query runs (default 1); the median time
	// is reported.
	Runs int
	// Check, if set, is a directory of reference answers qNN.out in the
	// canonical form (package canon) to compare the first run's result with.
	Check string
	// Timeout bounds each run of a query (default 10 minutes).
	Timeout time.Duration
	// Out, if set, receives the result table as queries finish.
	Out io.Writer
}

// QueryResult is one query's outcome.
type QueryResult struct {
	Name   string // q01
	Times  []time.Duration
	Median time.Duration
	Rows   int
	Err    error // the query failed (Times then holds the runs before)
	// Checked is set when the result was compared; Mismatch then describes
	// the first difference (nil: the answer matches).
	Checked  bool
	Mismatch error
}

// OK reports whether the query ran and, if checked, matched.
func (r QueryResult) OK() bool { return r.Err == nil && (!r.Checked || r.Mismatch == nil) }

// RunSummary is the outcome of a run of queries.
type RunSummary struct {
	Results []QueryResult
	// Total is the sum of the medians of the queries that ran; GeoMean
	// their geometric mean.
	Total   time.Duration
	GeoMean time.Duration
}

// ParseQueries parses "1,3,q05,7-9" ("" or "all": 1..22).
func ParseQueries(s string) ([]int, error) {
	if s == "" || s == "all" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(f)), "q")
		if f == "" {
			continue
		}
		lo, hi, rng := strings.Cut(f, "-")
		a, err := strconv.Atoi(strings.TrimPrefix(lo, "q"))
		b := a
		if err == nil && rng {
			b, err = strconv.Atoi(strings.TrimPrefix(hi, "q"))
		}
		if err != nil || a < 1 || b > 22 || a > b {
			return nil, fmt.Errorf("bad query number %q (1 to 22)", f)
		}
		for q := a; q <= b; q++ {
			out = append(out, q)
		}
	}
	return out, nil
}

// RunQueries runs the queries over the PostgreSQL protocol (simple query
// protocol, text results). A failing query is reported in its result and
// the run goes on.
func RunQueries(ctx context.Context, cfg RunConfig) (*RunSummary, error) {
	qs := cfg.Queries
	if qs == nil {
		for q := 1; q <= 22; q++ {
			qs = append(qs, q)
		}
	}
	if cfg.Runs <= 0 {
		cfg.Runs = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Minute
	}
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	connect := func() error {
		if conn != nil && !conn.IsClosed() {
			return nil
		}
		c, err := pgx.Connect(ctx, cfg.DSN)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", cfg.DSN, err)
		}
		conn = c
		return nil
	}
	if err := connect(); err != nil {
		return nil, err
	}
	check := "check"
	if cfg.Check == "" {
		check = ""
	}
	fmt.Fprintf(out, "%-5s %12s %8s  %s\n", "query", "median", "rows", check)
	sum := &RunSummary{}
	logSum, n := 0.0, 0
	for _, q := range qs {
		name := fmt.Sprintf("q%02d", q)
		r := QueryResult{Name: name}
		sql, err := os.ReadFile(filepath.Join(cfg.Dir, name+".sql"))
		if err != nil {
			r.Err = err
		} else if err := connect(); err != nil {
			r.Err = err
		} else {
			var got []string
			for i := 0; i < cfg.Runs; i++ {
				rows, d, err := runOnce(ctx, conn, string(sql), cfg.Timeout, i == 0)
				if err != nil {
					r.Err = err
					break
				}
				r.Times = append(r.Times, d)
				if i == 0 {
					got = rows
					r.Rows = len(rows)
				}
			}
			if r.Err == nil {
				ts := slices.Clone(r.Times)
				slices.Sort(ts)
				r.Median = ts[len(ts)/2]
				if len(ts)%2 == 0 {
					r.Median = (ts[len(ts)/2-1] + ts[len(ts)/2]) / 2
				}
				if cfg.Check != "" {
					r.Checked = true
					want, err := os.ReadFile(filepath.Join(cfg.Check, name+".out"))
					if err != nil {
						r.Mismatch = err
					} else {
						r.Mismatch = canon.Compare(got, canon.Lines(string(want)))
					}
				}
				sum.Total += r.Median
				logSum += math.Log(max(r.Median.Seconds(), 1e-6))
				n++
			}
		}
		sum.Results = append(sum.Results, r)
		printResult(out, r)
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
	}
	if n > 0 {
		sum.GeoMean = time.Duration(math.Exp(logSum/float64(n)) * float64(time.Second))
	}
	failed := len(sum.Results) - n
	fmt.Fprintf(out, "total %s over %d queries (sum of medians), geometric mean %s", ms(sum.Total), n, ms(sum.GeoMean))
	if failed > 0 {
		fmt.Fprintf(out, "; %d failed", failed)
	}
	if cfg.Check != "" {
		bad := 0
		for _, r := range sum.Results {
			if r.Checked && r.Mismatch != nil {
				bad++
			}
		}
		fmt.Fprintf(out, "; %d of %d answers match", n-bad, len(sum.Results))
	}
	fmt.Fprintln(out)
	return sum, nil
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func printResult(w io.Writer, r QueryResult) {
	if r.Err != nil {
		msg := strings.ReplaceAll(r.Err.Error(), "\n", " ")
		if !strings.HasPrefix(msg, "ERROR") {
			msg = "ERROR: " + msg
		}
		fmt.Fprintf(w, "%-5s %12s %8s  %s\n", r.Name, "-", "-", msg)
		return
	}
	check := ""
	if r.Checked {
		check = "ok"
		if r.Mismatch != nil {
			check = "WRONG: " + strings.ReplaceAll(r.Mismatch.Error(), "\n", " ")
		}
	}
	fmt.Fprintf(w, "%-5s %12s %8d  %s\n", r.Name, ms(r.Median), r.Rows, check)
}

// runOnce runs a query and times it from sending it to its last row. With
// keep it returns the rows in canonical form.
func runOnce(ctx context.Context, conn *pgx.Conn, sql string, timeout time.Duration, keep bool) ([]string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	rows, err := conn.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, 0, err
	}
	var raw [][][]byte
	for rows.Next() {
		if !keep {
			continue
		}
		vals := rows.RawValues()
		row := make([][]byte, len(vals))
		for i, v := range vals {
			if v != nil {
				row[i] = append([]byte{}, v...)
			}
		}
		raw = append(raw, row)
	}
	rows.Close()
	d := time.Since(start)
	if err := rows.Err(); err != nil {
		return nil, d, err
	}
	if !keep {
		return nil, d, nil
	}
	fds := rows.FieldDescriptions()
	kinds := make([]canon.Kind, len(fds))
	for i, fd := range fds {
		kinds[i] = canon.KindOfOID(fd.DataTypeOID)
	}
	out := make([]string, len(raw))
	fs := make([]string, len(kinds))
	for i, row := range raw {
		for c, v := range row {
			fs[c] = canon.Text(kinds[c], v)
		}
		out[i] = strings.Join(fs, "|")
	}
	return out, d, nil
}
