package executor

import (
	"slices"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Evaluator is a compiled expression. It evaluates a whole batch at a time
// with one typed loop per operator; it is not safe for concurrent use (it
// owns its result buffers).
type Evaluator struct {
	root node
}

// Compile compiles e. Errors are SQLSTATE-classified (0A000 for operators
// the executor does not know).
func Compile(e *plan.Expr) (*Evaluator, error) {
	n, err := compile(e)
	if err != nil {
		return nil, err
	}
	return &Evaluator{root: n}, nil
}

// Eval evaluates the expression over the b.N rows of b. The result has
// b.N values and stays valid until the next Eval; it may alias b's columns.
func (ev *Evaluator) Eval(b *vec.Batch) (*vec.Vector, error) { return ev.root.eval(b) }

// Type returns the result type.
func (ev *Evaluator) Type() catalog.Type { return ev.root.meta().typ }

// node is a compiled expression node. eval returns a vector of b.N values
// that stays valid until the node's next eval.
type node interface {
	eval(b *vec.Batch) (*vec.Vector, error)
	meta() *nodeMeta
}

// nodeMeta is what compilation knows about a node.
type nodeMeta struct {
	typ catalog.Type
	// canErr: evaluating may fail on some values (overflow, division by
	// zero, bad input), so lazy constructs (AND, OR, CASE, COALESCE,
	// conjunctive filters) evaluate it only on the rows that need it.
	canErr bool
	// cols are the input columns the node reads, sorted.
	cols []int
	// volatile: the value changes from one evaluation to the next
	// (clock_timestamp()), so it is never folded into a constant.
	volatile bool
}

func (m *nodeMeta) meta() *nodeMeta { return m }

// metaOf builds the meta of a node over children.
func metaOf(t catalog.Type, canErr bool, children ...node) nodeMeta {
	m := nodeMeta{typ: t, canErr: canErr}
	for _, c := range children {
		if c == nil {
			continue
		}
		cm := c.meta()
		m.canErr = m.canErr || cm.canErr
		m.volatile = m.volatile || cm.volatile
		m.cols = append(m.cols, cm.cols...)
	}
	slices.Sort(m.cols)
	m.cols = slices.Compact(m.cols)
	return m
}

// compile compiles e, folding subtrees that read no column into constants.
func compile(e *plan.Expr) (node, error) {
	n, err := compileNode(e)
	if err != nil {
		return nil, err
	}
	return fold(n), nil
}

// fold evaluates a node that reads no column once and returns it as a
// constant. A node that fails is kept: its error must surface only if a
// row reaches it (CASE WHEN false THEN 1/0 END is fine).
func fold(n node) node {
	if len(n.meta().cols) > 0 || n.meta().volatile {
		return n
	}
	if _, ok := n.(*constNode); ok {
		return n
	}
	v, err := n.eval(&vec.Batch{N: 1})
	if err != nil || v.Len() != 1 {
		return n
	}
	return newConst(n.meta().typ, datumOf(v, 0))
}

// datumOf returns value i of v as a constant.
func datumOf(v *vec.Vector, i int) plan.Datum {
	if v.IsNull(i) {
		return plan.Datum{Null: true}
	}
	switch physOf(v.Type) {
	case pF64:
		return plan.Datum{F: v.F64[i]}
	case pBool:
		return plan.Datum{B: v.Bool[i]}
	case pStr:
		return plan.Datum{S: string(v.Bytes(i))}
	}
	return plan.Datum{I: v.I64[i]}
}

func compileNode(e *plan.Expr) (node, error) {
	if e == nil {
		return nil, sqlerr.New(sqlerr.Internal, "executor: nil expression")
	}
	switch e.Kind {
	case plan.ColumnRef:
		if e.Col < 0 {
			return nil, sqlerr.Errorf(sqlerr.Internal, "executor: bad column reference #%d", e.Col)
		}
		return &colNode{nodeMeta: nodeMeta{typ: e.Type, cols: []int{e.Col}}, idx: e.Col}, nil
	case plan.Const:
		return newConst(e.Type, e.Value), nil
	case plan.Cast:
		if len(e.Args) != 1 {
			return nil, sqlerr.New(sqlerr.Internal, "executor: cast needs one argument")
		}
		return newCast(e.Args[0], e.Type, e.DT)
	case plan.Case:
		return newCase(e)
	case plan.Call:
		return compileCall(e)
	case plan.Lookup:
		return newLookup(e)
	case plan.Param:
		return newConst(e.Type, e.Value), nil
	case plan.SubPlan:
		return newSubPlan(e)
	case plan.Subquery:
		// Build substitutes every subquery before compiling.
		return nil, sqlerr.New(sqlerr.Internal, "executor: scalar subquery was not evaluated")
	}
	return nil, sqlerr.Errorf(sqlerr.Internal, "executor: unknown expression kind %d", e.Kind)
}

func compileAll(es []*plan.Expr) ([]node, error) {
	ns := make([]node, len(es))
	for i, e := range es {
		n, err := compile(e)
		if err != nil {
			return nil, err
		}
		ns[i] = n
	}
	return ns, nil
}

func compileCall(e *plan.Expr) (node, error) {
	if e.Fn != nil {
		return newRowFunc(e, true, true, e.Fn)
	}
	nargs := func(lo, hi int) error {
		if len(e.Args) < lo || len(e.Args) > hi {
			return sqlerr.Errorf(sqlerr.UndefinedFunction, "executor: %s takes %d..%d arguments, got %d", e.Op, lo, hi, len(e.Args))
		}
		return nil
	}
	switch e.Op {
	case "+", "-", "*", "/", "%":
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		return newArith(e)
	case "neg":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return newNeg(e)
	case "abs":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return newAbs(e)
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		return newCompare(e)
	case "and", "or":
		if err := nargs(1, 1<<30); err != nil {
			return nil, err
		}
		ns, err := compileAll(boolArgs(e.Args))
		if err != nil {
			return nil, err
		}
		n := ns[0]
		for _, r := range ns[1:] {
			n = newLogic(e.Op == "and", n, r)
		}
		return n, nil
	case "not":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		a, err := compile(boolArgs(e.Args)[0])
		if err != nil {
			return nil, err
		}
		return &notNode{nodeMeta: metaOf(catalog.TypeBool, false, a), a: a}, nil
	case "isnull", "isnotnull":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		a, err := compile(e.Args[0])
		if err != nil {
			return nil, err
		}
		return &isNullNode{nodeMeta: metaOf(catalog.TypeBool, false, a), a: a, not: e.Op == "isnotnull"}, nil
	case "like", "notlike", "ilike", "notilike":
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		return newLike(e)
	case "concat", "||":
		if err := nargs(1, 1<<30); err != nil {
			return nil, err
		}
		return newConcat(e)
	case "lower", "upper":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return newCaseMap(e)
	case "length", "char_length", "character_length":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return newLength(e)
	case "substr", "substring":
		if err := nargs(2, 3); err != nil {
			return nil, err
		}
		return newSubstr(e)
	case "coalesce":
		if err := nargs(1, 1<<30); err != nil {
			return nil, err
		}
		return newCoalesce(e)
	case "addinterval":
		if err := nargs(4, 4); err != nil {
			return nil, err
		}
		return newAddInterval(e)
	case "extract", "date_part":
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		return newExtract(e)
	}
	if n, ok, err := compileFunc(e); ok {
		return n, err
	}
	if n, ok, err := compileCatalogFunc(e); ok {
		return n, err
	}
	return nil, sqlerr.Unsupported("executor: function or operator %q is not supported", e.Op)
}

// boolArgs casts untyped (NULL) arguments of a boolean operator to boolean.
func boolArgs(es []*plan.Expr) []*plan.Expr {
	out := make([]*plan.Expr, len(es))
	for i, e := range es {
		out[i] = e
		if e.Type.Kind == catalog.Unknown {
			out[i] = plan.CastOf(e, catalog.TypeBool)
		}
	}
	return out
}

// colNode reads an input column.
type colNode struct {
	nodeMeta
	idx int
}

func (c *colNode) eval(b *vec.Batch) (*vec.Vector, error) {
	if c.idx >= len(b.Cols) {
		return nil, sqlerr.Errorf(sqlerr.Internal, "executor: column #%d out of range (batch has %d columns)", c.idx, len(b.Cols))
	}
	return b.Cols[c.idx], nil
}

// constNode is a constant, materialized to the batch length on demand.
type constNode struct {
	nodeMeta
	d      plan.Datum
	bytes  []byte // string value
	out    vecBuf
	filled int
}

func newConst(t catalog.Type, d plan.Datum) *constNode {
	c := &constNode{nodeMeta: nodeMeta{typ: t}, d: d, filled: -1}
	if t.Kind == catalog.Unknown && !d.Null {
		// An untyped literal that survived planning: treat it as text.
		c.typ = catalog.TypeText
	}
	if physOf(c.typ) == pStr {
		c.bytes = []byte(d.S)
	}
	c.out.init(c.typ)
	return c
}

func (c *constNode) eval(b *vec.Batch) (*vec.Vector, error) {
	n := b.N
	if c.filled == n {
		return &c.out.Vector, nil
	}
	c.filled = n
	if c.d.Null {
		c.out.setAllNull(n)
		return &c.out.Vector, nil
	}
	c.out.clearNulls()
	switch physOf(c.typ) {
	case pI64:
		r := c.out.i64(n)
		for i := range r {
			r[i] = c.d.I
		}
	case pF64:
		r := c.out.f64(n)
		for i := range r {
			r[i] = c.d.F
		}
	case pBool:
		r := c.out.bools(n)
		for i := range r {
			r[i] = c.d.B
		}
	case pStr:
		c.out.resetStr()
		for range n {
			c.out.appendStr(c.bytes)
		}
	}
	return &c.out.Vector, nil
}

// asConst returns n as a constant, or nil.
func asConst(n node) *constNode {
	c, _ := n.(*constNode)
	return c
}

// isCheap reports whether evaluating n over a whole batch costs nothing
// worth avoiding (so lazy constructs need not gather rows for it).
func isCheap(n node) bool {
	switch n.(type) {
	case *colNode, *constNode:
		return true
	}
	return false
}

// subsetter evaluates a node over some rows of a batch: it gathers the
// columns the node reads into a scratch batch.
type subsetter struct {
	cols []int
	bufs []vecBuf
	sb   vec.Batch
}

func newSubsetter(n node) *subsetter {
	cols := n.meta().cols
	return &subsetter{cols: cols, bufs: make([]vecBuf, len(cols))}
}

func (s *subsetter) batch(b *vec.Batch, sel []int32) *vec.Batch {
	if cap(s.sb.Cols) < len(b.Cols) {
		s.sb.Cols = make([]*vec.Vector, len(b.Cols))
	}
	s.sb.Cols = s.sb.Cols[:len(b.Cols)]
	for k, c := range s.cols {
		if c < len(b.Cols) {
			gatherVec(&s.bufs[k], b.Cols[c], sel)
			s.sb.Cols[c] = &s.bufs[k].Vector
		}
	}
	s.sb.N = len(sel)
	return &s.sb
}

// evalRows evaluates n over rows sel of b. identity reports that the result
// is indexed by row number (n was evaluated on the whole batch) rather than
// by position in sel.
func evalRows(n node, s *subsetter, b *vec.Batch, sel []int32) (v *vec.Vector, identity bool, err error) {
	if len(sel) == b.N || isCheap(n) {
		v, err = n.eval(b)
		return v, true, err
	}
	v, err = n.eval(s.batch(b, sel))
	return v, false, err
}

// iota32 returns [0, n) in buf.
func iota32(buf []int32, n int) []int32 {
	if cap(buf) < n {
		buf = make([]int32, n, max(n, vec.BatchSize))
	}
	buf = buf[:n]
	for i := range buf {
		buf[i] = int32(i)
	}
	return buf
}

func resize32(buf []int32, n int) []int32 {
	if cap(buf) < n {
		return make([]int32, n, max(n, vec.BatchSize))
	}
	return buf[:n]
}

// chooser assembles a result row by row from several source vectors:
// row i comes from srcs[which[i]] at pos[i], or is NULL when which[i] < 0.
type chooser struct {
	which []int32
	pos   []int32
	srcs  []*vec.Vector
	out   vecBuf
}

func (c *chooser) reset(n int) {
	c.which = resize32(c.which, n)
	c.pos = resize32(c.pos, n)
	c.srcs = c.srcs[:0]
}

func (c *chooser) add(v *vec.Vector, identity bool, rows []int32) {
	k := int32(len(c.srcs))
	c.srcs = append(c.srcs, v)
	for t, r := range rows {
		c.which[r] = k
		if identity {
			c.pos[r] = r
		} else {
			c.pos[r] = int32(t)
		}
	}
}

func (c *chooser) setNull(rows []int32) {
	for _, r := range rows {
		c.which[r] = -1
	}
}

func (c *chooser) build(n int) *vec.Vector {
	o := &c.out
	nl := o.nullsLen(n)
	which, pos := c.which[:n], c.pos[:n]
	switch physOf(o.Type) {
	case pI64:
		d := o.i64(n)
		for i, w := range which {
			if w < 0 {
				d[i], nl[i] = 0, true
				continue
			}
			s, p := c.srcs[w], pos[i]
			if s.Nulls != nil && s.Nulls[p] {
				d[i], nl[i] = 0, true
				continue
			}
			d[i] = s.I64[p]
		}
	case pF64:
		d := o.f64(n)
		for i, w := range which {
			if w < 0 {
				d[i], nl[i] = 0, true
				continue
			}
			s, p := c.srcs[w], pos[i]
			if s.Nulls != nil && s.Nulls[p] {
				d[i], nl[i] = 0, true
				continue
			}
			d[i] = s.F64[p]
		}
	case pBool:
		d := o.bools(n)
		for i, w := range which {
			if w < 0 {
				d[i], nl[i] = false, true
				continue
			}
			s, p := c.srcs[w], pos[i]
			if s.Nulls != nil && s.Nulls[p] {
				d[i], nl[i] = false, true
				continue
			}
			d[i] = s.Bool[p]
		}
	case pStr:
		o.resetStr()
		for i, w := range which {
			if w >= 0 {
				s, p := c.srcs[w], pos[i]
				if s.Nulls != nil && s.Nulls[p] {
					nl[i] = true
				} else {
					o.Data = append(o.Data, s.Data[s.Offsets[p]:s.Offsets[p+1]]...)
				}
			} else {
				nl[i] = true
			}
			o.Offsets = append(o.Offsets, int32(len(o.Data)))
		}
	}
	if !anyTrue(nl) {
		o.clearNulls()
	}
	return &o.Vector
}

// caseNode is CASE WHEN c1 THEN v1 ... [ELSE e] END. Each condition is
// evaluated only on rows no earlier condition took, each branch only on the
// rows it yields, so a branch that would fail elsewhere (1/x when x = 0)
// does not.
type caseNode struct {
	nodeMeta
	conds, thens []node
	els          node
	condSub      []*subsetter
	thenSub      []*subsetter
	elseSub      *subsetter
	remA, remB   []int32
	take         []int32
	ch           chooser
}

func newCase(e *plan.Expr) (node, error) {
	args := e.Args
	var elseExpr *plan.Expr
	if e.Else {
		if len(args) == 0 {
			return nil, sqlerr.New(sqlerr.Internal, "executor: CASE without arguments")
		}
		elseExpr = args[len(args)-1]
		args = args[:len(args)-1]
	}
	if len(args)%2 != 0 {
		return nil, sqlerr.New(sqlerr.Internal, "executor: CASE needs WHEN/THEN pairs")
	}
	c := &caseNode{}
	var all []node
	for i := 0; i < len(args); i += 2 {
		cond, err := compile(boolArgs(args[i : i+1])[0])
		if err != nil {
			return nil, err
		}
		then, err := compile(plan.CastOf(args[i+1], e.Type))
		if err != nil {
			return nil, err
		}
		c.conds = append(c.conds, cond)
		c.thens = append(c.thens, then)
		c.condSub = append(c.condSub, newSubsetter(cond))
		c.thenSub = append(c.thenSub, newSubsetter(then))
		all = append(all, cond, then)
	}
	if elseExpr != nil {
		els, err := compile(plan.CastOf(elseExpr, e.Type))
		if err != nil {
			return nil, err
		}
		c.els = els
		c.elseSub = newSubsetter(els)
		all = append(all, els)
	}
	c.nodeMeta = metaOf(e.Type, false, all...)
	c.ch.out.init(e.Type)
	return c, nil
}

func (c *caseNode) eval(b *vec.Batch) (*vec.Vector, error) {
	n := b.N
	c.ch.reset(n)
	rem := iota32(c.remA, n)
	c.remA = rem
	keep := c.remB
	full := true
	for k, cond := range c.conds {
		if len(rem) == 0 {
			break
		}
		cb := b
		if !full {
			cb = c.condSub[k].batch(b, rem)
		}
		cv, err := cond.eval(cb)
		if err != nil {
			return nil, err
		}
		take := c.take[:0]
		keep = keep[:0]
		for t, r := range rem {
			if cv.Bool[t] && (cv.Nulls == nil || !cv.Nulls[t]) {
				take = append(take, r)
			} else {
				keep = append(keep, r)
			}
		}
		c.take = take
		if len(take) > 0 {
			v, id, err := evalRows(c.thens[k], c.thenSub[k], b, take)
			if err != nil {
				return nil, err
			}
			if id && len(take) == n {
				return v, nil // every row took this branch
			}
			c.ch.add(v, id, take)
			full = false
		}
		rem, keep = keep, rem
	}
	c.remA, c.remB = rem, keep
	if len(rem) > 0 {
		if c.els == nil {
			c.ch.setNull(rem)
		} else {
			v, id, err := evalRows(c.els, c.elseSub, b, rem)
			if err != nil {
				return nil, err
			}
			if id && len(rem) == n {
				return v, nil
			}
			c.ch.add(v, id, rem)
		}
	}
	return c.ch.build(n), nil
}

// coalesceNode returns its first non-NULL argument, evaluating each only
// on the rows still NULL.
type coalesceNode struct {
	nodeMeta
	args       []node
	subs       []*subsetter
	remA, remB []int32
	ch         chooser
}

func newCoalesce(e *plan.Expr) (node, error) {
	c := &coalesceNode{}
	for _, a := range e.Args {
		n, err := compile(plan.CastOf(a, e.Type))
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, n)
		c.subs = append(c.subs, newSubsetter(n))
	}
	c.nodeMeta = metaOf(e.Type, false, c.args...)
	c.ch.out.init(e.Type)
	return c, nil
}

