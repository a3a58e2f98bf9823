package planner

import (
	"slices"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// scopeCol is a column visible to expressions. ID is its global column id
// (see select.go); references bind to plan.Col(ID) and are remapped to input
// positions when the plan is built.
type scopeCol struct {
	id       int
	rel      string
	name     string
	typ      catalog.Type
	tableOID catalog.OID
	attnum   int16
	hidden   bool // a system column: not part of *
	// merged marks a column that a USING/NATURAL join merged into one
	// output column: visible only qualified, and not part of an
	// unqualified *.
	merged bool
	// expr, when set, is what the column stands for (a USING column of a
	// FULL join: COALESCE of both sides).
	expr *plan.Expr
	// fields are the fields of a record column.
	fields []OutputColumn
}

// scope is the set of columns an expression may reference; agg is non-nil
// where aggregate calls are allowed.
type scope struct {
	cols []scopeCol
	agg  *aggContext
	// srf collects the set-returning functions of a select list (nil
	// elsewhere, where noSRF names the construct for the error).
	srf   *srfContext
	noSRF string
	// outer is the scope of the enclosing query block (for a subquery).
	outer *scope
	// win is non-nil where window functions are allowed.
	win *winContext
}

// aggContext collects the aggregate calls of a query block.
type aggContext struct {
	calls []*plan.AggCall
	// inAgg is set while binding an aggregate's argument.
	inAgg bool
	// parent, for the context of a window aggregate, is the query block's:
	// aggregates inside the window aggregate's argument are the block's.
	parent *aggContext
}

// aggScope is the scope an aggregate call binds in: inside the argument
// of a window aggregate (sum(sum(x)) OVER ()), the query block's.
func (s *scope) aggScope() *scope {
	if s.agg != nil && s.agg.inAgg && s.agg.parent != nil {
		return &scope{cols: s.cols, agg: s.agg.parent, outer: s.outer}
	}
	return s
}

// aggIDBase is the first global id of aggregate results.
const aggIDBase = 1 << 24

func (s *scope) resolve(rel, name string) scopeCol {
	if c, ok := s.find(rel, name); ok {
		return c
	}
	for o := s.outer; o != nil; o = o.outer {
		if c, ok := o.find(rel, name); ok {
			return c
		}
	}
	return s.notFound(rel, name)
}

// find looks name up among the scope's own columns.
func (s *scope) find(rel, name string) (scopeCol, bool) {
	var found *scopeCol
	for i := range s.cols {
		c := &s.cols[i]
		if c.name != name || (rel != "" && c.rel != rel) || (rel == "" && c.merged) {
			continue
		}
		if found != nil {
			failf(sqlerr.AmbiguousColumn, "column reference %q is ambiguous", name)
		}
		found = c
	}
	if found == nil {
		return scopeCol{}, false
	}
	return *found, true
}

func (s *scope) notFound(rel, name string) scopeCol {
	if rel != "" {
		for o := s; o != nil; o = o.outer {
			for _, c := range o.cols {
				if c.rel == rel {
					failf(sqlerr.UndefinedColumn, "column %s.%s does not exist", rel, name)
				}
			}
		}
		failf(sqlerr.UndefinedTable, "missing FROM-clause entry for table %q", rel)
	}
	failf(sqlerr.UndefinedColumn, "column %q does not exist", name)
	return scopeCol{}
}

// expr binds an expression. hint is the type the context expects (Unknown:
// none); it only types parameters and untyped literals.
func (b *binder) expr(n *pg_query.Node, s *scope, hint catalog.Type) *plan.Expr {
	switch x := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		return b.columnRef(x.ColumnRef, s)
	case *pg_query.Node_AConst:
		return b.literal(x.AConst)
	case *pg_query.Node_ParamRef:
		return b.param(int(x.ParamRef.Number), hint)
	case *pg_query.Node_TypeCast:
		if isIntervalType(x.TypeCast.TypeName) {
			return b.intervalCast(x.TypeCast, s)
		}
		t := b.typeName(x.TypeCast.TypeName, false)
		e := b.expr(x.TypeCast.Arg, s, t)
		if t == catalog.TypeNumericDynamic { // numeric without a typmod
			t = unconstrainedNumeric(e)
		}
		return b.cast(e, t)
	case *pg_query.Node_AExpr:
		return b.aexpr(x.AExpr, s)
	case *pg_query.Node_BoolExpr:
		op := map[pg_query.BoolExprType]string{
			pg_query.BoolExprType_AND_EXPR: "and",
			pg_query.BoolExprType_OR_EXPR:  "or",
			pg_query.BoolExprType_NOT_EXPR: "not",
		}[x.BoolExpr.Boolop]
		var args []*plan.Expr
		for _, a := range x.BoolExpr.Args {
			args = append(args, boolArg(b.expr(a, s, catalog.TypeBool), strings.ToUpper(op)))
		}
		if op == "not" {
			return plan.CallOf("not", catalog.TypeBool, args[0])
		}
		// Fold n-ary AND/OR into a left-deep binary tree.
		e := args[0]
		for _, a := range args[1:] {
			e = plan.CallOf(op, catalog.TypeBool, e, a)
		}
		return e
	case *pg_query.Node_NullTest:
		arg := b.expr(x.NullTest.Arg, s, catalog.TypeUnknown)
		op := "isnotnull"
		if x.NullTest.Nulltesttype == pg_query.NullTestType_IS_NULL {
			op = "isnull"
		}
		if arg.Kind == plan.Call && arg.Op == "row" && len(arg.Args) > 0 {
			// A row is NULL when every field is, NOT NULL when none is.
			e := plan.CallOf(op, catalog.TypeBool, arg.Args[0])
			for _, f := range arg.Args[1:] {
				e = plan.CallOf("and", catalog.TypeBool, e, plan.CallOf(op, catalog.TypeBool, f))
			}
			return e
		}
		return plan.CallOf(op, catalog.TypeBool, arg)
	case *pg_query.Node_BooleanTest:
		return b.booleanTest(x.BooleanTest, s)
	case *pg_query.Node_FuncCall:
		return b.funcCall(x.FuncCall, s)
	case *pg_query.Node_CaseExpr:
		return b.caseExpr(x.CaseExpr, s)
	case *pg_query.Node_CoalesceExpr:
		var args []*plan.Expr
		cs := withoutSRF(s, "COALESCE")
		for _, a := range x.CoalesceExpr.Args {
			args = append(args, b.expr(a, cs, hint))
		}
		t := commonType(args, "COALESCE")
		for i := range args {
			args[i] = coerce(args[i], t)
		}
		return plan.CallOf("coalesce", t, args...)
	case *pg_query.Node_SubLink:
		return b.sublink(x.SubLink, s)
	case *pg_query.Node_SqlvalueFunction:
		return b.sqlValueFunction(x.SqlvalueFunction)
	case *pg_query.Node_MinMaxExpr:
		return b.minMaxExpr(x.MinMaxExpr, s)
	case *pg_query.Node_CollateClause:
		return b.collate(x.CollateClause, s, hint)
	case *pg_query.Node_AArrayExpr:
		return b.arrayConstructor(x.AArrayExpr, s, hint)
	case *pg_query.Node_RowExpr:
		// ROW(a, b, …): a record of fields f1, f2, … (untyped literals
		// as text).
		var args []*plan.Expr
		var names []string
		for i, a := range x.RowExpr.Args {
			e := b.expr(a, s, catalog.TypeUnknown)
			if e.Type.Kind == catalog.Unknown {
				e = coerce(e, catalog.TypeText)
			}
			args, names = append(args, e), append(names, "f"+itoa(i+1))
		}
		return b.record(args, names)
	case *pg_query.Node_AIndirection:
		e := b.expr(x.AIndirection.Arg, s, catalog.TypeUnknown)
		for _, ind := range x.AIndirection.Indirection {
			if f := ind.GetString_(); f != nil {
				e = b.fieldSelect(e, f.Sval)
				continue
			}
			ix := ind.GetAIndices()
			if ix == nil || ix.IsSlice || ix.Uidx == nil {
				failf(sqlerr.FeatureNotSupported, "this kind of indirection is not supported")
			}
			e = subscript(e, b.expr(ix.Uidx, s, catalog.TypeInt4))
		}
		return e
	}
	failf(sqlerr.FeatureNotSupported, "expression not supported yet: %s", stmtName(n))
	return nil
}

