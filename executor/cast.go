package executor

import (
	"math"
	"math/bits"
	"strconv"
	"unsafe"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

type castKind uint8

const (
	castNull       castKind = iota // from an untyped NULL
	castView                       // same values, new type
	castIntRange                   // int → narrower int
	castIntToNum                   // int → numeric(p,s)
	castNumToNum                   // rescale, round, precision check
	castNumToInt                   // round to integer, range check
	castIntToFloat                 // int → float
	castNumToFloat                 // numeric → float
	castFloatToInt                 // rint, range check
	castFloatToNum                 // via 15 (6) significant digits, as PostgreSQL
	castF8ToF4                     // round to single precision
	castBoolToInt                  // false → 0, true → 1
	castIntToBool                  // x <> 0
	castDateToTs                   // midnight
	castTsToDate                   // floor to the day
	castToText                     // any → string: output function
	castStrToStr                   // char(n) padding, varchar(n) truncation
	castFromText                   // string → any: input function
	castToDyn                      // int or numeric(p,s) → dynamic-scale numeric
	castToWide                     // any number → numeric(p,s) with p > 18 (decimal text, rounded)
	castFloatToDyn                 // float → dynamic-scale numeric
	castDynToNum                   // dynamic-scale numeric → numeric(p,s) or int
	castDynToFloat                 // dynamic-scale numeric → float
	castToOid                      // int → oid: int2/int4 wrap to unsigned, int8 range-checked
	castOidToInt4                  // oid → int4: the unsigned value wraps to signed
	castTsToTZ                     // timestamp → timestamptz: wall clock in the session zone
	castTZToTs                     // timestamptz → timestamp: the session zone's wall clock
	castDateToTZ                   // date → timestamptz: local midnight
	castTZToDate                   // timestamptz → date: the session zone's day
)

// castNode converts a value to another type with PostgreSQL's rules.
type castNode struct {
	nodeMeta
	a        node
	from, to catalog.Type
	kind     castKind
	lim      int64 // numeric(p,s) bound (10^p), 0 for none
	lo, hi   int64 // integer target range
	rerr     error
	view     vec.Vector
	out      vecBuf
	buf      []byte
	// dt are the session settings of text input and output of datetime
	// types and of conversions with timestamptz.
	dt pgtype.DateTime
}

func newCast(arg *plan.Expr, to catalog.Type, dt *plan.DateTime) (node, error) {
	a, err := compile(arg)
	if err != nil {
		return nil, err
	}
	from := arg.Type
	if from == to {
		return a, nil
	}
	if from.IsArray() && to.IsArray() {
		return newArrayCast(arg, to)
	}
	n := &castNode{a: a, from: from, to: to, lim: numericLimit(to), rerr: rangeErr(to.Kind), dt: pgtype.DateTimeFor(dt)}
	if dt == nil && arg.DT != nil {
		n.dt = pgtype.DateTimeFor(arg.DT) // an untyped literal's own settings
	}
	n.lo, n.hi = intBounds(to.Kind)
	if n.lim != 0 {
		n.rerr = numericFieldOverflow(to)
	}
	canErr := true
	fp, tp := physOf(from), physOf(to)
	fi, ti := from.IsInteger(), to.IsInteger()
	fd, td := isDynamic(from), isDynamic(to)
	fn, tn := from.Kind == catalog.Numeric && !fd, to.Kind == catalog.Numeric && !td
	switch {
	case td && to.IsWideNumeric() && (fd || fi || fn || fp == pF64):
		n.kind = castToWide
	case fd && to.IsString():
		n.kind, canErr = castStrToStr, false // the text is the value
	case fd && (ti || tn):
		n.kind = castDynToNum
	case fd && tp == pF64:
		n.kind = castDynToFloat
	case td && (fi || fn):
		n.kind, canErr = castToDyn, false
	case td && fp == pF64:
		n.kind = castFloatToDyn
	case from.Kind == catalog.Unknown:
		if c := asConst(a); c != nil && !c.d.Null {
			n.kind = castFromText
		} else {
			n.kind, canErr = castNull, false
		}
	case from.IsOidLike() && to.IsOidLike(), from.IsOidLike() && to.Kind == catalog.Int8:
		n.kind, canErr = castView, false
	case fi && to.IsOidLike():
		n.kind, canErr = castToOid, from.Kind == catalog.Int8
	case from.IsOidLike() && to.Kind == catalog.Int4:
		n.kind, canErr = castOidToInt4, false
	case to.IsString():
		if from.IsString() {
			n.kind, canErr = castStrToStr, false
			if from.Kind != catalog.Bpchar && to.Length == 0 && (to.Kind != catalog.Bpchar || from.Kind == catalog.Bpchar) && to.Kind != catalog.Char && to.Kind != catalog.Name {
				n.kind = castView // text ↔ varchar without a length
			}
		} else {
			n.kind, canErr = castToText, false
		}
	case from.IsString():
		n.kind = castFromText
	case fi && ti:
		n.kind = castIntRange
		if intWidth(to.Kind) >= intWidth(from.Kind) {
			n.kind, canErr = castView, false
		}
	case fi && tn:
		n.kind = castIntToNum
	case fn && tn:
		n.kind = castNumToNum
		if from.Scale == to.Scale && n.lim == 0 {
			n.kind, canErr = castView, false
		}
	case fn && ti:
		n.kind = castNumToInt
	case (fi || fn) && tp == pF64:
		n.kind, canErr = castIntToFloat, false
		if fn {
			n.kind = castNumToFloat
		}
	case fp == pF64 && ti:
		n.kind = castFloatToInt
	case fp == pF64 && tn:
		n.kind = castFloatToNum
	case fp == pF64 && tp == pF64:
		n.kind, canErr = castView, false
		if to.Kind == catalog.Float4 {
			n.kind, canErr = castF8ToF4, true
		}
	case from.Kind == catalog.Bool && ti:
		n.kind, canErr = castBoolToInt, false
	case fi && to.Kind == catalog.Bool:
		n.kind, canErr = castIntToBool, false
	case from.Kind == catalog.Date && to.Kind == catalog.Timestamp:
		n.kind, canErr = castDateToTs, true
	case from.Kind == catalog.Timestamp && to.Kind == catalog.Date:
		n.kind, canErr = castTsToDate, false
	case from.Kind == catalog.Timestamp && to.Kind == catalog.TimestampTZ:
		n.kind, canErr = castTsToTZ, true
	case from.Kind == catalog.TimestampTZ && to.Kind == catalog.Timestamp:
		n.kind, canErr = castTZToTs, true
	case from.Kind == catalog.Date && to.Kind == catalog.TimestampTZ:
		n.kind, canErr = castDateToTZ, true
	case from.Kind == catalog.TimestampTZ && to.Kind == catalog.Date:
		n.kind, canErr = castTZToDate, false
	case fp == tp && (from.Kind == to.Kind):
		n.kind, canErr = castView, false
	default:
		return nil, sqlerr.Errorf(codeCannotCoerce, "cannot cast type %s to %s", from, to)
	}
	n.nodeMeta = metaOf(to, canErr, a)
	n.out.init(to)
	return n, nil
}

func intWidth(k catalog.Kind) int {
	switch k {
	case catalog.Int2:
		return 2
	case catalog.Int4:
		return 4
	}
	return 8
}

func (n *castNode) eval(b *vec.Batch) (*vec.Vector, error) {
	v, err := n.a.eval(b)
	if err != nil {
		return nil, err
	}
	rows := b.N
	o := &n.out
	switch n.kind {
	case castNull:
		o.setAllNull(rows)
		return &o.Vector, nil
	case castView:
		n.view = *v
		n.view.Type = n.to
		return &n.view, nil
	case castIntRange:
		if outOfRange(v.I64[:rows], n.lo, n.hi) {
			for i, x := range v.I64[:rows] {
				if (x < n.lo || x > n.hi) && !v.IsNull(i) {
					return nil, n.rerr
				}
			}
		}
		n.view = *v
		n.view.Type = n.to
		return &n.view, nil
	case castToOid, castOidToInt4:
		r, x := o.i64(rows), v.I64[:rows]
		o.copyNulls(v.Nulls, rows)
		for i, y := range x {
			switch {
			case n.kind == castOidToInt4:
				r[i] = int64(int32(uint32(y)))
			case n.from.Kind == catalog.Int8 && (y < 0 || y > 1<<32-1) && !v.IsNull(i):
				return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "OID out of range")
			default:
				r[i] = int64(uint32(y))
			}
		}
		return &o.Vector, nil
	case castToText:
		return n.toText(v, rows)
	case castStrToStr:
		return n.strToStr(v, rows)
	case castFromText:
		return n.fromText(v, rows)
	case castToDyn, castFloatToDyn:
		return n.toDyn(v, rows)
	case castToWide:
		return n.toWide(v, rows)
	}
	o.copyNulls(v.Nulls, rows)
	nulls := o.Nulls
	valid := func(i int) bool { return nulls == nil || !nulls[i] }
	switch n.kind {
	case castIntToNum, castNumToNum:
		r, x := o.i64(rows), v.I64[:rows]
		k := n.to.Scale - scaleOf(n.from)
		if k >= 0 && k <= 18 {
			p := pow10[k]
			var ov uint64
			for i := range r {
				hi, lo := bits.Mul64(uabs(x[i]), uint64(p))
				ov |= hi | lo>>63
				r[i] = x[i] * p
			}
			if ov != 0 {
				for i := range r {
					if _, ok := mulPow10(x[i], k); !ok && valid(i) {
						return nil, n.rerr
					}
				}
			}
		} else {
			for i := range r {
				y, ok := rescale(x[i], scaleOf(n.from), n.to.Scale)
				if !ok && valid(i) {
					return nil, n.rerr
				}
				r[i] = y
			}
		}
		if n.lim != 0 && outOfRange(r, -n.lim+1, n.lim-1) {
			for i, y := range r {
				if (y >= n.lim || y <= -n.lim) && valid(i) {
					return nil, numericFieldOverflow(n.to)
				}
			}
		}
	case castNumToInt:
		r, x := o.i64(rows), v.I64[:rows]
		s := n.from.Scale
		for i := range r {
			r[i] = divPow10Round(x[i], s)
		}
		if outOfRange(r, n.lo, n.hi) {
			for i, y := range r {
				if (y < n.lo || y > n.hi) && valid(i) {
					return nil, n.rerr
				}
			}
		}
	case castIntToFloat:
		r, x := o.f64(rows), v.I64[:rows]
		for i := range r {
			r[i] = float64(x[i])
		}
		if n.to.Kind == catalog.Float4 {
			for i, f := range r {
				r[i] = float64(float32(f))
			}
		}
	case castNumToFloat:
		r, x := o.f64(rows), v.I64[:rows]
		s := n.from.Scale
		if s >= 0 && s <= 22 {
			d := math.Pow10(int(s))
			for i := range r {
				r[i] = float64(x[i]) / d
			}
			// Beyond 2^53 the int64 → float64 step rounds; redo those exactly.
			for i, xi := range x {
				if xi > 1<<53 || xi < -(1<<53) {
					n.buf = pgtype.AppendNumeric(n.buf[:0], xi, s)
					r[i], _ = strconv.ParseFloat(string(n.buf), 64)
				}
			}
		} else {
			for i, xi := range x {
				n.buf = pgtype.AppendNumeric(n.buf[:0], xi, s)
				r[i], _ = strconv.ParseFloat(string(n.buf), 64)
			}
		}
		if n.to.Kind == catalog.Float4 {
			for i, f := range r {
				r[i] = float64(float32(f))
			}
		}
	case castFloatToInt:
		r, x := o.i64(rows), v.F64[:rows]
		lo, hi := float64(n.lo), float64(n.hi)
		for i := range r {
			f := math.RoundToEven(x[i])
			// hi+1 is exact for int2/int4 and 2^63 for int8.
			if !(f >= lo && f < hi+1) {
				if valid(i) {
					return nil, n.rerr
				}
				f = 0
			}
			r[i] = int64(f)
		}
	case castFloatToNum:
		r, x := o.i64(rows), v.F64[:rows]
		p, sc := n.to.Precision, n.to.Scale
		if !tnFixed(n.to) {
			p, sc = 0, 0
		}
		for i := range r {
			if !valid(i) {
				r[i] = 0
				continue
			}
			n.buf = floatDecimal(n.buf[:0], x[i], n.from) // NaN, +Inf, -Inf: fixed scales refuse them
			y, err := pgtype.ParseNumeric(n.buf, p, sc)
			if err != nil {
				return nil, err
			}
			r[i] = y
		}
	case castDynToNum:
		r := o.i64(rows)
		p, sc := n.to.Precision, n.to.Scale
		if n.to.IsInteger() {
			p, sc = 0, 0
		}
		for i := range r {
			if !valid(i) {
				r[i] = 0
				continue
			}
			x := v.Data[v.Offsets[i]:v.Offsets[i+1]]
			if sp := specialOf(x); sp != spFinite && n.to.IsInteger() {
				return nil, errSpecialToInt(sp, n.to)
			}
			y, err := pgtype.ParseNumeric(x, p, sc)
			if err != nil {
				if n.to.IsInteger() {
					return nil, n.rerr
				}
				return nil, err
			}
			if n.to.IsInteger() && (y < n.lo || y > n.hi) {
				return nil, n.rerr
			}
			r[i] = y
		}
	case castDynToFloat:
		r := o.f64(rows)
		for i := range r {
			r[i] = 0
			if valid(i) {
				f, err := strconv.ParseFloat(unsafeString(v.Data[v.Offsets[i]:v.Offsets[i+1]]), 64)
				if err != nil {
					return nil, errFloatOverflow
				}
				if n.to.Kind == catalog.Float4 {
					f = float64(float32(f))
				}
				r[i] = f
			}
		}
	case castF8ToF4:
		r, x := o.f64(rows), v.F64[:rows]
		for i := range r {
			f := float64(float32(x[i]))
			if math.IsInf(f, 0) && !math.IsInf(x[i], 0) && valid(i) {
				return nil, errFloatOverflow
			}
			if f == 0 && x[i] != 0 && valid(i) {
				return nil, errUnderflow
			}
			r[i] = f
		}
	case castBoolToInt:
		r, x := o.i64(rows), v.Bool[:rows]
		for i := range r {
			r[i] = 0
			if x[i] {
				r[i] = 1
			}
		}
	case castIntToBool:
		r, x := o.bools(rows), v.I64[:rows]
		for i := range r {
			r[i] = x[i] != 0
		}
	case castDateToTs:
		r, x := o.i64(rows), v.I64[:rows]
		bad := false
		for i := range r {
			r[i] = x[i] * usecPerDay
			bad = bad || x[i] < minDate || x[i] >= endTsDay
		}
		if bad {
			// Infinite dates are infinite timestamps; dates past
			// 294276 AD do not fit.
			for i, d := range x {
				switch {
				case !valid(i):
					r[i] = 0
				case d == pgtype.DateNegInfinity:
					r[i] = pgtype.TimestampNegInfinity
				case d == pgtype.DatePosInfinity:
					r[i] = pgtype.TimestampPosInfinity
				case d >= endTsDay:
					return nil, errDateForTimestamp
				}
			}
		}
	case castTsToDate:
		r, x := o.i64(rows), v.I64[:rows]
		for i := range r {
			switch t := x[i]; t {
			case pgtype.TimestampNegInfinity:
				r[i] = pgtype.DateNegInfinity
			case pgtype.TimestampPosInfinity:
				r[i] = pgtype.DatePosInfinity
			default:
				r[i] = floorDiv(t, usecPerDay)
			}
		}
	case castTsToTZ, castTZToTs, castDateToTZ, castTZToDate:
		if err := n.zoneConvert(o, v, rows); err != nil {
			return nil, err
		}
	}
	o.zeroNullSlots()
	return &o.Vector, nil
}

