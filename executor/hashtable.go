package executor

import (
	"hash/maphash"
	"math"
	"unsafe"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// Hash tables here are pointer-free open addressing with linear probing
// over flat arrays, so the garbage collector never scans them:
//
//   - keys of one int64-backed column use i64Slot{key, id}: a probe reads
//     one 16-byte slot and compares the key in place;
//   - other keys use uint64 slots holding a 32-bit hash tag and an id;
//     the keys themselves live column-wise in vectors (strings in one
//     arena), compared only when the tag matches.
//
// Hashes are computed a column at a time over a whole batch.

var hashSeed = maphash.MakeSeed()

const (
	nullHash = 0x9ae16a3b2f90404f
	nanHash  = 0x7ff8000000000001
	tagMask  = 0xffffffff_00000000
)

// fmix64 is MurmurHash3's finalizer.
func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func floatKey(f float64) uint64 {
	switch {
	case f == 0:
		return 0 // -0 = 0
	case f != f:
		return nanHash
	}
	return math.Float64bits(f)
}

// keyCol describes one key column: its physical layout and how string
// bytes are made canonical before hashing and comparing: char(n) ignores
// trailing spaces, dynamic-scale numerics trailing fraction zeros,
// intervals all but their span (1 day equals 24 hours, as in PostgreSQL).
type keyCol struct {
	p    phys
	trim bool
	dec  bool
	iv   bool
}

// recoded reports whether values are made canonical by other than
// trimming (dynamic numerics, intervals).
func (kc keyCol) recoded() bool { return kc.dec || kc.iv }

func keyColsOf(ts []catalog.Type) []keyCol {
	kc := make([]keyCol, len(ts))
	for i, t := range ts {
		kc[i] = keyCol{p: physOf(t), trim: t.Kind == catalog.Bpchar, dec: isDynamic(t), iv: t.Kind == catalog.Interval}
	}
	return kc
}

// canon returns the bytes equal keys share.
func (kc keyCol) canon(s []byte) []byte {
	switch {
	case kc.trim:
		return trimSpaces(s)
	case kc.dec:
		return canonDecimal(s)
	case kc.iv:
		return canonInterval(s)
	}
	return s
}

// hashKeys sets h[i] to the hash of key row from+i.
func hashKeys(h []uint64, keys []*vec.Vector, kc []keyCol, from int) {
	for k, v := range keys {
		hashCol(h, v, kc[k], from, k == 0)
	}
	for i := range h {
		h[i] = fmix64(h[i])
	}
}

func hashCol(h []uint64, v *vec.Vector, kc keyCol, from int, first bool) {
	n := len(h)
	mix := func(i int, k uint64) {
		if first {
			h[i] = k
		} else {
			h[i] = (h[i]<<27 | h[i]>>37) ^ k*0x9e3779b97f4a7c15
		}
	}
	switch kc.p {
	case pI64:
		x := v.I64[from : from+n]
		if first {
			for i := range h {
				h[i] = uint64(x[i])
			}
		} else {
			for i := range h {
				h[i] = (h[i]<<27 | h[i]>>37) ^ uint64(x[i])*0x9e3779b97f4a7c15
			}
		}
	case pF64:
		x := v.F64[from : from+n]
		for i := range h {
			mix(i, floatKey(x[i]))
		}
	case pBool:
		x := v.Bool[from : from+n]
		for i := range h {
			var k uint64
			if x[i] {
				k = 1
			}
			mix(i, k)
		}
	case pStr:
		off, data := v.Offsets, v.Data
		for i := range h {
			mix(i, maphash.Bytes(hashSeed, kc.canon(data[off[from+i]:off[from+i+1]])))
		}
	}
	if v.Nulls != nil {
		nl := v.Nulls[from : from+n]
		for i := range h {
			if nl[i] {
				if first {
					h[i] = nullHash
				} else {
					h[i] = (h[i]<<27 | h[i]>>37) ^ nullHash
				}
			}
		}
	}
}

// keysEqual compares key row i of a with key row j of b; NULLs are equal
// to each other (grouping semantics).
func keysEqual(a []*vec.Vector, i int, b []*vec.Vector, j int, kc []keyCol) bool {
	for k, c := range kc {
		x, y := a[k], b[k]
		xn, yn := x.Nulls != nil && x.Nulls[i], y.Nulls != nil && y.Nulls[j]
		if xn || yn {
			if xn != yn {
				return false
			}
			continue
		}
		switch c.p {
		case pI64:
			if x.I64[i] != y.I64[j] {
				return false
			}
		case pF64:
			if floatKey(x.F64[i]) != floatKey(y.F64[j]) {
				return false
			}
		case pBool:
			if x.Bool[i] != y.Bool[j] {
				return false
			}
		case pStr:
			s, t := x.Data[x.Offsets[i]:x.Offsets[i+1]], y.Data[y.Offsets[j]:y.Offsets[j+1]]
			if string(c.canon(s)) != string(c.canon(t)) {
				return false
			}
		}
	}
	return true
}

// i64Slot is a slot of a single-int64-key table; id is the entry's id + 1
// (0: empty).
type i64Slot struct {
	key int64
	id  int32
}

// tableSize returns a power-of-two slot count keeping n entries at most
// 3/4 full.
func tableSize(n int) int {
	size := 16
	for size*3 < n*4 {
		size *= 2
	}
	return size
}

// groupTable maps key rows to dense group ids 0, 1, 2, … in order of first
// appearance, keeping each group's key values in keys. Three layouts:
//
//   - single: one int64-backed key column, probed in islots;
//   - coded: every key column's values are mapped to dense per-column codes
//     (small tables that stay in cache for low-cardinality columns such as
//     TPC-H's flags), the codes are packed into one int64 and probed in
//     islots; when a column outgrows its bits the table turns generic;
//   - generic: hashed key rows compared column by column.
type groupTable struct {
	kc      []keyCol
	keys    []*vec.Vector // one row per group
	ngroups int
	single  bool // one int64-backed key column: islots
	coders  []*colCoder
	packed  []int64
	islots  []i64Slot
	slots   []uint64
	ghash   []uint64 // hash per group (generic table), for growing
	mask    uint64
	nullGid int32 // group of the NULL key (single-column table), or -1
	hashes  []uint64
	idxs    []uint64
	sink    int32 // keeps the touching loads alive
	// Direct index (perfect hash) while every coded column's codes fit
	// dbits bits: the codes packed dbits apart index direct, which holds
	// group id + 1 (0: no group yet). At most directBits bits in all, so
	// the array stays in L1 (DuckDB's perfect-hash aggregate up to 2^12
	// groups). gcodes holds each group's packed code, to re-key the table
	// when a column outgrows its bits.
	dbits  uint
	direct []int32
	gcodes []int64
}

func newGroupTable(ts []catalog.Type) *groupTable {
	t := &groupTable{kc: keyColsOf(ts), nullGid: -1}
	t.keys = make([]*vec.Vector, len(ts))
	for i, ty := range ts {
		t.keys[i] = vec.NewVector(ty, 0)
	}
	t.single = len(ts) == 1 && t.kc[0].p == pI64
	if !t.single && len(ts) <= maxCodedKeys {
		bits := uint(64 / len(ts))
		for _, kc := range t.kc {
			t.coders = append(t.coders, newColCoder(kc, bits))
		}
	}
	size := tableSize(0)
	if t.single || t.coders != nil {
		t.islots = make([]i64Slot, size)
	} else {
		t.slots = make([]uint64, size)
	}
	t.mask = uint64(size - 1)
	if t.coders != nil {
		t.dbits = directBits / uint(len(ts))
		t.direct = make([]int32, 1<<(t.dbits*uint(len(ts))))
	}
	return t
}

// maxCodedKeys is the most key columns packed into one int64 (16 bits of
// code each).
const maxCodedKeys = 4

// directBits bounds the direct index: 2^12 groups.
const directBits = 12

// find sets gids[i] to the group of key row i (inserting new groups) and
// returns the number of groups.
func (t *groupTable) find(keys []*vec.Vector, n int, gids []int32) int {
	return t.findMasked(keys, n, gids, nil)
}

// findMasked is find over the rows where mask is true (every row when mask
// is nil); the others get group -1 and create no group.
func (t *groupTable) findMasked(keys []*vec.Vector, n int, gids []int32, mask []bool) int {
	if mask != nil {
		mask = mask[:n]
	}
	switch {
	case t.single:
		t.findInt(keys[0].I64[:n], keys[0].Nulls, keys, gids, mask)
	case t.coders != nil && t.encode(keys, n):
		if t.direct != nil {
			t.findDirect(t.packed, keys, gids, mask)
		} else {
			t.findInt(t.packed, nil, keys, gids, mask)
		}
	default:
		t.findGeneric(keys, n, gids, mask)
	}
	return t.ngroups
}

// encode packs the key columns' codes into t.packed; false (after turning
// the table generic) when a column has more distinct values than its bits
// hold. A column outgrowing the direct index's bits re-keys the table into
// islots first.
func (t *groupTable) encode(keys []*vec.Vector, n int) bool {
	t.packed = reserve(t.packed[:0], n)[:n]
	p := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(t.packed))), n)
	for {
		clear(p)
		direct := t.direct != nil
		for k, c := range t.coders {
			shift := uint(k) * c.bits
			if direct {
				shift = uint(k) * t.dbits
			}
			if !c.encode(keys[k], n, p, shift) {
				t.toGeneric()
				return false
			}
		}
		if !direct {
			return true
		}
		fits := true
		for _, c := range t.coders {
			fits = fits && c.n < 1<<t.dbits
		}
		if fits {
			return true
		}
		t.leaveDirect()
	}
}

