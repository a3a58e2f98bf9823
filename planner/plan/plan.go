// Package plan defines plan nodes and expressions as plain, serializable data.
// The planner builds them, the executor dispatches on their type, and a
// fragment (a subtree) travels to participants JSON-encoded, carrying every
// catalog entry it needs, so a participant never looks anything up.
//
// A query over a table becomes, for example:
//
//	Limit 10
//	  Sort sum DESC
//	    Aggregate final group=[#0] aggs=[sum(#1)]
//	      Remote                      <- coordinator gathers from participants
//	        Aggregate partial group=[#1] aggs=[sum(#2)]
//	          Scan t cols=[0 1 2] filter=(#0 > 5)
//
// Column references (#i) index the output columns of the node's input; for a
// Join, the left input's columns come first, then the right's.
package plan

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/storage"
)

// Datum is a constant. Which field holds the value depends on the type it is
// used with (see vec.Vector): I for int64-backed kinds, F for floats, B for
// booleans, S for strings.
type Datum struct {
	Null bool    `json:"null,omitempty"`
	I    int64   `json:"i,omitempty"`
	F    float64 `json:"f,omitempty"`
	B    bool    `json:"b,omitempty"`
	S    string  `json:"s,omitempty"`
}

// ExprKind says what an expression is.
type ExprKind uint8

// Expression kinds.
const (
	// ColumnRef reads input column Col.
	ColumnRef ExprKind = iota + 1
	// Const is the constant Value.
	Const
	// Call applies operator or function Op to Args. Ops:
	//   arithmetic  + - * / % neg  (integer, numeric and float; numeric
	//               results carry the PostgreSQL scale in Type)
	//   comparison  = <> < <= > >=  (args of one type after casts)
	//   logic       and or not      (three-valued)
	//   null tests  isnull isnotnull
	//   strings     like notlike ilike notilike concat lower upper length substr
	//   other       abs coalesce
	Call
	// Cast converts Args[0] to Type (PostgreSQL's rules: rounding, 22P02 on
	// bad text, 22003 on overflow).
	Cast
	// Case is CASE WHEN Args[0] THEN Args[1] [WHEN Args[2] THEN Args[3]]...
	// [ELSE Args[n-1]] END; Else is set when the last arg is the ELSE value.
	Case
	// Subquery is an uncorrelated scalar subquery (PostgreSQL's InitPlan):
	// Sub, a plan with one output column of type Type, runs once before the
	// plan that contains the expression; its single row's value (NULL for no
	// row; more than one row is error 21000) replaces the expression. The
	// coordinator evaluates every Subquery before it dispatches fragments,
	// so participants only ever see constants.
	Subquery
	// Param is parameter Col of the SubPlan whose Sub holds it: the
	// executor sets Value before each run of the Sub, and the expression
	// then reads as that constant.
	Param
	// SubPlan is a correlated scalar subquery the binder cannot
	// decorrelate (its FROM calls a function over the enclosing query's
	// columns): for each row the executor sets Params (the Param
	// expressions inside Sub) to the values of Args, runs Sub and takes
	// its only value (NULL for no row, 21000 for more), as PostgreSQL's
	// SubPlan does. It runs on the coordinator: the planner never ships
	// an expression holding one.
	SubPlan
	// Lookup maps Args[0] (an int64-backed key: an OID) to Map[key], a
	// value the binder took from the statement's catalog snapshot (the
	// name behind a regclass, whether a relation is visible, an index's
	// definition); a key missing from Map gives Args[1] when there is one,
	// else NULL. The map makes catalog functions plain data that runs
	// anywhere and is built once per statement.
	Lookup
)

