package invalidation

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
)

func tab(oid catalog.OID) Message { return Message{Kind: catalog.KindTable, OID: oid} }
func drop(oid catalog.OID) Message {
	return Message{Kind: catalog.KindTable, OID: oid, Drop: true}
}

// op is one input or acknowledgement in a table-driven case.
type op struct {
	step    *Set
	shipped *Set // Seq and Messages of a shipment
	reset   bool
	advance int64 // Ready, then Advance at this seq (-1: at d.To)
}

func stepOp(seq int64, msgs ...Message) op { return op{step: &Set{Seq: seq, Messages: msgs}} }
func shipOp(seq int64, msgs ...Message) op { return op{shipped: &Set{Seq: seq, Messages: msgs}} }
func advOp(seq int64) op                   { return op{advance: seq} }

var resetOp = op{reset: true}

func (o op) apply(f *Follower) {
	switch {
	case o.step != nil:
		f.Step(*o.step)
	case o.shipped != nil:
		f.Shipped(o.shipped.Seq, o.shipped.Messages)
	case o.reset:
		f.Reset()
	default:
		d := f.Ready()
		seq := o.advance
		if seq < 0 {
			seq = d.To
		}
		f.Advance(d, seq)
	}
}

func TestFollowerDecisions(t *testing.T) {
	type want struct {
		From, To   int64
		ResetAll   bool
		Invalidate []Message
		CatchUp    *Range
		Sets       int
	}
	cases := []struct {
		name    string
		start   int64
		ops     []op
		want    want
		applied int64 // after advancing the final decision to want.To (or 100 for a reset)
	}{
		{name: "nothing", start: 5,
			want: want{From: 5, To: 5}, applied: 5},
		{name: "one set", start: 5, ops: []op{stepOp(7, tab(1), tab(2))},
			want: want{From: 5, To: 7, Invalidate: []Message{tab(1), tab(2)}, Sets: 1}, applied: 7},
		{name: "set at or below applied is dropped", start: 5, ops: []op{stepOp(5, tab(1)), stepOp(3, tab(2))},
			want: want{From: 5, To: 5}, applied: 5},
		{name: "heartbeat advances without work", start: 5, ops: []op{stepOp(9)},
			want: want{From: 5, To: 9}, applied: 9},
		{name: "sets merge and dedupe, last drop wins", start: 5,
			ops:  []op{stepOp(6, tab(1), tab(2)), stepOp(8, drop(1)), stepOp(8, tab(3)), stepOp(9)},
			want: want{From: 5, To: 9, Invalidate: []Message{drop(1), tab(2)}, Sets: 2}, applied: 9},
		{name: "shipped ahead catches up", start: 5, ops: []op{shipOp(9, tab(4))},
			want: want{From: 5, To: 9, Invalidate: []Message{tab(4)}, CatchUp: &Range{5, 9}}, applied: 9},
		{name: "shipped behind is dropped", start: 5, ops: []op{shipOp(5, tab(4)), shipOp(2)},
			want: want{From: 5, To: 5}, applied: 5},
		{name: "catch-up covers earlier and replayed queue sets", start: 5,
			ops:  []op{stepOp(6, tab(1)), shipOp(9, tab(4)), stepOp(8, tab(2)), stepOp(9, tab(5)), stepOp(11, tab(3))},
			want: want{From: 5, To: 11, Invalidate: []Message{tab(4), tab(3)}, CatchUp: &Range{5, 9}, Sets: 1}, applied: 11},
		{name: "two shipments catch up to the higher", start: 5,
			ops:  []op{shipOp(7, tab(1)), shipOp(12, tab(2)), shipOp(10, tab(3))},
			want: want{From: 5, To: 12, Invalidate: []Message{tab(1), tab(2)}, CatchUp: &Range{5, 12}}, applied: 12},
		{name: "reset covers everything", start: 5,
			ops:  []op{stepOp(6, tab(1)), shipOp(9, tab(2)), resetOp, stepOp(12, tab(3))},
			want: want{From: 5, To: 12, ResetAll: true}, applied: 100},
		{name: "advanced work is forgotten", start: 5,
			ops:  []op{stepOp(6, tab(1)), advOp(-1), stepOp(8, tab(2))},
			want: want{From: 6, To: 8, Invalidate: []Message{tab(2)}, Sets: 1}, applied: 8},
		{name: "advance beyond pending inputs drops them", start: 5,
			ops:  []op{stepOp(6, tab(1)), advOp(10), stepOp(8, tab(2)), stepOp(9, tab(2)), stepOp(12, tab(3))},
			want: want{From: 10, To: 12, Invalidate: []Message{tab(3)}, Sets: 1}, applied: 12},
		{name: "reset acknowledged, then follow from snapshot", start: 5,
			ops:  []op{resetOp, advOp(20), stepOp(20, tab(1)), stepOp(21, tab(2))},
			want: want{From: 20, To: 21, Invalidate: []Message{tab(2)}, Sets: 1}, applied: 21},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFollower(tc.start)
			for _, o := range tc.ops {
				o.apply(f)
			}
			d := f.Ready()
			got := want{From: d.From, To: d.To, ResetAll: d.ResetAll, Invalidate: d.Invalidate, CatchUp: d.CatchUp, Sets: d.Sets}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Ready() =\n  %+v\nwant\n  %+v", got, tc.want)
			}
			if d2 := f.Ready(); !reflect.DeepEqual(d, d2) {
				t.Fatalf("Ready is not pure: %+v then %+v", d, d2)
			}
			if f.HasReady() != !d.Empty() {
				t.Fatalf("HasReady() = %v for %+v", f.HasReady(), d)
			}
			seq := d.To
			if d.ResetAll {
				seq = 100
			}
			f.Advance(d, seq)
			if f.Applied() != tc.applied {
				t.Fatalf("Applied() = %d, want %d", f.Applied(), tc.applied)
			}
			if f.HasReady() {
				t.Fatalf("still ready after Advance: %+v", f.Ready())
			}
		})
	}
}