// findDirect maps packed codes to groups through the direct index: one
// branch-free pass of lookups, then, if some row's key has no group yet,
// a pass inserting those in row order. Rows mask drops get group -1.
func (t *groupTable) findDirect(packed []int64, keys []*vec.Vector, gids []int32, mask []bool) {
	d := t.direct
	dmask := int64(len(d) - 1)
	gids = gids[:len(packed)]
	missing := 0
	for i, p := range packed {
		g := d[p&dmask]
		gids[i] = g - 1
		missing += b2i(g == 0)
	}
	if missing > 0 {
		for i, p := range packed {
			if gids[i] >= 0 || mask != nil && !mask[i] {
				continue
			}
			g := d[p&dmask]
			if g == 0 {
				t.ngroups++
				g = int32(t.ngroups)
				d[p&dmask] = g
				t.gcodes = append(reserve(t.gcodes, 1), p)
				for k, kv := range keys {
					appendVec(t.keys[k], kv, i, i+1)
				}
			}
			gids[i] = g - 1
		}
	}
	if mask != nil {
		mask = mask[:len(gids)]
		for i, g := range gids {
			k := int32(b2i(mask[i]))
			gids[i] = g*k - (1 - k)
		}
	}
}

// leaveDirect re-keys the groups from the direct index into islots, with
// each column's code in its full bits.
func (t *groupTable) leaveDirect() {
	for (t.ngroups+vec.BatchSize)*4 > len(t.islots)*3 {
		t.growInt()
	}
	m := int64(1)<<t.dbits - 1
	for g, p := range t.gcodes {
		var w int64
		for k, c := range t.coders {
			w |= (p >> (uint(k) * t.dbits) & m) << (uint(k) * c.bits)
		}
		idx := fmix64(uint64(w)) & t.mask
		for t.islots[idx].id != 0 {
			idx = (idx + 1) & t.mask
		}
		t.islots[idx] = i64Slot{key: w, id: int32(g + 1)}
	}
	t.direct, t.gcodes = nil, nil
}