// Expr is a typed expression tree.
type Expr struct {
	Kind  ExprKind        `json:"k"`
	Type  catalog.Type    `json:"t"`
	Col   int             `json:"c,omitempty"`
	Value Datum           `json:"v,omitempty"`
	Op    string          `json:"op,omitempty"`
	Args  []*Expr         `json:"a,omitempty"`
	Else  bool            `json:"else,omitempty"`
	Sub   Node            `json:"-"`
	Map   map[int64]Datum `json:"m,omitempty"`
	// Names is the map of the name_lookup and qualified_name_lookup
	// calls: an object's name (as text) to a value the binder took from
	// the statement's catalog snapshot, as Map is a Lookup's.
	Names map[string]Datum `json:"nm,omitempty"`
	// Params are a SubPlan's Param expressions (in Sub); Runner is the
	// executor's: how it runs Sub for one row.
	Params []*Expr `json:"-"`
	Runner any     `json:"-"`
	// Fn, when set, computes a call a row at a time in place of its Op
	// (strict: NULL when an argument is NULL): the coordinator's session
	// functions whose arguments depend on rows (pg_cancel_backend(pid) FROM
	// pg_stat_activity). Never shipped: the coordinator sets it only
	// outside Remote fragments.
	Fn func(args []Datum) (Datum, error) `json:"-"`
	// DT are the session settings the value depends on: set on casts and
	// calls over timestamp with time zone and on casts between datetime
	// types and text (PostgreSQL's STABLE ones), and on untyped literals,
	// which are read as the session reads them. Nil: PostgreSQL's defaults.
	DT *DateTime `json:"dt,omitempty"`
}

// DateTime names the session settings datetime input, output and
// conversions depend on, as SHOW prints them.
type DateTime struct {
	TimeZone  string `json:"tz,omitempty"`
	DateStyle string `json:"ds,omitempty"`
}

// HasSubPlan reports whether e holds a SubPlan.
func HasSubPlan(es ...*Expr) bool {
	for _, e := range es {
		if e != nil && (e.Kind == SubPlan || HasSubPlan(e.Args...)) {
			return true
		}
	}
	return false
}

// LookupOf returns a Lookup of key in m with result type t; missing keys
// give def (nil: NULL).
func LookupOf(t catalog.Type, key *Expr, m map[int64]Datum, def *Expr) *Expr {
	e := &Expr{Kind: Lookup, Type: t, Args: []*Expr{key}, Map: m}
	if def != nil {
		e.Args = append(e.Args, def)
	}
	return e
}

// Col returns a reference to input column i of type t.
func Col(i int, t catalog.Type) *Expr { return &Expr{Kind: ColumnRef, Col: i, Type: t} }

// ConstOf returns a constant.
func ConstOf(t catalog.Type, d Datum) *Expr { return &Expr{Kind: Const, Type: t, Value: d} }

// NullOf returns a typed NULL.
func NullOf(t catalog.Type) *Expr { return &Expr{Kind: Const, Type: t, Value: Datum{Null: true}} }

// CallOf returns a call of op with result type t.
func CallOf(op string, t catalog.Type, args ...*Expr) *Expr {
	return &Expr{Kind: Call, Op: op, Type: t, Args: args}
}

// CastOf returns a cast of e to t (e itself when it already has type t).
func CastOf(e *Expr, t catalog.Type) *Expr {
	if e.Type == t {
		return e
	}
	return &Expr{Kind: Cast, Type: t, Args: []*Expr{e}}
}

// Node is a plan node.
type Node interface {
	// Types returns the types of the node's output columns.
	Types() []catalog.Type
}

// Scan reads columns Cols (indexes into Table.Columns, or RowID) of the
// files Files, keeping rows where Filter (over the scanned columns, in Cols
// order) is true. The planner leaves Files empty; the coordinator fills each
// participant's share when it dispatches, and, when Cols holds RowID, each
// file's ordinal in the table's manifest in FileOrdinals (parallel to Files).
//
// In a fragment, one scan (the leftmost) is split: each participant, and
// each of its pipelines, reads a share of the files. Broadcast scans are
// read whole by every participant (the build side of a join).
type Scan struct {
	Table        *catalog.Table     `json:"table"`
	Cols         []int              `json:"cols"`
	Filter       *Expr              `json:"filter,omitempty"`
	Files        []storage.DataFile `json:"files,omitempty"`
	FileOrdinals []int              `json:"ords,omitempty"`
	Broadcast    bool               `json:"broadcast,omitempty"`
	// Colocated scans of a fragment (its split scan and broadcast scans
	// joined to it on equal values of column ColocateCol) are divided
	// between participants by ranges of that column: each participant
	// reads, of every colocated scan, the files overlapping its range and
	// keeps the rows inside it, so equal keys meet on one participant
	// without moving rows (the coordinator sets the ranges).
	Colocated   bool `json:"colocated,omitempty"`
	ColocateCol int  `json:"colocate_col,omitempty"`
}

