package plan

import (
	"fmt"
	"strings"

	"github.com/cirrusdb/cirrus/catalog"
)

// Window computes window functions (PostgreSQL's WindowAgg) over an input
// that arrives sorted by Partition, then by Order (the planner puts a Sort
// below it). Output: the input's columns, then one column per function.
// Partition and Order read input columns only: the planner projects
// computed keys and arguments below.
//
//	Window partition=[#0] order=[#1] funcs=[sum(#2) rows between 1 preceding and current row]
//	  Sort #0, #1
//	    ...
type Window struct {
	Input     Node          `json:"-"`
	Partition []int         `json:"partition,omitempty"`
	Order     []SortKey     `json:"order,omitempty"`
	Funcs     []*WindowFunc `json:"funcs"`
}

// WindowFunc is one window function call: a ranking or value function
// named by Func (row_number, rank, dense_rank, percent_rank, cume_dist,
// ntile, lag, lead, first_value, last_value, nth_value) with Args (input
// columns or constants), or an aggregate Agg (Func "agg") computed over
// each row's frame.
type WindowFunc struct {
	Func  string       `json:"func"`
	Args  []*Expr      `json:"args,omitempty"`
	Agg   *AggCall     `json:"agg,omitempty"`
	Type  catalog.Type `json:"type"`
	Frame Frame        `json:"frame"`
}

// FrameMode is how a frame's offsets count: rows, peer groups, or values
// of the single ORDER BY key.
type FrameMode uint8

// Frame modes.
const (
	RangeFrame FrameMode = iota
	RowsFrame
	GroupsFrame
)

// BoundKind is the kind of a frame's start or end.
type BoundKind uint8

// Frame bounds.
const (
	UnboundedPreceding BoundKind = iota
	OffsetPreceding
	CurrentRow
	OffsetFollowing
	UnboundedFollowing
)

// FrameExclude says which rows around the current one a frame leaves out.
type FrameExclude uint8

// Frame exclusions.
const (
	ExcludeNoOthers FrameExclude = iota
	ExcludeCurrentRow
	ExcludeGroup
	ExcludeTies
)

// FrameBound is a frame's start or end. Offset is a constant: a row or
// group count in I for ROWS and GROUPS; for RANGE a distance in the ORDER
// BY key's representation (I for int64-backed keys, scaled like the key,
// and microseconds for dates and timestamps; F for floats).
type FrameBound struct {
	Kind   BoundKind `json:"kind"`
	Offset Datum     `json:"offset,omitempty"`
}

// Frame is a window frame. The zero value is PostgreSQL's default, RANGE
// BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW, except that End must be set
// to CurrentRow: DefaultFrame returns it.
type Frame struct {
	Mode    FrameMode    `json:"mode"`
	Start   FrameBound   `json:"start"`
	End     FrameBound   `json:"end"`
	Exclude FrameExclude `json:"exclude,omitempty"`
}

// DefaultFrame is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW.
func DefaultFrame() Frame {
	return Frame{Mode: RangeFrame, Start: FrameBound{Kind: UnboundedPreceding}, End: FrameBound{Kind: CurrentRow}}
}

func (n *Window) Types() []catalog.Type {
	ts := append([]catalog.Type(nil), n.Input.Types()...)
	for _, f := range n.Funcs {
		ts = append(ts, f.Type)
	}
	return ts
}

func (f *WindowFunc) String() string {
	var s string
	if f.Agg != nil {
		s = f.Agg.String()
	} else {
		s = f.Func + exprList(f.Args)
	}
	return s + " " + f.Frame.String()
}

func (f Frame) String() string {
	mode := [...]string{"range", "rows", "groups"}[f.Mode]
	bound := func(b FrameBound) string {
		switch b.Kind {
		case UnboundedPreceding:
			return "unbounded preceding"
		case OffsetPreceding, OffsetFollowing:
			dir := " preceding"
			if b.Kind == OffsetFollowing {
				dir = " following"
			}
			if b.Offset.F != 0 {
				return fmt.Sprint(b.Offset.F) + dir
			}
			return fmt.Sprint(b.Offset.I) + dir
		case CurrentRow:
			return "current row"
		}
		return "unbounded following"
	}
	s := mode + " between " + bound(f.Start) + " and " + bound(f.End)
	if f.Exclude != ExcludeNoOthers {
		s += " exclude " + [...]string{"", "current row", "group", "ties"}[f.Exclude]
	}
	return s
}

func (n *Window) explain() string {
	funcs := make([]string, len(n.Funcs))
	for i, f := range n.Funcs {
		funcs[i] = f.String()
	}
	part := make([]string, len(n.Partition))
	for i, c := range n.Partition {
		part[i] = fmt.Sprintf("#%d", c)
	}
	order := make([]string, len(n.Order))
	for i, k := range n.Order {
		order[i] = k.Expr.String()
		if k.Desc {
			order[i] += " DESC"
		}
	}
	return fmt.Sprintf("Window partition=[%s] order=[%s] funcs=[%s]", strings.Join(part, " "), strings.Join(order, " "), strings.Join(funcs, "; "))
}