// floatSpecial is the numeric special value a float converts to.
func floatSpecial(f float64) special {
	switch {
	case math.IsNaN(f):
		return spNaN
	case math.IsInf(f, 1):
		return spPInf
	case math.IsInf(f, -1):
		return spNInf
	}
	return spFinite
}

// errSpecialToInt is numeric's error for NaN or an infinity cast to an
// integer type.
func errSpecialToInt(sp special, to catalog.Type) error {
	what := "infinity"
	if sp == spNaN {
		what = "NaN"
	}
	return sqlerr.Errorf(sqlerr.FeatureNotSupported, "cannot convert %s to %s", what, to)
}

// zoneConvert converts between timestamptz and timestamp or date through
// the session zone's wall clock. Infinities stay infinite; a result
// outside the timestamp range is 22008, as in PostgreSQL.
func (n *castNode) zoneConvert(o *vecBuf, v *vec.Vector, rows int) error {
	z := n.dt.TimeZone()
	fixed, isFixed := z.Fixed()
	r, x := o.i64(rows), v.I64[:rows]
	valid := func(i int) bool { return v.Nulls == nil || !v.Nulls[i] }
	for i := range r {
		t := x[i]
		if !valid(i) {
			r[i] = 0
			continue
		}
		if n.kind == castDateToTZ {
			switch {
			case t == pgtype.DateNegInfinity:
				r[i] = pgtype.TimestampNegInfinity
				continue
			case t == pgtype.DatePosInfinity:
				r[i] = pgtype.TimestampPosInfinity
				continue
			case t >= endTsDay:
				return errDateForTimestamp
			}
			t *= usecPerDay
		} else if t == pgtype.TimestampNegInfinity || t == pgtype.TimestampPosInfinity {
			r[i] = t
			if n.kind == castTZToDate {
				r[i] = pgtype.DateNegInfinity
				if t > 0 {
					r[i] = pgtype.DatePosInfinity
				}
			}
			continue
		}
		var y int64
		switch n.kind {
		case castTsToTZ, castDateToTZ:
			if isFixed {
				y = t - fixed*1_000_000
			} else {
				y = z.FromLocal(t)
			}
		default:
			if isFixed {
				y = t + fixed*1_000_000
			} else {
				y = z.ToLocal(t)
			}
		}
		if y < minTimestamp || y >= endTimestamp {
			return errTimestampRange
		}
		if n.kind == castTZToDate {
			y = floorDiv(y, usecPerDay)
		}
		r[i] = y
	}
	return nil
}

