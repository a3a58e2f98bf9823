package executor

import (
	"bytes"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// textArg makes e a text argument as PostgreSQL's text functions see it:
// char(n) loses its trailing spaces, other types become their text form.
func textArg(e *plan.Expr) *plan.Expr {
	switch e.Type.Kind {
	case catalog.Text, catalog.Varchar:
		return e
	}
	return plan.CastOf(e, catalog.TypeText)
}

// ---- LIKE ----

type likeKind uint8

const (
	likeExact likeKind = iota
	likePrefix
	likeSuffix
	likeContains
	likeAll
	likeSegments
	likeGeneral
)

type likeTokKind uint8

const (
	tokLit likeTokKind = iota
	tokAny
	tokPct
)

type likeTok struct {
	kind likeTokKind
	lit  []byte
}

// likeMatcher matches one compiled LIKE pattern. Patterns made only of
// literals and % use prefix/suffix/contains fast paths (bytes.Index);
// patterns with _ use a backtracking matcher over characters.
type likeMatcher struct {
	kind        likeKind
	lit         []byte
	segs        [][]byte
	lead, trail bool
	toks        []likeTok
}

func compileLike(pat []byte) (*likeMatcher, error) {
	var toks []likeTok
	var cur []byte
	flush := func() {
		if cur != nil {
			toks = append(toks, likeTok{kind: tokLit, lit: cur})
			cur = nil
		}
	}
	for i := 0; i < len(pat); {
		c := pat[i]
		switch c {
		case '\\':
			if i+1 >= len(pat) {
				return nil, sqlerr.New(codeInvalidEscape, "LIKE pattern must not end with escape character")
			}
			_, sz := utf8.DecodeRune(pat[i+1:])
			cur = append(cur, pat[i+1:i+1+sz]...)
			i += 1 + sz
			continue
		case '%':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tokPct {
				toks = append(toks, likeTok{kind: tokPct})
			}
		case '_':
			flush()
			toks = append(toks, likeTok{kind: tokAny})
		default:
			if cur == nil {
				cur = []byte{}
			}
			cur = append(cur, c)
		}
		i++
	}
	flush()
	m := &likeMatcher{toks: toks}
	hasAny, npct := false, 0
	for _, t := range toks {
		switch t.kind {
		case tokAny:
			hasAny = true
		case tokPct:
			npct++
		}
	}
	if hasAny {
		m.kind = likeGeneral
		return m, nil
	}
	if npct == 0 {
		m.kind = likeExact
		if len(toks) == 1 {
			m.lit = toks[0].lit
		}
		return m, nil
	}
	m.lead = toks[0].kind == tokPct
	m.trail = toks[len(toks)-1].kind == tokPct
	for _, t := range toks {
		if t.kind == tokLit {
			m.segs = append(m.segs, t.lit)
		}
	}
	switch {
	case len(m.segs) == 0:
		m.kind = likeAll
	case len(m.segs) == 1 && m.lead && m.trail:
		m.kind, m.lit = likeContains, m.segs[0]
	case len(m.segs) == 1 && m.trail:
		m.kind, m.lit = likePrefix, m.segs[0]
	case len(m.segs) == 1 && m.lead:
		m.kind, m.lit = likeSuffix, m.segs[0]
	default:
		m.kind = likeSegments
	}
	return m, nil
}

func (m *likeMatcher) match(s []byte) bool {
	switch m.kind {
	case likeExact:
		return string(s) == string(m.lit)
	case likePrefix:
		return bytes.HasPrefix(s, m.lit)
	case likeSuffix:
		return bytes.HasSuffix(s, m.lit)
	case likeContains:
		return bytes.Contains(s, m.lit)
	case likeAll:
		return true
	case likeSegments:
		segs := m.segs
		if !m.lead {
			if !bytes.HasPrefix(s, segs[0]) {
				return false
			}
			s, segs = s[len(segs[0]):], segs[1:]
		}
		var last []byte
		if !m.trail {
			last, segs = segs[len(segs)-1], segs[:len(segs)-1]
		}
		for _, g := range segs {
			i := bytes.Index(s, g)
			if i < 0 {
				return false
			}
			s = s[i+len(g):]
		}
		return m.trail || bytes.HasSuffix(s, last)
	}
	return matchGeneral(m.toks, s)
}

func charLen(s []byte) int {
	if s[0] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRune(s)
	return n
}

// matchGeneral is the classic wildcard matcher with backtracking to the
// last %; _ matches one UTF-8 character.
func matchGeneral(toks []likeTok, s []byte) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for {
		if p < len(toks) {
			t := toks[p]
			switch t.kind {
			case tokPct:
				starP, starI = p, i
				p++
				continue
			case tokAny:
				if i < len(s) {
					i += charLen(s[i:])
					p++
					continue
				}
			case tokLit:
				if bytes.HasPrefix(s[i:], t.lit) {
					i += len(t.lit)
					p++
					continue
				}
			}
		} else if i == len(s) {
			return true
		}
		if starP < 0 || starI >= len(s) {
			return false
		}
		starI += charLen(s[starI:])
		p, i = starP+1, starI
	}
}

