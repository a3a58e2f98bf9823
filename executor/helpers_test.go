package executor

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

var (
	tI2   = catalog.TypeInt2
	tI4   = catalog.TypeInt4
	tI8   = catalog.TypeInt8
	tF4   = catalog.TypeFloat4
	tF8   = catalog.TypeFloat8
	tB    = catalog.TypeBool
	tT    = catalog.TypeText
	tD    = catalog.TypeDate
	tTS   = catalog.TypeTimestamp
	tUnk  = catalog.TypeUnknown
	tNum  = func(s int32) catalog.Type { return catalog.NumericType(0, s) }
	tNumP = func(p, s int32) catalog.Type { return catalog.NumericType(p, s) }
	tChar = func(n int32) catalog.Type { return catalog.Type{Kind: catalog.Bpchar, Length: n} }
	tVarc = func(n int32) catalog.Type { return catalog.Type{Kind: catalog.Varchar, Length: n} }
)

func col(i int, t catalog.Type) *plan.Expr { return plan.Col(i, t) }
func cI(t catalog.Type, v int64) *plan.Expr {
	return plan.ConstOf(t, plan.Datum{I: v})
}
func i4(v int64) *plan.Expr           { return cI(tI4, v) }
func i8(v int64) *plan.Expr           { return cI(tI8, v) }
func num(v int64, s int32) *plan.Expr { return cI(tNum(s), v) }
func f8(v float64) *plan.Expr         { return plan.ConstOf(tF8, plan.Datum{F: v}) }
func txt(s string) *plan.Expr         { return plan.ConstOf(tT, plan.Datum{S: s}) }
func bln(b bool) *plan.Expr           { return plan.ConstOf(tB, plan.Datum{B: b}) }
func null(t catalog.Type) *plan.Expr {
	return plan.NullOf(t)
}
func call(op string, t catalog.Type, args ...*plan.Expr) *plan.Expr {
	return plan.CallOf(op, t, args...)
}
func cast(e *plan.Expr, t catalog.Type) *plan.Expr {
	return &plan.Expr{Kind: plan.Cast, Type: t, Args: []*plan.Expr{e}}
}

// mkBatch builds a batch from rows of Go values (nil = NULL). Values:
// int/int64 for int64-backed types, float64, bool, string.
func mkBatch(types []catalog.Type, rows ...[]any) *vec.Batch {
	b := vec.NewBatch(types, len(rows))
	for _, r := range rows {
		for c, x := range r {
			v := b.Cols[c]
			switch x := x.(type) {
			case nil:
				v.AppendNull()
			case int:
				v.AppendInt64(int64(x))
			case int64:
				v.AppendInt64(x)
			case float64:
				v.AppendFloat64(x)
			case bool:
				v.AppendBool(x)
			case string:
				v.AppendBytes([]byte(x))
			default:
				panic(fmt.Sprintf("mkBatch: %T", x))
			}
		}
	}
	b.N = len(rows)
	return b
}

// render returns value i of v for comparisons: nil for NULL, int64 for
// integers, float64, bool, and text forms for numeric, date, timestamp and
// strings.
func render(v *vec.Vector, i int) any {
	if v.IsNull(i) {
		return nil
	}
	switch v.Type.Kind {
	case catalog.Bool:
		return v.Bool[i]
	case catalog.Int2, catalog.Int4, catalog.Int8:
		return v.I64[i]
	case catalog.Float4, catalog.Float8:
		return v.F64[i]
	case catalog.Numeric, catalog.Date, catalog.Timestamp:
		return string(pgtype.AppendText(nil, v, i))
	}
	if v.Type.IsString() {
		return string(v.Bytes(i))
	}
	return v.I64[i]
}

func rowsOf(b *vec.Batch) [][]any {
	out := make([][]any, b.N)
	for i := range out {
		row := make([]any, len(b.Cols))
		for c, v := range b.Cols {
			row[c] = render(v, i)
		}
		out[i] = row
	}
	return out
}

func fmtRows(rows [][]any) string {
	var sb strings.Builder
	for _, r := range rows {
		fmt.Fprintln(&sb, r...)
	}
	return sb.String()
}

// evalExpr compiles e and evaluates it over b, rendering each row.
func evalExpr(e *plan.Expr, b *vec.Batch) ([]any, error) {
	ev, err := Compile(e)
	if err != nil {
		return nil, err
	}
	v, err := ev.Eval(b)
	if err != nil {
		return nil, err
	}
	if v.Len() != b.N {
		return nil, fmt.Errorf("result has %d values, want %d", v.Len(), b.N)
	}
	out := make([]any, b.N)
	for i := range out {
		out[i] = render(v, i)
	}
	return out, nil
}

// one is a one-row batch without columns, for constant expressions.
var one = &vec.Batch{N: 1}

func evalConst(e *plan.Expr) (any, error) {
	r, err := evalExpr(e, one)
	if err != nil {
		return nil, err
	}
	return r[0], nil
}

func runPlan(t testing.TB, n plan.Node, env *Env) [][]any {
	t.Helper()
	rows, err := tryPlan(n, env)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return rows
}

func tryPlan(n plan.Node, env *Env) ([][]any, error) {
	ctx := context.Background()
	op, err := Build(ctx, n, env)
	if err != nil {
		return nil, err
	}
	b, err := Drain(ctx, op)
	if err != nil {
		return nil, err
	}
	return rowsOf(b), nil
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return sqlerr.Code(err)
}

// srcNode wraps batches as a plan node; env() opens it.
func srcNode(types []catalog.Type, batches ...*vec.Batch) *plan.Scan {
	cols := make([]catalog.Column, len(types))
	idx := make([]int, len(types))
	for i, t := range types {
		cols[i] = catalog.Column{Name: fmt.Sprintf("c%d", i), Type: t}
		idx[i] = i
	}
	s := &plan.Scan{Table: &catalog.Table{Columns: cols}, Cols: idx}
	scanData[s] = batches
	return s
}

var scanData = map[*plan.Scan][]*vec.Batch{}

var testEnv = &Env{
	OpenScan: func(ctx context.Context, s *plan.Scan) (Operator, error) {
		return NewSliceSource(s.Types(), scanData[s]), nil
	},
}

// splitBatches cuts a batch into pieces of at most n rows (copies).
func splitBatches(b *vec.Batch, n int) []*vec.Batch {
	var out []*vec.Batch
	for from := 0; from < b.N; from += n {
		to := min(from+n, b.N)
		nb := vec.NewBatch(b.Types(), to-from)
		for c, v := range b.Cols {
			appendVec(nb.Cols[c], v, from, to)
		}
		nb.N = to - from
		out = append(out, nb)
	}
	return out
}
