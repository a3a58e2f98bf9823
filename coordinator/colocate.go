package coordinator

import (
	"context"
	"math"
	"sort"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
)

// Co-located dispatch (see planner/colocate.go): the key range of the
// fragment's split scan is cut into one range per participant, with about
// as many of the split table's rows each (from its files' min/max); every
// co-located scan gives each participant the files overlapping its range
// and a filter keeping the rows inside it. Files without statistics go to
// every participant (the filter still keeps each row once). Probe rows with
// a NULL key go to the first participant, so outer and anti joins see them
// once; build rows with a NULL key never match and are dropped.

// colocatedShare is one participant's part of a co-located fragment.
type colocatedShare struct {
	files   map[*plan.Scan][]storage.DataFile
	filters map[*plan.Scan]*plan.Expr
}

// colocatedShares divides the co-located scans of a fragment among n
// participants; split is the fragment's split scan.
func (s *session) colocatedShares(ctx context.Context, frag plan.Node, split *plan.Scan, n int) ([]colocatedShare, error) {
	var scans []*plan.Scan
	for _, sc := range plan.Scans(frag) {
		if sc.Colocated {
			scans = append(scans, sc)
		}
	}
	manifests := map[*plan.Scan]*storage.Manifest{}
	for _, sc := range scans {
		m, err := s.manifestFor(ctx, sc.Table)
		if err != nil {
			return nil, err
		}
		manifests[sc] = m
	}
	bounds := rangeBounds(manifests[split].Files, split.ColocateCol, split.Table.Columns[split.ColocateCol].Type, n)
	shares := make([]colocatedShare, n)
	for p := range shares {
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		hasLo, hasHi := p > 0, p < n-1
		if hasLo {
			lo = bounds[p-1]
		}
		if hasHi {
			hi = bounds[p]
		}
		sh := colocatedShare{files: map[*plan.Scan][]storage.DataFile{}, filters: map[*plan.Scan]*plan.Expr{}}
		for _, sc := range scans {
			col := sc.ColocateCol
			typ := sc.Table.Columns[col].Type
			for _, f := range manifests[sc].Files {
				fmin, fmax, ok := fileRange(f, col, typ)
				if ok && ((hasHi && fmin >= hi) || (hasLo && fmax < lo)) {
					continue
				}
				sh.files[sc] = append(sh.files[sc], f)
			}
			sh.filters[sc] = rangeFilter(sc, typ, lo, hi, hasLo, hasHi, p == 0 && sc == split)
		}
		shares[p] = sh
	}
	return shares, nil
}

// rangeBounds returns n-1 ascending cut points dividing the files' rows
// into n ranges of about equal size: range p is [b[p-1], b[p]).
func rangeBounds(files []storage.DataFile, col int, typ catalog.Type, n int) []int64 {
	type span struct {
		min  int64
		rows int64
	}
	var spans []span
	var total int64
	for _, f := range files {
		if lo, _, ok := fileRange(f, col, typ); ok {
			spans = append(spans, span{lo, f.Rows})
			total += f.Rows
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].min < spans[j].min })
	bounds := make([]int64, n-1)
	k, acc := 0, int64(0)
	for _, sp := range spans {
		for k < n-1 && acc >= total*int64(k+1)/int64(n) {
			bounds[k] = sp.min
			k++
		}
		acc += sp.rows
	}
	for ; k < n-1; k++ {
		bounds[k] = math.MaxInt64 // the remaining participants get nothing
	}
	return bounds
}

// fileRange reads a file's min/max of an int64-backed column.
func fileRange(f storage.DataFile, col int, typ catalog.Type) (int64, int64, bool) {
	if col >= len(f.Stats) || !f.Stats[col].HasMinMax {
		return 0, 0, false
	}
	lo, err1 := pgtype.ParseText(typ, []byte(f.Stats[col].Min))
	hi, err2 := pgtype.ParseText(typ, []byte(f.Stats[col].Max))
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return lo.I, hi.I, true
}

// rangeFilter is the scan's filter restricted to lo <= key < hi (keeping
// NULL keys when withNulls).
func rangeFilter(sc *plan.Scan, typ catalog.Type, lo, hi int64, hasLo, hasHi, withNulls bool) *plan.Expr {
	pos := -1
	for i, c := range sc.Cols {
		if c == sc.ColocateCol {
			pos = i
		}
	}
	if pos < 0 || (!hasLo && !hasHi) {
		return sc.Filter
	}
	key := plan.Col(pos, typ)
	var r *plan.Expr
	if hasLo {
		r = plan.CallOf(">=", catalog.TypeBool, key, plan.ConstOf(typ, plan.Datum{I: lo}))
	}
	if hasHi {
		c := plan.CallOf("<", catalog.TypeBool, key, plan.ConstOf(typ, plan.Datum{I: hi}))
		if r == nil {
			r = c
		} else {
			r = plan.CallOf("and", catalog.TypeBool, r, c)
		}
	}
	if withNulls {
		r = plan.CallOf("or", catalog.TypeBool, r, plan.CallOf("isnull", catalog.TypeBool, key))
	}
	if sc.Filter != nil {
		r = plan.CallOf("and", catalog.TypeBool, sc.Filter, r)
	}
	return r
}

// openColocated dispatches a fragment whose scans are co-located: each
// participant gets its key range of every co-located scan.
func (s *session) openColocated(ctx context.Context, r *plan.Remote, split *plan.Scan, seq int64, bc *broadcaster) (*gather, error) {
	shares, err := s.colocatedShares(ctx, r.Fragment, split, len(s.c.parts))
	if err != nil {
		return nil, err
	}
	var scans []*plan.Scan
	for _, sc := range plan.Scans(r.Fragment) {
		if sc.Colocated {
			scans = append(scans, sc)
		}
	}
	filters := make([]*plan.Expr, len(scans))
	for i, sc := range scans {
		filters[i] = sc.Filter
	}
	defer func() {
		for i, sc := range scans {
			sc.Filter, sc.Files, sc.FileOrdinals = filters[i], nil, nil
		}
	}()
	g := newGather(ctx, &s.act)
	for p, sh := range shares {
		if len(sh.files[split]) == 0 {
			continue
		}
		for _, sc := range scans {
			m, err := s.manifestFor(ctx, sc.Table)
			if err != nil {
				g.Close()
				return nil, err
			}
			sc.Files, sc.Filter = sh.files[sc], sh.filters[sc]
			sc.FileOrdinals = fileOrdinals(sc, m, sc.Files)
		}
		st, err := bc.run(g.ctx, s, p, r.Fragment, seq)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.add(st)
	}
	bc.start(s, g)
	g.start()
	return g, nil
}
