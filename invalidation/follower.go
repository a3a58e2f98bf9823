package invalidation

import (
	"fmt"

	"github.com/cirrusdb/cirrus/catalog"
)

// Follower decides what a node must do to keep its catalog cache exact. It
// is a pure state machine in the style of etcd-io/raft's Ready: it does no
// I/O, takes no locks and never blocks. The caller feeds it inputs, asks
// Ready for the work that is due, does that work (reads from metad, swaps
// the cache), and acknowledges it with Advance. A Follower is not safe for
// concurrent use; a node that feeds it from several goroutines (the queue
// stream and incoming fragments) guards it with a mutex, and does the work
// outside that mutex.
//
// Inputs:
//
//   - Step(set): a set from the invalidation queue (metad's Follow stream).
//     A set without messages is a heartbeat: every set up to its Seq has been
//     delivered, so applying it advances the applied seq.
//   - Reset(): the queue reports that our position was compacted away.
//   - Shipped(seq, msgs): a coordinator shipped, with a fragment, its highest
//     applied seq and messages of sets up to seq. If seq is beyond what the
//     node has, the messages are applied now and the range up to seq is read
//     from metad (catch-up); otherwise they are already applied and dropped.
//
// Contract on inputs: sets given to Step come from one stream that delivers
// the queue in Seq order from some starting point (metad's Follow): when a
// set arrives, every set with a smaller Seq after the stream's start has
// arrived before it. Duplicates and replays (a stream restarted from an
// earlier position) are allowed and dropped. Shipped messages belong to
// committed sets with Seq <= the shipped seq. Sequence numbers are etcd
// revisions: increasing, with gaps.
//
// Invariants (the tests check them against a model of metad):
//
//  1. Applied() is the acknowledged seq: once the caller has done every
//     decision it advanced, each set with Seq <= Applied() has been applied
//     (the objects it names re-read at a revision >= its Seq, or a snapshot
//     at a seq >= it installed). Applied never decreases, except to the
//     snapshot's seq when a ResetAll decision is acknowledged, which metad's
//     linearizable reads make no smaller than before.
//  2. Nothing is lost: an input with seq > applied is either kept until a
//     decision that covers it is acknowledged, or dropped on arrival because
//     its seq is covered by kept inputs (a queue set or heartbeat covers every
//     earlier set of its stream; a shipment's catch-up covers its whole
//     range) or by Applied().
//  3. Ready is pure: without new inputs or an Advance it returns the same
//     decision again. A decision whose work failed is simply not advanced;
//     the next Ready covers its inputs again, merged with newer ones.
//  4. One decision costs at most one range read (CatchUp) and one re-read
//     of the objects in Invalidate (deduplicated by OID), however many
//     inputs it merges.
//  5. A decision covers every input kept when Ready was called, and only
//     those: inputs that arrive between Ready and Advance stay pending.
type Follower struct {
	applied int64
	// high is the highest seq covered by applied or by a kept input: inputs
	// at or below it are dropped on arrival.
	high   int64
	log    []entry
	nextID uint64
}

type entryKind uint8

const (
	entrySet entryKind = iota
	entryShipped
	entryReset
)

type entry struct {
	id   uint64
	kind entryKind
	seq  int64
	msgs []Message
}

// Range is the sets with From < Seq <= To.
type Range struct {
	From, To int64
}

// Decision is the work due: at most one of ResetAll and (Invalidate,
// CatchUp) is set. A decision with only To > From (heartbeats) still needs
// to be acknowledged so that Applied advances.
type Decision struct {
	// From is Applied() when the decision was made: the seq the caller's
	// cache is assumed to be at.
	From int64
	// To is the seq the cache reaches once the work is done. For ResetAll it
	// is a lower bound: the snapshot's own seq is what the caller reaches.
	To int64
	// ResetAll says: reload the whole catalog (a fresh snapshot) and evict
	// everything. Invalidate and CatchUp are then empty; the snapshot covers
	// every input the decision covers.
	ResetAll bool
	// Invalidate is the objects to evict and re-read, one message per OID,
	// in first-seen order; when several inputs name an OID, the last
	// message's Drop wins.
	Invalidate []Message
	// CatchUp, when set, is the range of sets to read from the queue
	// (From = Decision.From) whose messages must be applied too, with the
	// ones in Invalidate, before the cache may claim To.
	CatchUp *Range
	// Sets is how many queue sets with messages were merged into
	// Invalidate (sets inside CatchUp are not counted: the caller reads them).
	Sets int

	upto uint64 // covers log entries with id < upto
}

// Empty reports whether the decision asks for nothing at all.
func (d Decision) Empty() bool {
	return !d.ResetAll && d.To <= d.From && len(d.Invalidate) == 0 && d.CatchUp == nil
}