// likeNode is [NOT] [I]LIKE.
type likeNode struct {
	nodeMeta
	a, pat  node
	pc      *constNode
	m       *likeMatcher
	not, ci bool
	// pad is CHAR(n)'s length: bpchar LIKE matches the value padded with
	// spaces to n characters (values are held without the padding).
	pad     int
	padA    []byte
	lastPat []byte
	lowA    []byte
	lowP    []byte
	out     vecBuf
}

func newLike(e *plan.Expr) (node, error) {
	arg := e.Args[0]
	if !arg.Type.IsString() {
		arg = textArg(arg)
	}
	a, err := compile(arg)
	if err != nil {
		return nil, err
	}
	p, err := compile(textArg(e.Args[1]))
	if err != nil {
		return nil, err
	}
	n := &likeNode{a: a, pat: p, pc: asConst(p), not: strings.HasPrefix(e.Op, "not"), ci: strings.HasSuffix(e.Op, "ilike")}
	if arg.Type.Kind == catalog.Bpchar {
		n.pad = int(arg.Type.Length)
	}
	n.nodeMeta = metaOf(catalog.TypeBool, n.pc == nil, a, p)
	if n.pc != nil && !n.pc.d.Null {
		pat := n.pc.bytes
		if n.ci {
			pat = appendLower(nil, pat)
		}
		if n.m, err = compileLike(pat); err != nil {
			return nil, err
		}
	}
	n.out.init(catalog.TypeBool)
	return n, nil
}