// withoutSRF returns s for the operands of a construct that cannot hold
// set-returning functions (CASE, COALESCE).
func withoutSRF(s *scope, what string) *scope {
	if s.srf == nil && s.noSRF != "" {
		return s
	}
	c := *s
	c.srf, c.noSRF = nil, what
	return &c
}

func boolArg(e *plan.Expr, what string) *plan.Expr {
	if e.Type.Kind == catalog.Unknown {
		return coerce(e, catalog.TypeBool)
	}
	if e.Type.Kind != catalog.Bool {
		failf(sqlerr.DatatypeMismatch, "argument of %s must be type boolean, not type %s", what, e.Type)
	}
	return e
}

func (b *binder) columnRef(cr *pg_query.ColumnRef, s *scope) *plan.Expr {
	var parts []string
	for _, f := range cr.Fields {
		switch v := f.Node.(type) {
		case *pg_query.Node_String_:
			parts = append(parts, v.String_.Sval)
		case *pg_query.Node_AStar:
			failf(sqlerr.SyntaxError, "* is not allowed here")
		}
	}
	var rel, name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		rel, name = parts[0], parts[1]
	case 3:
		rel, name = parts[1], parts[2]
	default:
		failf(sqlerr.SyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(parts, "."))
	}
	c := s.resolve(rel, name)
	b.reference(c.tableOID, c.attnum)
	if c.expr != nil {
		return c.expr
	}
	e := plan.Col(c.id, c.typ)
	if c.fields != nil {
		b.noteFields(e, c.fields)
	}
	return e
}

func (b *binder) param(n int, hint catalog.Type) *plan.Expr {
	p := b.ctx.Params
	t, err := p.typeOf(n, hint)
	if err != nil {
		fail(err)
	}
	if p.Values == nil {
		// Preparing: the value is not known; a typed NULL stands in.
		return plan.NullOf(t)
	}
	if n > len(p.Values) {
		failf(sqlerr.ProtocolViolation, "bind message supplies %d parameters, but statement requires %d", len(p.Values), n)
	}
	if t.Kind == catalog.Unknown {
		t = catalog.TypeText
	}
	return plan.ConstOf(t, p.Values[n-1])
}

// constant binds a literal. Integers are int4 or int8, decimals (with a
// point or an exponent) numeric with their written scale, strings untyped
// until their context types them.
func constant(c *pg_query.A_Const) *plan.Expr {
	if c.Isnull {
		return plan.NullOf(catalog.TypeUnknown)
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		return plan.ConstOf(catalog.TypeInt4, plan.Datum{I: int64(v.Ival.Ival)})
	case *pg_query.A_Const_Fval:
		s := v.Fval.Fval
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				if i == int64(int32(i)) {
					return plan.ConstOf(catalog.TypeInt4, plan.Datum{I: i})
				}
				return plan.ConstOf(catalog.TypeInt8, plan.Datum{I: i})
			}
		}
		// A decimal, or a number with an exponent (whose scale is what its
		// digits need once the point has moved: 1.25e-5 is 0.0000125).
		d, err := pgtype.ParseNumericText([]byte(s))
		if err != nil {
			fail(err)
		}
		t := literalNumericType(d)
		if t.IsDynamicNumeric() {
			return plan.ConstOf(t, plan.Datum{S: d})
		}
		i, err := pgtype.ParseNumeric([]byte(d), 0, t.Scale)
		if err != nil {
			fail(err)
		}
		return plan.ConstOf(t, plan.Datum{I: i})
	case *pg_query.A_Const_Sval:
		return plan.ConstOf(catalog.TypeUnknown, plan.Datum{S: v.Sval.Sval})
	case *pg_query.A_Const_Boolval:
		return plan.ConstOf(catalog.TypeBool, plan.Datum{B: v.Boolval.Boolval})
	case *pg_query.A_Const_Bsval:
		failf(sqlerr.FeatureNotSupported, "bit string literals are not supported")
	}
	return plan.NullOf(catalog.TypeUnknown)
}

