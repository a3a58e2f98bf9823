package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Window functions, as PostgreSQL's parse analysis binds them
// (parse_agg.c transformWindowFuncCall, parse_clause.c
// transformWindowDefinitions): a call with OVER is bound like an
// aggregate, but into the block's winContext, and reads as the global id
// winIDBase+i. They run after WHERE, GROUP BY and HAVING and before
// DISTINCT, ORDER BY and LIMIT: buildWindows adds, for each distinct
// (PARTITION BY, ORDER BY), a projection of the keys and arguments, a Sort
// by them and a plan.Window computing that window's calls.
//
//	SELECT k, sum(x) OVER (PARTITION BY k ORDER BY t) FROM r
//	→ Project #0, #3
//	    Window partition=[#0] order=[#1] funcs=[sum(#2) range between unbounded preceding and current row]
//	      Sort #0, #1
//	        Remote …

// winIDBase is the first global id of window function results (above the
// aggregate and grouping ids).
const winIDBase = 1 << 26

// frameoption bits of a WindowDef (PostgreSQL's parsenodes.h FRAMEOPTION_*).
const (
	frameNonDefault         = 0x00001
	frameRange              = 0x00002
	frameRows               = 0x00004
	frameGroups             = 0x00008
	frameStartUnbounded     = 0x00020
	frameEndUnboundedFollow = 0x00100
	frameStartCurrentRow    = 0x00200
	frameEndCurrentRow      = 0x00400
	frameStartPreceding     = 0x00800
	frameEndPreceding       = 0x01000
	frameStartFollowing     = 0x02000
	frameEndFollowing       = 0x04000
	frameExcludeCurrentRow  = 0x08000
	frameExcludeGroup       = 0x10000
	frameExcludeTies        = 0x20000
)

// winContext collects a query block's window function calls; scopes that
// allow window functions (the select list and ORDER BY) carry it.
type winContext struct {
	defs  map[string]*pg_query.WindowDef // the WINDOW clause, resolved
	calls []*winCall
	// inWin is set while binding a window call's arguments and window
	// definition: a window function there is nested.
	inWin bool
}

// winCall is one bound window function call over the block's global ids.
type winCall struct {
	fn        plan.WindowFunc
	partition []*plan.Expr
	order     []plan.SortKey
}

// windowDefs resolves the WINDOW clause: each definition may refer to one
// defined before it.
func (b *binder) windowDefs(defs []*pg_query.Node) *winContext {
	wc := &winContext{defs: map[string]*pg_query.WindowDef{}}
	for _, n := range defs {
		w := n.GetWindowDef()
		if _, dup := wc.defs[w.Name]; dup {
			failf(sqlerr.WindowingError, "window %q is already defined", w.Name)
		}
		wc.defs[w.Name] = wc.resolve(w)
	}
	return wc
}

// resolve merges a window specification with the window it names
// (OVER (w ORDER BY …), WINDOW w2 AS (w …)), with PostgreSQL's rules on
// what may be added; OVER w uses w as it is.
func (wc *winContext) resolve(w *pg_query.WindowDef) *pg_query.WindowDef {
	if w.Refname == "" {
		return w
	}
	base, ok := wc.defs[w.Refname]
	if !ok {
		failf(sqlerr.UndefinedObject, "window %q does not exist", w.Refname)
	}
	if len(w.PartitionClause) > 0 {
		failf(sqlerr.WindowingError, "cannot override PARTITION BY clause of window %q", w.Refname)
	}
	if len(w.OrderClause) > 0 && len(base.OrderClause) > 0 {
		failf(sqlerr.WindowingError, "cannot override ORDER BY clause of window %q", w.Refname)
	}
	if base.FrameOptions&frameNonDefault != 0 {
		failf(sqlerr.WindowingError, "cannot copy window %q because it has a frame clause", w.Refname)
	}
	out := &pg_query.WindowDef{Name: w.Name, PartitionClause: base.PartitionClause, OrderClause: w.OrderClause,
		FrameOptions: w.FrameOptions, StartOffset: w.StartOffset, EndOffset: w.EndOffset}
	if len(out.OrderClause) == 0 {
		out.OrderClause = base.OrderClause
	}
	return out
}