func (n *likeNode) eval(b *vec.Batch) (*vec.Vector, error) {
	rows := b.N
	if n.pc != nil && n.pc.d.Null {
		n.out.setAllNull(rows)
		return &n.out.Vector, nil
	}
	av, err := n.a.eval(b)
	if err != nil {
		return nil, err
	}
	r := n.out.bools(rows)
	var pv *vec.Vector
	if n.pc == nil {
		if pv, err = n.pat.eval(b); err != nil {
			return nil, err
		}
		n.out.unionNulls(av.Nulls, pv.Nulls, rows)
	} else {
		n.out.copyNulls(av.Nulls, rows)
	}
	off, data := av.Offsets, av.Data
	m := n.m
	for i := range r {
		s := data[off[i]:off[i+1]]
		if n.pad > 0 {
			if k := utf8.RuneCount(s); k < n.pad {
				n.padA = append(n.padA[:0], s...)
				for ; k < n.pad; k++ {
					n.padA = append(n.padA, ' ')
				}
				s = n.padA
			}
		}
		if n.ci {
			n.lowA = appendLower(n.lowA[:0], s)
			s = n.lowA
		}
		if pv != nil {
			if pv.IsNull(i) || av.IsNull(i) {
				r[i] = false
				continue
			}
			p := pv.Bytes(i)
			if n.ci {
				n.lowP = appendLower(n.lowP[:0], p)
				p = n.lowP
			}
			if m == nil || !bytes.Equal(p, n.lastPat) {
				if m, err = compileLike(p); err != nil {
					return nil, err
				}
				n.lastPat = append(n.lastPat[:0], p...)
			}
		}
		r[i] = m.match(s) != n.not
	}
	if pv != nil {
		n.m = m
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

// ---- case mapping, length, concat, substr ----

func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func appendLower(dst, s []byte) []byte {
	if isASCII(s) {
		for _, c := range s {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst
	}
	for len(s) > 0 {
		r, sz := utf8.DecodeRune(s)
		if r == utf8.RuneError && sz <= 1 {
			dst = append(dst, s[0])
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		s = s[sz:]
	}
	return dst
}

func appendUpper(dst, s []byte) []byte {
	if isASCII(s) {
		for _, c := range s {
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst
	}
	for len(s) > 0 {
		r, sz := utf8.DecodeRune(s)
		if r == utf8.RuneError && sz <= 1 {
			dst = append(dst, s[0])
		} else {
			dst = utf8.AppendRune(dst, unicode.ToUpper(r))
		}
		s = s[sz:]
	}
	return dst
}

type caseMapNode struct {
	nodeMeta
	a     node
	upper bool
	out   vecBuf
}

func newCaseMap(e *plan.Expr) (node, error) {
	a, err := compile(textArg(e.Args[0]))
	if err != nil {
		return nil, err
	}
	n := &caseMapNode{nodeMeta: metaOf(e.Type, false, a), a: a, upper: e.Op == "upper"}
	n.out.init(e.Type)
	return n, nil
}

func (n *caseMapNode) eval(b *vec.Batch) (*vec.Vector, error) {
	v, err := n.a.eval(b)
	if err != nil {
		return nil, err
	}
	rows := b.N
	o := &n.out
	o.resetStr()
	for i := range rows {
		s := v.Data[v.Offsets[i]:v.Offsets[i+1]]
		if n.upper {
			o.Data = appendUpper(o.Data, s)
		} else {
			o.Data = appendLower(o.Data, s)
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	o.copyNulls(v.Nulls, rows)
	return &o.Vector, nil
}

type lengthNode struct {
	nodeMeta
	a   node
	out vecBuf
}

func newLength(e *plan.Expr) (node, error) {
	a, err := compile(textArg(e.Args[0]))
	if err != nil {
		return nil, err
	}
	t := e.Type
	if !t.IsInt64Backed() {
		t = catalog.TypeInt4
	}
	n := &lengthNode{nodeMeta: metaOf(t, false, a), a: a}
	n.out.init(t)
	return n, nil
}

func (n *lengthNode) eval(b *vec.Batch) (*vec.Vector, error) {
	v, err := n.a.eval(b)
	if err != nil {
		return nil, err
	}
	rows := b.N
	r := n.out.i64(rows)
	off := v.Offsets
	if isASCII(v.Data[off[0]:off[rows]]) {
		for i := range r {
			r[i] = int64(off[i+1] - off[i])
		}
	} else {
		for i := range r {
			r[i] = int64(utf8.RuneCount(v.Data[off[i]:off[i+1]]))
		}
	}
	n.out.copyNulls(v.Nulls, rows)
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

// concatNode is a || b || …: NULL when any argument is NULL.
type concatNode struct {
	nodeMeta
	args []node
	vs   []*vec.Vector
	out  vecBuf
}

func newConcat(e *plan.Expr) (node, error) {
	n := &concatNode{}
	for _, a := range e.Args {
		c, err := compile(textArg(a))
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, c)
	}
	t := e.Type
	if !t.IsString() {
		t = catalog.TypeText
	}
	n.nodeMeta = metaOf(t, false, n.args...)
	n.vs = make([]*vec.Vector, len(n.args))
	n.out.init(t)
	return n, nil
}

func (n *concatNode) eval(b *vec.Batch) (*vec.Vector, error) {
	rows := b.N
	o := &n.out
	anyNulls := false
	for k, a := range n.args {
		if c := asConst(a); c != nil && c.d.Null {
			o.setAllNull(rows)
			return &o.Vector, nil
		}
		v, err := a.eval(b)
		if err != nil {
			return nil, err
		}
		n.vs[k] = v
		anyNulls = anyNulls || v.Nulls != nil
	}
	o.resetStr()
	var nl []bool
	if anyNulls {
		nl = o.nullsLen(rows)
	} else {
		o.clearNulls()
	}
	for i := range rows {
		null := false
		if anyNulls {
			for _, v := range n.vs {
				null = null || v.IsNull(i)
			}
			nl[i] = null
		}
		if !null {
			for _, v := range n.vs {
				o.Data = append(o.Data, v.Data[v.Offsets[i]:v.Offsets[i+1]]...)
			}
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

// substrNode is substr(s, from [, count]) over characters, 1-based.
type substrNode struct {
	nodeMeta
	s, from, cnt node
	out          vecBuf
}

func newSubstr(e *plan.Expr) (node, error) {
	s, err := compile(textArg(e.Args[0]))
	if err != nil {
		return nil, err
	}
	intArg := func(x *plan.Expr) (node, error) {
		if !x.Type.IsInteger() {
			x = plan.CastOf(x, catalog.TypeInt8)
		}
		return compile(x)
	}
	from, err := intArg(e.Args[1])
	if err != nil {
		return nil, err
	}
	n := &substrNode{s: s, from: from}
	if len(e.Args) == 3 {
		if n.cnt, err = intArg(e.Args[2]); err != nil {
			return nil, err
		}
	}
	t := e.Type
	if !t.IsString() {
		t = catalog.TypeText
	}
	n.nodeMeta = metaOf(t, n.cnt != nil, s, from, n.cnt)
	n.out.init(t)
	return n, nil
}

// substrChars returns the characters [start, start+count) of s (1-based,
// PostgreSQL's clamping); count < 0 means to the end.
func substrChars(s []byte, start, count int64) []byte {
	end := int64(math.MaxInt64)
	if count >= 0 {
		if start > math.MaxInt64-count {
			end = math.MaxInt64
		} else {
			end = start + count
		}
	}
	if start < 1 {
		start = 1
	}
	if end <= start {
		return s[:0]
	}
	i := 0
	for k := int64(1); k < start && i < len(s); k++ {
		i += charLen(s[i:])
	}
	j := i
	for k := start; k < end && j < len(s); k++ {
		j += charLen(s[j:])
	}
	return s[i:j]
}

func (n *substrNode) eval(b *vec.Batch) (*vec.Vector, error) {
	rows := b.N
	sv, err := n.s.eval(b)
	if err != nil {
		return nil, err
	}
	fv, err := n.from.eval(b)
	if err != nil {
		return nil, err
	}
	var cv *vec.Vector
	if n.cnt != nil {
		if cv, err = n.cnt.eval(b); err != nil {
			return nil, err
		}
	}
	o := &n.out
	o.resetStr()
	o.unionNulls(sv.Nulls, fv.Nulls, rows)
	if cv != nil && cv.Nulls != nil {
		nl := o.nullsLen(rows)
		for i := range nl {
			nl[i] = sv.IsNull(i) || fv.IsNull(i) || cv.Nulls[i]
		}
	}
	for i := range rows {
		if o.Nulls != nil && o.Nulls[i] {
			o.Offsets = append(o.Offsets, int32(len(o.Data)))
			continue
		}
		count := int64(-1)
		if cv != nil {
			count = cv.I64[i]
			if count < 0 {
				return nil, errNegSubstrLen
			}
		}
		o.Data = append(o.Data, substrChars(sv.Data[sv.Offsets[i]:sv.Offsets[i+1]], fv.I64[i], count)...)
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

// ---- extract / date_part ----

// extractNode is extract(field FROM date|timestamp). The field value is
// computed in µs-scaled units and converted to the result type (numeric,
// integer or double precision).
type extractNode struct {
	nodeMeta
	field string
	src   node
	ts    bool
	// zone is the session's, for a timestamptz: fields are those of its
	// wall clock there (epoch is the instant's; timezone* the offset).
	zone *pgtype.Zone
	iv   bool // the source is an interval (held as text)
	out  vecBuf
}

func newExtract(e *plan.Expr) (node, error) {
	f := e.Args[0]
	if f.Kind != plan.Const || f.Value.Null {
		return nil, sqlerr.Unsupported("extract needs a constant field name")
	}
	src := e.Args[1]
	switch src.Type.Kind {
	case catalog.Date, catalog.Timestamp, catalog.TimestampTZ, catalog.Interval:
	default:
		return nil, sqlerr.Unsupported("extract from %s is not supported", src.Type)
	}
	field := strings.ToLower(f.Value.S)
	switch field {
	case "year", "month", "day", "quarter", "dow", "isodow", "doy", "hour", "minute", "second", "epoch", "decade", "century", "millennium", "week", "isoyear", "microseconds", "milliseconds":
	case "timezone", "timezone_hour", "timezone_minute":
		if src.Type.Kind != catalog.TimestampTZ {
			return nil, sqlerr.Unsupported("unit %q not supported for type %s", field, src.Type)
		}
	default:
		return nil, sqlerr.Errorf(sqlerr.InvalidParameterValue, "unit %q not recognized for type %s", field, src.Type)
	}
	s, err := compile(src)
	if err != nil {
		return nil, err
	}
	n := &extractNode{nodeMeta: metaOf(e.Type, false, s), field: field, src: s, ts: src.Type.IsTimestamp(), iv: src.Type.Kind == catalog.Interval}
	if src.Type.Kind == catalog.TimestampTZ {
		n.zone = pgtype.DateTimeFor(e.DT).TimeZone()
	}
	n.out.init(e.Type)
	return n, nil
}

// isoWeek returns the ISO 8601 year and week of a day number.
func isoWeek(days int64) (year, week int64) {
	dow := func(d int64) int64 { return ((d+5)%7+7)%7 + 1 } // 2000-01-01 was a Saturday (6)
	// Thursday of this week decides the ISO year.
	thu := days - dow(days) + 4
	ty, _, _ := civilFromDays(thu)
	jan1 := daysFromCivil(ty, 1, 1)
	return ty, (thu-jan1)/7 + 1
}

func (n *extractNode) value(x int64) int64 {
	const us = 1_000_000
	days, rem := x, int64(0)
	if n.ts {
		days = floorDiv(x, usecPerDay)
		rem = x - days*usecPerDay
	}
	y, m, d := civilFromDays(days)
	switch n.field {
	case "year":
		if y <= 0 {
			y--
		}
		return y * us
	case "isoyear":
		iy, _ := isoWeek(days)
		return iy * us
	case "week":
		_, w := isoWeek(days)
		return w * us
	case "month":
		return m * us
	case "day":
		return d * us
	case "quarter":
		return ((m-1)/3 + 1) * us
	case "dow":
		return (((days+6)%7 + 7) % 7) * us
	case "isodow":
		dw := ((days+6)%7 + 7) % 7
		if dw == 0 {
			dw = 7
		}
		return dw * us
	case "doy":
		return (days - daysFromCivil(y, 1, 1) + 1) * us
	case "decade":
		return floorDiv(y, 10) * us
	case "century":
		if y > 0 {
			return ((y + 99) / 100) * us
		}
		return -((99 - (y - 1)) / 100) * us
	case "millennium":
		if y > 0 {
			return ((y + 999) / 1000) * us
		}
		return -((999 - (y - 1)) / 1000) * us
	case "hour":
		return rem / 3_600_000_000 * us
	case "minute":
		return rem / 60_000_000 % 60 * us
	case "second":
		return rem % 60_000_000
	case "milliseconds":
		return rem % 60_000_000 * 1000
	case "microseconds":
		return rem % 60_000_000 * us
	case "epoch":
		if n.ts {
			return x + postgresEpochDays*usecPerDay
		}
		return (days + postgresEpochDays) * 86400 * us
	}
	return 0
}

// evalInterval extracts the field of each interval of v.
func (n *extractNode) evalInterval(v *vec.Vector, rows int) (*vec.Vector, error) {
	float := isFloat(n.typ)
	var rf []float64
	var ri []int64
	if float {
		rf = n.out.f64(rows)
	} else {
		ri = n.out.i64(rows)
	}
	s := scaleOf(n.typ)
	for i := range rows {
		x := int64(0)
		if !v.IsNull(i) {
			m, d, t := pgtype.ParseIntervalFields(v.Data[v.Offsets[i]:v.Offsets[i+1]])
			x = intervalPart(n.field, m, d, t)
		}
		if float {
			rf[i] = float64(x) / 1e6
		} else {
			ri[i], _ = rescale(x, 6, s)
		}
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}

// intervalPart is a field of the interval (months, days, µs) in
// millionths, as PostgreSQL's interval2tm splits it (C's truncating
// division: -27 hours is -27 hours and 0 days). The epoch counts a year as
// 365.25 days and a month as 30.
func intervalPart(field string, months, days, t int64) int64 {
	const us = 1_000_000
	year, mon := months/12, months%12
	hour := t / 3_600_000_000
	rest := t - hour*3_600_000_000
	min := rest / 60_000_000
	rest -= min * 60_000_000 // seconds and fraction, in µs
	switch field {
	case "microseconds":
		return rest * us
	case "milliseconds":
		return rest * 1000
	case "second":
		return rest
	case "minute":
		return min * us
	case "hour":
		return hour * us
	case "day":
		return days * us
	case "month":
		return mon * us
	case "quarter":
		return (mon/3 + 1) * us
	case "year":
		return year * us
	case "decade":
		return year / 10 * us
	case "century":
		return year / 100 * us
	case "millennium":
		return year / 1000 * us
	case "epoch":
		secs := (1461*year + 120*mon + 4*days) * (86400 / 4)
		return secs*us + t
	}
	return 0
}

// valueTZ is value for a timestamptz: the field of the session zone's wall
// clock, the epoch of the instant, or the zone's offset (seconds east;
// its hours and minutes truncated toward zero).
func (n *extractNode) valueTZ(x int64) int64 {
	const us = 1_000_000
	switch n.field {
	case "epoch":
		return n.value(x)
	case "timezone", "timezone_hour", "timezone_minute":
		off, _ := n.zone.Offset(x)
		switch n.field {
		case "timezone_hour":
			off /= 3600
		case "timezone_minute":
			off = off / 60 % 60
		}
		return off * us
	}
	return n.value(n.zone.ToLocal(x))
}

func (n *extractNode) eval(b *vec.Batch) (*vec.Vector, error) {
	v, err := n.src.eval(b)
	if err != nil {
		return nil, err
	}
	rows := b.N
	n.out.copyNulls(v.Nulls, rows)
	if n.iv {
		return n.evalInterval(v, rows)
	}
	in := v.I64[:rows]
	value := n.value
	if n.zone != nil {
		value = n.valueTZ
	}
	if isFloat(n.typ) {
		r := n.out.f64(rows)
		for i, x := range in {
			r[i] = float64(value(x)) / 1e6
		}
	} else {
		r := n.out.i64(rows)
		s := scaleOf(n.typ)
		for i, x := range in {
			r[i], _ = rescale(value(x), 6, s)
		}
	}
	n.out.zeroNullSlots()
	return &n.out.Vector, nil
}