func opName(name []*pg_query.Node) string {
	var parts []string
	for _, n := range name {
		parts = append(parts, n.GetString_().Sval)
	}
	if len(parts) == 2 && parts[0] == "pg_catalog" {
		return parts[1]
	}
	return strings.Join(parts, ".")
}

// bindPair binds two operands so that a parameter or untyped literal on one
// side takes the other side's type.
func (b *binder) bindPair(l, r *pg_query.Node, s *scope) (*plan.Expr, *plan.Expr) {
	_, lp := l.Node.(*pg_query.Node_ParamRef)
	if lp {
		re := b.expr(r, s, catalog.TypeUnknown)
		return b.expr(l, s, operandParamType(re.Type)), re
	}
	le := b.expr(l, s, catalog.TypeUnknown)
	hint := le.Type
	if _, rp := r.Node.(*pg_query.Node_ParamRef); rp {
		hint = operandParamType(hint)
	}
	return le, b.expr(r, s, hint)
}

// operandParamType is the type a parameter takes from the other operand of
// an operator: that operand's type, except that PostgreSQL's operators over
// varchar are text's (varchar = $1 is texteq), so such a parameter is text,
// and numeric's take plain numeric (numeric(10,2) = $1 does not round $1).
func operandParamType(t catalog.Type) catalog.Type {
	switch t.Kind {
	case catalog.Varchar:
		return catalog.TypeText
	case catalog.Numeric:
		return catalog.TypeNumericDynamic
	}
	return t
}

func (b *binder) aexpr(a *pg_query.A_Expr, s *scope) *plan.Expr {
	op := opName(a.Name)
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		if a.Lexpr == nil {
			r := b.expr(a.Rexpr, s, catalog.TypeUnknown)
			switch op {
			case "-":
				t := r.Type
				if t.IsWideNumeric() {
					t = catalog.TypeNumericDynamic
				} else if t.Kind == catalog.Numeric {
					t.Precision = 0 // an operator's result has no typmod
				}
				if r.Kind == plan.Const && !r.Value.Null && r.Type.IsInt64Backed() && r.Type.Kind != catalog.Date && r.Type.Kind != catalog.Timestamp {
					c := *r
					c.Value.I = -c.Value.I
					c.Type = t
					return &c
				}
				if r.Kind == plan.Const && !r.Value.Null && r.Type.Kind == catalog.Float8 {
					c := *r
					c.Value.F = -c.Value.F
					return &c
				}
				if !r.Type.IsNumeric() {
					failf(sqlerr.UndefinedFunction, "operator does not exist: - %s", r.Type)
				}
				return plan.CallOf("neg", t, r)
			case "+":
				return r
			}
			failf(sqlerr.UndefinedFunction, "operator does not exist: %s %s", op, r.Type)
		}
		if lr, rr := a.Lexpr.GetRowExpr(), a.Rexpr.GetRowExpr(); lr != nil && rr != nil {
			return b.rowCompare(op, lr.Args, rr.Args, s)
		}
		l, r := b.bindPair(a.Lexpr, a.Rexpr, s)
		return binaryOp(op, l, r)
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		l, r := b.bindPair(a.Lexpr, a.Rexpr, s)
		if l.Type.Kind != catalog.Bpchar { // bpcharlike matches the padded value
			l = coerceString(l)
		}
		r = coerceString(r)
		name := "like"
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_ILIKE {
			name = "ilike"
		}
		if op == "!~~" || op == "!~~*" {
			name = "not" + name
		}
		return plan.CallOf(name, catalog.TypeBool, l, r)
	case pg_query.A_Expr_Kind_AEXPR_IN:
		items := a.Rexpr.GetList().GetItems()
		if len(items) == 0 {
			failf(sqlerr.SyntaxError, "syntax error in IN list")
		}
		if lr := a.Lexpr.GetRowExpr(); lr != nil {
			cmp, join := "=", "or"
			if op == "<>" {
				cmp, join = "<>", "and"
			}
			var out *plan.Expr
			for _, it := range items {
				rr := it.GetRowExpr()
				if rr == nil {
					failf(sqlerr.SyntaxError, "IN with a row needs rows in its list")
				}
				e := b.rowCompare(cmp, lr.Args, rr.Args, s)
				if out == nil {
					out = e
				} else {
					out = plan.CallOf(join, catalog.TypeBool, out, e)
				}
			}
			return out
		}
		l := b.expr(a.Lexpr, s, catalog.TypeUnknown)
		cmp, join := "=", "or"
		if op == "<>" {
			cmp, join = "<>", "and"
		}
		var out *plan.Expr
		for _, it := range items {
			r := b.expr(it, s, operandParamType(l.Type))
			e := binaryOp(cmp, l, r)
			if out == nil {
				out = e
			} else {
				out = plan.CallOf(join, catalog.TypeBool, out, e)
			}
		}
		return out
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		x := b.expr(a.Lexpr, s, catalog.TypeUnknown)
		bounds := a.Rexpr.GetList().GetItems()
		lo := b.expr(bounds[0], s, operandParamType(x.Type))
		hi := b.expr(bounds[1], s, operandParamType(x.Type))
		e := plan.CallOf("and", catalog.TypeBool, binaryOp(">=", x, lo), binaryOp("<=", x, hi))
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN {
			e = plan.CallOf("not", catalog.TypeBool, e)
		}
		return e
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		l, r := b.bindPair(a.Lexpr, a.Rexpr, s)
		eq := binaryOp("=", l, r)
		return &plan.Expr{Kind: plan.Case, Type: l.Type, Args: []*plan.Expr{eq, plan.NullOf(l.Type), l}, Else: true}
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		l, r := b.bindPair(a.Lexpr, a.Rexpr, s)
		t := comparisonType(l, r)
		l, r = coerce(l, t), coerce(r, t)
		// a IS DISTINCT FROM b: CASE WHEN a IS NULL THEN b IS NOT NULL WHEN b IS NULL THEN true ELSE a <> b END
		ln := plan.CallOf("isnull", catalog.TypeBool, l)
		rn := plan.CallOf("isnull", catalog.TypeBool, r)
		e := &plan.Expr{Kind: plan.Case, Type: catalog.TypeBool, Else: true, Args: []*plan.Expr{
			ln, plan.CallOf("isnotnull", catalog.TypeBool, r),
			rn, plan.ConstOf(catalog.TypeBool, plan.Datum{B: true}),
			plan.CallOf("<>", catalog.TypeBool, l, r),
		}}
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT {
			e = plan.CallOf("not", catalog.TypeBool, e)
		}
		return e
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		return b.anyAll(a, s)
	}
	failf(sqlerr.FeatureNotSupported, "operator kind %s is not supported yet", strings.TrimPrefix(a.Kind.String(), "AEXPR_"))
	return nil
}