func TestFollowerInputsBetweenReadyAndAdvanceStayPending(t *testing.T) {
	f := NewFollower(0)
	f.Step(Set{Seq: 2, Messages: []Message{tab(1)}})
	d := f.Ready()
	f.Step(Set{Seq: 3, Messages: []Message{tab(2)}})
	f.Shipped(5, []Message{tab(3)})
	f.Advance(d, d.To)
	d = f.Ready()
	want := Decision{From: 2, To: 5, Invalidate: []Message{tab(3)}, CatchUp: &Range{2, 5}}
	if d.From != want.From || d.To != want.To || !reflect.DeepEqual(d.Invalidate, want.Invalidate) || !reflect.DeepEqual(d.CatchUp, want.CatchUp) {
		t.Fatalf("got %+v, want %+v", d, want)
	}
}

func TestFollowerFailedWorkIsRetriedMerged(t *testing.T) {
	f := NewFollower(0)
	f.Step(Set{Seq: 2, Messages: []Message{tab(1)}})
	_ = f.Ready() // the work fails: no Advance
	f.Step(Set{Seq: 4, Messages: []Message{tab(2)}})
	d := f.Ready()
	if d.To != 4 || !reflect.DeepEqual(d.Invalidate, []Message{tab(1), tab(2)}) || d.Sets != 2 {
		t.Fatalf("got %+v", d)
	}
	f.Advance(d, 4)
	if f.HasReady() || f.Applied() != 4 {
		t.Fatalf("applied %d, ready %v", f.Applied(), f.HasReady())
	}
}

func TestFollowerStaleAdvance(t *testing.T) {
	f := NewFollower(0)
	f.Step(Set{Seq: 2, Messages: []Message{tab(1)}})
	old := f.Ready()
	f.Reset()
	d := f.Ready()
	f.Advance(d, 50)
	f.Advance(old, 2) // an older decision finishing late must not move applied back
	if f.Applied() != 50 || f.HasReady() {
		t.Fatalf("applied %d, ready %v", f.Applied(), f.HasReady())
	}
	old.ResetAll = true // even a stale reset
	f.Advance(old, 10)
	if f.Applied() != 50 {
		t.Fatalf("stale reset moved applied to %d", f.Applied())
	}
}

func TestFollowerAdvanceBelowToPanics(t *testing.T) {
	f := NewFollower(0)
	f.Step(Set{Seq: 2, Messages: []Message{tab(1)}})
	d := f.Ready()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	f.Advance(d, 1)
}

