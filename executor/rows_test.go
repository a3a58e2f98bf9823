package executor

import (
	"context"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// TestSystemScan runs a plan over a system relation whose rows the Env
// supplies through NewRows: values of every representation, NULLs, and
// more rows than one batch holds, filtered and aggregated above the scan.
func TestSystemScan(t *testing.T) {
	types := []catalog.Type{tT, tI8, tF8, tB}
	var rows [][]plan.Datum
	for i := range 5000 {
		rows = append(rows, []plan.Datum{{S: "n" + string(rune('a'+i%3))}, {I: int64(i)}, {F: float64(i) / 2}, {B: i%2 == 0}})
	}
	rows = append(rows, []plan.Datum{{Null: true}, {Null: true}, {Null: true}, {Null: true}})
	opened := 0
	env := &Env{OpenSystem: func(ctx context.Context, s *plan.SystemScan) (Operator, error) {
		if s.Relation != "sys" {
			t.Fatalf("opened %q", s.Relation)
		}
		opened++
		return NewRows(s.ColTypes, rows), nil
	}}
	scan := &plan.SystemScan{Relation: "sys", ColTypes: types}
	got := runPlan(t, scan, env)
	if len(got) != 5001 || got[4999][1] != int64(4999) || got[4999][2] != 2499.5 || got[4998][3] != true || got[5000][0] != nil {
		t.Fatalf("rows: %d, last two %v %v", len(got), got[4999], got[5000])
	}
	filtered := &plan.Filter{Input: scan, Pred: call("<", tB, col(1, tI8), i8(3))}
	wantRows(t, runPlan(t, filtered, env), `
na 0 0 true
nb 1 0.5 false
nc 2 1 true`)
	agg := aggNode(scan, plan.Complete, []*plan.Expr{col(0, tT)}, &plan.AggCall{Func: "count", Arg: col(1, tI8), Type: tI8})
	if got := sortedRows(runPlan(t, agg, env)); got != "<nil> 0\nna 1667\nnb 1667\nnc 1666" {
		t.Errorf("aggregate over the system scan:\n%s", got)
	}
	if opened != 3 {
		t.Errorf("rows computed %d times for 3 plans", opened)
	}
	// Without an opener (a participant) the plan cannot run.
	if _, err := Build(context.Background(), scan, &Env{}); sqlerr.Code(err) != sqlerr.Internal {
		t.Errorf("no opener: %v", err)
	}
}
