package executor

import (
	"context"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/pgcat"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// perRowOp joins each row of its input with rows computed for that row:
// a set-returning function's (plan.ProjectSet) or a lateral subquery's
// (plan.LateralJoin). rowsFor gives the rows for input row i of the
// current batch; with outer, a row that gets none is kept once with
// NULLs. Output is built a row at a time into batches of at most
// vec.BatchSize rows: catalog queries, which use it, read few rows.
type perRowOp struct {
	in    Operator
	types []catalog.Type
	nin   int // the input's columns
	outer bool
	// start prepares a new input batch; rowsFor computes row i's rows.
	start   func(b *vec.Batch) error
	rowsFor func(ctx context.Context, i int) ([][]plan.Datum, error)
	out     *vec.Batch

	batch *vec.Batch     // the input batch being expanded
	row   int            // the next row of batch to expand
	rows  [][]plan.Datum // the current row's rows
	next  int            // the next of those to emit
	done  bool
}

func (o *perRowOp) Next(ctx context.Context) (*vec.Batch, error) {
	if o.out == nil {
		o.out = vec.NewBatch(o.types, vec.BatchSize)
	}
	o.out.Reset()
	for o.out.N < vec.BatchSize {
		if o.next < len(o.rows) {
			o.emit(o.rows[o.next])
			o.next++
			continue
		}
		if o.batch == nil || o.row >= o.batch.N {
			if o.done {
				break
			}
			b, err := o.in.Next(ctx)
			if err != nil {
				return nil, err
			}
			if b == nil {
				o.done = true
				break
			}
			o.batch, o.row = b, 0
			if err := o.start(b); err != nil {
				return nil, err
			}
			continue
		}
		rows, err := o.rowsFor(ctx, o.row)
		if err != nil {
			return nil, err
		}
		o.row++
		o.rows, o.next = rows, 0
		if len(rows) == 0 && o.outer {
			o.emit(nil)
		}
	}
	if o.out.N == 0 {
		return nil, nil
	}
	return o.out, nil
}

// emit appends the current input row followed by r (nil: NULLs).
func (o *perRowOp) emit(r []plan.Datum) {
	i := o.row - 1
	for c, v := range o.batch.Cols {
		appendDatum(o.out.Cols[c], datumOf(v, i))
	}
	for c := o.nin; c < len(o.types); c++ {
		d := plan.Datum{Null: true}
		if r != nil {
			d = r[c-o.nin]
		}
		appendDatum(o.out.Cols[c], d)
	}
	o.out.N++
}

func (o *perRowOp) Close()                { o.in.Close() }
func (o *perRowOp) Types() []catalog.Type { return o.types }

// newProjectSet runs a plan.ProjectSet: for each input row its functions'
// arguments are evaluated, their rows computed (setRows) and zipped, the
// shorter ones padded with NULLs, then numbered with Ordinality.
func newProjectSet(in Operator, n *plan.ProjectSet) (Operator, error) {
	var args [][]node // per function, compiled over the input's columns
	for _, f := range n.Funcs {
		a, err := compileAll(f.Args)
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	var argv [][]*vec.Vector // per function, over the current batch
	o := &perRowOp{in: in, types: n.Types(), nin: len(n.Input.Types()), outer: n.Outer}
	o.start = func(b *vec.Batch) error {
		argv = argv[:0]
		for _, a := range args {
			vs := make([]*vec.Vector, len(a))
			if err := evalArgs(a, vs, b); err != nil {
				return err
			}
			argv = append(argv, vs)
		}
		return nil
	}
	o.rowsFor = func(_ context.Context, i int) ([][]plan.Datum, error) {
		var each [][][]plan.Datum
		count := 0
		for k, f := range n.Funcs {
			ds := make([]plan.Datum, len(argv[k]))
			for j, v := range argv[k] {
				ds[j] = datumOf(v, i)
			}
			rows, err := setRows(f, ds)
			if err != nil {
				return nil, err
			}
			each = append(each, rows)
			count = max(count, len(rows))
		}
		out := make([][]plan.Datum, count)
		for r := range out {
			for k, f := range n.Funcs {
				if r < len(each[k]) {
					out[r] = append(out[r], each[k][r]...)
					continue
				}
				for range f.ColTypes {
					out[r] = append(out[r], plan.Datum{Null: true})
				}
			}
			if n.Ordinality {
				out[r] = append(out[r], plan.Datum{I: int64(r + 1)})
			}
		}
		return out, nil
	}
	return o, nil
}

// newLateralJoin runs a plan.LateralJoin: for each input row its Sub runs
// with the row's values of Args (the init-plan pass set the Runner).
func newLateralJoin(in Operator, n *plan.LateralJoin) (Operator, error) {
	run, ok := n.Runner.(lateralRun)
	if !ok {
		return nil, sqlerr.New(sqlerr.Internal, "executor: a lateral join outside the coordinator")
	}
	args, err := compileAll(n.Args)
	if err != nil {
		return nil, err
	}
	vs := make([]*vec.Vector, len(args))
	o := &perRowOp{in: in, types: n.Types(), nin: len(n.Left.Types()), outer: n.Outer}
	o.start = func(b *vec.Batch) error { return evalArgs(args, vs, b) }
	o.rowsFor = func(ctx context.Context, i int) ([][]plan.Datum, error) {
		vals := make([]plan.Datum, len(vs))
		for j, v := range vs {
			vals[j] = datumOf(v, i)
		}
		op, err := run(vals)
		if err != nil {
			return nil, err
		}
		defer op.Close()
		var rows [][]plan.Datum
		for {
			b, err := op.Next(ctx)
			if err != nil || b == nil {
				return rows, err
			}
			for r := 0; r < b.N; r++ {
				row := make([]plan.Datum, len(b.Cols))
				for c, v := range b.Cols {
					row[c] = datumOf(v, r)
				}
				rows = append(rows, row)
			}
		}
	}
	return o, nil
}

// setRows returns the rows of set-returning function f for argument
// values args. The functions are strict: a NULL argument gives no rows.
//
//	generate_series(start, stop [, step])  integers
//	unnest(array)                          the elements
//	generate_subscripts(array, dim [, reverse])  the subscripts of dimension dim
//	information_schema._pg_expandarray(array)    (x, n): each element and
//	                                             its 1-based position
//	pg_get_keywords()                      (word, catcode, barelabel, catdesc, baredesc)
func setRows(f *plan.SetFunc, args []plan.Datum) ([][]plan.Datum, error) {
	for _, a := range args {
		if a.Null {
			return nil, nil
		}
	}
	var rows [][]plan.Datum
	switch f.Func {
	case "generate_series":
		step := int64(1)
		if len(args) == 3 {
			step = args[2].I
		}
		if step == 0 {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "step size cannot equal zero")
		}
		for x := args[0].I; (step > 0 && x <= args[1].I) || (step < 0 && x >= args[1].I); x += step {
			rows = append(rows, []plan.Datum{{I: x}})
			if (step > 0 && x > x+step) || (step < 0 && x < x+step) {
				break // the next value would overflow: x was the last
			}
		}
	case "unnest", "information_schema._pg_expandarray":
		at := f.Args[0].Type
		elems, err := pgtype.ParseArray(at, args[0].S)
		if err != nil {
			return nil, err
		}
		for i, el := range elems {
			d := plan.Datum{Null: true}
			if !el.Null {
				if d, err = pgtype.ParseText(at.ElemType(), []byte(el.S)); err != nil {
					return nil, err
				}
			}
			row := []plan.Datum{d}
			if f.Func != "unnest" {
				row = append(row, plan.Datum{I: int64(i + 1)})
			}
			rows = append(rows, row)
		}
	case "generate_subscripts":
		at := f.Args[0].Type
		elems, err := pgtype.ParseArray(at, args[0].S)
		if err != nil {
			return nil, err
		}
		if args[1].I != 1 || len(elems) == 0 {
			return nil, nil
		}
		lower := int64(1)
		if at.Kind != catalog.Array {
			lower = 0 // int2vector, oidvector
		}
		for i := range elems {
			x := lower + int64(i)
			if len(args) == 3 && args[2].B {
				x = lower + int64(len(elems)-1-i)
			}
			rows = append(rows, []plan.Datum{{I: x}})
		}
	case "pg_get_keywords":
		for _, k := range pgcat.Keywords {
			rows = append(rows, []plan.Datum{{S: k.Word}, {S: string(k.Category)}, {B: k.BareLabel}, {S: k.CategoryDesc()}, {S: k.BareLabelDesc()}})
		}
	default:
		return nil, sqlerr.Errorf(sqlerr.Internal, "executor: no set-returning function %q", f.Func)
	}
	return rows, nil
}