func TestFollowerResetOlderThanInputsCatchesUp(t *testing.T) {
	f := NewFollower(0)
	f.Step(Set{Seq: 9, Messages: []Message{tab(1)}})
	f.Reset()
	d := f.Ready()
	f.Advance(d, 7) // a snapshot older than an input it should cover
	d = f.Ready()
	if d.CatchUp == nil || *d.CatchUp != (Range{7, 9}) || d.To != 9 {
		t.Fatalf("got %+v", d)
	}
}

// --- randomized model of metad and a node ---------------------------------

type objState struct {
	version int64 // seq of the last change; 0 = initial
	exists  bool
}

// world is metad: a fixed history of sets published over time, a head
// revision, and a compaction floor.
type world struct {
	sets      []Set
	hist      map[catalog.OID][]Message // per OID, its changes; Message.Kind unused, seq in seqs
	seqs      map[catalog.OID][]int64
	initial   int // OIDs 1..initial exist at seq 0
	universe  int
	published int   // sets[:published] are committed
	rev       int64 // etcd revision: >= last published seq, < next seq
	floor     int64 // ReadRange from < floor and Follow from < floor fail
}

func newWorld(rng *rand.Rand, nsets, initial int) *world {
	w := &world{initial: initial, universe: initial}
	live := map[catalog.OID]bool{}
	for i := 1; i <= initial; i++ {
		live[catalog.OID(i)] = true
	}
	seq := int64(0)
	for range nsets {
		seq += 1 + int64(rng.Intn(3)) // gaps: revisions without sets
		var msgs []Message
		seen := map[catalog.OID]bool{}
		for range 1 + rng.Intn(3) {
			var oid catalog.OID
			if rng.Intn(6) == 0 {
				w.universe++
				oid = catalog.OID(w.universe) // create
			} else {
				oid = catalog.OID(1 + rng.Intn(w.universe))
				if !live[oid] || seen[oid] {
					continue
				}
			}
			seen[oid] = true
			m := Message{Kind: catalog.KindTable, OID: oid}
			if rng.Intn(8) == 0 {
				m.Drop = true
				live[oid] = false
			} else {
				live[oid] = true
			}
			msgs = append(msgs, m)
		}
		if len(msgs) == 0 {
			msgs = append(msgs, Message{Kind: catalog.KindTable, OID: catalog.OID(w.universe + 1)})
			w.universe++
			live[catalog.OID(w.universe)] = true
		}
		w.sets = append(w.sets, Set{Seq: seq, Messages: msgs})
	}
	w.hist, w.seqs = map[catalog.OID][]Message{}, map[catalog.OID][]int64{}
	for _, s := range w.sets {
		for _, m := range s.Messages {
			w.hist[m.OID] = append(w.hist[m.OID], m)
			w.seqs[m.OID] = append(w.seqs[m.OID], s.Seq)
		}
	}
	return w
}

func (w *world) head() int64 {
	if w.published == 0 {
		return 0
	}
	return w.sets[w.published-1].Seq
}

// nextSeq is the seq of the next unpublished set (or beyond everything).
func (w *world) nextSeq() int64 {
	if w.published < len(w.sets) {
		return w.sets[w.published].Seq
	}
	return w.head() + 1000
}

func (w *world) truth(oid catalog.OID, at int64) objState {
	st := objState{exists: int(oid) <= w.initial}
	for i, seq := range w.seqs[oid] {
		if seq > at {
			break
		}
		st = objState{version: seq, exists: !w.hist[oid][i].Drop}
	}
	return st
}

// node is a node's cache as the model sees it: one state per OID, as read.
type node struct {
	w    *world
	seq  int64
	objs map[catalog.OID]objState
	// what happened, to check the run exercised every path
	resets, catchUps, compacted, late int
}

var tally struct{ resets, catchUps, compacted, late int }

func (n *node) snapshot() int64 {
	n.objs = map[catalog.OID]objState{}
	for oid := 1; oid <= n.w.universe; oid++ {
		n.objs[catalog.OID(oid)] = n.w.truth(catalog.OID(oid), n.w.rev)
	}
	n.seq = n.w.rev
	return n.seq
}

func (n *node) get(oids []catalog.OID) {
	for _, oid := range oids {
		n.objs[oid] = n.w.truth(oid, n.w.rev)
	}
}

