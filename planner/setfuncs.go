package planner

import (
	"slices"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Set-returning functions. generate_series, unnest, generate_subscripts,
// information_schema._pg_expandarray and pg_get_keywords run in a
// plan.ProjectSet, wherever they are called:
//
//   - in a select list, PostgreSQL's ProjectSet: the block's rows (after
//     grouping) are each repeated once per row of the longest function
//     of the list, the functions running in lockstep;
//   - in FROM (ROWS FROM, WITH ORDINALITY), over a one-row Values;
//   - in FROM with arguments over earlier FROM items (LATERAL, implicit
//     for functions), over the join of those items: a lateral join that
//     runs the functions per row, on the coordinator, which is where the
//     catalog relations they read are computed.
//
// A function with several columns (_pg_expandarray's (x, n),
// pg_get_keywords) gives them as columns in FROM and a record in a select
// list; (record).field selects one (fieldSelect).

// srfContext collects the set-returning functions of a select list.
type srfContext struct {
	funcs []*plan.SetFunc
	ids   [][]int // each function's output column ids
}

// setFunctions are the set-returning functions Cirrus has.
var setFunctions = map[string]bool{
	"generate_series": true, "unnest": true, "generate_subscripts": true,
	"information_schema._pg_expandarray": true, "pg_get_keywords": true,
}

// setFunction types a call of set-returning function name over bound
// arguments (coercing them). fields names the columns of a function with
// several (nil for one column, which takes the name of the function or
// its alias).
func (b *binder) setFunction(name string, args []*plan.Expr) (f *plan.SetFunc, fields []string) {
	f = &plan.SetFunc{Func: name, Args: args}
	noSuch := func() {
		failf(sqlerr.UndefinedFunction, "function %s(%s) does not exist", name, argTypes(args))
	}
	switch name {
	case "generate_series":
		if len(args) < 2 || len(args) > 3 {
			noSuch()
		}
		t := catalog.TypeInt4
		for _, a := range args {
			switch {
			case a.Type.Kind == catalog.Int8:
				t = catalog.TypeInt8
			case a.Type.Kind != catalog.Unknown && !a.Type.IsInteger():
				failf(sqlerr.FeatureNotSupported, "generate_series(%s) is not supported", argTypes(args))
			}
		}
		for i := range args {
			args[i] = coerce(args[i], t)
		}
		f.ColTypes = []catalog.Type{t}
	case "unnest":
		if len(args) != 1 {
			noSuch()
		}
		args[0] = b.arrayArg(name, args[0])
		f.ColTypes = []catalog.Type{args[0].Type.ElemType()}
	case "generate_subscripts":
		if len(args) < 2 || len(args) > 3 {
			noSuch()
		}
		args[0] = b.arrayArg(name, args[0])
		args[1] = coerce(args[1], catalog.TypeInt4)
		if len(args) == 3 {
			args[2] = coerce(args[2], catalog.TypeBool)
		}
		f.ColTypes = []catalog.Type{catalog.TypeInt4}
	case "information_schema._pg_expandarray":
		if len(args) != 1 {
			noSuch()
		}
		args[0] = b.arrayArg(name, args[0])
		f.ColTypes = []catalog.Type{args[0].Type.ElemType(), catalog.TypeInt4}
		fields = []string{"x", "n"}
	case "pg_get_keywords":
		if len(args) != 0 {
			noSuch()
		}
		f.ColTypes = []catalog.Type{catalog.TypeText, catalog.TypeChar, catalog.TypeBool, catalog.TypeText, catalog.TypeText}
		fields = []string{"word", "catcode", "barelabel", "catdesc", "baredesc"}
	default:
		failf(sqlerr.FeatureNotSupported, "function %s in FROM is not supported", name)
	}
	return f, fields
}

// setFunctionCall binds a set-returning function called in an
// expression: allowed only in a select list (s.srf), where it becomes a
// function of the block's ProjectSet and the expression reads its output
// column (a record of its columns when it has several).
func (b *binder) setFunctionCall(name string, fc *pg_query.FuncCall, s *scope) *plan.Expr {
	if s.agg != nil && s.agg.inAgg {
		fail(sqlerr.New(sqlerr.FeatureNotSupported, "aggregate function calls cannot contain set-returning function calls").
			WithHint("You might be able to move the set-returning function into a LATERAL FROM item."))
	}
	if s.srf == nil {
		e := sqlerr.Errorf(sqlerr.FeatureNotSupported, "set-returning functions are not allowed in %s", s.noSRF)
		if s.noSRF == "" {
			e = sqlerr.New(sqlerr.FeatureNotSupported, "set-returning functions are not allowed here")
		}
		if s.noSRF == "CASE" || s.noSRF == "COALESCE" {
			e = e.WithHint("You might be able to move the set-returning function into a LATERAL FROM item.")
		}
		fail(e)
	}
	if fc.AggStar || fc.AggDistinct || fc.Over != nil || len(fc.AggOrder) > 0 || fc.AggFilter != nil {
		failf(sqlerr.FeatureNotSupported, "%s(...) with this syntax is not supported yet", name)
	}
	// The arguments cannot call set-returning functions themselves.
	as := *s
	as.srf = nil
	var args []*plan.Expr
	for _, a := range fc.Args {
		args = append(args, b.expr(a, &as, catalog.TypeUnknown))
	}
	f, fields := b.setFunction(name, args)
	ids := b.newIDs(len(f.ColTypes))
	s.srf.funcs = append(s.srf.funcs, f)
	s.srf.ids = append(s.srf.ids, ids)
	if fields == nil {
		return plan.Col(ids[0], f.ColTypes[0])
	}
	var cols []*plan.Expr
	for i, id := range ids {
		cols = append(cols, plan.Col(id, f.ColTypes[i]))
	}
	return b.record(cols, fields)
}

// record returns the record of values args, remembering its field names
// for field selection.
func (b *binder) record(args []*plan.Expr, names []string) *plan.Expr {
	var fields []OutputColumn
	for i, a := range args {
		fields = append(fields, OutputColumn{Name: names[i], Type: a.Type})
	}
	e := plan.CallOf("row", catalog.TypeRecord, args...)
	b.noteFields(e, fields)
	return e
}

// noteFields records the fields of a record-valued expression.
func (b *binder) noteFields(e *plan.Expr, fields []OutputColumn) {
	if b.fields == nil {
		b.fields = map[*plan.Expr][]OutputColumn{}
	}
	b.fields[e] = fields
}

// fieldSelect binds (e).name: the field's expression when e builds the
// record here, else the field read from the record value.
func (b *binder) fieldSelect(e *plan.Expr, name string) *plan.Expr {
	if e.Type.Kind != catalog.Record {
		failf(sqlerr.WrongObjectType, "column notation .%s applied to type %s, which is not a composite type", name, e.Type)
	}
	fields := b.fields[e]
	i := slices.IndexFunc(fields, func(f OutputColumn) bool { return f.Name == name })
	if i < 0 {
		failf(sqlerr.UndefinedColumn, "could not identify column %q in record data type", name)
	}
	if e.Kind == plan.Call && e.Op == "row" {
		return e.Args[i]
	}
	return plan.CallOf("record_field", fields[i].Type, e, plan.ConstOf(catalog.TypeInt4, plan.Datum{I: int64(i)}))
}

// functionRange adds a FROM item of set-returning functions: f(…), ROWS
// FROM (f(…), g(…)), either WITH ORDINALITY. Arguments over no column of
// the block make a range over a ProjectSet of one row; arguments over
// earlier FROM items make a lateral range, which buildJoin puts over the
// join of those items.
func (b *binder) functionRange(qb *queryBlock, rf *pg_query.RangeFunction, s *scope) *joinNode {
	if len(rf.Coldeflist) > 0 {
		failf(sqlerr.FeatureNotSupported, "column definition lists for functions in FROM are not supported")
	}
	alias := ""
	var colAliases []string
	if rf.Alias != nil {
		alias = rf.Alias.Aliasname
		for _, c := range rf.Alias.Colnames {
			colAliases = append(colAliases, c.GetString_().Sval)
		}
	}
	ps := &plan.ProjectSet{Input: &plan.Values{Rows: [][]*plan.Expr{{}}}, Ordinality: rf.Ordinality, Scan: true}
	var names []string
	as := &scope{cols: s.cols, outer: s.outer, noSRF: "functions in FROM"}
	for _, item := range rf.Functions {
		fc := item.GetList().GetItems()[0].GetFuncCall()
		if fc == nil {
			failf(sqlerr.FeatureNotSupported, "only function calls are supported in FROM")
		}
		if fc.AggStar || fc.AggDistinct || fc.Over != nil || len(fc.AggOrder) > 0 || fc.AggFilter != nil {
			failf(sqlerr.FeatureNotSupported, "this form of function call in FROM is not supported")
		}
		name := opName(fc.Funcname)
		if !setFunctions[name] {
			failf(sqlerr.FeatureNotSupported, "function %s in FROM is not supported", name)
		}
		var args []*plan.Expr
		for _, a := range fc.Args {
			args = append(args, b.expr(a, as, catalog.TypeUnknown))
		}
		f, fields := b.setFunction(name, args)
		ps.Funcs = append(ps.Funcs, f)
		switch {
		case fields != nil:
			names = append(names, fields...)
		case len(rf.Functions) > 1 || rf.Alias == nil:
			names = append(names, fc.Funcname[len(fc.Funcname)-1].GetString_().Sval)
		default:
			names = append(names, alias) // a single function's one column takes its alias
		}
	}
	if alias == "" {
		alias = names[0]
		if len(rf.Functions) == 1 {
			fc := rf.Functions[0].GetList().GetItems()[0].GetFuncCall()
			alias = fc.Funcname[len(fc.Funcname)-1].GetString_().Sval
		}
	}
	if rf.Ordinality {
		names = append(names, "ordinality")
	}
	if len(colAliases) > len(names) {
		failf(sqlerr.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, len(names), len(colAliases))
	}
	copy(names, colAliases)
	b.checkAlias(qb, alias)
	// Which earlier FROM items the arguments read (none: a constant range).
	lateral := false
	for _, f := range ps.Funcs {
		for _, a := range f.Args {
			forRefs(a, func(r *plan.Expr) {
				if _, ok := qb.rangeOf(r.Col); !ok {
					failf(sqlerr.FeatureNotSupported, "a function in FROM over columns of an enclosing query is not supported here")
				}
				lateral = true
			})
		}
	}
	q := &Query{Plan: ps}
	for i, t := range ps.Types() {
		q.Columns = append(q.Columns, OutputColumn{Name: names[i], Type: t})
	}
	re := &rangeEntry{alias: alias, sub: q}
	if lateral {
		ps.Scan = false
		re.lateral = ps
	}
	r := b.addRange(qb, re, len(q.Columns))
	for i, c := range q.Columns {
		s.cols = append(s.cols, scopeCol{id: r.ids[i], rel: alias, name: c.Name, typ: c.Type})
	}
	return &joinNode{rng: len(qb.ranges) - 1}
}