// toGeneric rebuilds the table as a generic one over the stored groups.
func (t *groupTable) toGeneric() {
	t.coders, t.islots = nil, nil
	t.direct, t.gcodes = nil, nil
	t.slots = make([]uint64, tableSize(t.ngroups+vec.BatchSize))
	t.mask = uint64(len(t.slots) - 1)
	t.ghash = make([]uint64, t.ngroups)
	for from := 0; from < t.ngroups; from += vec.BatchSize {
		to := min(from+vec.BatchSize, t.ngroups)
		hashKeys(t.ghash[from:to], t.keys, t.kc, from)
	}
	for g, hv := range t.ghash {
		idx := hv & t.mask
		for t.slots[idx] != 0 {
			idx = (idx + 1) & t.mask
		}
		t.slots[idx] = hv&tagMask | uint64(g+1)
	}
}

// findInt maps int64 keys (a single key column's values, or packed codes)
// to groups through islots; a new group stores row i of keys.
func (t *groupTable) findInt(vals []int64, nulls []bool, keys []*vec.Vector, gids []int32, keep []bool) {
	n := len(vals)
	gids = gids[:n]
	store := t.keys[0]
	// Room for every row being new, so the table does not move mid-batch.
	for (t.ngroups+n)*4 > len(t.islots)*3 {
		t.growInt()
	}
	if t.single {
		store.I64 = reserve(store.I64, n)
	}
	idxs := t.scratchIdx(n)
	mask := t.mask
	slots := t.islots
	// Pass 1: slot indexes, loading each slot so the batch's cache misses
	// overlap instead of being paid one probe at a time.
	var sink int32
	for i, x := range vals {
		idx := fmix64(uint64(x)) & mask
		idxs[i] = idx
		sink += slots[idx].id
	}
	t.sink += sink
	// Pass 2: probe and insert. A row repeating the previous row's key
	// (sorted or clustered input) takes its group without probing.
	for i, x := range vals {
		if keep != nil && !keep[i] {
			gids[i] = -1
			continue
		}
		if i > 0 && x == vals[i-1] && (nulls == nil || !nulls[i] && !nulls[i-1]) && (keep == nil || keep[i-1]) {
			gids[i] = gids[i-1]
			continue
		}
		if nulls != nil && nulls[i] {
			if t.nullGid < 0 {
				t.nullGid = int32(t.ngroups)
				t.ngroups++
				store.AppendNull()
			}
			gids[i] = t.nullGid
			continue
		}
		idx := idxs[i]
		for {
			s := &slots[idx]
			if s.id == 0 {
				g := int32(t.ngroups)
				t.ngroups++
				s.key, s.id = x, g+1
				if t.single {
					store.AppendInt64(x)
				} else {
					for k, kv := range keys {
						appendVec(t.keys[k], kv, i, i+1)
					}
				}
				gids[i] = g
				break
			}
			if s.key == x {
				gids[i] = s.id - 1
				break
			}
			idx = (idx + 1) & mask
		}
	}
}

