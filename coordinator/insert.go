package coordinator

import (
	"context"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// insert runs INSERT: the source rows are computed (their scans on
// participants), laid out as whole table rows, and written through
// participants as new files of the table in the transaction.
func (s *session) insert(ctx context.Context, st *planner.Insert) (int64, error) {
	op, err := executor.Build(ctx, st.Source, s.env())
	if err != nil {
		return 0, err
	}
	defer op.Close()
	tw := newTableWriter(s, st.Table)
	ok := false
	defer func() {
		if !ok {
			tw.abort()
		}
	}()
	for {
		b, err := op.Next(ctx)
		if err != nil {
			return 0, err
		}
		if b == nil {
			break
		}
		if err := tw.send(ctx, tableLayout(st.Table, st.Targets, b)); err != nil {
			return 0, err
		}
	}
	if err := tw.finish(ctx); err != nil {
		return 0, err
	}
	ok = true
	return tw.rows, nil
}

// tableLayout arranges source columns into table column order: source
// column i goes to table column targets[i]; others are NULL.
func tableLayout(t *catalog.Table, targets []int, b *vec.Batch) *vec.Batch {
	out := &vec.Batch{Cols: make([]*vec.Vector, len(t.Columns)), N: b.N}
	for i, col := range targets {
		v := *b.Cols[i]
		v.Type = t.Columns[col].Type
		out.Cols[col] = &v
	}
	for i, c := range t.Columns {
		if out.Cols[i] == nil {
			v := vec.NewVector(c.Type, b.N)
			for r := 0; r < b.N; r++ {
				v.AppendNull()
			}
			out.Cols[i] = v
		}
	}
	return out
}

// typeFromOID maps a client-declared parameter type: 0 and unknown leave
// it to the statement, any other type Cirrus has (scalars, the OID and
// reg* types, their arrays) is taken as declared.
func typeFromOID(oid uint32) (catalog.Type, error) {
	switch catalog.OID(oid) {
	case 0, catalog.OIDUnknown:
		return catalog.TypeUnknown, nil
	}
	if t, ok := catalog.TypeOfOID(catalog.OID(oid)); ok {
		return t, nil
	}
	return catalog.Type{}, sqlerr.Errorf(sqlerr.FeatureNotSupported, "parameter type %d is not supported yet", oid)
}

// checkNoNulls fails with 23502 when any of the named columns of t holds a
// NULL (a column added to a table with rows is NULL in every old row).
func (s *session) checkNoNulls(ctx context.Context, t *catalog.Table, cols []string) error {
	m, err := s.manifestFor(ctx, t)
	if err != nil || m.Rows() == 0 {
		return err
	}
	for _, name := range cols {
		i := t.ColumnIndex(name)
		scan := &plan.Scan{Table: t, Cols: []int{i}, Filter: plan.CallOf("isnull", catalog.TypeBool, plan.Col(0, t.Columns[i].Type))}
		count := &plan.AggCall{Func: "count", Type: catalog.TypeInt8}
		partial := &plan.Aggregate{Input: scan, Aggs: []*plan.AggCall{count}, Phase: plan.Partial}
		final := &plan.Aggregate{Input: &plan.Remote{Fragment: partial}, Aggs: []*plan.AggCall{count}, Phase: plan.Final}
		op, err := executor.Build(ctx, final, s.env())
		if err != nil {
			return err
		}
		b, err := executor.Drain(ctx, op)
		if err != nil {
			return err
		}
		if b.N > 0 && b.Cols[0].I64[0] > 0 {
			return sqlerr.Errorf(sqlerr.NotNullViolation, "column %q of relation %q contains null values", name, t.Name)
		}
	}
	return nil
}