// OIDs returns the OIDs named by Invalidate.
func (d Decision) OIDs() []catalog.OID {
	out := make([]catalog.OID, len(d.Invalidate))
	for i, m := range d.Invalidate {
		out[i] = m.OID
	}
	return out
}

// NewFollower returns a follower whose cache is at applied (the seq of the
// snapshot or relcache file the node loaded, or 0 before any).
func NewFollower(applied int64) *Follower {
	return &Follower{applied: applied, high: applied}
}

// Applied returns the acknowledged seq.
func (f *Follower) Applied() int64 { return f.applied }

// Step takes a set (or heartbeat) from the queue stream. Sets at or below
// the covered seq are dropped.
func (f *Follower) Step(s Set) {
	if s.Seq <= f.high {
		return
	}
	f.push(entry{kind: entrySet, seq: s.Seq, msgs: s.Messages})
	f.high = s.Seq
}

// Shipped takes a coordinator's seq and messages that came with a fragment.
// When seq is beyond the covered seq, the next decision invalidates msgs and
// catches up through seq; otherwise both are already covered and dropped.
func (f *Follower) Shipped(seq int64, msgs []Message) {
	if seq <= f.high {
		return
	}
	f.push(entry{kind: entryShipped, seq: seq, msgs: msgs})
	f.high = seq
}

// Reset takes the queue's report that our position was compacted away: the
// next decision is ResetAll. The stream ends with a reset; once the reset is
// acknowledged, the caller follows again from Applied().
func (f *Follower) Reset() {
	f.push(entry{kind: entryReset})
}

func (f *Follower) push(e entry) {
	e.id = f.nextID
	f.nextID++
	f.log = append(f.log, e)
}

// HasReady reports whether Ready has work (including a heartbeat advance).
func (f *Follower) HasReady() bool { return len(f.log) > 0 }

// Ready returns the work due for every input kept so far, merged into one
// decision. It does not change the follower.
func (f *Follower) Ready() Decision {
	d := Decision{From: f.applied, To: f.applied}
	if len(f.log) == 0 {
		d.upto = f.nextID
		return d
	}
	d.upto = f.log[len(f.log)-1].id + 1
	// A reset anywhere covers everything: the snapshot is read after every
	// kept input arrived, so it is at least as new as all of them.
	for _, e := range f.log {
		d.To = max(d.To, e.seq)
		if e.kind == entryReset {
			d.ResetAll = true
		}
	}
	if d.ResetAll {
		return d
	}
	// The highest shipped seq is caught up by a range read, which covers
	// every queue set at or below it.
	var catchTo int64
	for _, e := range f.log {
		if e.kind == entryShipped && e.seq > f.applied {
			catchTo = max(catchTo, e.seq)
		}
	}
	if catchTo > 0 {
		d.CatchUp = &Range{From: f.applied, To: catchTo}
	}
	idx := map[catalog.OID]int{}
	add := func(msgs []Message) {
		for _, m := range msgs {
			if i, ok := idx[m.OID]; ok {
				d.Invalidate[i] = m
				continue
			}
			idx[m.OID] = len(d.Invalidate)
			d.Invalidate = append(d.Invalidate, m)
		}
	}
	for _, e := range f.log {
		if e.seq <= f.applied {
			continue
		}
		switch e.kind {
		case entrySet:
			if e.seq > catchTo && len(e.msgs) > 0 {
				add(e.msgs)
				d.Sets++
			}
		case entryShipped:
			add(e.msgs)
		}
	}
	return d
}

// Advance acknowledges that the work of d is done and the cache is at seq:
// for a ResetAll decision the snapshot's seq, otherwise at least d.To. The
// inputs d covered are forgotten; inputs that arrived after d was made stay
// pending. Advancing a decision older than one already advanced only raises
// Applied. Advance panics if a non-reset decision is acknowledged below its
// To, which would silently lose invalidations.
func (f *Follower) Advance(d Decision, seq int64) {
	stale := len(f.log) == 0 || d.upto <= f.log[0].id
	switch {
	case d.ResetAll && !stale:
		f.applied = seq
	default:
		if !d.ResetAll && seq < d.To {
			panic(fmt.Sprintf("invalidation: decision to %d acknowledged at %d", d.To, seq))
		}
		f.applied = max(f.applied, seq)
	}
	keep := f.log[:0]
	for _, e := range f.log {
		switch {
		case e.id < d.upto:
		case e.kind != entryReset && e.seq <= f.applied:
		default:
			keep = append(keep, e)
		}
	}
	clear(f.log[len(keep):])
	f.log = keep
	f.high = f.applied
	for _, e := range f.log {
		f.high = max(f.high, e.seq)
	}
	if d.ResetAll && !stale && seq < d.To {
		// The snapshot is older than an input it was meant to cover (not
		// possible with metad's linearizable reads): catch up through
		// everything that was known.
		f.push(entry{kind: entryShipped, seq: max(d.To, f.high)})
		f.high = max(d.To, f.high)
	}
}