func (c *coalesceNode) eval(b *vec.Batch) (*vec.Vector, error) {
	n := b.N
	c.ch.reset(n)
	rem := iota32(c.remA, n)
	keep := c.remB
	for k, a := range c.args {
		if len(rem) == 0 {
			break
		}
		v, id, err := evalRows(a, c.subs[k], b, rem)
		if err != nil {
			return nil, err
		}
		if v.Nulls == nil && id && len(rem) == n {
			c.remA, c.remB = rem, keep
			return v, nil
		}
		keep = keep[:0]
		k0 := int32(len(c.ch.srcs))
		c.ch.srcs = append(c.ch.srcs, v)
		for t, r := range rem {
			p := int32(t)
			if id {
				p = r
			}
			if v.Nulls != nil && v.Nulls[p] {
				keep = append(keep, r)
				continue
			}
			c.ch.which[r], c.ch.pos[r] = k0, p
		}
		rem, keep = keep, rem
	}
	c.ch.setNull(rem)
	c.remA, c.remB = rem, keep
	return c.ch.build(n), nil
}

// logicNode is a three-valued AND or OR. When the right side can fail, it
// is evaluated only on rows the left side leaves undecided.
type logicNode struct {
	nodeMeta
	and  bool
	l, r node
	sub  *subsetter
	sel  []int32
	out  vecBuf
}

