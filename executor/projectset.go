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

// projectSetOp runs a plan.ProjectSet: for each input row it evaluates the
// set-returning functions' arguments, computes their rows and emits the
// input row once per row of the longest (setRows), a row at a time into
// batches of at most vec.BatchSize rows. Catalog queries, which use it,
// read few rows.
type projectSetOp struct {
	in    Operator
	n     *plan.ProjectSet
	args  [][]node // per function, compiled over the input's columns
	types []catalog.Type
	out   *vec.Batch

	batch *vec.Batch       // the input batch being expanded
	argv  [][]*vec.Vector  // its arguments' values, per function
	row   int              // the next row of batch to expand
	rows  [][][]plan.Datum // the current row's function rows, per function
	next  int              // the next of those rows to emit
	count int              // how many there are (the longest function's)
	done  bool
}

func newProjectSet(in Operator, n *plan.ProjectSet) (Operator, error) {
	o := &projectSetOp{in: in, n: n, types: n.Types()}
	for _, f := range n.Funcs {
		args, err := compileAll(f.Args)
		if err != nil {
			return nil, err
		}
		o.args = append(o.args, args)
	}
	o.out = vec.NewBatch(o.types, vec.BatchSize)
	return o, nil
}

func (o *projectSetOp) Next(ctx context.Context) (*vec.Batch, error) {
	o.out.Reset()
	for o.out.N < vec.BatchSize {
		if o.next < o.count {
			o.emit()
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
			if err := o.evalArgs(b); err != nil {
				return nil, err
			}
			continue
		}
		if err := o.expand(); err != nil {
			return nil, err
		}
	}
	if o.out.N == 0 {
		return nil, nil
	}
	return o.out, nil
}

// evalArgs takes the next input batch and evaluates every function's
// arguments over it.
func (o *projectSetOp) evalArgs(b *vec.Batch) error {
	o.batch, o.row = b, 0
	o.argv = o.argv[:0]
	for _, args := range o.args {
		vs := make([]*vec.Vector, len(args))
		if err := evalArgs(args, vs, b); err != nil {
			return err
		}
		o.argv = append(o.argv, vs)
	}
	return nil
}

// expand computes the function rows of the input row o.row.
func (o *projectSetOp) expand() error {
	i := o.row
	o.row++
	o.rows, o.next, o.count = o.rows[:0], 0, 0
	for k, f := range o.n.Funcs {
		ds := make([]plan.Datum, len(o.argv[k]))
		for j, v := range o.argv[k] {
			ds[j] = datumOf(v, i)
		}
		rows, err := setRows(f, ds)
		if err != nil {
			return err
		}
		o.rows = append(o.rows, rows)
		o.count = max(o.count, len(rows))
	}
	if o.count == 0 && o.n.Outer {
		o.count = 1
		o.rows = o.rows[:0] // every function gives NULLs
		for range o.n.Funcs {
			o.rows = append(o.rows, nil)
		}
	}
	return nil
}

// emit appends the input row with its function row o.next.
func (o *projectSetOp) emit() {
	i, r := o.row-1, o.next
	o.next++
	c := 0
	for _, v := range o.batch.Cols {
		appendDatum(o.out.Cols[c], datumOf(v, i))
		c++
	}
	for k, f := range o.n.Funcs {
		for j := range f.ColTypes {
			d := plan.Datum{Null: true}
			if r < len(o.rows[k]) {
				d = o.rows[k][r][j]
			}
			appendDatum(o.out.Cols[c], d)
			c++
		}
	}
	if o.n.Ordinality {
		d := plan.Datum{I: int64(r + 1)}
		if len(o.rows) > 0 && o.count == 1 && o.n.Outer && allEmpty(o.rows) {
			d = plan.Datum{Null: true}
		}
		appendDatum(o.out.Cols[c], d)
	}
	o.out.N++
}

func allEmpty(rows [][][]plan.Datum) bool {
	for _, r := range rows {
		if len(r) > 0 {
			return false
		}
	}
	return true
}

func (o *projectSetOp) Close()                { o.in.Close() }
func (o *projectSetOp) Types() []catalog.Type { return o.types }

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