// RowID in Scan.Cols reads a row's identity (the system column ctid, bound
// only for DELETE and UPDATE) instead of a table column: an int8 holding the
// file's ordinal in the table's manifest as the coordinator sees it in the
// high 32 bits and the row's position in that file in the low 32 bits.
const RowID = storage.RowPosition

// ReadsRowID reports whether the scan reads RowID.
func (n *Scan) ReadsRowID() bool {
	for _, c := range n.Cols {
		if c == RowID {
			return true
		}
	}
	return false
}

// Values produces literal rows.
type Values struct {
	ColTypes []catalog.Type `json:"types"`
	Rows     [][]*Expr      `json:"rows"`
}

// SystemScan reads a system relation (planner.SystemRelation): rows the
// coordinator computes when the statement runs, in the relation's declared
// column types. It is a coordinator-side leaf: never shipped to
// participants (plan encoding refuses it), so the distribution pass leaves
// everything above it on the coordinator, where a join with a Remote input
// gathers that input.
type SystemScan struct {
	Relation string         `json:"relation"`
	ColTypes []catalog.Type `json:"types"`
}

// ProjectSet runs set-returning functions (generate_series, unnest,
// generate_subscripts, _pg_expandarray, pg_get_keywords) over each row of
// Input, as PostgreSQL's ProjectSet and FunctionScan do: the functions'
// Args are evaluated on the row, the functions run in lockstep, and the
// row is repeated once per row of the longest, the shorter ones giving
// NULLs; a row for which every function returns nothing yields nothing
// (with Outer, one row of NULLs). The output is Input's columns, then each
// function's columns, then, with Ordinality, the bigint row number within
// the input row. It covers set-returning functions in a select list, in
// FROM (over a one-row Values: ROWS FROM, WITH ORDINALITY) and LATERAL
// calls over earlier FROM items. It runs on the coordinator and is never
// shipped.
type ProjectSet struct {
	Input      Node       `json:"-"`
	Funcs      []*SetFunc `json:"funcs"`
	Ordinality bool       `json:"ordinality,omitempty"`
	Outer      bool       `json:"outer,omitempty"`
	// Scan marks the functions of a FROM item over no other FROM item
	// (Input a one-row Values): PostgreSQL's FunctionScan.
	Scan bool `json:"scan,omitempty"`
}

// LateralJoin joins each row of Left with the rows of Sub, a LATERAL
// subquery over Left's columns: for each row the executor sets Params
// (the plan.Param expressions inside Sub) to the values of Args over the
// row, runs Sub afresh and emits the row followed by each row of Sub;
// with Outer (LEFT JOIN LATERAL … ON true) a row for which Sub returns
// nothing is kept once, with NULLs. As a SubPlan it runs on the
// coordinator, once per row, and is never shipped: the lateral
// subqueries of catalog queries run over few rows.
type LateralJoin struct {
	Left   Node    `json:"-"`
	Sub    Node    `json:"-"`
	Params []*Expr `json:"-"`
	Args   []*Expr `json:"args"`
	Outer  bool    `json:"outer,omitempty"`
	// Runner is the executor's: how it runs Sub for one row.
	Runner any `json:"-"`
}

// SetFunc is one set-returning function call of a ProjectSet, its rows of
// types ColTypes.
type SetFunc struct {
	Func     string         `json:"func"`
	Args     []*Expr        `json:"args"`
	ColTypes []catalog.Type `json:"types"`
}

// Filter keeps rows where Pred is true.
type Filter struct {
	Input Node  `json:"-"`
	Pred  *Expr `json:"pred"`
}

// Project computes Exprs over each input row.
type Project struct {
	Input Node    `json:"-"`
	Exprs []*Expr `json:"exprs"`
}

// AggPhase says which part of a two-phase aggregation a node runs.
type AggPhase uint8

// Aggregation phases.
const (
	// Complete aggregates raw rows into final values.
	Complete AggPhase = iota
	// Partial aggregates raw rows into states (on participants).
	Partial
	// Final merges states from Partial nodes into final values.
	Final
)

// AggCall is one aggregate. Func is count, sum, avg, min or max; Arg is nil
// for count(*). Type is the final result type (PostgreSQL's: count → bigint,
// sum(int2/int4) → bigint, sum(int8) → numeric (exact, per-value scale),
// sum(numeric) → numeric, avg(ints/numeric)
// → numeric, avg(floats) → double precision, min/max → argument type).
type AggCall struct {
	Func     string       `json:"func"`
	Arg      *Expr        `json:"arg,omitempty"`
	Distinct bool         `json:"distinct,omitempty"`
	Type     catalog.Type `json:"type"`
}