// windowFunc binds a function call with OVER.
func (b *binder) windowFunc(name string, fc *pg_query.FuncCall, s *scope) *plan.Expr {
	wc := s.win
	switch {
	case s.agg != nil && s.agg.inAgg && s.agg.parent == nil:
		failf(sqlerr.GroupingError, "aggregate function calls cannot contain window function calls")
	case wc == nil:
		failf(sqlerr.WindowingError, "window functions are not allowed here")
	case wc.inWin:
		failf(sqlerr.WindowingError, "window function calls cannot be nested")
	}
	var spec *pg_query.WindowDef
	if fc.Over.Name != "" {
		var ok bool
		if spec, ok = wc.defs[fc.Over.Name]; !ok {
			failf(sqlerr.UndefinedObject, "window %q does not exist", fc.Over.Name)
		}
	} else {
		spec = wc.resolve(fc.Over)
	}
	wc.inWin = true
	defer func() { wc.inWin = false }()

	call := &winCall{}
	call.fn.Frame = plan.DefaultFrame()
	for _, p := range spec.PartitionClause {
		call.partition = append(call.partition, b.windowKey(p, s))
	}
	for _, o := range spec.OrderClause {
		sb := o.GetSortBy()
		if sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
			failf(sqlerr.FeatureNotSupported, "ORDER BY USING is not supported")
		}
		desc, nf := sortDirection(sb)
		call.order = append(call.order, plan.SortKey{Expr: b.windowKey(sb.Node, s), Desc: desc, NullsFirst: nf})
	}

	if aggFuncs[name] || extAggFuncs[name] {
		b.windowAggregate(call, name, fc, s)
	} else {
		b.windowBuiltin(call, name, fc, s)
	}
	b.windowFrame(call, spec)
	wc.calls = append(wc.calls, call)
	id := winIDBase + len(wc.calls) - 1
	if call.fn.Agg != nil && call.fn.Agg.Func == "string_agg" && call.fn.Type.IsArray() {
		// array_agg: the window computes string_agg's text, wrapped here.
		t := call.fn.Type
		call.fn.Type = catalog.TypeText
		return plan.CallOf("array_wrap", t, plan.Col(id, catalog.TypeText))
	}
	return plan.Col(id, call.fn.Type)
}

// windowKey binds a PARTITION BY or ORDER BY expression of a window: an
// expression over the block's columns (SQL99 rules: no output column names
// or positions).
func (b *binder) windowKey(n *pg_query.Node, s *scope) *plan.Expr {
	e := b.expr(n, s, catalog.TypeUnknown)
	if e.Type.Kind == catalog.Unknown {
		e = coerce(e, catalog.TypeText)
	}
	return e
}

// windowAggregate binds an aggregate used as a window function: bound as
// an aggregate of its own context, whose nested aggregates (sum(sum(x))
// OVER ()) belong to the block.
func (b *binder) windowAggregate(call *winCall, name string, fc *pg_query.FuncCall, s *scope) {
	if fc.AggDistinct {
		failf(sqlerr.FeatureNotSupported, "DISTINCT is not implemented for window functions")
	}
	if len(fc.AggOrder) > 0 {
		failf(sqlerr.FeatureNotSupported, "aggregate ORDER BY is not implemented for window functions")
	}
	plain := &pg_query.FuncCall{Funcname: fc.Funcname, Args: fc.Args, AggFilter: fc.AggFilter, AggStar: fc.AggStar, Funcformat: fc.Funcformat, Location: fc.Location}
	own := &aggContext{parent: s.agg}
	e := b.funcCall(plain, &scope{cols: s.cols, agg: own, outer: s.outer, win: s.win})
	if len(own.calls) != 1 {
		failf(sqlerr.Internal, "planner: window aggregate %s bound to %d aggregates", name, len(own.calls))
	}
	agg := own.calls[0]
	call.fn.Func, call.fn.Agg, call.fn.Type = "agg", agg, agg.Type
	if e.Kind == plan.Call && e.Op == "array_wrap" {
		call.fn.Type = e.Type // unwrapped by windowFunc
	}
}

