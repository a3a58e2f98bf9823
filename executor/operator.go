package executor

import (
	"context"
	"encoding/binary"
	"math/bits"
	"unsafe"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Operator produces batches; Next returns nil, nil at the end. The batch
// returned stays valid until the next Next call; the caller must not modify
// it. Close releases the operator and its inputs; it may be called before
// the end and more than once.
type Operator interface {
	Next(ctx context.Context) (*vec.Batch, error)
	Close()
}

// Typed is implemented by operators that know their output types (all of
// this package's do). Drain uses it to shape an empty result.
type Typed interface {
	Types() []catalog.Type
}

// Env supplies the leaves the executor cannot build itself.
type Env struct {
	// OpenScan opens a table scan (participants read Parquet). Its output
	// has s.Types() columns. Build wraps it in a filter on s.Filter unless
	// ScanAppliesFilter is true.
	OpenScan          func(ctx context.Context, s *plan.Scan) (Operator, error)
	ScanAppliesFilter bool
	// OpenRemote opens a Remote node (the coordinator gathers from
	// participants over Arrow Flight).
	OpenRemote func(ctx context.Context, r *plan.Remote) (Operator, error)
	// OpenExchange opens an exchange source (on a participant: the rows
	// every participant's Shuffle sent to this one). Its output has
	// x.ColTypes columns.
	OpenExchange func(ctx context.Context, x *plan.ExchangeSource) (Operator, error)
	// OpenSystem opens a system relation's scan (the coordinator computes
	// its rows). Its output has s.ColTypes columns.
	OpenSystem func(ctx context.Context, s *plan.SystemScan) (Operator, error)
	// Shared, when set, is shared by the workers running copies of one
	// plan at once: each join's build side is built once, by one of them
	// (shared.go).
	Shared *Shared

	joinIDs map[*plan.Join]int // positions of the joins, with Shared
}

// Build turns a plan tree into an operator tree, after running the plan's
// scalar subqueries (plan.Subquery) and substituting their values in a copy
// of the plan; n itself is not modified. A panic inside the tree
// (a bug) surfaces from Next as an XX000 error instead of taking the
// process down.
func Build(ctx context.Context, n plan.Node, env *Env) (op Operator, err error) {
	if env == nil {
		env = &Env{}
	}
	defer func() {
		if r := recover(); r != nil {
			op, err = nil, sqlerr.Errorf(sqlerr.Internal, "executor: panic building %T: %v", n, r)
		}
	}()
	// Scalar subqueries run first, so the plan built (and any fragment
	// shipped) holds their values (initplan.go).
	if n, err = substituteSubqueries(ctx, n, env); err != nil {
		return nil, err
	}
	if env.Shared != nil {
		e := *env
		e.joinIDs = joinIDs(n)
		env = &e
	}
	op, err = build(ctx, n, env)
	if err != nil {
		return nil, err
	}
	return &guardOp{op}, nil
}

// guardOp turns panics in Next into errors.
type guardOp struct{ Operator }

func (g *guardOp) Next(ctx context.Context) (b *vec.Batch, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, sqlerr.Errorf(sqlerr.Internal, "executor: panic: %v", r)
		}
	}()
	return g.Operator.Next(ctx)
}

func (g *guardOp) Types() []catalog.Type { return typesOf(g.Operator) }

