package dbgen

// Row generators. Each follows dbgen's mk_* routine: which stream each value is
// drawn from and, within a stream, the order of the draws. Draws on different
// streams are independent, so only the per-stream order matters.

// textRange is dbgen's (int)(avg·0.4), (int)(avg·1.6) (computed in doubles).
func textRange(avg int) [2]int64 {
	a := float64(avg)
	lo, hi := 0.4, 1.6
	return [2]int64{int64(a * lo), int64(a * hi)}
}

var (
	nationText   = textRange(72)
	regionText   = textRange(72)
	partText     = textRange(14)
	suppAddr     = textRange(25)
	suppText     = textRange(63)
	psText       = textRange(124)
	custAddr     = textRange(25)
	custText     = textRange(73)
	ordersText   = textRange(49)
	lineitemText = textRange(27)
)

// generator holds the streams of one table group positioned at a row.
type generator struct {
	sc      scaling
	text    []byte
	streams []int
	st      [numStreams]stream

	// Cutting comments from random places of the 300 MiB pool is dominated
	// by cache misses. The generator therefore touches the pool where the
	// comments of a row a few rows ahead will be cut, all at once, so that
	// the misses overlap; ahead[id] moves a stream's row start that far.
	ahead [numStreams]int64
	sink  byte
}

// prefetchRows is how many rows ahead the generator touches comments.
const prefetchRows = 2

// touchComments reads the first and the last possible byte of the next n
// comments of stream id, prefetchRows rows ahead (each comment uses two
// draws: offset, length).
func (g *generator) touchComments(id int, n int, max int64) {
	x := mulMod(g.st[id].row, g.ahead[id])
	r := float64(poolSize - max + 1)
	var sink byte
	for ; n > 0; n-- {
		x = nextRand(x)
		o := int64(float64(x) / dM * r)
		sink += g.text[o] + g.text[o+max-1]
		x = nextRand(x)
	}
	g.sink += sink
}

// linesAhead is the number of lineitems of the order prefetchRows ahead.
func (g *generator) linesAhead() int {
	x := nextRand(mulMod(g.st[sOLcnt].row, g.ahead[sOLcnt]))
	return 1 + int(float64(x)/dM*linesMax)
}

var groupStreams = map[string][]int{
	"part":     {sPMfg, sPBrnd, sPType, sPSize, sPCntr, sPCmnt, sPName, sPSQty, sPSScst, sPSCmnt},
	"supplier": {sSAddr, sSNtrg, sSPhne, sSAbal, sSCmnt, sBBBJnk, sBBBType, sBBBCmnt, sBBBOffset},
	"customer": {sCAddr, sCNtrg, sCPhne, sCAbal, sCMseg, sCCmnt},
	"orders": {sOSupp, sOClrk, sOCmnt, sOOdate, sOPrio, sOCkey, sOLcnt,
		sLQty, sLDcnt, sLTax, sLShip, sLSmode, sLPkey, sLSkey, sLSdte, sLCdte, sLRdte, sLRflg, sLCmnt, sHVar},
	"nation": {sNCmnt},
	"region": {sRCmnt},
}

func newGenerator(sc scaling, text []byte, group string) *generator {
	g := &generator{sc: sc, text: text, streams: groupStreams[group]}
	for _, id := range g.streams {
		g.ahead[id] = powMod(prefetchRows * streamDefs[id].boundary)
	}
	return g
}

// seek positions the group's streams at the start of row r (1-based).
func (g *generator) seek(r int64) {
	for _, id := range g.streams {
		g.st[id].seek(streamDefs[id], r)
	}
}

func (g *generator) nextRow() {
	for _, id := range g.streams {
		g.st[id].nextRow()
	}
}

func (g *generator) comment(b []byte, id int, r [2]int64) []byte {
	return appendText(b, g.text, &g.st[id], r[0], r[1])
}

func (g *generator) nation(b []byte, i int64) []byte {
	b = appendInt(b, i-1)
	b = append(b, '|')
	b = append(b, dNations.words[i-1]...)
	b = append(b, '|')
	b = appendInt(b, dNations.cum[i-1])
	b = append(b, '|')
	b = g.comment(b, sNCmnt, nationText)
	return append(b, '\n')
}

func (g *generator) region(b []byte, i int64) []byte {
	b = appendInt(b, i-1)
	b = append(b, '|')
	b = append(b, dRegions.words[i-1]...)
	b = append(b, '|')
	b = g.comment(b, sRCmnt, regionText)
	return append(b, '\n')
}

const (
	bbbBase     = "Customer "
	bbbComplain = "Complaints"
	bbbCommend  = "Recommends"
	bbbLen      = 19 // len(bbbBase) + len(bbbComplain)
)

