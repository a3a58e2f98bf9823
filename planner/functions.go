package planner

import (
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Scalar functions beyond the core set of funcCall, typed as PostgreSQL 15
// resolves them (func.sgml; the candidates of pg_proc and the implicit
// casts between them). The executor evaluates the calls (executor/
// expr_func.go); the Op names are documented there.

// scalarFuncs are the scalar functions Cirrus knows (funcCall and
// builtinFunc), for PostgreSQL's error on aggregate syntax applied to them.
var scalarFuncs = map[string]bool{
	"extract": true, "date_part": true, "lower": true, "upper": true, "length": true, "char_length": true,
	"character_length": true, "substr": true, "substring": true, "abs": true, "coalesce": true,
	"scale": true, "min_scale": true, "trim_scale": true,
	"round": true, "trunc": true, "ceil": true, "ceiling": true, "floor": true, "sign": true, "sqrt": true,
	"exp": true, "ln": true, "log": true, "log10": true, "power": true, "pow": true, "mod": true, "div": true,
	"pi": true, "btrim": true, "ltrim": true, "rtrim": true, "strpos": true, "position": true,
	"octet_length": true, "concat": true, "concat_ws": true, "replace": true, "left": true, "right": true,
	"repeat": true, "lpad": true, "rpad": true, "reverse": true, "initcap": true, "md5": true,
	"split_part": true, "starts_with": true, "to_char": true, "to_date": true, "make_date": true,
	"date_trunc": true, "now": true, "transaction_timestamp": true, "statement_timestamp": true,
	"localtimestamp": true, "clock_timestamp": true, "timezone": true, "to_timestamp": true, "pg_cancel_backend": true, "pg_terminate_backend": true,
	"format": true,
}

// builtinFunc binds a call of a scalar function; nil when name is not one.
func (b *binder) builtinFunc(name string, args []*plan.Expr, nodes []*pg_query.Node, s *scope) *plan.Expr {
	if !scalarFuncs[name] {
		return nil
	}
	b.typeParams(name, args, nodes, s)
	argc := func(lo, hi int) {
		if len(args) < lo || len(args) > hi {
			failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, argTypes(args))
		}
	}
	noFunc := func() {
		failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, argTypes(args))
	}
	switch name {
	// ---- numbers ----
	case "round", "trunc":
		argc(1, 2)
		x := args[0]
		if len(args) == 1 {
			switch {
			case x.Type.Kind == catalog.Numeric:
				return plan.CallOf(name, roundType(x.Type, 0, true), x)
			case x.Type.IsNumeric() || x.Type.Kind == catalog.Unknown:
				return plan.CallOf(name, catalog.TypeFloat8, coerce(x, catalog.TypeFloat8))
			}
			noFunc()
		}
		xt := intPrecision(x.Type)
		x = numericArg(x)
		if x == nil {
			noFunc()
		}
		if xt.Kind == catalog.Unknown {
			xt = x.Type
		}
		k := intArg(args[1])
		if k == nil {
			noFunc()
		}
		t := catalog.TypeNumericDynamic
		if k.Kind == plan.Const {
			if k.Value.Null {
				return plan.NullOf(catalog.NumericType(0, 0))
			}
			t = roundType(xt, k.Value.I, false)
		}
		return plan.CallOf(name, t, x, k)
	case "scale", "min_scale", "trim_scale":
		argc(1, 1)
		x := numericArg(args[0])
		if x == nil {
			noFunc()
		}
		t := catalog.TypeInt4
		if name == "trim_scale" {
			t = catalog.TypeNumericDynamic
		}
		return plan.CallOf(name, t, x)
	case "ceil", "ceiling", "floor", "sign":
		argc(1, 1)
		op := name
		if op == "ceiling" {
			op = "ceil"
		}
		x := args[0]
		switch {
		case x.Type.Kind == catalog.Numeric:
			return plan.CallOf(op, roundType(x.Type, 0, true), x)
		case x.Type.IsNumeric() || x.Type.Kind == catalog.Unknown:
			return plan.CallOf(op, catalog.TypeFloat8, coerce(x, catalog.TypeFloat8))
		}
		noFunc()
	case "sqrt", "exp", "ln", "log", "log10":
		argc(1, 2)
		if len(args) == 2 {
			if name != "log" {
				noFunc()
			}
			bs, x := numericArg(args[0]), numericArg(args[1])
			if bs == nil || x == nil {
				noFunc()
			}
			return plan.CallOf("log", catalog.TypeNumericDynamic, bs, x)
		}
		op := name
		if op == "log" {
			op = "log10"
		}
		x := args[0]
		switch {
		case x.Type.Kind == catalog.Numeric:
			return plan.CallOf(op, catalog.TypeNumericDynamic, x)
		case x.Type.IsNumeric() || x.Type.Kind == catalog.Unknown:
			return plan.CallOf(op, catalog.TypeFloat8, coerce(x, catalog.TypeFloat8))
		}
		noFunc()
	case "power", "pow":
		argc(2, 2)
		x, y := args[0], args[1]
		if !numberOrUnknown(x) || !numberOrUnknown(y) {
			noFunc()
		}
		isFloat := func(t catalog.Type) bool { return t.Kind == catalog.Float4 || t.Kind == catalog.Float8 }
		if isFloat(x.Type) || isFloat(y.Type) || (x.Type.Kind != catalog.Numeric && y.Type.Kind != catalog.Numeric) {
			return plan.CallOf("power", catalog.TypeFloat8, coerce(x, catalog.TypeFloat8), coerce(y, catalog.TypeFloat8))
		}
		return plan.CallOf("power", catalog.TypeNumericDynamic, numericArg(x), numericArg(y))
	case "mod":
		argc(2, 2)
		x, y := args[0], args[1]
		for _, a := range args {
			if !numberOrUnknown(a) || a.Type.Kind == catalog.Float4 || a.Type.Kind == catalog.Float8 {
				noFunc()
			}
		}
		return arithmetic("%", x, y)
	case "div":
		argc(2, 2)
		x, y := numericArg(args[0]), numericArg(args[1])
		if x == nil || y == nil {
			noFunc()
		}
		return plan.CallOf("div", catalog.TypeNumericDynamic, x, y)
	case "pi":
		argc(0, 0)
		return plan.ConstOf(catalog.TypeFloat8, plan.Datum{F: 3.141592653589793})

	// ---- strings ----
	case "btrim", "ltrim", "rtrim":
		argc(1, 2)
		return plan.CallOf(name, catalog.TypeText, stringArgs(name, args)...)
	case "strpos", "position":
		argc(2, 2)
		return plan.CallOf("strpos", catalog.TypeInt4, stringArgs(name, args)...)
	case "octet_length":
		argc(1, 1)
		x := args[0]
		if x.Type.Kind == catalog.Bpchar {
			// bpcharoctetlen counts the padding.
			return plan.CallOf("octet_length", catalog.TypeInt4, x)
		}
		return plan.CallOf("octet_length", catalog.TypeInt4, stringArgs(name, args)...)
	case "concat":
		argc(1, 1<<20)
		out := make([]*plan.Expr, len(args))
		for i, a := range args {
			out[i] = concatArg(a)
		}
		return plan.CallOf("concat_func", catalog.TypeText, out...)
	case "format":
		// The arguments keep their types: the executor prints each with
		// its type's output, as format's VARIADIC "any" does.
		argc(1, 1<<20)
		out := make([]*plan.Expr, len(args))
		out[0] = coerceStringFor(name, args[0])
		for i, a := range args[1:] {
			out[i+1] = a
			if a.Type.Kind == catalog.Unknown {
				out[i+1] = coerce(a, catalog.TypeText)
			}
		}
		return plan.CallOf("format", catalog.TypeText, out...)
	case "concat_ws":
		argc(2, 1<<20)
		out := make([]*plan.Expr, len(args))
		out[0] = coerceStringFor(name, args[0])
		for i, a := range args[1:] {
			out[i+1] = concatArg(a)
		}
		return plan.CallOf("concat_ws", catalog.TypeText, out...)
	case "replace":
		argc(3, 3)
		return plan.CallOf(name, catalog.TypeText, stringArgs(name, args)...)
	case "left", "right", "repeat":
		argc(2, 2)
		n := intArg(args[1])
		if n == nil {
			noFunc()
		}
		return plan.CallOf(name, catalog.TypeText, coerceStringFor(name, args[0]), n)
	case "lpad", "rpad":
		argc(2, 3)
		n := intArg(args[1])
		if n == nil {
			noFunc()
		}
		out := []*plan.Expr{coerceStringFor(name, args[0]), n}
		if len(args) == 3 {
			out = append(out, coerceStringFor(name, args[2]))
		}
		return plan.CallOf(name, catalog.TypeText, out...)
	case "reverse", "initcap", "md5":
		argc(1, 1)
		return plan.CallOf(name, catalog.TypeText, stringArgs(name, args)...)
	case "split_part":
		argc(3, 3)
		n := intArg(args[2])
		if n == nil {
			noFunc()
		}
		return plan.CallOf(name, catalog.TypeText, coerceStringFor(name, args[0]), coerceStringFor(name, args[1]), n)
	case "starts_with":
		argc(2, 2)
		return plan.CallOf(name, catalog.TypeBool, stringArgs(name, args)...)
	case "to_char":
		argc(2, 2)
		x, f := args[0], coerceStringFor(name, args[1])
		switch {
		case x.Type.Kind == catalog.Date:
			return plan.CallOf("to_char", catalog.TypeText, coerce(x, catalog.TypeTimestamp), f)
		case x.Type.IsTimestamp(), x.Type.IsNumeric():
			return plan.CallOf("to_char", catalog.TypeText, x, f)
		}
		noFunc()

	// ---- dates and times ----
	case "to_date":
		argc(2, 2)
		return plan.CallOf(name, catalog.TypeDate, stringArgs(name, args)...)
	case "make_date":
		argc(3, 3)
		out := make([]*plan.Expr, 3)
		for i, a := range args {
			if out[i] = intArg(a); out[i] == nil {
				noFunc()
			}
		}
		return plan.CallOf(name, catalog.TypeDate, out...)
	case "date_trunc":
		argc(2, 3)
		f, x := args[0], args[1]
		if x.Type.Kind == catalog.TimestampTZ || x.Type.Kind == catalog.Unknown || len(args) == 3 {
			return b.dateTruncTZ(f, x, args[2:])
		}
		if x.Type.Kind == catalog.Date || x.Type.Kind == catalog.Unknown {
			x = coerce(x, catalog.TypeTimestamp)
		}
		if x.Type.Kind != catalog.Timestamp {
			noFunc()
		}
		if f = truncField(f, x.Type); f == nil {
			return plan.NullOf(catalog.TypeTimestamp)
		}
		return plan.CallOf(name, catalog.TypeTimestamp, f, x)
	case "now", "transaction_timestamp", "statement_timestamp":
		argc(0, 0)
		return b.clock(catalog.TypeTimestampTZ, name == "statement_timestamp")
	case "localtimestamp":
		argc(0, 0)
		return b.clock(catalog.TypeTimestamp, false)
	case "to_timestamp":
		// to_timestamp(double precision): seconds since 1970-01-01 UTC.
		argc(1, 1)
		if !numberOrUnknown(args[0]) {
			noFunc()
		}
		return plan.CallOf(name, catalog.TypeTimestampTZ, coerce(args[0], catalog.TypeFloat8))
	case "clock_timestamp":
		argc(0, 0)
		return plan.CallOf(name, catalog.TypeTimestampTZ)
	case "timezone":
		// x AT TIME ZONE zone is timezone(zone, x).
		argc(2, 2)
		return b.atTimeZone(coerceStringFor(name, args[0]), args[1])

	// ---- server signalling ----
	// The coordinator evaluates these when the statement runs
	// (SessionFuncs).
	case "pg_cancel_backend":
		argc(1, 1)
		return plan.CallOf(name, catalog.TypeBool, intArgOf(args[0], catalog.TypeInt4, noFunc))
	case "pg_terminate_backend":
		argc(1, 2)
		call := plan.CallOf(name, catalog.TypeBool, intArgOf(args[0], catalog.TypeInt4, noFunc))
		if len(args) == 2 {
			call.Args = append(call.Args, intArgOf(args[1], catalog.TypeInt8, noFunc))
		}
		return call
	}
	return nil
}