// tnFixed reports a fixed-scale numeric type.
func tnFixed(t catalog.Type) bool { return t.Kind == catalog.Numeric && !isDynamic(t) }

// floatDecimal appends f as PostgreSQL converts a float to numeric: the
// decimal text of its 15 (float4: 6) significant digits.
func floatDecimal(dst []byte, f float64, from catalog.Type) []byte {
	digits, bits := 15, 64
	if from.Kind == catalog.Float4 {
		digits, bits = 6, 32
	}
	return strconv.AppendFloat(dst, f, 'g', digits, bits)
}

// toDyn formats ints, fixed numerics and floats as dynamic-scale numerics.
func (n *castNode) toDyn(v *vec.Vector, rows int) (*vec.Vector, error) {
	o := &n.out
	o.resetStr()
	o.copyNulls(v.Nulls, rows)
	for i := range rows {
		if !v.IsNull(i) {
			if n.kind == castToDyn {
				o.Data = pgtype.AppendNumeric(o.Data, v.I64[i], scaleOf(n.from))
			} else {
				f := v.F64[i]
				if sp := floatSpecial(f); sp != spFinite {
					o.Data = append(o.Data, sp.text()...)
				} else {
					n.buf = floatDecimal(n.buf[:0], f, n.from)
					s, err := pgtype.ParseNumericText(n.buf)
					if err != nil {
						return nil, err
					}
					o.Data = append(o.Data, s...)
				}
			}
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

// toWide converts numbers to NUMERIC(p, s) with p > 18: each value as
// exact decimal text (through the dynamic-scale form), rounded to scale s
// and checked against p.
func (n *castNode) toWide(v *vec.Vector, rows int) (*vec.Vector, error) {
	src := v
	if !isDynamic(n.from) {
		inner := &castNode{from: n.from, to: catalog.TypeNumericDynamic, kind: castToDyn}
		if physOf(n.from) == pF64 {
			inner.kind = castFloatToDyn
		}
		var err error
		if src, err = inner.toDyn(v, rows); err != nil {
			return nil, err
		}
	}
	o := &n.out
	o.resetStr()
	o.copyNulls(src.Nulls, rows)
	for i := range rows {
		if !src.IsNull(i) {
			s, err := pgtype.RoundNumericText(src.Data[src.Offsets[i]:src.Offsets[i+1]], n.to.Precision, n.to.Scale)
			if err != nil {
				return nil, err
			}
			o.Data = append(o.Data, s...)
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

// unsafeString views b as a string for a parser that does not retain it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// appendStrTyped appends s to o for target type t: char(n) pads or
// truncates to n characters, varchar(n) truncates.
func appendStrTyped(o *vecBuf, s []byte, t catalog.Type) {
	switch {
	case t.Kind == catalog.Char && len(s) > 1:
		s = s[:1] // "char" holds one byte
	case t.Kind == catalog.Name && len(s) >= pgtype.NameDataLen:
		s = []byte(pgtype.TruncateName(string(s)))
	}
	if t.Length > 0 {
		limit := int(t.Length)
		// Count characters up to limit+1.
		cut, chars := len(s), 0
		for i := 0; i < len(s); {
			if chars == limit {
				cut = i
				break
			}
			i += charLen(s[i:])
			chars++
		}
		if cut < len(s) {
			s = s[:cut]
		}
		o.Data = append(o.Data, s...)
		if t.Kind == catalog.Bpchar {
			for ; chars < limit; chars++ {
				o.Data = append(o.Data, ' ')
			}
		}
	} else {
		o.Data = append(o.Data, s...)
	}
	o.Offsets = append(o.Offsets, int32(len(o.Data)))
}

func (n *castNode) toText(v *vec.Vector, rows int) (*vec.Vector, error) {
	o := &n.out
	o.resetStr()
	o.copyNulls(v.Nulls, rows)
	for i := range rows {
		if v.IsNull(i) {
			o.Offsets = append(o.Offsets, int32(len(o.Data)))
			continue
		}
		if n.from.Kind == catalog.Bool {
			// bool::text is 'true'/'false', unlike boolout's 't'/'f'.
			if v.Bool[i] {
				n.buf = append(n.buf[:0], "true"...)
			} else {
				n.buf = append(n.buf[:0], "false"...)
			}
		} else {
			n.buf = n.dt.AppendText(n.buf[:0], v, i)
		}
		appendStrTyped(o, n.buf, n.to)
	}
	return &o.Vector, nil
}

func (n *castNode) strToStr(v *vec.Vector, rows int) (*vec.Vector, error) {
	o := &n.out
	o.resetStr()
	o.copyNulls(v.Nulls, rows)
	strip := n.from.Kind == catalog.Bpchar && n.to.Kind != catalog.Bpchar
	for i := range rows {
		s := v.Data[v.Offsets[i]:v.Offsets[i+1]]
		if strip {
			s = trimSpaces(s)
		}
		appendStrTyped(o, s, n.to)
	}
	return &o.Vector, nil
}

func (n *castNode) fromText(v *vec.Vector, rows int) (*vec.Vector, error) {
	o := &n.out
	o.copyNulls(v.Nulls, rows)
	nulls := o.Nulls
	t := n.to
	p := physOf(t)
	var ri []int64
	var rf []float64
	var rb []bool
	switch p {
	case pI64:
		ri = o.i64(rows)
	case pF64:
		rf = o.f64(rows)
	case pBool:
		rb = o.bools(rows)
	case pStr:
		o.resetStr()
	}
	for i := range rows {
		if nulls != nil && nulls[i] {
			switch p {
			case pI64:
				ri[i] = 0
			case pF64:
				rf[i] = 0
			case pBool:
				rb[i] = false
			case pStr:
				o.Offsets = append(o.Offsets, int32(len(o.Data)))
			}
			continue
		}
		s := v.Data[v.Offsets[i]:v.Offsets[i+1]]
		if p == pStr && (t.Kind == catalog.Text || t.Kind == catalog.Varchar || t.Kind == catalog.Bpchar) {
			appendStrTyped(o, s, t)
			continue
		}
		d, err := n.dt.ParseText(t, s)
		if err != nil {
			return nil, err
		}
		if p == pStr {
			o.appendStr([]byte(d.S))
			continue
		}
		switch p {
		case pI64:
			if n.lim != 0 && (d.I >= n.lim || d.I <= -n.lim) {
				return nil, numericFieldOverflow(t)
			}
			ri[i] = d.I
		case pF64:
			rf[i] = d.F
		case pBool:
			rb[i] = d.B
		}
	}
	return &o.Vector, nil
}