// windowBuiltin binds the window functions proper (PostgreSQL's
// windowfuncs.c) and their argument types.
func (b *binder) windowBuiltin(call *winCall, name string, fc *pg_query.FuncCall, s *scope) {
	if fc.AggStar || fc.AggDistinct || len(fc.AggOrder) > 0 {
		if !scalarFuncs[name] && !windowFuncs[name] {
			failf(sqlerr.UndefinedFunction, "function %s does not exist", name)
		}
		failf(sqlerr.WrongObjectType, "DISTINCT or ORDER BY specified, but %s is not an aggregate function", name)
	}
	if !windowFuncs[name] {
		if scalarFuncs[name] {
			failf(sqlerr.WrongObjectType, "OVER specified, but %s is not a window function nor an aggregate function", name)
		}
		failf(sqlerr.UndefinedFunction, "function %s does not exist", name)
	}
	if fc.AggFilter != nil {
		failf(sqlerr.FeatureNotSupported, "FILTER is not implemented for non-aggregate window functions")
	}
	// Parameters take the types of the functions' signatures.
	var args []*plan.Expr
	for i, a := range fc.Args {
		hint := catalog.TypeUnknown
		switch {
		case i == 0 && name == "ntile", i == 1 && (name == "lag" || name == "lead" || name == "nth_value"):
			hint = catalog.TypeInt4
		case i == 2:
			hint = args[0].Type
		}
		args = append(args, b.expr(a, s, hint))
	}
	noSuch := func() {
		ts := ""
		for i, a := range args {
			if i > 0 {
				ts += ", "
			}
			ts += a.Type.String()
		}
		failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, ts)
	}
	// int4Arg coerces an integer argument (ntile's count, lag's offset,
	// nth_value's position) to int4, as the function's signature does.
	int4Arg := func(e *plan.Expr) *plan.Expr {
		switch e.Type.Kind {
		case catalog.Unknown, catalog.Int2, catalog.Int4:
			return coerce(e, catalog.TypeInt4)
		}
		noSuch()
		return nil
	}
	value := func(e *plan.Expr) *plan.Expr {
		if e.Type.Kind == catalog.Unknown {
			return coerce(e, catalog.TypeText)
		}
		return e
	}
	f := &call.fn
	f.Func = name
	switch name {
	case "row_number", "rank", "dense_rank", "percent_rank", "cume_dist":
		if len(args) != 0 {
			noSuch()
		}
		f.Type = catalog.TypeInt8
		if name == "percent_rank" || name == "cume_dist" {
			f.Type = catalog.TypeFloat8
		}
	case "ntile":
		if len(args) != 1 {
			noSuch()
		}
		f.Args, f.Type = []*plan.Expr{int4Arg(args[0])}, catalog.TypeInt4
	case "lag", "lead":
		if len(args) < 1 || len(args) > 3 {
			noSuch()
		}
		x := value(args[0])
		off := plan.ConstOf(catalog.TypeInt4, plan.Datum{I: 1})
		if len(args) > 1 {
			off = int4Arg(args[1])
		}
		def := plan.NullOf(x.Type)
		if len(args) > 2 {
			t := commonType([]*plan.Expr{args[0], args[2]}, name)
			if t.Kind == catalog.Unknown {
				t = catalog.TypeText
			}
			x, def = coerce(args[0], t), coerce(args[2], t)
		}
		f.Args, f.Type = []*plan.Expr{x, off, def}, x.Type
	case "first_value", "last_value":
		if len(args) != 1 {
			noSuch()
		}
		x := value(args[0])
		f.Args, f.Type = []*plan.Expr{x}, x.Type
	case "nth_value":
		if len(args) != 2 {
			noSuch()
		}
		x := value(args[0])
		f.Args, f.Type = []*plan.Expr{x, int4Arg(args[1])}, x.Type
	}
	if f.Type.Kind == catalog.Interval {
		failf(sqlerr.FeatureNotSupported, "interval values in results are not supported yet")
	}
}

// windowFuncs are the window functions proper.
var windowFuncs = map[string]bool{
	"row_number": true, "rank": true, "dense_rank": true, "percent_rank": true, "cume_dist": true, "ntile": true,
	"lag": true, "lead": true, "first_value": true, "last_value": true, "nth_value": true,
}