// SessionFuncs are the functions whose calls the planner binds but the
// coordinator evaluates, before the plan runs, with the session's state:
// their arguments must not depend on rows.
var SessionFuncs = map[string]bool{"pg_cancel_backend": true, "pg_terminate_backend": true}

// onCoordinator reports whether expressions must run on the coordinator,
// so that a filter or projection of them stays above its Remote input:
// they hold a SubPlan, or a call of SessionFuncs (which the coordinator
// evaluates row by row when its arguments depend on rows).
func onCoordinator(es ...*plan.Expr) bool {
	for _, e := range es {
		if e != nil && (e.Kind == plan.SubPlan || e.Kind == plan.Call && SessionFuncs[e.Op] || onCoordinator(e.Args...)) {
			return true
		}
	}
	return false
}

// intArgOf coerces an integer (or untyped) argument to t; fail otherwise.
func intArgOf(e *plan.Expr, t catalog.Type, fail func()) *plan.Expr {
	if !e.Type.IsInteger() && e.Type.Kind != catalog.Unknown {
		fail()
	}
	return coerce(e, t)
}

// concatArg is an argument of concat/concat_ws: its text output form.
// Booleans (t/f) and char(n) (padded) are left to the executor, whose
// casts to text give true/false and drop the padding.
func concatArg(e *plan.Expr) *plan.Expr {
	if e.Type.Kind == catalog.Bool || e.Type.Kind == catalog.Bpchar {
		return e
	}
	return toText(e)
}

