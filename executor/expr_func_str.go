package executor

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"unicode/utf8"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// strFuncNode evaluates the string functions: one loop per function over
// the batch, arguments' bytes read in place, results appended to one
// buffer. Characters are UTF-8 code points (PostgreSQL's UTF8 encoding);
// initcap follows the C locale (only ASCII letters change case).
type strFuncNode struct {
	nodeMeta
	op   string
	args []node
	vs   []*vec.Vector
	pad  int // octet_length of char(n): n
	// cpad per argument of concat/concat_ws: -1 boolean (t/f), n > 0
	// char(n) (padded to n characters), 0 text
	cpad []int
	// trim set of a constant second argument of btrim/ltrim/rtrim
	set  *trimSet
	sets trimSet
	out  vecBuf
}

var errSplitPartZero = sqlerr.New(sqlerr.InvalidParameterValue, "field position must not be zero")

func newStrFunc(e *plan.Expr) (node, error) {
	var ts []catalog.Type
	for _, a := range e.Args {
		t := a.Type
		switch {
		case t.IsInteger():
			t = catalog.TypeInt8
		case e.Op == "octet_length" && t.Kind == catalog.Bpchar:
		case (e.Op == "concat_func" || e.Op == "concat_ws") && (t.Kind == catalog.Bpchar || t.Kind == catalog.Bool):
		default:
			t = catalog.TypeText
		}
		ts = append(ts, t)
	}
	args, err := argNodes(e, ts...)
	if err != nil {
		return nil, err
	}
	t := e.Type
	n := &strFuncNode{op: e.Op, args: args, vs: make([]*vec.Vector, len(args))}
	for _, a := range e.Args {
		switch a.Type.Kind {
		case catalog.Bool:
			n.cpad = append(n.cpad, -1)
		case catalog.Bpchar:
			n.cpad = append(n.cpad, int(a.Type.Length))
		default:
			n.cpad = append(n.cpad, 0)
		}
	}
	if e.Op == "octet_length" && e.Args[0].Type.Kind == catalog.Bpchar {
		n.pad = int(e.Args[0].Type.Length)
	}
	switch e.Op {
	case "btrim", "ltrim", "rtrim":
		if len(args) == 1 {
			n.sets.init([]byte(" "))
			n.set = &n.sets
		} else if c := asConst(args[1]); c != nil && !c.d.Null {
			n.sets.init(c.bytes)
			n.set = &n.sets
		}
	}
	canErr := e.Op == "split_part" || e.Op == "repeat" || e.Op == "lpad" || e.Op == "rpad"
	n.nodeMeta = metaOf(t, canErr, args...)
	n.out.init(t)
	return n, nil
}

// trimSet is the set of characters trim removes.
type trimSet struct {
	ascii [128]bool
	runes []rune
}

func (s *trimSet) init(chars []byte) {
	s.ascii = [128]bool{}
	s.runes = s.runes[:0]
	for len(chars) > 0 {
		r, sz := utf8.DecodeRune(chars)
		if r < utf8.RuneSelf {
			s.ascii[r] = true
		} else {
			s.runes = append(s.runes, r)
		}
		chars = chars[sz:]
	}
}

func (s *trimSet) has(r rune) bool {
	if r < utf8.RuneSelf {
		return s.ascii[r]
	}
	for _, x := range s.runes {
		if x == r {
			return true
		}
	}
	return false
}

func (s *trimSet) trim(b []byte, left, right bool) []byte {
	if left {
		for len(b) > 0 {
			r, sz := rune(b[0]), 1
			if r >= utf8.RuneSelf {
				r, sz = utf8.DecodeRune(b)
			}
			if !s.has(r) {
				break
			}
			b = b[sz:]
		}
	}
	if right {
		for len(b) > 0 {
			r, sz := rune(b[len(b)-1]), 1
			if r >= utf8.RuneSelf {
				r, sz = utf8.DecodeLastRune(b)
			}
			if !s.has(r) {
				break
			}
			b = b[:len(b)-sz]
		}
	}
	return b
}

// charPrefix returns the first k characters of s (all of s if shorter).
func charPrefix(s []byte, k int64) []byte {
	i := 0
	for ; k > 0 && i < len(s); k-- {
		i += charLen(s[i:])
	}
	return s[:i]
}

func runeCount(s []byte) int64 {
	if isASCII(s) {
		return int64(len(s))
	}
	return int64(utf8.RuneCount(s))
}

