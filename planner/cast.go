package planner

import (
	"strconv"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// coerce applies an implicit cast: untyped literals are parsed with the
// target type's input function now (so '12x'::int fails at bind time with
// 22P02, as in PostgreSQL); other expressions get a Cast node.
func coerce(e *plan.Expr, t catalog.Type) *plan.Expr {
	if e.Type == t {
		return e
	}
	if sameValues(e.Type, t) {
		// numeric(10,2) and numeric(0,2) hold the same values: a comparison
		// or merge at scale 2 needs no cast.
		return e
	}
	if f := foldCast(e, t); f != nil {
		return f
	}
	if e.Type.Kind == catalog.Unknown {
		if e.Kind == plan.Const {
			if e.Value.Null {
				return plan.NullOf(t)
			}
			if t.IsString() && t.Length == 0 && t.Kind != catalog.Char && t.Kind != catalog.Name {
				return plan.ConstOf(t, plan.Datum{S: e.Value.S})
			}
			d, err := pgtype.DateTimeFor(e.DT).ParseText(t, []byte(e.Value.S))
			if err != nil {
				fail(err)
			}
			return plan.ConstOf(t, d)
		}
		return plan.CastOf(e, t)
	}
	return plan.CastOf(e, t)
}

// assignCast converts a value for storing into a column of type t
// (PostgreSQL's assignment casts): numbers convert among themselves with
// rounding and range checks, strings among themselves with length checks;
// anything else is a datatype mismatch.
func assignCast(e *plan.Expr, t catalog.Type, column string) *plan.Expr {
	et := e.Type
	switch {
	case et == t:
		return e
	case et.Kind == catalog.Unknown:
		return coerce(e, t)
	case et.IsNumeric() && t.IsNumeric(),
		et.IsString() && t.IsString(),
		et.IsDateTime() && t.IsDateTime(),
		t.Kind == catalog.Text || t.Kind == catalog.Varchar || t.Kind == catalog.Bpchar:
		return plan.CastOf(e, t)
	}
	if column == "" {
		failf(sqlerr.DatatypeMismatch, "value of type %s cannot be stored as type %s", et, t)
	}
	fail(sqlerr.Errorf(sqlerr.DatatypeMismatch, "column %q is of type %s but expression is of type %s", column, t, et).
		WithHint("You will need to rewrite or cast the expression."))
	return nil
}

// explicitCast is CAST(e AS t) / e::t.
func explicitCast(e *plan.Expr, t catalog.Type) *plan.Expr {
	et := e.Type
	ok := et == t || et.Kind == catalog.Unknown ||
		(et.IsNumeric() && t.IsNumeric()) ||
		et.IsString() || t.IsString() ||
		(et.Kind == catalog.Bool && t.IsInteger()) || (et.IsInteger() && t.Kind == catalog.Bool) ||
		(et.IsDateTime() && t.IsDateTime()) ||
		((et.IsOidLike() || et.IsInteger()) && (t.IsOidLike() || t.IsInteger())) ||
		(et.IsArray() && t.IsArray())
	if !ok {
		failf(sqlerr.CannotCoerce, "cannot cast type %s to %s", et, t)
	}
	if et.Kind == catalog.Unknown && e.Kind == plan.Const {
		return coerce(e, t)
	}
	return plan.CastOf(e, t)
}

// foldCast converts a numeric constant at bind time where that is exact and
// in range (integer widening and narrowing, integer or numeric to a larger
// numeric scale, integer to float); nil when it does not apply.
func foldCast(e *plan.Expr, t catalog.Type) *plan.Expr {
	if e.Kind != plan.Const || e.Value.Null || e.Type.Kind == catalog.Unknown {
		return nil
	}
	et := e.Type
	switch {
	case et.IsInteger() && t.IsInteger():
		lo, hi := intRange(t.Kind)
		if e.Value.I < lo || e.Value.I > hi {
			return nil // left to the executor, which reports the overflow
		}
		return plan.ConstOf(t, plan.Datum{I: e.Value.I})
	case (et.IsInteger() || et.Kind == catalog.Numeric && !et.IsDynamicNumeric()) && t.Kind == catalog.Numeric && !t.IsDynamicNumeric() && t.Precision == 0:
		from := scaleOf(et)
		if t.Scale < from {
			return nil
		}
		v := e.Value.I
		for i := from; i < t.Scale; i++ {
			if v > 1e17 || v < -1e17 {
				return nil
			}
			v *= 10
		}
		return plan.ConstOf(t, plan.Datum{I: v})
	case et.IsInteger() && t.Kind == catalog.Float8:
		return plan.ConstOf(t, plan.Datum{F: float64(e.Value.I)})
	case et.Kind == catalog.Numeric && t.Kind == catalog.Float8:
		// As numeric_float8: the decimal text read by strtod, correctly rounded.
		text := e.Value.S
		if !et.IsDynamicNumeric() {
			text = string(pgtype.AppendNumeric(nil, e.Value.I, et.Scale))
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil
		}
		return plan.ConstOf(t, plan.Datum{F: f})
	}
	return nil
}

func intRange(k catalog.Kind) (int64, int64) {
	switch k {
	case catalog.Int2:
		return -1 << 15, 1<<15 - 1
	case catalog.Int4:
		return -1 << 31, 1<<31 - 1
	}
	return -1 << 63, 1<<63 - 1
}

// sameValues reports whether a value of type from is already a valid value
// of type to with the same representation (an implicit cast to a type that
// only drops a precision or length limit).
func sameValues(from, to catalog.Type) bool {
	switch {
	case from.Kind == catalog.Numeric && to.Kind == catalog.Numeric:
		return to.Precision == 0 && from.Scale == to.Scale && from.IsDynamicNumeric() == to.IsDynamicNumeric()
	}
	return false
}