// concatOperand reports whether e can be the string side of || (a string
// or an untyped literal).
func concatOperand(e *plan.Expr) bool {
	return e.Type.IsString() || e.Type.Kind == catalog.Unknown
}

// typeParams rebinds the parameters ($n) among a function's arguments
// with the type the function's signature gives their position, as
// PostgreSQL infers a parameter's type from the function it is passed to.
func (b *binder) typeParams(name string, args []*plan.Expr, nodes []*pg_query.Node, s *scope) {
	for i, n := range nodes {
		if _, ok := n.Node.(*pg_query.Node_ParamRef); !ok || i >= len(args) {
			continue
		}
		if h := paramHint(name, i, args); h.Kind != catalog.Unknown {
			args[i] = b.expr(n, s, h)
		}
	}
}

// paramHint is the type of argument i of function name for a parameter
// (Unknown: none).
func paramHint(name string, i int, args []*plan.Expr) catalog.Type {
	other := func() catalog.Type {
		for j, a := range args {
			if j != i && a.Type.Kind != catalog.Unknown && a.Type.IsNumeric() {
				return a.Type
			}
		}
		return catalog.TypeUnknown
	}
	switch name {
	case "round", "trunc":
		if len(args) == 1 {
			return catalog.TypeFloat8
		}
		if i == 1 {
			return catalog.TypeInt4
		}
		return catalog.TypeNumericDynamic
	case "ceil", "ceiling", "floor", "sign", "sqrt", "exp", "ln", "log10":
		return catalog.TypeFloat8
	case "scale", "min_scale", "trim_scale":
		return catalog.TypeNumericDynamic
	case "log":
		if len(args) == 2 {
			return catalog.TypeNumericDynamic
		}
		return catalog.TypeFloat8
	case "power", "pow", "mod":
		if t := other(); t.Kind != catalog.Unknown {
			return t
		}
		if name == "mod" {
			return catalog.TypeInt4
		}
		return catalog.TypeFloat8
	case "div":
		return catalog.TypeNumericDynamic
	case "left", "right", "repeat", "lpad", "rpad":
		if i == 1 {
			return catalog.TypeInt4
		}
		return catalog.TypeText
	case "split_part":
		if i == 2 {
			return catalog.TypeInt4
		}
		return catalog.TypeText
	case "make_date", "pg_cancel_backend":
		return catalog.TypeInt4
	case "pg_terminate_backend":
		if i == 1 {
			return catalog.TypeInt8
		}
		return catalog.TypeInt4
	case "date_trunc":
		if i == 1 {
			return catalog.TypeTimestamp
		}
		return catalog.TypeText
	case "to_char":
		if i == 1 {
			return catalog.TypeText
		}
	case "btrim", "ltrim", "rtrim", "strpos", "position", "octet_length", "concat", "concat_ws",
		"replace", "reverse", "initcap", "md5", "starts_with", "to_date":
		return catalog.TypeText
	}
	return catalog.TypeUnknown
}