// windowFrame binds the frame clause of spec into call.
func (b *binder) windowFrame(call *winCall, spec *pg_query.WindowDef) {
	opts := spec.FrameOptions
	f := &call.fn.Frame
	if opts&frameNonDefault == 0 {
		return
	}
	switch {
	case opts&frameRows != 0:
		f.Mode = plan.RowsFrame
	case opts&frameGroups != 0:
		f.Mode = plan.GroupsFrame
		if len(call.order) == 0 {
			failf(sqlerr.WindowingError, "GROUPS mode requires an ORDER BY clause")
		}
	default:
		f.Mode = plan.RangeFrame
	}
	bound := func(unbounded, current, preceding, following int32, off *pg_query.Node, what string) plan.FrameBound {
		switch {
		case opts&unbounded != 0:
			if what == "starting" {
				return plan.FrameBound{Kind: plan.UnboundedPreceding}
			}
			return plan.FrameBound{Kind: plan.UnboundedFollowing}
		case opts&current != 0:
			return plan.FrameBound{Kind: plan.CurrentRow}
		}
		kind := plan.OffsetPreceding
		if opts&following != 0 {
			kind = plan.OffsetFollowing
		}
		return plan.FrameBound{Kind: kind, Offset: b.frameOffset(call, f.Mode, off, what)}
	}
	f.Start = bound(frameStartUnbounded, frameStartCurrentRow, frameStartPreceding, frameStartFollowing, spec.StartOffset, "starting")
	if opts&(frameEndUnboundedFollow|frameEndCurrentRow|frameEndPreceding|frameEndFollowing) == 0 {
		f.End = plan.FrameBound{Kind: plan.CurrentRow} // ROWS n PRECEDING: up to the current row
	} else {
		f.End = bound(frameEndUnboundedFollow, frameEndCurrentRow, frameEndPreceding, frameEndFollowing, spec.EndOffset, "ending")
	}
	switch {
	case opts&frameExcludeCurrentRow != 0:
		f.Exclude = plan.ExcludeCurrentRow
	case opts&frameExcludeGroup != 0:
		f.Exclude = plan.ExcludeGroup
	case opts&frameExcludeTies != 0:
		f.Exclude = plan.ExcludeTies
	}
}