// StateTypes returns the columns a Partial phase emits for a. Sums over
// int64-backed values are exact 128-bit integers and travel as two columns:
// the high word (int8), then the low word's bits in a column of the sum
// type. avg adds the count; count is one int8; min/max the value.
func (a *AggCall) StateTypes() []catalog.Type {
	switch a.Func {
	case "count":
		return []catalog.Type{catalog.TypeInt8}
	case "sum", "avg":
		st := a.SumType()
		ts := []catalog.Type{st}
		if st.IsInt64Backed() {
			ts = []catalog.Type{catalog.TypeInt8, st}
		}
		if a.Func == "avg" {
			ts = append(ts, catalog.TypeInt8)
		}
		return ts
	}
	return []catalog.Type{a.Arg.Type}
}

// SumType is the type of a running sum over Arg: int8 for integers (checked
// for overflow), numeric with Arg's scale for numerics, float8 for floats.
func (a *AggCall) SumType() catalog.Type {
	t := a.Arg.Type
	switch {
	case t.IsInteger():
		return catalog.TypeInt8
	case t.IsDynamicNumeric():
		return catalog.TypeNumericDynamic
	case t.Kind == catalog.Numeric:
		return catalog.NumericType(0, t.Scale)
	}
	return catalog.TypeFloat8
}

// Aggregate groups its input by Groups and computes Aggs. Output: the group
// values, then per aggregate its final value (Complete, Final) or its state
// columns (Partial). For Final, Groups and Aggs' Args are not evaluated: the
// input is a Partial node's output with len(Groups) key columns first.
type Aggregate struct {
	Input  Node       `json:"-"`
	Groups []*Expr    `json:"groups"`
	Aggs   []*AggCall `json:"aggs"`
	Phase  AggPhase   `json:"phase"`
}

// JoinKind is the kind of a join.
type JoinKind uint8

// Join kinds.
const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	CrossJoin
	// SemiJoin outputs each left row (left columns only) that has at least
	// one matching right row (EXISTS, IN).
	SemiJoin
	// AntiJoin outputs each left row (left columns only) that has no
	// matching right row (NOT EXISTS). A left row with a NULL key has none.
	AntiJoin
	// NullAwareAntiJoin is NOT IN over one key: a left row is output when
	// the right side is empty; otherwise only when its key is not NULL, no
	// right key is NULL, and no right row matches (with the residual).
	NullAwareAntiJoin
	// SingleJoin is a scalar subquery: left columns, then the columns of the
	// one matching right row, NULL-padded when none matches; more than one
	// match for a left row is error 21000 (more than one row returned by a
	// subquery used as an expression).
	SingleJoin
)

// Join joins Left and Right: equality on LeftKeys[i] = RightKeys[i] (each
// over its own side's columns), then Residual over the concatenated row
// (left columns, then right columns, for every kind).
type Join struct {
	Left      Node     `json:"-"`
	Right     Node     `json:"-"`
	Kind      JoinKind `json:"kind"`
	LeftKeys  []*Expr  `json:"lkeys,omitempty"`
	RightKeys []*Expr  `json:"rkeys,omitempty"`
	Residual  *Expr    `json:"residual,omitempty"`
}

// SortKey is one ORDER BY term. PostgreSQL's default puts NULLs last
// ascending and first descending; NullsFirst holds the resolved choice.
type SortKey struct {
	Expr       *Expr `json:"expr"`
	Desc       bool  `json:"desc,omitempty"`
	NullsFirst bool  `json:"nulls_first,omitempty"`
}

// DistinctOn keeps the first row of each run of rows with equal Keys
// (input column positions; NULLs equal) — SELECT DISTINCT ON over input
// sorted by those keys first.
type DistinctOn struct {
	Input Node  `json:"-"`
	Keys  []int `json:"keys"`
}

// InitRows is an input the coordinator computes before it dispatches the
// fragment that contains it (Input may hold Remote nodes) — the build side
// of a join computed with aggregation, broadcast as data. The executor
// replaces it with a Values node of the rows when they are few, so they
// travel inside the fragment, else with a Broadcast ExchangeSource whose
// rows the coordinator streams to every participant of the dispatch.
type InitRows struct {
	Input Node `json:"-"`
}