// argTypes lists argument types for an error message.
func argTypes(args []*plan.Expr) string {
	var s []string
	for _, a := range args {
		s = append(s, a.Type.String())
	}
	return strings.Join(s, ", ")
}

// intPrecision is the numeric type that holds every value of integer type
// t (Unknown for other types).
func intPrecision(t catalog.Type) catalog.Type {
	switch t.Kind {
	case catalog.Int2:
		return catalog.NumericType(5, 0)
	case catalog.Int4:
		return catalog.NumericType(10, 0)
	case catalog.Int8:
		return catalog.NumericType(19, 0)
	}
	return catalog.TypeUnknown
}

func numberOrUnknown(e *plan.Expr) bool {
	return e.Type.IsNumeric() || e.Type.Kind == catalog.Unknown
}

// numericArg makes e a numeric argument (integers and untyped literals
// become numeric; numerics stay as they are); nil for other types.
func numericArg(e *plan.Expr) *plan.Expr {
	switch {
	case e.Type.Kind == catalog.Numeric:
		return e
	case e.Type.IsInteger():
		return coerce(e, catalog.NumericType(0, 0))
	case e.Type.Kind == catalog.Unknown:
		return coerce(e, unconstrainedNumeric(e))
	}
	return nil
}

// intArg makes e an integer argument (int4); nil when it is not one.
func intArg(e *plan.Expr) *plan.Expr {
	switch {
	case e.Type.IsInteger() || e.Type.Kind == catalog.Unknown:
		return coerce(e, catalog.TypeInt4)
	}
	return nil
}

