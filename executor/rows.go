package executor

import (
	"context"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// NewRows returns an operator over rows of datums computed outside the
// executor (a system relation's rows, plan.SystemScan), with the given
// column types: a datum holds its value in the field its type's vector
// uses (I for integers, dates, timestamps and scaled numerics, F for
// floats, B for booleans, S for strings and per-value-scale numerics).
// Rows are converted to batches of at most vec.BatchSize rows as they are
// read.
func NewRows(types []catalog.Type, rows [][]plan.Datum) Operator {
	return &rowsOp{types: types, rows: rows, out: vec.NewBatch(types, min(len(rows), vec.BatchSize))}
}

type rowsOp struct {
	types []catalog.Type
	rows  [][]plan.Datum
	out   *vec.Batch
}

func (o *rowsOp) Next(ctx context.Context) (*vec.Batch, error) {
	if len(o.rows) == 0 {
		return nil, nil
	}
	n := min(len(o.rows), vec.BatchSize)
	o.out.Reset()
	for _, row := range o.rows[:n] {
		for c, d := range row {
			appendDatum(o.out.Cols[c], d)
		}
	}
	o.out.N = n
	o.rows = o.rows[n:]
	return o.out, nil
}

func (o *rowsOp) Close()                { o.rows = nil }
func (o *rowsOp) Types() []catalog.Type { return o.types }