// Append yields the rows of each input in turn (UNION ALL); the inputs
// have the same column types.
type Append struct {
	Inputs []Node `json:"-"`
}

// Sort orders its input.
type Sort struct {
	Input Node      `json:"-"`
	Keys  []SortKey `json:"keys"`
}

// Limit skips Offset rows then passes at most Count rows (Count < 0: all).
type Limit struct {
	Input  Node  `json:"-"`
	Count  int64 `json:"count"`
	Offset int64 `json:"offset"`
}

// Remote runs Fragment on participants, each over a share of the files of
// the fragment's Scan, and yields the union of their outputs.
//
// A fragment that reads ExchangeSource leaves instead of a split scan runs
// on every participant; Shuffles are the producers that feed those
// sources, started on every participant with the query.
type Remote struct {
	Fragment Node       `json:"-"`
	Shuffles []*Shuffle `json:"-"`
}

// Shuffle is a repartitioning producer: Input (a fragment with a split
// scan) runs on every participant over its share, and each output row goes
// to participant hash(Keys) mod n, where the ExchangeSource with the same
// ID reads it. Rows whose keys contain a NULL go to participant 0. The hash
// of a row depends only on the key values and types (it must agree across
// participants and sides of a join: both sides' keys have the same types).
type Shuffle struct {
	ID    int     `json:"id"`
	Input Node    `json:"-"`
	Keys  []*Expr `json:"keys"`
}

// ExchangeSource is, on one participant, the rows every participant's
// Shuffle ID sent to it.
//
// A Broadcast source is never planned: the executor puts one in place of
// an InitRows node whose rows are too many to travel inside the fragment
// as a Values node. The coordinator holds the rows (Rows, executor-owned)
// and, when it dispatches the Remote, streams them whole to every
// participant of the dispatch, in the query's exchange session; every
// pipeline reading the source on a participant reads all of them.
// Broadcast IDs are negative, so they never meet a Shuffle's.
type ExchangeSource struct {
	ID        int            `json:"id"`
	ColTypes  []catalog.Type `json:"types"`
	Broadcast bool           `json:"broadcast,omitempty"`
	Rows      any            `json:"-"`
}

// Types implementations.

func (n *Scan) Types() []catalog.Type {
	ts := make([]catalog.Type, len(n.Cols))
	for i, c := range n.Cols {
		if c == RowID {
			ts[i] = catalog.TypeInt8
			continue
		}
		ts[i] = n.Table.Columns[c].Type
	}
	return ts
}
func (n *Values) Types() []catalog.Type  { return n.ColTypes }
func (n *Filter) Types() []catalog.Type  { return n.Input.Types() }
func (n *Project) Types() []catalog.Type { return exprTypes(n.Exprs) }
func (n *Aggregate) Types() []catalog.Type {
	var ts []catalog.Type
	if n.Phase == Final {
		ts = n.Input.Types()[:len(n.Groups)]
		ts = append([]catalog.Type(nil), ts...)
	} else {
		ts = exprTypes(n.Groups)
	}
	for _, a := range n.Aggs {
		if n.Phase == Partial {
			ts = append(ts, a.StateTypes()...)
		} else {
			ts = append(ts, a.Type)
		}
	}
	return ts
}
func (n *Join) Types() []catalog.Type {
	if n.Kind == SemiJoin || n.Kind == AntiJoin || n.Kind == NullAwareAntiJoin {
		return n.Left.Types()
	}
	return append(append([]catalog.Type(nil), n.Left.Types()...), n.Right.Types()...)
}
func (n *Sort) Types() []catalog.Type     { return n.Input.Types() }
func (n *Append) Types() []catalog.Type   { return n.Inputs[0].Types() }
func (n *InitRows) Types() []catalog.Type { return n.Input.Types() }
func (n *DistinctOn) Types() []catalog.Type {
	return n.Input.Types()
}
func (n *Limit) Types() []catalog.Type   { return n.Input.Types() }
func (n *Remote) Types() []catalog.Type  { return n.Fragment.Types() }
func (n *Shuffle) Types() []catalog.Type { return n.Input.Types() }
func (n *ExchangeSource) Types() []catalog.Type {
	return n.ColTypes
}
func (n *SystemScan) Types() []catalog.Type { return n.ColTypes }
func (n *LateralJoin) Types() []catalog.Type {
	return append(append([]catalog.Type(nil), n.Left.Types()...), n.Sub.Types()...)
}
func (n *ProjectSet) Types() []catalog.Type {
	ts := append([]catalog.Type(nil), n.Input.Types()...)
	for _, f := range n.Funcs {
		ts = append(ts, f.ColTypes...)
	}
	if n.Ordinality {
		ts = append(ts, catalog.TypeInt8)
	}
	return ts
}