func (b *binder) booleanTest(bt *pg_query.BooleanTest, s *scope) *plan.Expr {
	arg := boolArg(b.expr(bt.Arg, s, catalog.TypeBool), "IS TRUE")
	tru := plan.ConstOf(catalog.TypeBool, plan.Datum{B: true})
	fls := plan.ConstOf(catalog.TypeBool, plan.Datum{B: false})
	isnull := plan.CallOf("isnull", catalog.TypeBool, arg)
	// CASE WHEN arg IS NULL THEN <null result> ELSE <arg test> END
	mk := func(onNull *plan.Expr, test *plan.Expr) *plan.Expr {
		return &plan.Expr{Kind: plan.Case, Type: catalog.TypeBool, Else: true, Args: []*plan.Expr{isnull, onNull, test}}
	}
	switch bt.Booltesttype {
	case pg_query.BoolTestType_IS_TRUE:
		return mk(fls, arg)
	case pg_query.BoolTestType_IS_NOT_TRUE:
		return mk(tru, plan.CallOf("not", catalog.TypeBool, arg))
	case pg_query.BoolTestType_IS_FALSE:
		return mk(fls, plan.CallOf("not", catalog.TypeBool, arg))
	case pg_query.BoolTestType_IS_NOT_FALSE:
		return mk(tru, arg)
	case pg_query.BoolTestType_IS_UNKNOWN:
		return isnull
	case pg_query.BoolTestType_IS_NOT_UNKNOWN:
		return plan.CallOf("isnotnull", catalog.TypeBool, arg)
	}
	failf(sqlerr.FeatureNotSupported, "boolean test not supported")
	return nil
}

var aggFuncs = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true}