func (n *strFuncNode) eval(b *vec.Batch) (*vec.Vector, error) {
	rows := b.N
	o := &n.out
	if n.op == "concat_func" || n.op == "concat_ws" {
		return n.concat(b)
	}
	if err := evalArgs(n.args, n.vs, b); err != nil {
		return nil, err
	}
	nl := strictNulls(o, n.vs, rows)
	null := func(i int) bool { return nl != nil && nl[i] }
	v0 := n.vs[0]
	str := func(v *vec.Vector, i int) []byte { return v.Data[v.Offsets[i]:v.Offsets[i+1]] }
	switch n.op {
	case "strpos", "octet_length":
		r := o.i64(rows)
		for i := range r {
			if null(i) {
				r[i] = 0
				continue
			}
			s := str(v0, i)
			if n.op == "octet_length" {
				r[i] = int64(len(s))
				if n.pad > 0 {
					if k := runeCount(s); k < int64(n.pad) {
						r[i] += int64(n.pad) - k
					}
				}
				continue
			}
			k := bytes.Index(s, str(n.vs[1], i))
			if k < 0 {
				r[i] = 0
			} else {
				r[i] = runeCount(s[:k]) + 1
			}
		}
		return &o.Vector, nil
	case "starts_with":
		r := o.bools(rows)
		for i := range r {
			r[i] = !null(i) && bytes.HasPrefix(str(v0, i), str(n.vs[1], i))
		}
		return &o.Vector, nil
	}
	o.resetStr()
	for i := range rows {
		if null(i) {
			o.Offsets = append(o.Offsets, int32(len(o.Data)))
			continue
		}
		s := str(v0, i)
		switch n.op {
		case "btrim", "ltrim", "rtrim":
			set := n.set
			if set == nil {
				n.sets.init(str(n.vs[1], i))
				set = &n.sets
			}
			o.Data = append(o.Data, set.trim(s, n.op != "rtrim", n.op != "ltrim")...)
		case "replace":
			from, to := str(n.vs[1], i), str(n.vs[2], i)
			if len(from) == 0 {
				o.Data = append(o.Data, s...)
				break
			}
			for {
				k := bytes.Index(s, from)
				if k < 0 {
					break
				}
				o.Data = append(append(o.Data, s[:k]...), to...)
				s = s[k+len(from):]
			}
			o.Data = append(o.Data, s...)
		case "left", "right":
			k := n.vs[1].I64[i]
			cnt := runeCount(s)
			if k < 0 {
				k = max(cnt+k, 0)
			}
			k = min(k, cnt)
			if n.op == "left" {
				o.Data = append(o.Data, charPrefix(s, k)...)
			} else {
				o.Data = append(o.Data, s[len(charPrefix(s, cnt-k)):]...)
			}
		case "lpad", "rpad":
			k := n.vs[1].I64[i]
			fill := []byte(" ")
			if len(n.vs) == 3 {
				fill = str(n.vs[2], i)
			}
			if k <= 0 {
				break
			}
			if k > 1<<28 {
				return nil, sqlerr.New(codeProgramLimit, "requested length too large")
			}
			cnt := runeCount(s)
			if cnt >= k || len(fill) == 0 {
				o.Data = append(o.Data, charPrefix(s, k)...)
				break
			}
			if n.op == "rpad" {
				o.Data = append(o.Data, s...)
			}
			for need, f := k-cnt, fill; need > 0; need-- {
				if len(f) == 0 {
					f = fill
				}
				l := charLen(f)
				o.Data = append(o.Data, f[:l]...)
				f = f[l:]
			}
			if n.op == "lpad" {
				o.Data = append(o.Data, s...)
			}
		case "reverse":
			for j := len(s); j > 0; {
				_, sz := utf8.DecodeLastRune(s[:j])
				if s[j-1] < utf8.RuneSelf {
					sz = 1
				}
				o.Data = append(o.Data, s[j-sz:j]...)
				j -= sz
			}
		case "repeat":
			k := n.vs[1].I64[i]
			if k > 0 && int64(len(s))*k > 1<<30 {
				return nil, sqlerr.New(codeProgramLimit, "requested length too large")
			}
			for ; k > 0; k-- {
				o.Data = append(o.Data, s...)
			}
		case "split_part":
			d, k := str(n.vs[1], i), n.vs[2].I64[i]
			if k == 0 {
				return nil, errSplitPartZero
			}
			o.Data = append(o.Data, splitPart(s, d, k)...)
		case "initcap":
			o.Data = appendInitcap(o.Data, s)
		case "md5":
			sum := md5.Sum(s)
			o.Data = hex.AppendEncode(o.Data, sum[:])
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

const codeProgramLimit = "54000" // program_limit_exceeded

// splitPart returns field k (1-based; negative counts from the end) of s
// split on d.
func splitPart(s, d []byte, k int64) []byte {
	if len(s) == 0 {
		return nil
	}
	if len(d) == 0 {
		if k == 1 || k == -1 {
			return s
		}
		return nil
	}
	if k < 0 {
		nf := int64(bytes.Count(s, d)) + 1
		k = nf + k + 1
		if k <= 0 {
			return nil
		}
	}
	for ; k > 1; k-- {
		j := bytes.Index(s, d)
		if j < 0 {
			return nil
		}
		s = s[j+len(d):]
	}
	if j := bytes.Index(s, d); j >= 0 {
		return s[:j]
	}
	return s
}

// appendInitcap is PostgreSQL's initcap in the C locale: the first ASCII
// letter or digit of each run of ASCII alphanumerics is upper-cased, the
// rest lower-cased; other bytes are kept and end a word.
func appendInitcap(dst, s []byte) []byte {
	inWord := false
	for _, c := range s {
		alnum := c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
		switch {
		case !alnum:
		case inWord && c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case !inWord && c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		inWord = alnum
		dst = append(dst, c)
	}
	return dst
}

// concat evaluates concat(...) (NULL arguments skipped) and concat_ws(sep,
// ...) (NULL when sep is NULL; NULL arguments skipped).
func (n *strFuncNode) concat(b *vec.Batch) (*vec.Vector, error) {
	if err := evalArgs(n.args, n.vs, b); err != nil {
		return nil, err
	}
	rows := b.N
	o := &n.out
	o.resetStr()
	ws := n.op == "concat_ws"
	vals := n.vs
	var nl []bool
	if ws {
		vals = n.vs[1:]
		if n.vs[0].Nulls != nil {
			nl = o.nullsLen(rows)
			copy(nl, n.vs[0].Nulls[:rows])
		} else {
			o.clearNulls()
		}
	} else {
		o.clearNulls()
	}
	sep := n.vs[0]
	pads := n.cpad
	if ws {
		pads = pads[1:]
	}
	for i := range rows {
		if nl != nil && nl[i] {
			o.Offsets = append(o.Offsets, int32(len(o.Data)))
			continue
		}
		first := true
		for k, v := range vals {
			if v.Nulls != nil && v.Nulls[i] {
				continue
			}
			if ws && !first {
				o.Data = append(o.Data, sep.Data[sep.Offsets[i]:sep.Offsets[i+1]]...)
			}
			first = false
			switch p := pads[k]; {
			case p < 0:
				if v.Bool[i] {
					o.Data = append(o.Data, 't')
				} else {
					o.Data = append(o.Data, 'f')
				}
			default:
				x := v.Data[v.Offsets[i]:v.Offsets[i+1]]
				o.Data = append(o.Data, x...)
				for c := runeCount(x); c < int64(p); c++ {
					o.Data = append(o.Data, ' ')
				}
			}
		}
		o.Offsets = append(o.Offsets, int32(len(o.Data)))
	}
	return &o.Vector, nil
}

// greatestNode is GREATEST/LEAST: the largest (smallest) non-NULL
// argument, NULL when all are NULL.
type greatestNode struct {
	nodeMeta
	least bool
	args  []node
	vs    []*vec.Vector
	best  []int32
	ch    chooser
}

func newGreatest(e *plan.Expr) (node, error) {
	ts := make([]catalog.Type, len(e.Args))
	for i := range ts {
		ts[i] = e.Type
	}
	args, err := argNodes(e, ts...)
	if err != nil {
		return nil, err
	}
	n := &greatestNode{nodeMeta: metaOf(e.Type, false, args...), least: e.Op == "least", args: args, vs: make([]*vec.Vector, len(args))}
	n.ch.out.init(e.Type)
	return n, nil
}

func (n *greatestNode) eval(b *vec.Batch) (*vec.Vector, error) {
	if err := evalArgs(n.args, n.vs, b); err != nil {
		return nil, err
	}
	rows := b.N
	n.best = resize32(n.best, rows)
	best := n.best
	for i := range best {
		best[i] = -1
	}
	// sign is the comparison result that makes a candidate win.
	sign := 1
	if n.least {
		sign = -1
	}
	dyn := isDynamic(n.typ)
	for k, v := range n.vs {
		kk := int32(k)
		switch physOf(n.typ) {
		case pI64:
			x := v.I64[:rows]
			for i := range x {
				if v.Nulls != nil && v.Nulls[i] {
					continue
				}
				if w := best[i]; w < 0 || (x[i] > n.vs[w].I64[i]) == (sign > 0) && x[i] != n.vs[w].I64[i] {
					best[i] = kk
				}
			}
		case pF64:
			x := v.F64[:rows]
			for i := range x {
				if v.Nulls != nil && v.Nulls[i] {
					continue
				}
				if w := best[i]; w < 0 || floatCmp(x[i], n.vs[w].F64[i]) == sign {
					best[i] = kk
				}
			}
		case pStr:
			for i := range rows {
				if v.Nulls != nil && v.Nulls[i] {
					continue
				}
				w := best[i]
				if w < 0 {
					best[i] = kk
					continue
				}
				x := v.Data[v.Offsets[i]:v.Offsets[i+1]]
				y := n.vs[w].Data[n.vs[w].Offsets[i]:n.vs[w].Offsets[i+1]]
				var c int
				if dyn {
					c = cmpDecimal(x, y)
				} else {
					c = bytes.Compare(x, y)
				}
				if c == sign {
					best[i] = kk
				}
			}
		default:
			return nil, sqlerr.Errorf(sqlerr.UndefinedFunction, "could not identify a comparison function for type %s", n.typ)
		}
	}
	c := &n.ch
	c.reset(rows)
	c.srcs = append(c.srcs, n.vs...)
	for i, w := range best {
		c.which[i], c.pos[i] = w, int32(i)
	}
	return c.build(rows), nil
}