func exprTypes(es []*Expr) []catalog.Type {
	ts := make([]catalog.Type, len(es))
	for i, e := range es {
		ts[i] = e.Type
	}
	return ts
}

// Children returns a node's inputs.
func Children(n Node) []Node {
	switch n := n.(type) {
	case *Filter:
		return []Node{n.Input}
	case *Project:
		return []Node{n.Input}
	case *Aggregate:
		return []Node{n.Input}
	case *Join:
		return []Node{n.Left, n.Right}
	case *Sort:
		return []Node{n.Input}
	case *Limit:
		return []Node{n.Input}
	case *Remote:
		return []Node{n.Fragment}
	case *Shuffle:
		return []Node{n.Input}
	case *Append:
		return n.Inputs
	case *DistinctOn:
		return []Node{n.Input}
	case *InitRows:
		return []Node{n.Input}
	case *Window:
		return []Node{n.Input}
	case *ProjectSet:
		return []Node{n.Input}
	case *LateralJoin:
		return []Node{n.Left, n.Sub}
	}
	return nil
}

// Scans returns every Scan in a tree, depth first.
func Scans(n Node) []*Scan {
	var out []*Scan
	var walk func(Node)
	walk = func(n Node) {
		if s, ok := n.(*Scan); ok {
			out = append(out, s)
		}
		for _, c := range Children(n) {
			walk(c)
		}
	}
	walk(n)
	return out
}

// FindScan returns the first split (not broadcast) Scan in a tree, depth
// first.
func FindScan(n Node) *Scan {
	if s, ok := n.(*Scan); ok && !s.Broadcast {
		return s
	}
	for _, c := range Children(n) {
		if s := FindScan(c); s != nil {
			return s
		}
	}
	return nil
}

// VisitExprs calls f on each expression a node holds directly (not on its
// inputs' expressions, nor on the sub-expressions).
func VisitExprs(n Node, f func(*Expr)) {
	visit := func(es ...*Expr) {
		for _, e := range es {
			if e != nil {
				f(e)
			}
		}
	}
	switch n := n.(type) {
	case *Scan:
		visit(n.Filter)
	case *Values:
		for _, r := range n.Rows {
			visit(r...)
		}
	case *ProjectSet:
		for _, f := range n.Funcs {
			visit(f.Args...)
		}
	case *LateralJoin:
		visit(n.Args...)
	case *Filter:
		visit(n.Pred)
	case *Project:
		visit(n.Exprs...)
	case *Aggregate:
		visit(n.Groups...)
		for _, a := range n.Aggs {
			visit(a.Arg)
		}
	case *Join:
		visit(n.LeftKeys...)
		visit(n.RightKeys...)
		visit(n.Residual)
	case *Sort:
		for _, k := range n.Keys {
			visit(k.Expr)
		}
	case *Window:
		for _, k := range n.Order {
			visit(k.Expr)
		}
		for _, f := range n.Funcs {
			visit(f.Args...)
			if f.Agg != nil {
				visit(f.Agg.Arg)
			}
		}
	}
}

// MarshalJSON encodes d for a plan that travels. JSON has no NaN or
// infinities, so a non-finite F is sent as its text in "fs".
func (d Datum) MarshalJSON() ([]byte, error) {
	type plain Datum
	if !math.IsNaN(d.F) && !math.IsInf(d.F, 0) {
		return json.Marshal(plain(d))
	}
	return json.Marshal(struct {
		plain
		F  float64 `json:"f,omitempty"`
		FS string  `json:"fs"`
	}{plain: plain(d), FS: strconv.FormatFloat(d.F, 'g', -1, 64)})
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (d *Datum) UnmarshalJSON(b []byte) error {
	type plain Datum
	var x struct {
		plain
		FS string `json:"fs"`
	}
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*d = Datum(x.plain)
	if x.FS != "" {
		f, err := strconv.ParseFloat(x.FS, 64)
		if err != nil {
			return err
		}
		d.F = f
	}
	return nil
}