func stringArgs(name string, args []*plan.Expr) []*plan.Expr {
	out := make([]*plan.Expr, len(args))
	for i, a := range args {
		out[i] = coerceStringFor(name, a)
	}
	return out
}

// coerceStringFor makes e a text argument of function name.
func coerceStringFor(name string, e *plan.Expr) *plan.Expr {
	if e.Type.Kind == catalog.Unknown || e.Type.IsString() {
		return coerce(e, catalog.TypeText)
	}
	failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, e.Type)
	return nil
}

// roundType is the type of round/trunc(x, k) (and ceil/floor/sign with
// k = 0) over numeric x: scale max(k, 0) (PostgreSQL sets the display
// scale to k); a fixed scale when every result fits a scaled int64.
// zeroScale: the result scale is 0 whatever x's (ceil, floor, sign).
func roundType(t catalog.Type, k int64, zeroScale bool) catalog.Type {
	rs := max(k, 0)
	if t.IsDynamicNumeric() || rs > catalog.MaxNumericPrecision {
		return catalog.TypeNumericDynamic
	}
	if zeroScale || rs <= int64(t.Scale) {
		return catalog.NumericType(0, int32(rs))
	}
	// The scale grows: the integer digits must still fit.
	if t.Precision > 0 && int64(t.Precision-t.Scale)+rs <= catalog.MaxNumericPrecision {
		return catalog.NumericType(0, int32(rs))
	}
	return catalog.TypeNumericDynamic
}

// clock returns the transaction's start time (statement: the statement's)
// as a constant of type t, as PostgreSQL's now(), current_date and
// localtimestamp see it: an instant for timestamptz, the session zone's
// wall clock for timestamp and date. Every use in a statement sees the
// same value.
func (b *binder) clock(t catalog.Type, statement bool) *plan.Expr {
	if b.ctx.Now.IsZero() {
		b.ctx.Now = time.Now()
	}
	if b.ctx.TxnStart.IsZero() {
		b.ctx.TxnStart = b.ctx.Now
	}
	at := b.ctx.TxnStart
	if statement {
		at = b.ctx.Now
	}
	us := at.UnixMicro() - pgEpoch.UnixMicro()
	if t.Kind == catalog.TimestampTZ {
		return plan.ConstOf(t, plan.Datum{I: us})
	}
	local := pgtype.DateTimeFor(b.dt()).TimeZone().ToLocal(us)
	if t.Kind == catalog.Date {
		d := local / 86_400_000_000
		if local < 0 && local%86_400_000_000 != 0 {
			d--
		}
		return plan.ConstOf(catalog.TypeDate, plan.Datum{I: d})
	}
	return plan.ConstOf(catalog.TypeTimestamp, plan.Datum{I: local})
}

// sqlValueFunction binds CURRENT_DATE, CURRENT_TIMESTAMP, LOCALTIMESTAMP,
// CURRENT_USER and their kin.
func (b *binder) sqlValueFunction(f *pg_query.SQLValueFunction) *plan.Expr {
	switch f.Op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		return b.clock(catalog.TypeDate, false)
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N,
		pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		t := catalog.TypeTimestampTZ
		if f.Op == pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP || f.Op == pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N {
			t = catalog.TypeTimestamp
		}
		c := b.clock(t, false)
		if f.Typmod >= 0 {
			c.Value.I = roundMicros(c.Value.I, f.Typmod)
		}
		return c
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE, pg_query.SQLValueFunctionOp_SVFOP_USER:
		return plan.ConstOf(catalog.TypeText, plan.Datum{S: b.ctx.Catalog.RoleName(b.current())})
	case pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER:
		return plan.ConstOf(catalog.TypeText, plan.Datum{S: b.ctx.Catalog.RoleName(b.sessionUser())})
	}
	failf(sqlerr.FeatureNotSupported, "%s is not supported yet", strings.TrimPrefix(f.Op.String(), "SVFOP_"))
	return nil
}