func build(ctx context.Context, n plan.Node, env *Env) (Operator, error) {
	switch n := n.(type) {
	case *plan.Scan:
		if env.OpenScan == nil {
			return nil, sqlerr.New(sqlerr.Internal, "executor: no scan opener")
		}
		op, err := env.OpenScan(ctx, n)
		if err != nil {
			return nil, err
		}
		if n.Filter != nil && !env.ScanAppliesFilter {
			f, err := NewFilter(op, n.Filter)
			if err != nil {
				op.Close()
				return nil, err
			}
			return f, nil
		}
		return withTypes(op, n.Types()), nil
	case *plan.Values:
		return newValues(n)
	case *plan.DistinctOn:
		in, err := build(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		return newDistinctOn(in, n), nil
	case *plan.Append:
		ins := make([]Operator, 0, len(n.Inputs))
		for _, c := range n.Inputs {
			op, err := build(ctx, c, env)
			if err != nil {
				for _, o := range ins {
					o.Close()
				}
				return nil, err
			}
			ins = append(ins, op)
		}
		return &appendOp{ins: ins, types: n.Types()}, nil
	case *plan.Filter:
		in, err := build(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		return closeOnErr(NewFilter(in, n.Pred))(in)
	case *plan.Project:
		in, err := build(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		return closeOnErr(newProject(in, n.Exprs))(in)
	case *plan.Aggregate:
		in, err := build(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		return closeOnErr(newAggregate(in, n))(in)
	case *plan.Join:
		l, err := build(ctx, n.Left, env)
		if err != nil {
			return nil, err
		}
		r, err := build(ctx, n.Right, env)
		if err != nil {
			l.Close()
			return nil, err
		}
		op, err := newJoin(l, r, n)
		if err != nil {
			l.Close()
			r.Close()
			return nil, err
		}
		if id, ok := env.joinIDs[n]; ok && env.Shared != nil {
			if jo, ok := op.(*joinOp); ok {
				jo.shared = env.Shared.slot(id)
			}
		}
		return op, nil
	case *plan.Sort:
		in, err := build(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		return closeOnErr(newSort(in, n))(in)
	case *plan.Window:
		in, err := build(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		return closeOnErr(newWindow(in, n))(in)
	case *plan.Limit:
		in, err := build(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		return &limitOp{in: in, count: n.Count, offset: n.Offset, types: n.Types()}, nil
	case *plan.Remote:
		return openLeaf(ctx, n, env.OpenRemote, "remote")
	case *plan.SystemScan:
		return openLeaf(ctx, n, env.OpenSystem, "system relation")
	case *plan.LateralJoin:
		in, err := build(ctx, n.Left, env)
		if err != nil {
			return nil, err
		}
		return closeOnErr(newLateralJoin(in, n))(in)
	case *plan.ProjectSet:
		in, err := build(ctx, n.Input, env)
		if err != nil {
			return nil, err
		}
		return closeOnErr(newProjectSet(in, n))(in)
	case *plan.ExchangeSource:
		return openLeaf(ctx, n, env.OpenExchange, "exchange")
	case nil:
		return nil, sqlerr.New(sqlerr.Internal, "executor: nil plan node")
	}
	return nil, sqlerr.Errorf(sqlerr.Internal, "executor: unknown plan node %T", n)
}

// openLeaf opens a leaf the Env supplies, typed as its plan node.
func openLeaf[N plan.Node](ctx context.Context, n N, open func(context.Context, N) (Operator, error), what string) (Operator, error) {
	if open == nil {
		return nil, sqlerr.Errorf(sqlerr.Internal, "executor: no %s opener", what)
	}
	op, err := open(ctx, n)
	if err != nil {
		return nil, err
	}
	return withTypes(op, n.Types()), nil
}

// closeOnErr closes the input when building the operator over it failed.
func closeOnErr(op Operator, err error) func(in Operator) (Operator, error) {
	return func(in Operator) (Operator, error) {
		if err != nil {
			in.Close()
			return nil, err
		}
		return op, nil
	}
}

// typedOp gives an opened leaf the types its plan node declares.
type typedOp struct {
	Operator
	types []catalog.Type
}

func (t *typedOp) Types() []catalog.Type { return t.types }

func withTypes(op Operator, types []catalog.Type) Operator {
	if _, ok := op.(Typed); ok {
		return op
	}
	return &typedOp{op, types}
}

func typesOf(op Operator) []catalog.Type {
	if t, ok := op.(Typed); ok {
		return t.Types()
	}
	return nil
}

// Drain collects all batches of op into one batch and closes op.
func Drain(ctx context.Context, op Operator) (*vec.Batch, error) {
	defer op.Close()
	var out *vec.Batch
	if ts := typesOf(op); ts != nil {
		out = vec.NewBatch(ts, 0)
	}
	for {
		b, err := op.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b == nil {
			break
		}
		if out == nil {
			out = vec.NewBatch(b.Types(), 0)
		}
		if len(b.Cols) != len(out.Cols) {
			return nil, sqlerr.Errorf(sqlerr.Internal, "executor: batch has %d columns, want %d", len(b.Cols), len(out.Cols))
		}
		for i, c := range b.Cols {
			appendVec(out.Cols[i], c, 0, b.N)
		}
		out.N += b.N
	}
	if out == nil {
		out = &vec.Batch{}
	}
	return out, nil
}

// sliceSource yields a fixed list of batches.
type sliceSource struct {
	types   []catalog.Type
	batches []*vec.Batch
	i       int
}

// NewSliceSource returns an Operator over a fixed list of batches (for
// tests, and for the coordinator to feed rows it holds).
func NewSliceSource(types []catalog.Type, batches []*vec.Batch) Operator {
	return &sliceSource{types: types, batches: batches}
}

func (s *sliceSource) Next(ctx context.Context) (*vec.Batch, error) {
	for s.i < len(s.batches) {
		b := s.batches[s.i]
		s.i++
		if b != nil && b.N > 0 {
			return b, nil
		}
	}
	return nil, nil
}

func (s *sliceSource) Close()                { s.i = len(s.batches) }
func (s *sliceSource) Types() []catalog.Type { return s.types }

// ---- Filter ----

// BatchFilter applies a predicate to batches, keeping rows where it is true
// (NULL counts as false). A top-level AND is split into conjuncts applied
// one after another; a conjunct that can fail (1/x > 0) only sees the rows
// earlier conjuncts kept, as PostgreSQL's evaluation order would have it.
// Scans use it to filter before emitting.
type BatchFilter struct {
	conj []node
	mask []bool
	sel  []int32
	bufs [2]*ownedBatch
}

// NewBatchFilter compiles pred (a boolean expression over the batch's
// columns).
func NewBatchFilter(pred *plan.Expr) (*BatchFilter, error) {
	var conj []*plan.Expr
	var split func(e *plan.Expr)
	split = func(e *plan.Expr) {
		if e.Kind == plan.Call && e.Op == "and" {
			for _, a := range e.Args {
				split(a)
			}
			return
		}
		conj = append(conj, e)
	}
	split(pred)
	f := &BatchFilter{}
	for _, e := range conj {
		if e.Type.Kind == catalog.Unknown {
			e = plan.CastOf(e, catalog.TypeBool)
		}
		n, err := compile(e)
		if err != nil {
			return nil, err
		}
		if physOf(n.meta().typ) != pBool {
			return nil, sqlerr.Errorf(sqlerr.DatatypeMismatch, "argument of WHERE must be type boolean, not type %s", n.meta().typ)
		}
		f.conj = append(f.conj, n)
	}
	return f, nil
}

// Apply returns the rows of b the predicate keeps: b itself when all pass,
// otherwise a compacted batch owned by f and valid until the next Apply.
// The result may have N = 0.
func (f *BatchFilter) Apply(b *vec.Batch) (*vec.Batch, error) {
	cur := b
	if cap(f.mask) < b.N {
		f.mask = make([]bool, b.N, max(b.N, vec.BatchSize))
	}
	mask := f.mask[:b.N]
	fresh := true // mask not yet set for cur: every row is live
	live := b.N
	ping := 0
	for _, c := range f.conj {
		if !fresh && live < cur.N && c.meta().canErr {
			cur = f.compact(cur, mask, ping)
			ping ^= 1
			mask = f.mask[:cur.N]
			fresh = true
		}
		v, err := c.eval(cur)
		if err != nil {
			return nil, err
		}
		vb := v.Bool[:cur.N]
		if fresh {
			copy(mask, vb)
		} else {
			andBools(mask, vb)
		}
		if v.Nulls != nil {
			andNotBools(mask, v.Nulls[:cur.N])
		}
		fresh = false
		live = countTrue(mask)
		if live == 0 {
			break
		}
	}
	if live == cur.N {
		return cur, nil
	}
	return f.compact(cur, mask, ping), nil
}

// b2i is 1 for true, 0 for false, without a branch.
func b2i(b bool) int { return int(*(*uint8)(unsafe.Pointer(&b))) }

// boolBytes views bools as their 0/1 bytes.
func boolBytes(b []bool) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b))), len(b))
}

// andBools sets dst[i] = dst[i] && src[i], eight flags per step.
func andBools(dst, src []bool) {
	d, s := boolBytes(dst), boolBytes(src[:len(dst)])
	n := len(d) &^ 7
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(d[i:], binary.LittleEndian.Uint64(d[i:])&binary.LittleEndian.Uint64(s[i:]))
	}
	for i := n; i < len(d); i++ {
		d[i] &= s[i]
	}
}

// andNotBools sets dst[i] = dst[i] && !src[i].
func andNotBools(dst, src []bool) {
	const ones = 0x0101010101010101
	d, s := boolBytes(dst), boolBytes(src[:len(dst)])
	n := len(d) &^ 7
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(d[i:], binary.LittleEndian.Uint64(d[i:])&^binary.LittleEndian.Uint64(s[i:])&ones)
	}
	for i := n; i < len(d); i++ {
		d[i] &^= s[i]
	}
}

