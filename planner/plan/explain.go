package plan

import (
	"github.com/cirrusdb/cirrus/catalog"

	"fmt"
	"strings"
)

// Explain renders a plan tree, one line per node, children indented.
func Explain(n Node) []string {
	var out []string
	explain(n, 0, &out)
	return out
}

func explain(n Node, depth int, out *[]string) {
	pad := strings.Repeat("  ", depth)
	if depth > 0 {
		pad = strings.Repeat("  ", depth-1) + "->  "
	}
	*out = append(*out, pad+describe(n))
	for _, c := range Children(n) {
		explain(c, depth+1, out)
	}
	if r, ok := n.(*Remote); ok {
		for _, s := range r.Shuffles {
			explain(s, depth+1, out)
		}
	}
}

func describe(n Node) string {
	switch n := n.(type) {
	case *Scan:
		cols := make([]string, len(n.Cols))
		for i, c := range n.Cols {
			if c == RowID {
				cols[i] = "ctid"
				continue
			}
			cols[i] = n.Table.Columns[c].Name
		}
		s := fmt.Sprintf("Scan %s cols=[%s]", n.Table.Name, strings.Join(cols, " "))
		if n.Broadcast {
			s = "Broadcast " + s
		}
		if n.Colocated {
			s += " colocated on " + n.Table.Columns[n.ColocateCol].Name
		}
		if n.Filter != nil {
			s += " filter=" + n.Filter.String()
		}
		return s
	case *Values:
		return fmt.Sprintf("Values rows=%d", len(n.Rows))
	case *SystemScan:
		return "SystemScan " + n.Relation
	case *LateralJoin:
		out := "LateralJoin" + exprList(n.Args)
		if n.Outer {
			out += " outer"
		}
		return out
	case *ProjectSet:
		var fs []string
		for _, f := range n.Funcs {
			fs = append(fs, f.Func+exprList(f.Args))
		}
		out := "ProjectSet " + strings.Join(fs, ", ")
		if n.Scan {
			out = "FunctionScan " + strings.Join(fs, ", ")
		}
		if n.Ordinality {
			out += " ordinality"
		}
		if n.Outer {
			out += " outer"
		}
		return out
	case *Filter:
		return "Filter " + n.Pred.String()
	case *Window:
		return n.explain()
	case *Project:
		return "Project " + exprList(n.Exprs)
	case *Aggregate:
		phase := map[AggPhase]string{Complete: "", Partial: " partial", Final: " final"}[n.Phase]
		aggs := make([]string, len(n.Aggs))
		for i, a := range n.Aggs {
			aggs[i] = a.String()
		}
		return fmt.Sprintf("Aggregate%s group=%s aggs=[%s]", phase, exprList(n.Groups), strings.Join(aggs, " "))
	case *Join:
		kind := map[JoinKind]string{InnerJoin: "Inner", LeftJoin: "Left", RightJoin: "Right", FullJoin: "Full", CrossJoin: "Cross", SemiJoin: "Semi", AntiJoin: "Anti", NullAwareAntiJoin: "Null-aware anti", SingleJoin: "Single"}[n.Kind]
		s := fmt.Sprintf("HashJoin %s", kind)
		if len(n.LeftKeys) > 0 {
			s += " keys=" + exprList(n.LeftKeys) + "=" + exprList(n.RightKeys)
		}
		if n.Residual != nil {
			s += " residual=" + n.Residual.String()
		}
		return s
	case *Sort:
		keys := make([]string, len(n.Keys))
		for i, k := range n.Keys {
			keys[i] = k.Expr.String()
			if k.Desc {
				keys[i] += " DESC"
			}
		}
		return "Sort " + strings.Join(keys, ", ")
	case *Limit:
		return fmt.Sprintf("Limit count=%d offset=%d", n.Count, n.Offset)
	case *Remote:
		return "Remote (on participants)"
	case *Append:
		return "Append"
	case *InitRows:
		return "InitRows (computed first, shipped as rows)"
	case *DistinctOn:
		return fmt.Sprintf("DistinctOn %v", n.Keys)
	case *Shuffle:
		return fmt.Sprintf("Shuffle #%d by %s", n.ID, exprList(n.Keys))
	case *ExchangeSource:
		return fmt.Sprintf("Exchange #%d", n.ID)
	}
	return fmt.Sprintf("%T", n)
}

func exprList(es []*Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// String renders an aggregate call.
func (a *AggCall) String() string {
	arg := "*"
	if a.Arg != nil {
		arg = a.Arg.String()
	}
	if a.Distinct {
		arg = "DISTINCT " + arg
	}
	return a.Func + "(" + arg + ")"
}

// String renders an expression compactly: #i for input column i.
func (e *Expr) String() string {
	switch e.Kind {
	case ColumnRef:
		return fmt.Sprintf("#%d", e.Col)
	case Const:
		if e.Value.Null {
			return "NULL"
		}
		switch {
		case e.Type.IsString():
			return "'" + e.Value.S + "'"
		case e.Type.Kind == catalog.Float4 || e.Type.Kind == catalog.Float8:
			return fmt.Sprint(e.Value.F)
		}
		if e.Value.S != "" {
			return "'" + e.Value.S + "'"
		}
		if e.Type.Kind == catalog.Bool {
			return fmt.Sprint(e.Value.B)
		}
		return fmt.Sprint(e.Value.I)
	case Cast:
		return e.Args[0].String() + "::" + e.Type.String()
	case Case:
		return "CASE(" + exprList(e.Args) + ")"
	case Lookup:
		return fmt.Sprintf("lookup[%d]%s", len(e.Map), exprList(e.Args))
	case Param:
		return fmt.Sprintf("$%d", e.Col+1)
	case SubPlan:
		return "subplan" + exprList(e.Args)
	}
	if len(e.Args) == 2 {
		return "(" + e.Args[0].String() + " " + e.Op + " " + e.Args[1].String() + ")"
	}
	return e.Op + exprList(e.Args)
}