func (b *binder) funcCall(fc *pg_query.FuncCall, s *scope) *plan.Expr {
	name := opName(fc.Funcname)
	if fc.Over != nil {
		return b.windowFunc(name, fc, s)
	}
	if setFunctions[name] {
		return b.setFunctionCall(name, fc, s)
	}
	if e := b.aggregateExt(name, fc, s); e != nil {
		return e
	}
	if aggFuncs[name] {
		return b.aggregate(name, fc, s)
	}
	if fc.AggStar || fc.AggDistinct || fc.Over != nil || len(fc.AggOrder) > 0 || fc.AggFilter != nil {
		failf(sqlerr.FeatureNotSupported, "%s(...) with this syntax is not supported yet", name)
	}
	var args []*plan.Expr
	for _, a := range fc.Args {
		args = append(args, b.expr(a, s, catalog.TypeUnknown))
	}
	argc := func(lo, hi int) {
		if len(args) < lo || len(args) > hi {
			failf(sqlerr.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
		}
	}
	switch name {
	case "extract", "date_part":
		return b.extract(args, name)
	case "lower", "upper":
		argc(1, 1)
		return plan.CallOf(name, catalog.TypeText, coerceString(args[0]))
	case "length", "char_length", "character_length":
		argc(1, 1)
		return plan.CallOf("length", catalog.TypeInt4, coerceString(args[0]))
	case "substr", "substring":
		argc(2, 3)
		out := []*plan.Expr{coerceString(args[0])}
		for _, a := range args[1:] {
			out = append(out, coerce(a, catalog.TypeInt8))
		}
		return plan.CallOf("substr", catalog.TypeText, out...)
	case "abs":
		argc(1, 1)
		a := args[0]
		if a.Type.Kind == catalog.Unknown {
			a = coerce(a, catalog.TypeFloat8)
		}
		if !a.Type.IsNumeric() {
			failf(sqlerr.UndefinedFunction, "function abs(%s) does not exist", a.Type)
		}
		return plan.CallOf("abs", a.Type, a)
	case "coalesce":
		argc(1, 100)
		t := commonType(args, "COALESCE")
		for i := range args {
			args[i] = coerce(args[i], t)
		}
		return plan.CallOf("coalesce", t, args...)
	}
	if e := b.catalogFunc(name, args); e != nil {
		return e
	}
	if e := b.privilegeFunc(name, args); e != nil {
		return e
	}
	if e := b.pgHasRole(name, args); e != nil {
		return e
	}
	if e := b.builtinFunc(name, args, fc.Args, s); e != nil {
		return e
	}
	failf(sqlerr.UndefinedFunction, "function %s does not exist", name)
	return nil
}

func (b *binder) aggregate(name string, fc *pg_query.FuncCall, s *scope) *plan.Expr {
	s = s.aggScope()
	if s.agg == nil {
		failf(sqlerr.GroupingError, "aggregate functions are not allowed here")
	}
	if s.agg.inAgg {
		failf(sqlerr.GroupingError, "aggregate function calls cannot be nested")
	}
	if fc.Over != nil || len(fc.AggOrder) > 0 || fc.AggFilter != nil {
		failf(sqlerr.FeatureNotSupported, "window functions, ordered aggregates and FILTER are not supported yet")
	}
	call := &plan.AggCall{Func: name, Distinct: fc.AggDistinct}
	if fc.AggStar {
		if name != "count" {
			failf(sqlerr.SyntaxError, "%s(*) is not allowed", name)
		}
		call.Type = catalog.TypeInt8
	} else {
		if len(fc.Args) != 1 {
			failf(sqlerr.UndefinedFunction, "function %s with %d arguments does not exist", name, len(fc.Args))
		}
		s.agg.inAgg = true
		arg := b.expr(fc.Args[0], s, catalog.TypeUnknown)
		s.agg.inAgg = false
		if arg.Type.Kind == catalog.Unknown {
			if name == "count" || name == "min" || name == "max" {
				arg = coerce(arg, catalog.TypeText)
			} else {
				arg = coerce(arg, catalog.TypeFloat8)
			}
		}
		call.Arg = arg
		t := arg.Type
		switch name {
		case "count":
			call.Type = catalog.TypeInt8
		case "sum":
			switch {
			case t.Kind == catalog.Int2 || t.Kind == catalog.Int4:
				call.Type = catalog.TypeInt8
			case t.Kind == catalog.Int8:
				// Exceeds int64 easily: carried as exact decimal text.
				call.Type = catalog.TypeNumericDynamic
			case t.Kind == catalog.Numeric && !t.IsDynamicNumeric():
				call.Type = catalog.NumericType(0, t.Scale)
			case t.IsDynamicNumeric():
				call.Type = catalog.TypeNumericDynamic
			case t.Kind == catalog.Float4:
				call.Type = catalog.TypeFloat4
			case t.Kind == catalog.Float8:
				call.Type = catalog.TypeFloat8
			default:
				failf(sqlerr.UndefinedFunction, "function sum(%s) does not exist", t)
			}
		case "avg":
			switch {
			case t.IsInteger() || t.Kind == catalog.Numeric:
				call.Type = catalog.TypeNumericDynamic
			case t.Kind == catalog.Float4 || t.Kind == catalog.Float8:
				call.Type = catalog.TypeFloat8
			default:
				failf(sqlerr.UndefinedFunction, "function avg(%s) does not exist", t)
			}
		case "min", "max":
			if t.Kind == catalog.Bool {
				failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, t)
			}
			call.Type = t
			if t.Kind == catalog.Varchar {
				call.Type = catalog.TypeText
				call.Arg = plan.CastOf(arg, catalog.TypeText)
			}
		}
	}
	s.agg.calls = append(s.agg.calls, call)
	return plan.Col(aggIDBase+len(s.agg.calls)-1, call.Type)
}

func (b *binder) caseExpr(c *pg_query.CaseExpr, s *scope) *plan.Expr {
	s = withoutSRF(s, "CASE")
	var arg *plan.Expr
	if c.Arg != nil {
		arg = b.expr(c.Arg, s, catalog.TypeUnknown)
	}
	var conds, results []*plan.Expr
	for _, w := range c.Args {
		cw := w.GetCaseWhen()
		var cond *plan.Expr
		if arg != nil {
			cond = binaryOp("=", arg, b.expr(cw.Expr, s, arg.Type))
		} else {
			cond = boolArg(b.expr(cw.Expr, s, catalog.TypeBool), "CASE/WHEN")
		}
		conds = append(conds, cond)
		results = append(results, b.expr(cw.Result, s, catalog.TypeUnknown))
	}
	if c.Defresult != nil {
		results = append(results, b.expr(c.Defresult, s, catalog.TypeUnknown))
	}
	t := commonType(results, "CASE")
	e := &plan.Expr{Kind: plan.Case, Type: t}
	for i := range conds {
		e.Args = append(e.Args, conds[i], coerce(results[i], t))
	}
	if c.Defresult != nil {
		e.Args = append(e.Args, coerce(results[len(results)-1], t))
		e.Else = true
	}
	return e
}

// numericRank orders the number types for implicit promotion.
func numericRank(t catalog.Type) int {
	switch t.Kind {
	case catalog.Int2:
		return 1
	case catalog.Int4:
		return 2
	case catalog.Int8:
		return 3
	case catalog.Numeric:
		return 4
	case catalog.Float4:
		return 5
	case catalog.Float8:
		return 6
	}
	return 0
}