// countTrue counts set flags, eight per step (each byte is 0 or 1).
func countTrue(mask []bool) int {
	m := boolBytes(mask)
	n := len(m) &^ 7
	c := 0
	for i := 0; i < n; i += 8 {
		c += bits.OnesCount64(binary.LittleEndian.Uint64(m[i:]))
	}
	for i := n; i < len(m); i++ {
		c += int(m[i])
	}
	return c
}

// selectTrue returns the indexes of the set flags, without branches.
func selectTrue(sel []int32, mask []bool) []int32 {
	if cap(sel) < len(mask) {
		sel = make([]int32, len(mask), max(len(mask), vec.BatchSize))
	}
	sel = sel[:len(mask)]
	k := 0
	for i, m := range mask {
		sel[k] = int32(i)
		k += b2i(m)
	}
	return sel[:k]
}

func (f *BatchFilter) compact(b *vec.Batch, mask []bool, ping int) *vec.Batch {
	f.sel = selectTrue(f.sel, mask)
	ob := f.bufs[ping]
	if ob == nil || len(ob.bufs) != len(b.Cols) {
		ob = newOwnedBatch(b.Types())
		f.bufs[ping] = ob
	}
	return ob.gather(b, f.sel)
}

type filterOp struct {
	in Operator
	f  *BatchFilter
}

