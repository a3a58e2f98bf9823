package dbgen

// dbgen draws every random value from one of 48 independent Park–Miller
// "minimum standard" streams (x' = 16807·x mod 2³¹−1), each with a fixed
// initial seed. After every row of a table, each stream the table owns is
// advanced to a fixed per-row boundary (the maximum number of draws a row can
// use), so row r of a table always starts at draw (r−1)·boundary of each of its
// streams. Since x_n = 16807ⁿ·x_0 mod m, that position is reachable in
// O(log n) multiplications, which is what makes chunks of a table independent.

const (
	rngMod  = 2147483647 // 2³¹−1
	rngMult = 16807
	dM      = 2147483647.0
	maxLong = 0x7FFFFFFF
)

// Stream indexes (the seed table of dbgen's rnd.h).
const (
	sPMfg      = 0
	sPBrnd     = 1
	sPType     = 2
	sPSize     = 3
	sPCntr     = 4
	sText      = 5 // text pool pre-generation; never re-seeded
	sPCmnt     = 6
	sPSQty     = 7
	sPSScst    = 8
	sPSCmnt    = 9
	sOSupp     = 10 // unused
	sOClrk     = 11
	sOCmnt     = 12
	sOOdate    = 13
	sLQty      = 14
	sLDcnt     = 15
	sLTax      = 16
	sLShip     = 17
	sLSmode    = 18
	sLPkey     = 19
	sLSkey     = 20
	sLSdte     = 21
	sLCdte     = 22
	sLRdte     = 23
	sLRflg     = 24
	sLCmnt     = 25
	sCAddr     = 26
	sCNtrg     = 27
	sCPhne     = 28
	sCAbal     = 29
	sCMseg     = 30
	sCCmnt     = 31
	sSAddr     = 32
	sSNtrg     = 33
	sSPhne     = 34
	sSAbal     = 35
	sSCmnt     = 36
	sPName     = 37
	sOPrio     = 38
	sHVar      = 39 // unused
	sOCkey     = 40
	sNCmnt     = 41
	sRCmnt     = 42
	sOLcnt     = 43
	sBBBJnk    = 44
	sBBBType   = 45
	sBBBCmnt   = 46
	sBBBOffset = 47
	numStreams = 48
)

// streamDef is a stream's initial seed and the number of draws one row of its
// table consumes (dbgen's "boundary").
type streamDef struct {
	seed     int64
	boundary int64
}

const linesMax = 7 // O_LCNT_MAX

var streamDefs = [numStreams]streamDef{
	sPMfg:      {1, 1},
	sPBrnd:     {46831694, 1},
	sPType:     {1841581359, 1},
	sPSize:     {1193163244, 1},
	sPCntr:     {727633698, 1},
	sText:      {933588178, 1},
	sPCmnt:     {804159733, 2},
	sPSQty:     {1671059989, 4},
	sPSScst:    {1051288424, 4},
	sPSCmnt:    {1961692154, 8},
	sOSupp:     {1227283347, 1},
	sOClrk:     {1171034773, 1},
	sOCmnt:     {276090261, 2},
	sOOdate:    {1066728069, 1},
	sLQty:      {209208115, linesMax},
	sLDcnt:     {554590007, linesMax},
	sLTax:      {721958466, linesMax},
	sLShip:     {1371272478, linesMax},
	sLSmode:    {675466456, linesMax},
	sLPkey:     {1808217256, linesMax},
	sLSkey:     {2095021727, linesMax},
	sLSdte:     {1769349045, linesMax},
	sLCdte:     {904914315, linesMax},
	sLRdte:     {373135028, linesMax},
	sLRflg:     {717419739, linesMax},
	sLCmnt:     {1095462486, linesMax * 2},
	sCAddr:     {881155353, 9},
	sCNtrg:     {1489529863, 1},
	sCPhne:     {1521138112, 3},
	sCAbal:     {298370230, 1},
	sCMseg:     {1140279430, 1},
	sCCmnt:     {1335826707, 2},
	sSAddr:     {706178559, 9},
	sSNtrg:     {110356601, 1},
	sSPhne:     {884434366, 3},
	sSAbal:     {962338209, 1},
	sSCmnt:     {1341315363, 2},
	sPName:     {709314158, 92},
	sOPrio:     {591449447, 1},
	sHVar:      {431918286, 1},
	sOCkey:     {851767375, 1},
	sNCmnt:     {606179079, 2},
	sRCmnt:     {1500869201, 2},
	sOLcnt:     {1434868289, 1},
	sBBBJnk:    {263032577, 1},
	sBBBType:   {753643799, 1},
	sBBBCmnt:   {202794285, 1},
	sBBBOffset: {715851524, 1},
}

func mulMod(a, b int64) int64 { return a * b % rngMod }

// powMod returns 16807ⁿ mod m.
func powMod(n int64) int64 {
	r, b := int64(1), int64(rngMult)
	for n > 0 {
		if n&1 != 0 {
			r = mulMod(r, b)
		}
		b = mulMod(b, b)
		n >>= 1
	}
	return r
}

// nextRand advances a stream value by one draw.
func nextRand(x int64) int64 {
	p := uint64(x) * rngMult // < 2⁴⁶
	p = (p & rngMod) + (p >> 31)
	if p >= rngMod {
		p -= rngMod
	}
	return int64(p)
}

// stream is one random stream positioned inside a table: cur is the value of
// the last draw, row the value at the start of the current row, and step the
// multiplier that moves row to the next row's start.
type stream struct {
	cur  int64
	row  int64
	step int64
}

// seek positions the stream at the start of row r (1-based) of a table whose
// rows use boundary draws each, counting from the stream's initial seed.
func (s *stream) seek(def streamDef, r int64) {
	s.row = mulMod(def.seed, powMod((r-1)*def.boundary))
	s.cur = s.row
	s.step = powMod(def.boundary)
}

// nextRow moves to the start of the next row, whatever this row consumed.
func (s *stream) nextRow() {
	s.row = mulMod(s.row, s.step)
	s.cur = s.row
}

// unif returns an integer uniformly drawn in [lo, hi] exactly as dbgen's
// UnifInt does (through a double).
func (s *stream) unif(lo, hi int64) int64 {
	s.cur = nextRand(s.cur)
	return lo + int64(float64(s.cur)/dM*float64(hi-lo+1))
}

// unifMaxLong is UnifInt(0, MAX_LONG): dbgen computes that range in 32-bit
// arithmetic, which overflows to −2³¹, so the result is negative.
func (s *stream) unifMaxLong() int64 {
	s.cur = nextRand(s.cur)
	return int64(float64(s.cur) / dM * -2147483648.0)
}