// commonType resolves the type of a set of expressions that must agree
// (CASE results, COALESCE, VALUES columns), as PostgreSQL's select_common_type.
func commonType(es []*plan.Expr, what string) catalog.Type {
	t := catalog.TypeUnknown
	untyped := false
	for _, e := range es {
		et := e.Type
		switch {
		case et.Kind == catalog.Unknown:
			untyped = true
		case t.Kind == catalog.Unknown:
			t = et
		case t == et:
		case t.IsString() && et.Kind == t.Kind:
			t.Length = 0 // lengths differ: PostgreSQL's typmod -1
		case t.IsNumeric() && et.IsNumeric():
			// PostgreSQL's numerics keep each value's own scale: mixing
			// scales (an integer counts as scale 0) gives per-value scales.
			if (t.Kind == catalog.Numeric || et.Kind == catalog.Numeric) && numericRank(t) <= 4 && numericRank(et) <= 4 && scaleOf(t) != scaleOf(et) {
				t = catalog.TypeNumericDynamic
			} else {
				t = promote(t, et)
			}
		case t.IsString() && et.IsString():
			if t.Kind != et.Kind || t.Length != et.Length {
				if t.Kind == catalog.Bpchar && et.Kind == catalog.Bpchar {
					t = catalog.Type{Kind: catalog.Bpchar}
				} else {
					t = catalog.TypeText
				}
			}
		case t.IsDateTime() && et.IsDateTime():
			t = dateTimeUnion(t, et)
		default:
			failf(sqlerr.DatatypeMismatch, "%s types %s and %s cannot be matched", what, t, et)
		}
	}
	if t.Kind == catalog.Unknown {
		return catalog.TypeText
	}
	if untyped && t.Kind == catalog.Numeric && !t.IsDynamicNumeric() && slices.ContainsFunc(es, isNumericSpecialLiteral) {
		t = catalog.TypeNumericDynamic // 'NaN' among fixed-scale numerics
	}
	if untyped && t.IsString() {
		t.Length = 0 // an untyped literal has no length: PostgreSQL's typmod -1
	}
	return t
}

// promote returns the type two numbers combine into.
func promote(a, b catalog.Type) catalog.Type {
	if a.IsDynamicNumeric() || b.IsDynamicNumeric() {
		if numericRank(a) > 4 || numericRank(b) > 4 {
			return catalog.TypeFloat8
		}
		return catalog.TypeNumericDynamic
	}
	ra, rb := numericRank(a), numericRank(b)
	switch {
	case ra >= 5 || rb >= 5:
		if a.Kind == catalog.Float4 && b.Kind == catalog.Float4 {
			return catalog.TypeFloat4
		}
		return catalog.TypeFloat8
	case ra == 4 || rb == 4:
		s := int32(0)
		if a.Kind == catalog.Numeric {
			s = a.Scale
		}
		if b.Kind == catalog.Numeric && b.Scale > s {
			s = b.Scale
		}
		return catalog.NumericType(0, s)
	case ra >= rb:
		return catalog.Type{Kind: a.Kind}
	}
	return catalog.Type{Kind: b.Kind}
}

// numericLiteral is an untyped literal compared with a numeric, typed as
// PostgreSQL resolves it: plain numeric, whatever the other side's typmod
// ('1.499' is not rounded to a numeric(10,2) column's scale, 'NaN' stays
// NaN).
func numericLiteral(e *plan.Expr) *plan.Expr {
	c := *e
	c.Type = unconstrainedNumeric(e)
	return &c
}

// narrowNumericConst returns e, a plain numeric constant (a parameter
// compared with a numeric takes that type) compared with other, as the
// scaled int64 of a literal when it fits one and other is a scaled int64
// too, so that the comparison stays on the int64 kernels.
func narrowNumericConst(e, other *plan.Expr) *plan.Expr {
	if e.Kind != plan.Const || e.Value.Null || e.Type != catalog.TypeNumericDynamic || !other.Type.IsInt64Backed() {
		return e
	}
	t := literalNumericType(e.Value.S)
	if t.IsDynamicNumeric() {
		return e
	}
	i, err := pgtype.ParseNumeric([]byte(e.Value.S), 0, t.Scale)
	if err != nil {
		return e
	}
	return plan.ConstOf(t, plan.Datum{I: i})
}

// comparisonType is the type both sides of a comparison are cast to.
func comparisonType(l, r *plan.Expr) catalog.Type {
	lt, rt := l.Type, r.Type
	switch {
	case lt.Kind == catalog.Unknown && rt.Kind == catalog.Unknown:
		return catalog.TypeText
	case lt.Kind == catalog.Unknown && rt.Kind == catalog.Numeric && l.Kind == plan.Const && !l.Value.Null:
		return comparisonType(numericLiteral(l), r)
	case rt.Kind == catalog.Unknown && lt.Kind == catalog.Numeric && r.Kind == plan.Const && !r.Value.Null:
		return comparisonType(l, numericLiteral(r))
	case lt.Kind == catalog.Unknown:
		return withoutLength(rt)
	case rt.Kind == catalog.Unknown:
		return withoutLength(lt)
	case lt.IsNumeric() && rt.IsNumeric():
		if lt.Kind == catalog.Numeric && rt.Kind == catalog.Numeric && !lt.IsDynamicNumeric() && !rt.IsDynamicNumeric() {
			s := lt.Scale
			if rt.Scale > s {
				s = rt.Scale
			}
			return catalog.NumericType(0, s)
		}
		if lt.IsInteger() && rt.IsInteger() {
			return catalog.TypeInt8
		}
		return promote(lt, rt)
	case lt.IsString() && rt.IsString():
		// bpchar meets bpchar or varchar as bpchar (trailing spaces do
		// not count), text as text.
		if (lt.Kind == catalog.Bpchar || rt.Kind == catalog.Bpchar) && lt.Kind != catalog.Text && rt.Kind != catalog.Text {
			return catalog.Type{Kind: catalog.Bpchar}
		}
		return catalog.TypeText
	case lt.IsOidLike() && rt.IsOidLike() && lt.Kind != rt.Kind,
		lt.IsOidLike() && rt.IsInteger(), lt.IsInteger() && rt.IsOidLike():
		// int4 and the reg* types meet oid as oid (PostgreSQL's implicit casts).
		return catalog.TypeOid
	case lt.Kind == rt.Kind:
		return lt
	case lt.IsDateTime() && rt.IsDateTime():
		return dateTimeUnion(lt, rt)
	}
	failf(sqlerr.UndefinedFunction, "operator does not exist: %s = %s", lt, rt)
	return catalog.Type{}
}