func (g *generator) supplier(b []byte, i int64) []byte {
	b = appendInt(b, i)
	b = append(b, "|Supplier#"...)
	b = appendPadded(b, i, 9)
	b = append(b, '|')
	b = appendRandomString(b, &g.st[sSAddr], suppAddr[0], suppAddr[1])
	b = append(b, '|')
	nation := g.st[sSNtrg].unif(0, int64(len(dNations.words))-1)
	b = appendInt(b, nation)
	b = append(b, '|')
	b = appendPhone(b, &g.st[sSPhne], nation)
	b = append(b, '|')
	b = appendMoney(b, g.st[sSAbal].unif(-99999, 999999))
	b = append(b, '|')
	start := len(b)
	b = g.comment(b, sSCmnt, suppText)
	clen := int64(len(b) - start)
	// Better Business Bureau comments: drawn for every row, applied to
	// about 10 suppliers in 10000.
	badPress := g.st[sBBBCmnt].unif(1, 10000)
	kind := g.st[sBBBType].unif(0, 100)
	noise := g.st[sBBBJnk].unif(0, clen-bbbLen)
	offset := g.st[sBBBOffset].unif(0, clen-(bbbLen+noise))
	if badPress <= 10 {
		c := b[start:]
		copy(c[offset:], bbbBase)
		word := bbbComplain
		if kind >= 50 {
			word = bbbCommend
		}
		copy(c[offset+int64(len(bbbBase))+noise:], word)
	}
	return append(b, '\n')
}

func (g *generator) customer(b []byte, i int64) []byte {
	b = appendInt(b, i)
	b = append(b, "|Customer#"...)
	b = appendPadded(b, i, 9)
	b = append(b, '|')
	b = appendRandomString(b, &g.st[sCAddr], custAddr[0], custAddr[1])
	b = append(b, '|')
	nation := g.st[sCNtrg].unif(0, int64(len(dNations.words))-1)
	b = appendInt(b, nation)
	b = append(b, '|')
	b = appendPhone(b, &g.st[sCPhne], nation)
	b = append(b, '|')
	b = appendMoney(b, g.st[sCAbal].unif(-99999, 999999))
	b = append(b, '|')
	b = append(b, dSegments.bytes[dSegments.pick(&g.st[sCMseg])]...)
	b = append(b, '|')
	b = g.comment(b, sCCmnt, custText)
	return append(b, '\n')
}

// retailPrice is dbgen's rpb_routine, in cents.
func retailPrice(p int64) int64 {
	return 90000 + (p/10)%20001 + (p%1000)*100
}

// partSupp is the key of the s-th supplier (0..3) of part p.
func (sc scaling) partSupp(p, s int64) int64 {
	n := sc.suppRows()
	return (p+s*(n/4+(p-1)/n))%n + 1
}

// part appends part i to bp (if non-nil) and its 4 partsupp rows to bs (if
// non-nil).
func (g *generator) part(bp, bs []byte, i int64) ([]byte, []byte) {
	if bp != nil {
		// name: 5 colors of a fresh permutation of all 92
		var perm [92]uint8
		for k := range perm {
			perm[k] = uint8(k)
		}
		s := &g.st[sPName]
		n := int64(len(perm))
		for k := int64(0); k < n; k++ {
			j := s.unif(k, n-1)
			perm[j], perm[k] = perm[k], perm[j]
		}
		bp = appendInt(bp, i)
		bp = append(bp, '|')
		for k := 0; k < 5; k++ {
			if k > 0 {
				bp = append(bp, ' ')
			}
			bp = append(bp, dColors.bytes[perm[k]]...)
		}
		mfgr := g.st[sPMfg].unif(1, 5)
		brand := g.st[sPBrnd].unif(1, 5)
		bp = append(bp, "|Manufacturer#"...)
		bp = appendInt(bp, mfgr)
		bp = append(bp, "|Brand#"...)
		bp = appendPadded(bp, mfgr*10+brand, 2)
		bp = append(bp, '|')
		bp = append(bp, dTypes.bytes[dTypes.pick(&g.st[sPType])]...)
		bp = append(bp, '|')
		bp = appendInt(bp, g.st[sPSize].unif(1, 50))
		bp = append(bp, '|')
		bp = append(bp, dContainers.bytes[dContainers.pick(&g.st[sPCntr])]...)
		bp = append(bp, '|')
		bp = appendMoney(bp, retailPrice(i))
		bp = append(bp, '|')
		bp = g.comment(bp, sPCmnt, partText)
		bp = append(bp, '\n')
	}
	if bs != nil {
		g.touchComments(sPSCmnt, 4, psText[1])
		for k := int64(0); k < 4; k++ {
			bs = appendInt(bs, i)
			bs = append(bs, '|')
			bs = appendInt(bs, g.sc.partSupp(i, k))
			bs = append(bs, '|')
			bs = appendInt(bs, g.st[sPSQty].unif(1, 9999))
			bs = append(bs, '|')
			bs = appendMoney(bs, g.st[sPSScst].unif(100, 100000))
			bs = append(bs, '|')
			bs = g.comment(bs, sPSCmnt, psText)
			bs = append(bs, '\n')
		}
	}
	return bp, bs
}

