package executor

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// sortOp buffers its input column-wise, sorts a permutation of row numbers
// with typed comparators (stable), then gathers the output in batches.
type sortOp struct {
	in       Operator
	keys     []plan.SortKey
	keyNodes []node
	types    []catalog.Type
	store    []*vec.Vector
	keyStore []*vec.Vector
	ownKey   []bool
	rows     int
	perm     []int32
	done     bool
	pos      int
	out      *ownedBatch
}

func newSort(in Operator, n *plan.Sort) (Operator, error) {
	s := &sortOp{in: in, keys: n.Keys, types: n.Types()}
	s.store = make([]*vec.Vector, len(s.types))
	for i, t := range s.types {
		s.store[i] = vec.NewVector(t, 0)
	}
	s.keyStore = make([]*vec.Vector, len(n.Keys))
	s.ownKey = make([]bool, len(n.Keys))
	for i, k := range n.Keys {
		kn, err := compile(k.Expr)
		if err != nil {
			return nil, err
		}
		s.keyNodes = append(s.keyNodes, kn)
		if c, ok := kn.(*colNode); ok && c.idx < len(s.store) {
			s.keyStore[i] = s.store[c.idx]
		} else {
			s.keyStore[i] = vec.NewVector(k.Expr.Type, 0)
			s.ownKey[i] = true
		}
	}
	return s, nil
}

func (s *sortOp) Types() []catalog.Type { return s.types }
func (s *sortOp) Close()                { s.in.Close() }

func (s *sortOp) consume(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := s.in.Next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			return nil
		}
		for i, c := range b.Cols {
			appendVec(s.store[i], c, 0, b.N)
		}
		for i, kn := range s.keyNodes {
			if !s.ownKey[i] {
				continue
			}
			v, err := kn.eval(b)
			if err != nil {
				return err
			}
			appendVec(s.keyStore[i], v, 0, b.N)
		}
		s.rows += b.N
	}
}

type sortKeyRT struct {
	v          *vec.Vector
	p          phys
	desc       bool
	nullsFirst bool
	trim       bool
	dec        bool
	iv         bool // intervals: by span
}

func (s *sortOp) sort() {
	s.perm = iota32(nil, s.rows)
	ks := make([]sortKeyRT, len(s.keys))
	for i, k := range s.keys {
		t := k.Expr.Type
		ks[i] = sortKeyRT{v: s.keyStore[i], p: physOf(t), desc: k.Desc, nullsFirst: k.NullsFirst, trim: t.Kind == catalog.Bpchar, dec: isDynamic(t), iv: t.Kind == catalog.Interval}
	}
	// pdqsort with the row number as the last key: stable, and without
	// the stable sort's O(n log² n) moves.
	ints := make([][]int64, 0, len(ks))
	for _, k := range ks {
		if k.p != pI64 || k.v.Nulls != nil {
			ints = nil
			break
		}
		ints = append(ints, k.v.I64)
	}
	if ints != nil && len(ints) <= 2 {
		s.sortInts(ints, ks)
		return
	}
	if ints != nil {
		// Integer keys without NULLs (a window's partition and order keys).
		slices.SortFunc(s.perm, func(a, b int32) int {
			for i, x := range ints {
				if c := cmp.Compare(x[a], x[b]); c != 0 {
					if ks[i].desc {
						return -c
					}
					return c
				}
			}
			return cmp.Compare(a, b)
		})
		return
	}
	slices.SortFunc(s.perm, func(a, b int32) int {
		for i := range ks {
			if c := ks[i].compare(a, b); c != 0 {
				return c
			}
		}
		return cmp.Compare(a, b)
	})
}

// intRow is a row's normalized integer sort keys (unsigned, flipped for
// DESC) next to its row number: sorting these contiguous records instead
// of a permutation that points into the key columns saves a cache miss
// per comparison.
type intRow struct {
	k0, k1 uint64
	row    int32
}

// sortInts sorts s.perm by one or two integer keys without NULLs.
func (s *sortOp) sortInts(ints [][]int64, ks []sortKeyRT) {
	recs := make([]intRow, s.rows)
	norm := func(x int64, desc bool) uint64 {
		u := uint64(x) ^ 1<<63
		if desc {
			return ^u
		}
		return u
	}
	for i := range recs {
		recs[i].row = int32(i)
	}
	for i, x := range ints[0][:len(recs)] {
		recs[i].k0 = norm(x, ks[0].desc)
	}
	if len(ints) == 2 {
		for i, x := range ints[1][:len(recs)] {
			recs[i].k1 = norm(x, ks[1].desc)
		}
	}
	slices.SortFunc(recs, func(a, b intRow) int {
		switch {
		case a.k0 != b.k0:
			return cmp.Compare(a.k0, b.k0)
		case a.k1 != b.k1:
			return cmp.Compare(a.k1, b.k1)
		}
		return int(a.row - b.row)
	})
	for i, r := range recs {
		s.perm[i] = r.row
	}
}

// compare orders rows a and b of the key's vector: NULLs where nullsFirst
// says, and descending when desc.
func (k *sortKeyRT) compare(a, b int32) int {
	v := k.v
	if v.Nulls != nil {
		an, bn := v.Nulls[a], v.Nulls[b]
		if an || bn {
			if an && bn {
				return 0
			}
			if an == k.nullsFirst {
				return -1
			}
			return 1
		}
	}
	var c int
	switch k.p {
	case pI64:
		c = cmp.Compare(v.I64[a], v.I64[b])
	case pF64:
		c = floatCmp(v.F64[a], v.F64[b])
	case pBool:
		c = boolCmp(v.Bool[a], v.Bool[b])
	case pStr:
		x, y := v.Data[v.Offsets[a]:v.Offsets[a+1]], v.Data[v.Offsets[b]:v.Offsets[b+1]]
		switch {
		case k.dec:
			c = cmpDecimal(x, y)
		case k.iv:
			c = cmpInterval(x, y)
		case k.trim:
			c = bytes.Compare(trimSpaces(x), trimSpaces(y))
		default:
			c = bytes.Compare(x, y)
		}
	}
	if k.desc {
		return -c
	}
	return c
}

func (s *sortOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !s.done {
		if err := s.consume(ctx); err != nil {
			return nil, err
		}
		s.done = true
		s.sort()
		s.out = newOwnedBatch(s.types)
	}
	if s.pos >= s.rows {
		return nil, nil
	}
	to := min(s.pos+vec.BatchSize, s.rows)
	sel := s.perm[s.pos:to]
	s.pos = to
	for i, c := range s.store {
		gatherVec(&s.out.bufs[i], c, sel)
	}
	s.out.N = len(sel)
	return &s.out.Batch, nil
}