func (t *groupTable) scratchIdx(n int) []uint64 {
	if cap(t.idxs) < n {
		t.idxs = make([]uint64, n, max(n, vec.BatchSize))
	}
	return t.idxs[:n]
}

func (t *groupTable) growInt() {
	old := t.islots
	t.islots = make([]i64Slot, len(old)*2)
	t.mask = uint64(len(t.islots) - 1)
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		idx := fmix64(uint64(s.key)) & t.mask
		for t.islots[idx].id != 0 {
			idx = (idx + 1) & t.mask
		}
		t.islots[idx] = s
	}
}

func (t *groupTable) findGeneric(keys []*vec.Vector, n int, gids []int32, keep []bool) {
	if cap(t.hashes) < n {
		t.hashes = make([]uint64, n, max(n, vec.BatchSize))
	}
	for (t.ngroups+n)*4 > len(t.slots)*3 {
		t.growGeneric()
	}
	h := t.hashes[:n]
	hashKeys(h, keys, t.kc, 0)
	mask, slots := t.mask, t.slots
	var sink uint64
	for _, hv := range h {
		sink += slots[hv&mask]
	}
	t.sink += int32(sink)
	for i, hv := range h {
		if keep != nil && !keep[i] {
			gids[i] = -1
			continue
		}
		if i > 0 && hv == h[i-1] && (keep == nil || keep[i-1]) && keysEqual(keys, i-1, keys, i, t.kc) {
			gids[i] = gids[i-1]
			continue
		}
		tag := hv & tagMask
		idx := hv & mask
		for {
			s := slots[idx]
			if s == 0 {
				g := int32(t.ngroups)
				t.ngroups++
				for k, kv := range keys {
					appendVec(t.keys[k], kv, i, i+1)
				}
				t.ghash = append(reserve(t.ghash, 1), hv)
				slots[idx] = tag | uint64(g+1)
				gids[i] = g
				break
			}
			if s&tagMask == tag {
				g := int32(uint32(s)) - 1
				if keysEqual(t.keys, int(g), keys, i, t.kc) {
					gids[i] = g
					break
				}
			}
			idx = (idx + 1) & mask
		}
	}
}

func (t *groupTable) growGeneric() {
	t.slots = make([]uint64, len(t.slots)*2)
	t.mask = uint64(len(t.slots) - 1)
	for g, hv := range t.ghash {
		idx := hv & t.mask
		for t.slots[idx] != 0 {
			idx = (idx + 1) & t.mask
		}
		t.slots[idx] = hv&tagMask | uint64(g+1)
	}
}

// colCoder maps one key column's values to dense codes 1, 2, … (0 is
// NULL), for packing several key columns into one int64.
type colCoder struct {
	kc    keyCol
	bits  uint
	limit int // codes must stay below 1<<bits
	n     int // codes handed out
	// int64-backed, float (normalized bits) and bool values:
	islots []i64Slot
	// strings: tag | code slots, the values in an arena.
	sslots []uint64
	shash  []uint64 // per long string, for growing
	scode  []uint32 // per long string, its code
	soff   []int32  // long string i's bytes are arena[soff[i]:soff[i+1]]
	arena  []byte
	mask   uint64 // of islots
	smask  uint64 // of sslots
	// Caches in front of the tables, so small domains code without
	// hashing: strings of at most one byte (canonical) by that byte (256:
	// empty), other values within 1024 of the first one seen by offset.
	tiny  *[257]uint64
	small *[smallCodes]uint64
	base  int64
}