// NewFilter returns an operator keeping the rows of in where pred is true.
func NewFilter(in Operator, pred *plan.Expr) (Operator, error) {
	f, err := NewBatchFilter(pred)
	if err != nil {
		return nil, err
	}
	return &filterOp{in: in, f: f}, nil
}

func (o *filterOp) Next(ctx context.Context) (*vec.Batch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err // a filter rejecting everything never returns otherwise
		}
		b, err := o.in.Next(ctx)
		if err != nil || b == nil {
			return nil, err
		}
		out, err := o.f.Apply(b)
		if err != nil {
			return nil, err
		}
		if out.N > 0 {
			return out, nil
		}
	}
}

func (o *filterOp) Close()                { o.in.Close() }
func (o *filterOp) Types() []catalog.Type { return typesOf(o.in) }

// ---- Project ----

type projectOp struct {
	in    Operator
	exprs []node
	types []catalog.Type
	out   vec.Batch
}

func newProject(in Operator, exprs []*plan.Expr) (Operator, error) {
	ns, err := compileAll(exprs)
	if err != nil {
		return nil, err
	}
	p := &projectOp{in: in, exprs: ns, types: make([]catalog.Type, len(exprs))}
	for i, e := range exprs {
		p.types[i] = e.Type
	}
	p.out.Cols = make([]*vec.Vector, len(ns))
	return p, nil
}

func (p *projectOp) Next(ctx context.Context) (*vec.Batch, error) {
	b, err := p.in.Next(ctx)
	if err != nil || b == nil {
		return nil, err
	}
	for i, e := range p.exprs {
		v, err := e.eval(b)
		if err != nil {
			return nil, err
		}
		p.out.Cols[i] = v
	}
	p.out.N = b.N
	return &p.out, nil
}

func (p *projectOp) Close()                { p.in.Close() }
func (p *projectOp) Types() []catalog.Type { return p.types }

// ---- Values ----

type valuesOp struct {
	v       *plan.Values
	batches []*vec.Batch
	ready   bool
	pos     int
}