func (n *node) readRange(from, to int64) ([]Set, bool) {
	n.catchUps++
	if from < n.w.floor {
		n.compacted++
		return nil, false
	}
	if to > n.w.rev {
		panic(fmt.Sprintf("range to %d beyond metad at %d", to, n.w.rev))
	}
	var out []Set
	for _, s := range n.w.sets[:n.w.published] {
		if s.Seq > from && s.Seq <= to {
			out = append(out, s)
		}
	}
	return out, true
}

// execute does d's work the way catalog/cache.Cache.Execute does, and
// returns the seq reached.
func (n *node) execute(d Decision) int64 {
	if d.ResetAll {
		n.resets++
		return n.snapshot()
	}
	if d.To <= n.seq {
		return n.seq
	}
	oids := d.OIDs()
	if d.CatchUp != nil || n.seq < d.From {
		to := d.To
		if d.CatchUp != nil && n.seq >= d.From {
			to = d.CatchUp.To
		}
		if to > n.seq {
			sets, ok := n.readRange(n.seq, to)
			if !ok {
				return n.snapshot()
			}
			for _, s := range sets {
				for _, m := range s.Messages {
					oids = append(oids, m.OID)
				}
			}
		}
	}
	if len(oids) > 0 {
		n.get(oids)
	}
	n.seq = d.To
	return n.seq
}

// check is invariant 1: nothing the node holds is older than the truth at
// the seq it claims.
func (n *node) check(t *testing.T, claimed int64, what string) {
	t.Helper()
	for oid := 1; oid <= n.w.universe; oid++ {
		tr := n.w.truth(catalog.OID(oid), claimed)
		got := n.objs[catalog.OID(oid)]
		if got.version < tr.version || (got.version == tr.version && got.exists != tr.exists) {
			t.Fatalf("%s: OID %d is %+v in the cache, truth at %d is %+v", what, oid, got, claimed, tr)
		}
	}
}

// stream is metad's Follow stream to the node.
type stream struct {
	w      *world
	active bool
	from   int64
	pos    int // next index into w.sets
	last   int64
}

func (s *stream) restart(from int64) {
	s.active, s.from, s.last = true, from, from
	s.pos = 0
	for s.pos < len(s.w.sets) && s.w.sets[s.pos].Seq <= from {
		s.pos++
	}
}

// deliver gives the follower the stream's next event, if any.
func (s *stream) deliver(f *Follower, rng *rand.Rand) bool {
	if !s.active {
		return false
	}
	if s.from < s.w.floor {
		f.Reset()
		s.active = false
		return true
	}
	if s.pos < s.w.published {
		set := s.w.sets[s.pos]
		f.Step(set)
		s.last = set.Seq
		s.pos++
		return true
	}
	// Heartbeat: everything up to some revision <= rev has been delivered.
	hb := s.last + rng.Int63n(s.w.rev-s.last+1)
	f.Step(Set{Seq: hb})
	s.last = hb
	return true
}

type pending struct {
	d    Decision
	seq  int64
	done bool
}