// sparseKey spreads order numbers over the key space: of every 32 keys, the
// first 8 belong to the initial population (seq 0) and the next 8 to the
// refresh sets (seq 1); the low 3 bits of i are kept.
func sparseKey(i, seq int64) int64 {
	return (((i>>3)<<2)+seq)<<3 + i&7
}

// order appends order i (with key sparseKey(i, seq)) to bo and its lineitems
// to bl (each if non-nil) and returns the number of lineitems.
func (g *generator) order(bo, bl []byte, i, seq int64) ([]byte, []byte, int) {
	st := &g.st
	if bl != nil {
		g.touchComments(sLCmnt, g.linesAhead(), lineitemText[1])
	}
	if bo != nil {
		g.touchComments(sOCmnt, 1, ordersText[1])
	}
	okey := sparseKey(i, seq)
	custMax := g.sc.custRows()
	cust := st[sOCkey].unif(1, custMax)
	delta := int64(1)
	for cust%3 == 0 { // CUST_MORTALITY: a third of the customers have no orders
		cust += delta
		cust = min(cust, custMax)
		delta = -delta
	}
	odate := st[sOOdate].unif(0, totDates-151-1) // leave room for ship + receipt dates
	lines := int(st[sOLcnt].unif(1, linesMax))

	var total int64
	shipped := 0
	for l := 1; l <= lines; l++ {
		qty := st[sLQty].unif(1, 50)
		disc := st[sLDcnt].unif(0, 10)
		tax := st[sLTax].unif(0, 8)
		part := st[sLPkey].unif(1, g.sc.partRows())
		supp := g.sc.partSupp(part, st[sLSkey].unif(0, 3))
		eprice := retailPrice(part) * qty
		total += eprice * (100 - disc) / 100 * (100 + tax) / 100
		sdate := odate + st[sLSdte].unif(1, 121)
		if sdate <= currentDate {
			shipped++
		}
		if bl == nil {
			continue
		}
		cdate := odate + st[sLCdte].unif(30, 90)
		rdate := sdate + st[sLRdte].unif(1, 30)
		bl = appendInt(bl, okey)
		bl = append(bl, '|')
		bl = appendInt(bl, part)
		bl = append(bl, '|')
		bl = appendInt(bl, supp)
		bl = append(bl, '|')
		bl = appendInt(bl, int64(l))
		bl = append(bl, '|')
		bl = appendInt(bl, qty)
		bl = append(bl, '|')
		bl = appendMoney(bl, eprice)
		bl = append(bl, '|')
		bl = appendMoney(bl, disc)
		bl = append(bl, '|')
		bl = appendMoney(bl, tax)
		bl = append(bl, '|')
		if rdate <= currentDate {
			bl = append(bl, dReturnFlags.bytes[dReturnFlags.pick(&st[sLRflg])]...)
		} else {
			bl = append(bl, 'N')
		}
		bl = append(bl, '|')
		if sdate <= currentDate {
			bl = append(bl, 'F')
		} else {
			bl = append(bl, 'O')
		}
		bl = append(bl, '|')
		bl = append(bl, dates[sdate][:]...)
		bl = append(bl, '|')
		bl = append(bl, dates[cdate][:]...)
		bl = append(bl, '|')
		bl = append(bl, dates[rdate][:]...)
		bl = append(bl, '|')
		bl = append(bl, dInstructions.bytes[dInstructions.pick(&st[sLShip])]...)
		bl = append(bl, '|')
		bl = append(bl, dShipModes.bytes[dShipModes.pick(&st[sLSmode])]...)
		bl = append(bl, '|')
		bl = g.comment(bl, sLCmnt, lineitemText)
		bl = append(bl, '\n')
	}
	if bo != nil {
		status := byte('O')
		if shipped == lines {
			status = 'F'
		} else if shipped > 0 {
			status = 'P'
		}
		bo = appendInt(bo, okey)
		bo = append(bo, '|')
		bo = appendInt(bo, cust)
		bo = append(bo, '|', status, '|')
		bo = appendMoney(bo, total)
		bo = append(bo, '|')
		bo = append(bo, dates[odate][:]...)
		bo = append(bo, '|')
		bo = append(bo, dPriorities.bytes[dPriorities.pick(&st[sOPrio])]...)
		bo = append(bo, "|Clerk#"...)
		bo = appendPadded(bo, st[sOClrk].unif(1, g.sc.clerks), 9)
		bo = append(bo, "|0|"...)
		bo = g.comment(bo, sOCmnt, ordersText)
		bo = append(bo, '\n')
	}
	return bo, bl, lines
}