// frameOffset binds a frame offset: a constant row or group count (int8)
// for ROWS and GROUPS, or for RANGE a distance in the type of the single
// ORDER BY key (integers, numerics, floats).
func (b *binder) frameOffset(call *winCall, mode plan.FrameMode, n *pg_query.Node, what string) plan.Datum {
	hint := catalog.TypeInt8
	if mode == plan.RangeFrame && len(call.order) == 1 {
		hint = call.order[0].Expr.Type
		if hint.Kind == catalog.Date || hint.Kind == catalog.Timestamp {
			hint = catalog.TypeInterval
		}
	}
	e := b.expr(n, &scope{}, hint)
	if _, isParam := n.Node.(*pg_query.Node_ParamRef); isParam && b.ctx.Params != nil && b.ctx.Params.Values == nil {
		// Preparing: the parameter is typed; its value is checked at Bind.
		return plan.Datum{}
	}
	if mode != plan.RangeFrame {
		if e.Type.Kind != catalog.Unknown && !e.Type.IsInteger() {
			failf(sqlerr.DatatypeMismatch, "argument of %s must be type bigint, not type %s", map[plan.FrameMode]string{plan.RowsFrame: "ROWS", plan.GroupsFrame: "GROUPS"}[mode], e.Type)
		}
		e = coerce(e, catalog.TypeInt8)
	} else {
		if len(call.order) != 1 {
			failf(sqlerr.WindowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
		}
		kt := call.order[0].Expr.Type
		ok := e.Type.Kind == catalog.Unknown
		switch {
		case kt.IsInteger():
			ok = ok || e.Type.IsInteger()
			kt = catalog.TypeInt8
		case kt.Kind == catalog.Numeric && !kt.IsDynamicNumeric():
			ok = ok || e.Type.IsInteger() || e.Type.Kind == catalog.Numeric
			kt = catalog.NumericType(0, kt.Scale)
		case kt.Kind == catalog.Float4 || kt.Kind == catalog.Float8:
			ok = ok || e.Type.IsNumeric()
			kt = catalog.TypeFloat8
		case (kt.Kind == catalog.Date || kt.Kind == catalog.Timestamp) && (e.Type.Kind == catalog.Interval || e.Type.Kind == catalog.Unknown):
			if e.Type.Kind == catalog.Unknown && e.Kind == plan.Const && !e.Value.Null {
				iv, err := parseInterval(e.Value.S, 0)
				if err != nil {
					fail(err)
				}
				e = plan.ConstOf(catalog.TypeInterval, iv.datum())
			}
			return intervalOffset(e, what)
		default:
			ok = false
		}
		if !ok {
			failf(sqlerr.FeatureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s and offset type %s", call.order[0].Expr.Type, e.Type)
		}
		if kt.Kind == catalog.Numeric && e.Type.Kind == catalog.Numeric && scaleOfType(e.Type) > kt.Scale {
			// The distance has digits the key does not: compare at its scale.
			failf(sqlerr.FeatureNotSupported, "a RANGE offset with more fractional digits than the ORDER BY key is not supported yet")
		}
		e = coerce(e, kt)
	}
	if e.Kind != plan.Const {
		failf(sqlerr.FeatureNotSupported, "frame offsets must be constants")
	}
	if e.Value.Null {
		failf(sqlerr.NullValueNotAllowed, "frame %s offset must not be null", what)
	}
	if e.Value.I < 0 || e.Value.F < 0 {
		failf(sqlerr.InvalidPrecedingOrFollowingSize, "frame %s offset must not be negative", what)
	}
	return e.Value
}

// intervalOffset is a RANGE offset over dates or timestamps: an interval
// constant as microseconds. Intervals with months (whose length depends
// on the date) are not supported.
func intervalOffset(e *plan.Expr, what string) plan.Datum {
	if e.Kind != plan.Const {
		failf(sqlerr.FeatureNotSupported, "frame offsets must be constants")
	}
	if e.Value.Null {
		failf(sqlerr.NullValueNotAllowed, "frame %s offset must not be null", what)
	}
	iv := intervalOf(e)
	if iv.months*30*microsPerDay/microsPerDay/30 != iv.months || iv.days*microsPerDay/microsPerDay != iv.days {
		failf(sqlerr.FeatureNotSupported, "this interval is too large for a frame offset")
	}
	if iv.months*30*microsPerDay+iv.days*microsPerDay+iv.micros < 0 {
		failf(sqlerr.InvalidPrecedingOrFollowingSize, "invalid preceding or following size in window function")
	}
	if iv.months != 0 {
		failf(sqlerr.FeatureNotSupported, "RANGE offsets with months or years are not supported yet")
	}
	return plan.Datum{I: iv.days*microsPerDay + iv.micros}
}

const microsPerDay = 86_400_000_000

// scaleOfType is a numeric type's scale (0 for an unconstrained one).
func scaleOfType(t catalog.Type) int32 {
	if t.IsDynamicNumeric() {
		return 0
	}
	return int32(t.Scale)
}

// windowExprs lists every expression the block's window calls read.
func (wc *winContext) exprs() []*plan.Expr {
	if wc == nil {
		return nil
	}
	var out []*plan.Expr
	for _, c := range wc.calls {
		out = append(out, c.partition...)
		for _, k := range c.order {
			out = append(out, k.Expr)
		}
		out = append(out, c.fn.Args...)
		if c.fn.Agg != nil && c.fn.Agg.Arg != nil {
			out = append(out, c.fn.Agg.Arg)
		}
	}
	return out
}

// rewrite applies f to every expression of the block's window calls.
func (wc *winContext) rewrite(f func(*plan.Expr) *plan.Expr) {
	if wc == nil {
		return
	}
	for _, c := range wc.calls {
		for i := range c.partition {
			c.partition[i] = f(c.partition[i])
		}
		for i := range c.order {
			c.order[i].Expr = f(c.order[i].Expr)
		}
		for i := range c.fn.Args {
			c.fn.Args[i] = f(c.fn.Args[i])
		}
		if c.fn.Agg != nil && c.fn.Agg.Arg != nil {
			a := *c.fn.Agg
			a.Arg = f(a.Arg)
			c.fn.Agg = &a
		}
	}
}

// buildWindows adds the block's window computations over node: one
// projection, Sort and plan.Window per distinct (PARTITION BY, ORDER BY),
// in order of first use. The layout gains the projected keys and
// arguments and the window results (winIDBase+i).
func (b *binder) buildWindows(node plan.Node, layout []int, wc *winContext) (plan.Node, []int) {
	done := make([]bool, len(wc.calls))
	for i, c := range wc.calls {
		if done[i] {
			continue
		}
		var group []int
		for j := i; j < len(wc.calls); j++ {
			if !done[j] && sameWindow(c, wc.calls[j]) {
				group = append(group, j)
				done[j] = true
			}
		}
		node, layout = b.buildWindow(node, layout, wc, group)
	}
	return node, layout
}

func sameWindow(a, b *winCall) bool {
	if len(a.partition) != len(b.partition) || len(a.order) != len(b.order) {
		return false
	}
	for i := range a.partition {
		if !exprEqual(a.partition[i], b.partition[i]) {
			return false
		}
	}
	for i := range a.order {
		x, y := a.order[i], b.order[i]
		if x.Desc != y.Desc || x.NullsFirst != y.NullsFirst || !exprEqual(x.Expr, y.Expr) {
			return false
		}
	}
	return true
}

// buildWindow builds the Window node for the calls group of wc (which share
// their window).
func (b *binder) buildWindow(node plan.Node, layout []int, wc *winContext, group []int) (plan.Node, []int) {
	types := node.Types()
	proj := make([]*plan.Expr, len(layout))
	for i := range layout {
		proj[i] = plan.Col(i, types[i])
	}
	inLayout := append([]int(nil), layout...)
	// column returns the position of e among the projected columns,
	// projecting it when it is not there yet; constants stay constants.
	column := func(e *plan.Expr) *plan.Expr {
		if e.Kind == plan.Const {
			return e
		}
		r := remap(e, inLayout)
		for i, p := range proj {
			if exprEqual(p, r) {
				return plan.Col(i, e.Type)
			}
		}
		proj = append(proj, r)
		layout = append(layout, b.newIDs(1)[0])
		return plan.Col(len(proj)-1, e.Type)
	}
	first := wc.calls[group[0]]
	w := &plan.Window{}
	var keys []plan.SortKey
	for _, p := range first.partition {
		c := column(p)
		if c.Kind == plan.Const {
			continue // a constant does not divide the rows
		}
		w.Partition = append(w.Partition, c.Col)
		keys = append(keys, plan.SortKey{Expr: c})
	}
	for _, o := range first.order {
		k := o
		if k.Expr = column(o.Expr); k.Expr.Kind == plan.Const {
			continue // a constant does not order them
		}
		w.Order = append(w.Order, k)
		keys = append(keys, k)
	}
	var ids []int
	for _, g := range group {
		c := wc.calls[g]
		f := c.fn
		f.Args = nil
		for _, a := range c.fn.Args {
			f.Args = append(f.Args, column(a))
		}
		if c.fn.Agg != nil {
			a := *c.fn.Agg
			if a.Arg != nil {
				if a.Func == "string_agg" && a.Arg.Kind == plan.Call && a.Arg.Op == "string_agg" {
					sa := *a.Arg
					sa.Args = nil
					for _, x := range a.Arg.Args {
						if x.Kind == plan.Call && len(x.Args) == 1 { // an order key: "asc nulls last"(k)
							k := *x
							k.Args = []*plan.Expr{column(x.Args[0])}
							sa.Args = append(sa.Args, &k)
							continue
						}
						sa.Args = append(sa.Args, column(x))
					}
					a.Arg = &sa
				} else {
					a.Arg = column(a.Arg)
				}
			}
			f.Agg = &a
		}
		w.Funcs = append(w.Funcs, &f)
		ids = append(ids, winIDBase+g)
	}
	node = project(node, proj)
	if len(keys) > 0 {
		node = &plan.Sort{Input: node, Keys: keys}
	}
	w.Input = node
	return w, append(layout, ids...)
}