func runModel(t *testing.T, seed int64, inOrder bool) map[catalog.OID]objState {
	rng := rand.New(rand.NewSource(seed))
	w := newWorld(rng, 20+rng.Intn(60), 5+rng.Intn(10))
	n := &node{w: w}
	n.snapshot()
	f := NewFollower(n.seq)
	s := &stream{w: w}
	s.restart(f.Applied())
	var shipments []Set
	var late []pending // executed, not yet advanced

	advance := func(p pending) {
		f.Advance(p.d, p.seq)
		if f.Applied() > n.seq {
			t.Fatalf("seed %d: follower at %d, cache at %d", seed, f.Applied(), n.seq)
		}
		n.check(t, f.Applied(), fmt.Sprintf("seed %d after advance", seed))
	}
	work := func() {
		d := f.Ready()
		n.check(t, n.seq, fmt.Sprintf("seed %d before work", seed))
		seq := n.execute(d)
		n.check(t, n.seq, fmt.Sprintf("seed %d after work %+v", seed, d))
		if !inOrder && rng.Intn(3) == 0 {
			late = append(late, pending{d: d, seq: seq})
			n.late++
			return
		}
		advance(pending{d: d, seq: seq})
	}

	for range 300 {
		if inOrder {
			if w.published < len(w.sets) {
				w.published++
				w.rev = w.head()
			}
			s.deliver(f, rng)
			if f.HasReady() {
				work()
			}
			continue
		}
		switch k := rng.Intn(20); {
		case k < 4: // commit
			if w.published < len(w.sets) {
				w.published++
				w.rev = w.head()
			}
		case k < 5: // revisions without sets
			w.rev = min(w.rev+1, w.nextSeq()-1)
		case k < 10:
			s.deliver(f, rng)
		case k < 11: // reconnect, possibly from an earlier position (replays)
			from := f.Applied()
			switch rng.Intn(4) {
			case 0: // from anywhere, maybe compacted away
				from = rng.Int63n(from + 1)
			case 1, 2: // replay retained history
				if lo := w.floor; from > lo {
					from = lo + rng.Int63n(from-lo+1)
				}
			}
			s.restart(from)
		case k < 13: // a fragment from a coordinator at some revision
			seq := rng.Int63n(w.rev + 1)
			var msgs []Message
			for range rng.Intn(3) {
				i := rng.Intn(w.published + 1)
				if i < w.published && w.sets[i].Seq <= seq {
					msgs = append(msgs, w.sets[i].Messages...)
				}
			}
			f.Shipped(seq, msgs)
			shipments = append(shipments, Set{Seq: seq, Messages: msgs})
		case k < 14: // a duplicated, late shipment
			if len(shipments) > 0 {
				sh := shipments[rng.Intn(len(shipments))]
				f.Shipped(sh.Seq, sh.Messages)
			}
		case k < 15: // compaction
			if w.rev > w.floor && rng.Intn(3) == 0 {
				w.floor += rng.Int63n(w.rev - w.floor + 1)
			}
		case k < 18:
			if f.HasReady() {
				work()
			}
		case k < 19: // work that fails: nothing changes, no Advance
			_ = f.Ready()
		default:
			if len(late) > 0 {
				i := rng.Intn(len(late))
				p := late[i]
				late = append(late[:i], late[i+1:]...)
				advance(p)
			}
		}
	}

	// Drain: everything committed, every late acknowledgement made, the
	// stream caught up to the head, all work done.
	w.published = len(w.sets)
	w.rev = max(w.rev, w.head())
	for _, p := range late {
		advance(p)
	}
	for i := 0; f.Applied() < w.rev || f.HasReady(); i++ {
		if i > 10000 {
			t.Fatalf("seed %d: no progress: applied %d, rev %d", seed, f.Applied(), w.rev)
		}
		if !s.active && !f.HasReady() {
			s.restart(f.Applied())
		}
		if s.active && (s.pos < w.published || s.last < w.rev) {
			s.deliver(f, rng)
		}
		if f.HasReady() {
			d := f.Ready()
			advance(pending{d: d, seq: n.execute(d)})
		}
	}
	if f.Applied() != w.rev || n.seq != w.rev {
		t.Fatalf("seed %d: applied %d, cache at %d, want %d", seed, f.Applied(), n.seq, w.rev)
	}
	for oid := 1; oid <= w.universe; oid++ {
		if got, want := n.objs[catalog.OID(oid)], w.truth(catalog.OID(oid), w.rev); got != want {
			t.Fatalf("seed %d: final OID %d is %+v, truth %+v", seed, oid, got, want)
		}
	}
	if !inOrder {
		tally.resets += n.resets
		tally.catchUps += n.catchUps
		tally.compacted += n.compacted
		tally.late += n.late
	}
	return n.objs
}

// TestFollowerRandomized runs a node against a model of metad with
// shuffled, duplicated and replayed deliveries, shipments from coordinators
// at random revisions, compaction (resets and compacted catch-ups), failed
// work, and acknowledgements that arrive late; it checks invariant 1 after
// every step and that the final state equals in-order delivery's.
func TestFollowerRandomized(t *testing.T) {
	seeds := 400
	if testing.Short() {
		seeds = 50
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		got := runModel(t, seed, false)
		want := runModel(t, seed, true)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: final state differs from in-order delivery", seed)
		}
	}
	t.Logf("paths taken: %+v", tally)
	if tally.resets == 0 || tally.catchUps == 0 || tally.compacted == 0 || tally.late == 0 {
		t.Fatalf("the runs missed a path: %+v", tally)
	}
}