const smallCodes = 1024

func newColCoder(kc keyCol, bits uint) *colCoder {
	c := &colCoder{kc: kc, bits: bits, limit: 1<<min(bits, 62) - 1}
	size := tableSize(0)
	c.mask = uint64(size - 1)
	switch kc.p {
	case pStr:
		c.sslots = make([]uint64, size)
		c.soff = []int32{0}
		c.islots = make([]i64Slot, size) // short strings
	case pBool:
	default:
		c.islots = make([]i64Slot, size)
	}
	c.smask = c.mask
	return c
}

// strHash hashes a string key; short ones (flags, codes) without maphash.
func strHash(s []byte) uint64 {
	if len(s) > 8 {
		return fmix64(maphash.Bytes(hashSeed, s))
	}
	var x uint64
	for i, b := range s {
		x |= uint64(b) << (8 * i)
	}
	return fmix64(x ^ uint64(len(s))<<59 ^ 0x5bd1e995)
}

// encode ORs each row's code, shifted, into out; false when the codes no
// longer fit the column's bits.
func (c *colCoder) encode(v *vec.Vector, n int, out []uint64, shift uint) bool {
	nulls := v.Nulls
	switch c.kc.p {
	case pBool:
		for i, b := range v.Bool[:n] {
			code := uint64(1 + b2i(b))
			if nulls != nil && nulls[i] {
				code = 0
			}
			out[i] |= code << shift
		}
		return c.limit >= 2
	case pStr:
		var prev int64
		prevCode := uint64(0)
		if c.tiny == nil {
			c.tiny = new([257]uint64)
		}
		tiny := c.tiny
		off, data := v.Offsets[:n+1], v.Data
		if nulls == nil && !c.kc.recoded() && oneByteValues(off) {
			// Every value one byte (a flag column): the bytes are
			// contiguous, each coded by table lookup.
			d := data[off[0]:off[n]]
			o := out[:len(d)]
			for i := 0; i < len(d); {
				k := codeBytes(o[i:], d[i:], tiny, shift&63)
				if i += k; i < len(d) {
					o[i] |= c.strCodeRow(d[i:i+1]) << shift
					i++
				}
			}
			return c.n <= c.limit
		}
		if nulls == nil && !c.kc.recoded() {
			// One-byte values (flags) straight from the table; others, and
			// bytes not seen yet, take the general path (which fills the
			// table, char(n)'s ' ' included as the empty string).
			o := out[:n]
			for i := range o {
				lo := off[i]
				if off[i+1]-lo == 1 {
					if code := tiny[data[lo]]; code != 0 {
						o[i] |= code << shift
						continue
					}
				}
				o[i] |= c.strCodeRow(data[lo:off[i+1]]) << shift
			}
			return c.n <= c.limit
		}
		for i := range n {
			if nulls != nil && nulls[i] {
				continue
			}
			var s []byte
			if c.kc.recoded() {
				s = c.kc.canon(data[off[i]:off[i+1]])
			} else {
				lo, hi := off[i], off[i+1]
				for c.kc.trim && hi > lo && data[hi-1] == ' ' {
					hi--
				}
				s = data[lo:hi]
			}
			if len(s) <= 1 {
				// Flags: a table lookup by the byte.
				k, x := 256, int64(0)
				if len(s) == 1 {
					k, x = int(s[0]), int64(1)<<56|int64(s[0])
				}
				code := tiny[k]
				if code == 0 {
					code = c.intCode(x)
					tiny[k] = code
				}
				out[i] |= code << shift
				continue
			}
			if len(s) > 7 {
				out[i] |= c.strCode(s) << shift
				continue
			}
			// Up to 7 bytes and the length pack into an int64, one to one:
			// flags and codes need no arena comparison.
			x := int64(len(s)) << 56
			for j, b := range s {
				x |= int64(b) << (8 * j)
			}
			if prevCode != 0 && x == prev {
				out[i] |= prevCode << shift
				continue
			}
			code := c.intCode(x)
			prev, prevCode = x, code
			out[i] |= code << shift
		}
	default:
		var x int64
		prevCode := uint64(0)
		var prev int64
		for i := range n {
			if nulls != nil && nulls[i] {
				continue
			}
			if c.kc.p == pF64 {
				x = int64(floatKey(v.F64[i]))
			} else {
				x = v.I64[i]
			}
			if prevCode != 0 && x == prev {
				out[i] |= prevCode << shift
				continue
			}
			if c.small == nil {
				c.small = new([smallCodes]uint64)
				c.base = x - smallCodes/2
			}
			var code uint64
			if u := uint64(x) - uint64(c.base); u < smallCodes {
				if code = c.small[u]; code == 0 {
					code = c.intCode(x)
					c.small[u] = code
				}
			} else {
				code = c.intCode(x)
			}
			prev, prevCode = x, code
			out[i] |= code << shift
		}
	}
	return c.n <= c.limit
}