func newLogic(and bool, l, r node) node {
	n := &logicNode{nodeMeta: metaOf(catalog.TypeBool, false, l, r), and: and, l: l, r: r, sub: newSubsetter(r)}
	n.out.init(catalog.TypeBool)
	return n
}

func (n *logicNode) eval(b *vec.Batch) (*vec.Vector, error) {
	lv, err := n.l.eval(b)
	if err != nil {
		return nil, err
	}
	rows := b.N
	// decided is the left value that settles the result (false for AND).
	decided := !n.and
	lb := lv.Bool[:rows]
	if !n.r.meta().canErr {
		rv, err := n.r.eval(b)
		if err != nil {
			return nil, err
		}
		rb := rv.Bool[:rows]
		out := n.out.bools(rows)
		if lv.Nulls == nil && rv.Nulls == nil {
			n.out.clearNulls()
			if n.and {
				for i := range out {
					out[i] = lb[i] && rb[i]
				}
			} else {
				for i := range out {
					out[i] = lb[i] || rb[i]
				}
			}
			return &n.out.Vector, nil
		}
		nl := n.out.nullsLen(rows)
		for i := range out {
			ln, rn := lv.IsNull(i), rv.IsNull(i)
			if (!ln && lb[i] == decided) || (!rn && rb[i] == decided) {
				out[i], nl[i] = decided, false
			} else if ln || rn {
				out[i], nl[i] = false, true
			} else {
				out[i], nl[i] = !decided, false
			}
		}
		if !anyTrue(nl) {
			n.out.clearNulls()
		}
		return &n.out.Vector, nil
	}
	sel := n.sel[:0]
	for i := range rows {
		if lv.IsNull(i) || lb[i] != decided {
			sel = append(sel, int32(i))
		}
	}
	n.sel = sel
	var rv *vec.Vector
	identity := true
	if len(sel) > 0 {
		if rv, identity, err = evalRows(n.r, n.sub, b, sel); err != nil {
			return nil, err
		}
	}
	out := n.out.bools(rows)
	nl := n.out.nullsLen(rows)
	for i := range out {
		out[i] = decided
	}
	for t, r := range sel {
		p := t
		if identity {
			p = int(r)
		}
		ln, rn := lv.IsNull(int(r)), rv.IsNull(p)
		switch {
		case !rn && rv.Bool[p] == decided:
			out[r] = decided
		case ln || rn:
			out[r], nl[r] = false, true
		default:
			out[r] = !decided
		}
	}
	if !anyTrue(nl) {
		n.out.clearNulls()
	}
	return &n.out.Vector, nil
}

type notNode struct {
	nodeMeta
	a   node
	out vecBuf
}

func (n *notNode) eval(b *vec.Batch) (*vec.Vector, error) {
	v, err := n.a.eval(b)
	if err != nil {
		return nil, err
	}
	out := n.out.bools(b.N)
	in := v.Bool[:len(out)]
	for i := range out {
		out[i] = !in[i]
	}
	n.out.Type = catalog.TypeBool
	n.out.copyNulls(v.Nulls, b.N)
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

type isNullNode struct {
	nodeMeta
	a   node
	not bool
	out vecBuf
}

func (n *isNullNode) eval(b *vec.Batch) (*vec.Vector, error) {
	v, err := n.a.eval(b)
	if err != nil {
		return nil, err
	}
	n.out.Type = catalog.TypeBool
	out := n.out.bools(b.N)
	if v.Nulls == nil {
		for i := range out {
			out[i] = n.not
		}
	} else {
		nl := v.Nulls[:len(out)]
		for i := range out {
			out[i] = nl[i] != n.not
		}
	}
	return &n.out.Vector, nil
}