func binaryOp(op string, l, r *plan.Expr) *plan.Expr {
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		if op == "!=" {
			op = "<>"
		}
		if e := dateVsTimestamp(op, l, r); e != nil {
			return e
		}
		l, r = narrowNumericConst(l, r), narrowNumericConst(r, l)
		t := comparisonType(l, r)
		return plan.CallOf(op, catalog.TypeBool, coerce(l, t), coerce(r, t))
	case "+", "-", "*", "/", "%":
		return arithmetic(op, l, r)
	case "~", "~*", "!~", "!~*":
		return regexOp(op, l, r)
	case "&", "|", "#", "<<", ">>":
		return bitwiseOp(op, l, r)
	case "||":
		if l.Type.IsArray() || r.Type.IsArray() {
			t := l.Type
			if !t.IsArray() {
				t = r.Type
			}
			if l.Type.Kind != catalog.Unknown && r.Type.Kind != catalog.Unknown && l.Type != r.Type {
				failf(sqlerr.UndefinedFunction, "operator does not exist: %s || %s", l.Type, r.Type)
			}
			return plan.CallOf("array_cat", t, coerce(l, t), coerce(r, t))
		}
		if !concatOperand(l) && !concatOperand(r) {
			break // textcat and anynonarray || text need a string side
		}
		return plan.CallOf("concat", catalog.TypeText, toText(l), toText(r))
	case "~~", "!~~", "~~*", "!~~*":
		name := map[string]string{"~~": "like", "!~~": "notlike", "~~*": "ilike", "!~~*": "notilike"}[op]
		if l.Type.Kind != catalog.Bpchar { // bpcharlike matches the padded value
			l = coerceString(l)
		}
		return plan.CallOf(name, catalog.TypeBool, l, coerceString(r))
	}
	failf(sqlerr.UndefinedFunction, "operator does not exist: %s %s %s", l.Type, op, r.Type)
	return nil
}

// bitwiseOp binds the integer operators & | # (and, or, xor) over the
// wider operand type, and << >> (shifts by an integer count) of the left
// operand's type, as PostgreSQL's int2/int4/int8 operators do.
func bitwiseOp(op string, l, r *plan.Expr) *plan.Expr {
	if l.Type.Kind == catalog.Unknown {
		l = coerce(l, catalog.TypeInt4)
	}
	if r.Type.Kind == catalog.Unknown {
		r = coerce(r, catalog.TypeInt4)
	}
	if !l.Type.IsInteger() || !r.Type.IsInteger() {
		failf(sqlerr.UndefinedFunction, "operator does not exist: %s %s %s", l.Type, op, r.Type)
	}
	name := map[string]string{"&": "bitand", "|": "bitor", "#": "bitxor", "<<": "shl", ">>": "shr"}[op]
	if op == "<<" || op == ">>" {
		return plan.CallOf(name, l.Type, l, coerce(r, catalog.TypeInt4))
	}
	t := l.Type
	if r.Type.Size() > t.Size() {
		t = r.Type
	}
	return plan.CallOf(name, t, coerce(l, t), coerce(r, t))
}

func toText(e *plan.Expr) *plan.Expr {
	if e.Type.Kind == catalog.Unknown {
		return coerce(e, catalog.TypeText)
	}
	return plan.CastOf(e, catalog.TypeText)
}

func coerceString(e *plan.Expr) *plan.Expr {
	if e.Type.Kind == catalog.Unknown || e.Type.IsString() {
		return coerce(e, catalog.TypeText)
	}
	failf(sqlerr.UndefinedFunction, "function for type %s does not exist (a string is required)", e.Type)
	return nil
}

func arithmetic(op string, l, r *plan.Expr) *plan.Expr {
	lt, rt := l.Type, r.Type
	if lt.Kind == catalog.Interval || rt.Kind == catalog.Interval {
		return intervalArithmetic(op, l, r)
	}
	if e := timestampDifference(op, l, r); e != nil {
		return e
	}
	// Dates: date ± int, date − date.
	if lt.Kind == catalog.Date || rt.Kind == catalog.Date {
		switch {
		case lt.Kind == catalog.Date && rt.Kind == catalog.Date && op == "-":
			return plan.CallOf("-", catalog.TypeInt4, l, r)
		case lt.Kind == catalog.Date && (rt.IsInteger() || rt.Kind == catalog.Unknown) && (op == "+" || op == "-"):
			return plan.CallOf(op, catalog.TypeDate, l, coerce(r, catalog.TypeInt4))
		case rt.Kind == catalog.Date && lt.IsInteger() && op == "+":
			return plan.CallOf("+", catalog.TypeDate, r, l)
		}
		failf(sqlerr.UndefinedFunction, "operator does not exist: %s %s %s", lt, op, rt)
	}
	if lt.Kind == catalog.Unknown {
		lt = rt
		if lt.Kind == catalog.Unknown || !lt.IsNumeric() {
			lt = catalog.NumericType(0, 0)
		}
		l = coerceUnknownNumber(l, lt)
		lt = l.Type
	}
	if rt.Kind == catalog.Unknown {
		rt = lt
		if !rt.IsNumeric() {
			rt = catalog.NumericType(0, 0)
		}
		r = coerceUnknownNumber(r, rt)
		rt = r.Type
	}
	if !lt.IsNumeric() || !rt.IsNumeric() {
		failf(sqlerr.UndefinedFunction, "operator does not exist: %s %s %s", lt, op, rt)
	}
	if lt.IsDynamicNumeric() || rt.IsDynamicNumeric() {
		// Per-value scales in, per-value scales out (PostgreSQL's numeric
		// rules for each value), unless a float makes it a float.
		if numericRank(lt) > 4 || numericRank(rt) > 4 {
			return plan.CallOf(op, catalog.TypeFloat8, coerce(l, catalog.TypeFloat8), coerce(r, catalog.TypeFloat8))
		}
		return plan.CallOf(op, catalog.TypeNumericDynamic, castNumericKeepScale(l), castNumericKeepScale(r))
	}
	t := promote(lt, rt)
	if t.Kind == catalog.Numeric {
		ls, rs := int32(0), int32(0)
		if lt.Kind == catalog.Numeric {
			ls = lt.Scale
		}
		if rt.Kind == catalog.Numeric {
			rs = rt.Scale
		}
		switch op {
		case "*":
			t = catalog.NumericType(0, ls+rs)
			if t.Scale >= wideProductScale {
				// Few integer digits would be left in an int64: the
				// product is exact per value instead (same scale).
				t = catalog.TypeNumericDynamic
			}
			// Operands keep their own scales; the executor multiplies mantissas.
			return plan.CallOf("*", t, castNumericKeepScale(l), castNumericKeepScale(r))
		case "/":
			t = catalog.TypeNumericDynamic
			return plan.CallOf("/", t, castNumericKeepScale(l), castNumericKeepScale(r))
		}
	}
	return plan.CallOf(op, t, coerce(l, t), coerce(r, t))
}