// roundMicros rounds µs to p fractional digits of a second (a timestamp
// precision, 0 to 6), half away from zero as PostgreSQL's AdjustTimestampForTypmod.
func roundMicros(us int64, p int32) int64 {
	if p >= 6 || p < 0 {
		return us
	}
	unit := int64(1)
	for ; p < 6; p++ {
		unit *= 10
	}
	if us >= 0 {
		return (us + unit/2) / unit * unit
	}
	return -((-us + unit/2) / unit * unit)
}

// minMaxExpr binds GREATEST(...) / LEAST(...): the arguments' common type;
// NULLs are ignored, the result is NULL only when every argument is.
func (b *binder) minMaxExpr(m *pg_query.MinMaxExpr, s *scope) *plan.Expr {
	var args []*plan.Expr
	for _, a := range m.Args {
		args = append(args, b.expr(a, s, catalog.TypeUnknown))
	}
	what, op := "GREATEST", "greatest"
	if m.Op == pg_query.MinMaxOp_IS_LEAST {
		what, op = "LEAST", "least"
	}
	t := commonType(args, what)
	for i, a := range m.Args {
		if _, ok := a.Node.(*pg_query.Node_ParamRef); ok {
			args[i] = b.expr(a, s, t)
		}
	}
	if t.Kind == catalog.Bool {
		failf(sqlerr.UndefinedFunction, "could not identify a comparison function for type boolean")
	}
	if t.Kind == catalog.Varchar {
		t = catalog.TypeText
	}
	for i := range args {
		args[i] = coerce(args[i], t)
	}
	return plan.CallOf(op, t, args...)
}

// anyAll binds x op ANY (ARRAY[...]) and x op ALL (ARRAY[...]) over an
// array constructor: the OR (AND) of x op element, which is exactly
// PostgreSQL's three-valued result (true if some comparison is true, else
// NULL if some is NULL, else false; dually for ALL). The elements take
// their common type first, as the array's element type.
func (b *binder) anyAll(a *pg_query.A_Expr, s *scope) *plan.Expr {
	arr := a.Rexpr.GetAArrayExpr()
	if arr == nil {
		var l, r *plan.Expr
		if _, param := a.Rexpr.Node.(*pg_query.Node_ParamRef); param {
			// x op ANY ($n): the parameter is an array of x's type.
			l = b.expr(a.Lexpr, s, catalog.TypeUnknown)
			et := operandParamType(l.Type)
			if et.Kind == catalog.Unknown {
				et = catalog.TypeText
			}
			r = b.expr(a.Rexpr, s, catalog.ArrayOf(et.Kind))
		} else {
			l, r = b.bindPair(a.Lexpr, a.Rexpr, s)
		}
		return b.quantifiedArray(opName(a.Name), a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL, l, r)
	}
	if len(arr.Elements) == 0 {
		failf("42P18", "cannot determine type of empty array")
	}
	op := opName(a.Name)
	l := b.expr(a.Lexpr, s, catalog.TypeUnknown)
	var elems []*plan.Expr
	for _, e := range arr.Elements {
		elems = append(elems, b.expr(e, s, l.Type))
	}
	et := commonType(elems, "ARRAY")
	if _, ok := a.Lexpr.Node.(*pg_query.Node_ParamRef); ok && l.Type.Kind == catalog.Unknown {
		l = b.expr(a.Lexpr, s, et) // $1 = ANY (ARRAY[1, 2]): $1 is an integer
	}
	join := "or"
	if a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL {
		join = "and"
	}
	var out *plan.Expr
	for _, e := range elems {
		c := binaryOp(op, l, coerce(e, et))
		if c.Type.Kind != catalog.Bool {
			failf(sqlerr.WrongObjectType, "op ANY/ALL (array) requires operator to yield boolean")
		}
		if out == nil {
			out = c
		} else {
			out = plan.CallOf(join, catalog.TypeBool, out, c)
		}
	}
	return out
}