// codeBytes ORs the codes of one-byte values d into o until a byte without
// a code; it returns how many it coded.
func codeBytes(o []uint64, d []byte, tiny *[257]uint64, shift uint) int {
	o = o[:len(d)]
	for i, ch := range d {
		code := tiny[ch]
		if code == 0 {
			return i
		}
		o[i] |= code << shift
	}
	return len(d)
}

// oneByteValues reports whether every value of offsets is one byte long.
func oneByteValues(off []int32) bool {
	if len(off) < 2 || int(off[len(off)-1]-off[0]) != len(off)-1 {
		return false
	}
	var bad int32
	prev := off[0]
	for _, o := range off[1:] {
		bad |= o - prev - 1
		prev = o
	}
	return bad == 0
}

// strCodeRow returns the code of string value b (not NULL), filling the
// one-byte table.
func (c *colCoder) strCodeRow(b []byte) uint64 {
	s := c.kc.canon(b)
	if len(s) <= 1 {
		k, x := 256, int64(0)
		if len(s) == 1 {
			k, x = int(s[0]), int64(1)<<56|int64(s[0])
		}
		code := c.tiny[k]
		if code == 0 {
			code = c.intCode(x)
			c.tiny[k] = code
		}
		if len(b) == 1 {
			c.tiny[b[0]] = code // ' ' in char(n): the empty string's code
		}
		return code
	}
	if len(s) > 7 {
		return c.strCode(s)
	}
	x := int64(len(s)) << 56
	for j, ch := range s {
		x |= int64(ch) << (8 * j)
	}
	return c.intCode(x)
}

func (c *colCoder) intCode(x int64) uint64 {
	idx := fmix64(uint64(x)) & c.mask
	for {
		s := &c.islots[idx]
		if s.id == 0 {
			c.n++
			s.key, s.id = x, int32(c.n)
			if c.n*4 > len(c.islots)*3 {
				c.growInt()
			}
			return uint64(c.n)
		}
		if s.key == x {
			return uint64(s.id)
		}
		idx = (idx + 1) & c.mask
	}
}

func (c *colCoder) growInt() {
	old := c.islots
	c.islots = make([]i64Slot, 2*len(old))
	c.mask = uint64(len(c.islots) - 1)
	for _, s := range old {
		if s.id != 0 {
			idx := fmix64(uint64(s.key)) & c.mask
			for c.islots[idx].id != 0 {
				idx = (idx + 1) & c.mask
			}
			c.islots[idx] = s
		}
	}
}

func (c *colCoder) strCode(s []byte) uint64 {
	h := strHash(s)
	tag := h & tagMask
	idx := h & c.smask
	for {
		e := c.sslots[idx]
		if e == 0 {
			c.n++
			c.arena = append(c.arena, s...)
			c.soff = append(c.soff, int32(len(c.arena)))
			c.shash = append(c.shash, h)
			c.scode = append(c.scode, uint32(c.n))
			c.sslots[idx] = tag | uint64(len(c.shash))
			if len(c.shash)*4 > len(c.sslots)*3 {
				c.growStr()
			}
			return uint64(c.n)
		}
		if e&tagMask == tag {
			k := uint32(e) - 1
			if string(c.arena[c.soff[k]:c.soff[k+1]]) == string(s) {
				return uint64(c.scode[k])
			}
		}
		idx = (idx + 1) & c.smask
	}
}

func (c *colCoder) growStr() {
	c.sslots = make([]uint64, 2*len(c.sslots))
	c.smask = uint64(len(c.sslots) - 1)
	for i, h := range c.shash {
		idx := h & c.smask
		for c.sslots[idx] != 0 {
			idx = (idx + 1) & c.smask
		}
		c.sslots[idx] = h&tagMask | uint64(i+1)
	}
}