func newValues(v *plan.Values) (Operator, error) {
	for _, row := range v.Rows {
		if len(row) != len(v.ColTypes) {
			return nil, sqlerr.Errorf(sqlerr.SyntaxError, "VALUES lists must all be the same length")
		}
	}
	return &valuesOp{v: v}, nil
}

// materialize evaluates every row (constant expressions, possibly with
// casts and calls) into batches of at most vec.BatchSize rows.
func (o *valuesOp) materialize() error {
	ts := o.v.ColTypes
	one := &vec.Batch{N: 1}
	for start := 0; start < len(o.v.Rows); start += vec.BatchSize {
		rows := o.v.Rows[start:min(start+vec.BatchSize, len(o.v.Rows))]
		b := vec.NewBatch(ts, len(rows))
		for _, row := range rows {
			for c, e := range row {
				dst := b.Cols[c]
				if e.Kind == plan.Const && (e.Type == ts[c] || e.Value.Null) {
					appendDatum(dst, e.Value)
					continue
				}
				n, err := compile(plan.CastOf(e, ts[c]))
				if err != nil {
					return err
				}
				v, err := n.eval(one)
				if err != nil {
					return err
				}
				appendVec(dst, v, 0, 1)
			}
		}
		b.N = len(rows)
		o.batches = append(o.batches, b)
	}
	return nil
}

// appendDatum appends a constant to a vector of its type.
func appendDatum(dst *vec.Vector, d plan.Datum) {
	if d.Null {
		dst.AppendNull()
		return
	}
	switch physOf(dst.Type) {
	case pI64:
		dst.AppendInt64(d.I)
	case pF64:
		dst.AppendFloat64(d.F)
	case pBool:
		dst.AppendBool(d.B)
	case pStr:
		dst.AppendBytes([]byte(d.S))
	}
}

func (o *valuesOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !o.ready {
		o.ready = true
		if err := o.materialize(); err != nil {
			return nil, err
		}
	}
	if o.pos >= len(o.batches) {
		return nil, nil
	}
	o.pos++
	return o.batches[o.pos-1], nil
}

func (o *valuesOp) Close()                {}
func (o *valuesOp) Types() []catalog.Type { return o.v.ColTypes }

// ---- Limit ----

type limitOp struct {
	in            Operator
	count, offset int64
	types         []catalog.Type
	emitted       int64
	done          bool
	view          vec.Batch
	tail          *ownedBatch
	sel           []int32
}

func (l *limitOp) Next(ctx context.Context) (*vec.Batch, error) {
	for !l.done {
		if l.count >= 0 && l.emitted >= l.count {
			l.finish()
			break
		}
		b, err := l.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b == nil {
			l.finish()
			break
		}
		from := 0
		if l.offset > 0 {
			if int64(b.N) <= l.offset {
				l.offset -= int64(b.N)
				continue
			}
			from = int(l.offset)
			l.offset = 0
		}
		to := b.N
		if l.count >= 0 && int64(to-from) > l.count-l.emitted {
			to = from + int(l.count-l.emitted)
		}
		l.emitted += int64(to - from)
		switch {
		case from == 0 && to == b.N:
			return b, nil
		case from == 0:
			if len(l.view.Cols) != len(b.Cols) {
				l.view.Cols = make([]*vec.Vector, len(b.Cols))
				for i := range l.view.Cols {
					l.view.Cols[i] = &vec.Vector{}
				}
			}
			for i, c := range b.Cols {
				sliceView(l.view.Cols[i], c, to)
			}
			l.view.N = to
			return &l.view, nil
		default:
			// Rows from the middle of a batch: copy, so string offsets
			// start at 0.
			if l.tail == nil || len(l.tail.bufs) != len(b.Cols) {
				l.tail = newOwnedBatch(b.Types())
			}
			l.sel = l.sel[:0]
			for i := from; i < to; i++ {
				l.sel = append(l.sel, int32(i))
			}
			return l.tail.gather(b, l.sel), nil
		}
	}
	return nil, nil
}

// finish closes the input early: a LIMIT need not drain it.
func (l *limitOp) finish() {
	if !l.done {
		l.done = true
		l.in.Close()
	}
}

func (l *limitOp) Close()                { l.finish() }
func (l *limitOp) Types() []catalog.Type { return l.types }

// ---- Remote ----
// A Remote node is opened by Env.OpenRemote in Build.
