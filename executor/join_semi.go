package executor

import (
	"context"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Semi, anti, null-aware anti and single joins share the hash join's build
// side and head lookup (join.go); what differs is that each probe row is
// decided once, so a probe batch yields one output batch:
//
//   - semi and anti keep the probe rows that have (have not) a match and
//     output only the left columns: the probe batch itself when every row
//     is kept, else a gathered copy;
//   - null-aware anti (NOT IN) additionally drops rows whose key is NULL
//     and every row when a build key is NULL (unless the build side is
//     empty);
//   - single (scalar subquery) outputs every probe row once, with its one
//     matching build row or NULLs; a second match is error 21000.
//
// Without a residual a match is a chain head (and, for single, a chain of
// one row). With a residual, matchResidual walks the candidates of all
// still-undecided probe rows in rounds: each round takes a few candidates
// per row (a batch of pairs in all), evaluates the residual over the pairs
// at once, and retires the rows that found a match, so a semi or anti join
// stops at a row's first match.
//
// Null-aware anti with a residual follows PostgreSQL's NOT IN over a
// correlated subquery: for each left row the "right side" is the set of
// build rows passing the residual for that row. A row with a non-NULL key
// is output when no build row with an equal or a NULL key passes the
// residual; a row with a NULL key when no build row at all passes it.

// Candidate walk modes of a probe row.
const (
	modeChain uint8 = iota // build rows with the row's key, through next[]
	modeAll                // every build row (nested loop)
	modeNulls              // the build rows with a NULL key (nullRows)
)

var errSingleRow = sqlerr.New(sqlerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")

func (j *joinOp) initFiltering() {
	if j.kind == plan.SingleJoin {
		j.sbufs = make([]vecBuf, len(j.rtypes))
		for i, t := range j.rtypes {
			j.sbufs[i].init(t)
		}
		j.sout.Cols = make([]*vec.Vector, 0, len(j.types))
		return
	}
	j.semiOut = newOwnedBatch(j.ltypes)
}

// findNullKeys records the build rows whose (single) key is NULL.
func (j *joinOp) findNullKeys() {
	nl := j.bkeys[0].Nulls
	if nl == nil {
		return
	}
	for r, isNull := range nl[:j.nbuild] {
		if isNull {
			j.rightNull = true
			if j.residual == nil {
				return
			}
			j.nullRows = append(j.nullRows, int32(r))
		}
	}
}

// finishFiltered ends the output, closing the probe side.
func (j *joinOp) finishFiltered() {
	j.state = jsDone
	j.pb = nil
	if !j.closedL {
		j.closedL = true
		j.left.Close()
	}
}

func (j *joinOp) nextFiltered(ctx context.Context) (*vec.Batch, error) {
	for j.state != jsDone {
		// Outcomes known without looking at the probe side.
		switch {
		case j.kind == plan.SemiJoin && j.nbuild == 0,
			j.kind == plan.NullAwareAntiJoin && j.rightNull && j.residual == nil:
			j.finishFiltered()
			return nil, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := j.left.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b == nil {
			j.finishFiltered()
			return nil, nil
		}
		if b.N == 0 {
			continue
		}
		if j.nbuild == 0 && (j.kind == plan.AntiJoin || j.kind == plan.NullAwareAntiJoin) {
			return b, nil // nothing to match: every row stays
		}
		j.pb = b
		for i, ln := range j.lkeys {
			if j.pkeys[i], err = ln.eval(b); err != nil {
				return nil, err
			}
		}
		j.findHeads(b.N)
		out, err := j.probeFiltered(b)
		if err != nil {
			return nil, err
		}
		if out != nil && out.N > 0 {
			return out, nil
		}
	}
	return nil, nil
}

// probeFiltered decides the rows of probe batch b.
func (j *joinOp) probeFiltered(b *vec.Batch) (*vec.Batch, error) {
	n := b.N
	var m []int32 // per row: a matching build row, or -1
	if j.residual != nil {
		if err := j.matchResidual(n); err != nil {
			return nil, err
		}
		m = j.mres[:n]
	} else {
		m = j.heads[:n]
		switch j.kind {
		case plan.NullAwareAntiJoin:
			// A NULL key is never output once the build side has rows.
			if nl := j.pkeys[0].Nulls; nl != nil {
				for i, isNull := range nl[:n] {
					if isNull {
						m[i] = 0
					}
				}
			}
		case plan.SingleJoin:
			if len(j.lkeys) == 0 {
				if j.nbuild > 1 {
					return nil, errSingleRow
				}
			} else if !j.unique {
				next := j.next
				for _, h := range m {
					if h >= 0 && next[h] >= 0 {
						return nil, errSingleRow
					}
				}
			}
		}
	}
	if j.kind == plan.SingleJoin {
		out := &j.sout
		out.Cols = append(out.Cols[:0], b.Cols...)
		for c, sv := range j.store {
			gatherVecNullable(&j.sbufs[c], sv, m)
			out.Cols = append(out.Cols, &j.sbufs[c].Vector)
		}
		out.N = n
		return out, nil
	}
	// Keep matched rows (semi) or unmatched ones (anti), without branches.
	sel := resize32(j.sel, n)
	j.sel = sel
	k := 0
	if j.kind == plan.SemiJoin {
		for i, h := range m {
			sel[k] = int32(i)
			k += 1 - int(uint32(h)>>31)
		}
	} else {
		for i, h := range m {
			sel[k] = int32(i)
			k += int(uint32(h) >> 31)
		}
	}
	switch k {
	case 0:
		return nil, nil
	case n:
		return b, nil
	}
	return j.semiOut.gather(b, sel[:k]), nil
}

// matchResidual sets mres[i] for probe rows [0, n) of j.pb to a build row
// that matches on keys and passes the residual, or -1. Semi and anti joins
// stop at a row's first match; single joins look at every candidate and
// fail on a second match.
func (j *joinOp) matchResidual(n int) error {
	j.mres = resize32(j.mres, n)
	mres := j.mres
	j.curs = resize32(j.curs, n)
	cur := j.curs
	if cap(j.mode) < n {
		j.mode = make([]uint8, n, max(n, vec.BatchSize))
	}
	mode := j.mode[:n]
	nested := len(j.lkeys) == 0
	naa := j.kind == plan.NullAwareAntiJoin
	single := j.kind == plan.SingleJoin
	var pnull []bool
	if naa {
		pnull = j.pkeys[0].Nulls
	}
	nulls := j.nullRows
	act := j.act[:0]
	for i := range n {
		mres[i] = -1
		c, md := j.heads[i], modeChain
		switch {
		case nested:
			md = modeAll
		case naa && pnull != nil && pnull[i]:
			// NOT IN with a NULL key: output only when no build row
			// passes the residual.
			c, md = 0, modeAll
		case naa && c < 0 && len(nulls) > 0:
			c, md = 0, modeNulls
		}
		if c >= 0 && j.nbuild > 0 {
			cur[i], mode[i] = c, md
			act = append(act, int32(i))
		}
	}
	next := j.act2
	for len(act) > 0 {
		per := max(1, vec.BatchSize/len(act))
		lidx, ridx := j.lidx[:0], j.ridx[:0]
		next = next[:0]
		for _, l := range act {
			c, md := cur[l], mode[l]
			for k := 0; k < per && c >= 0; k++ {
				r := c
				if md == modeNulls {
					r = nulls[c]
				}
				lidx = append(lidx, l)
				ridx = append(ridx, r)
				switch md {
				case modeChain:
					c = j.next[c]
					if c < 0 && naa && len(nulls) > 0 {
						c, md = 0, modeNulls
					}
				case modeAll:
					c++
					if int(c) >= j.nbuild {
						c = -1
					}
				case modeNulls:
					c++
					if int(c) >= len(nulls) {
						c = -1
					}
				}
			}
			cur[l], mode[l] = c, md
			if c >= 0 {
				next = append(next, l)
			}
		}
		j.lidx, j.ridx = lidx, ridx
		if err := j.applyResidual(); err != nil {
			return err
		}
		for k, l := range j.lidx {
			if single && mres[l] >= 0 {
				return errSingleRow
			}
			mres[l] = j.ridx[k]
		}
		// Rows with candidates left stay, unless a match decided them.
		k := 0
		for _, l := range next {
			if single || mres[l] < 0 {
				next[k] = l
				k++
			}
		}
		act, next = next[:k], act
	}
	j.act, j.act2 = act, next
	return nil
}