// wideProductScale is the smallest product scale held per value rather
// than as a scaled int64, which would leave at most 8 integer digits.
const wideProductScale = 10

// castNumericKeepScale turns an integer operand of numeric arithmetic into a
// numeric of scale 0, leaving numerics as they are.
func castNumericKeepScale(e *plan.Expr) *plan.Expr {
	if e.Type.Kind == catalog.Numeric {
		return e
	}
	return coerce(e, catalog.NumericType(0, 0))
}

func coerceUnknownNumber(e *plan.Expr, t catalog.Type) *plan.Expr {
	if e.Kind == plan.Const && !e.Value.Null && t.Kind == catalog.Numeric {
		// An untyped literal in arithmetic takes the scale it is written
		// with; NaN and the infinities are held per value.
		s := e.Value.S
		scale := int32(0)
		if i := strings.IndexByte(s, '.'); i >= 0 {
			scale = int32(len(strings.TrimSpace(s)) - i - 1)
		}
		t = catalog.NumericType(0, scale)
		if isNumericSpecialLiteral(e) {
			t = catalog.TypeNumericDynamic
		}
	}
	return coerce(e, t)
}

// isNumericSpecialLiteral reports whether e is an untyped literal that
// reads as numeric NaN or an infinity, which only a dynamic-scale numeric
// holds.
func isNumericSpecialLiteral(e *plan.Expr) bool {
	if e.Kind != plan.Const || e.Value.Null || e.Type.Kind != catalog.Unknown {
		return false
	}
	d, err := pgtype.ParseNumericText([]byte(e.Value.S))
	return err == nil && pgtype.IsNumericSpecial([]byte(d))
}

// scaleOf is the fixed scale of an integer or numeric type.
func scaleOf(t catalog.Type) int32 {
	if t.Kind == catalog.Numeric {
		return t.Scale
	}
	return 0
}

// unconstrainedNumeric is the type of a cast to plain numeric: integers and
// fixed-scale numerics keep their scale, an untyped literal takes the scale
// it is written with; only other sources (floats, text) vary per value.
func unconstrainedNumeric(e *plan.Expr) catalog.Type {
	switch {
	case e.Type.IsInteger():
		return catalog.NumericType(0, 0)
	case e.Type.Kind == catalog.Numeric:
		return e.Type
	case e.Type.Kind == catalog.Unknown && e.Kind == plan.Const && !e.Value.Null:
		if d, err := pgtype.ParseNumericText([]byte(e.Value.S)); err == nil {
			return literalNumericType(d)
		}
	}
	return catalog.TypeNumericDynamic
}

// literalNumericType is the type of a numeric literal in decimal text: a
// fixed scale when the value fits a scaled int64 (at most
// MaxNumericPrecision digits), else (and for NaN and the infinities) the
// dynamic-scale numeric that holds any value as text.
func literalNumericType(d string) catalog.Type {
	if pgtype.IsNumericSpecial([]byte(d)) {
		return catalog.TypeNumericDynamic
	}
	digits, scale := 0, int32(0)
	for i := 0; i < len(d); i++ {
		switch c := d[i]; {
		case c == '.':
			scale = int32(len(d) - i - 1)
		case c >= '0' && c <= '9':
			digits++
		}
	}
	if digits > catalog.MaxNumericPrecision {
		return catalog.TypeNumericDynamic
	}
	return catalog.NumericType(0, scale)
}

// withoutLength drops a string type's length limit: a literal compared with
// a char(3) column may be longer than 3 (the comparison is just false).
func withoutLength(t catalog.Type) catalog.Type {
	switch t.Kind {
	case catalog.Bpchar:
		return catalog.Type{Kind: catalog.Bpchar}
	case catalog.Varchar:
		return catalog.TypeText
	}
	return t
}

// rowCompare binds (a, b, ...) = (c, d, ...) as a = c AND b = d ... and
// <> as a <> c OR b <> d ... (SQL's three-valued row comparison).
func (b *binder) rowCompare(op string, l, r []*pg_query.Node, s *scope) *plan.Expr {
	if len(l) != len(r) {
		failf(sqlerr.SyntaxError, "unequal number of entries in row expressions")
	}
	join := "and"
	switch op {
	case "=":
	case "<>", "!=":
		op, join = "<>", "or"
	default:
		failf(sqlerr.FeatureNotSupported, "row comparison with %s is not supported yet", op)
	}
	var out *plan.Expr
	for i := range l {
		x, y := b.bindPair(l[i], r[i], s)
		e := binaryOp(op, x, y)
		if out == nil {
			out = e
		} else {
			out = plan.CallOf(join, catalog.TypeBool, out, e)
		}
	}
	return out
}
