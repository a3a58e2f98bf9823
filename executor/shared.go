package executor

import (
	"context"
	"sync"

	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Shared lets several copies of one plan, run at the same time by the
// workers of one fragment execution (each building its own operator tree
// from its own copy), share work that every copy would otherwise repeat:
// today the hash tables of joins. A join's build side is read and indexed
// once, by whichever worker gets there first, and probed by all workers
// (read-only after the build). Joins are named by their position in the
// plan tree, which is the same in every copy.
//
// RIGHT and FULL joins track which build rows matched, so each worker keeps
// its own build for them (and such a join would repeat its unmatched rows
// per worker anyway: the planner never splits its probe side).
type Shared struct {
	mu    sync.Mutex
	slots map[int]*sharedSlot
}

// NewShared returns an empty registry for one fragment execution.
func NewShared() *Shared { return &Shared{slots: map[int]*sharedSlot{}} }

type sharedSlot struct {
	mu      sync.Mutex
	running bool
	done    chan struct{} // closed when val or err is final
	val     any
	err     error
}

func (s *Shared) slot(id int) *sharedSlot {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.slots[id]
	if sl == nil {
		sl = &sharedSlot{done: make(chan struct{})}
		s.slots[id] = sl
	}
	return sl
}

// do returns the slot's value, computing it with fn if no other worker is
// (or was, successfully); workers arriving while it is computed wait. fn's
// cancellation lets the next worker try again; other errors are final.
func (sl *sharedSlot) do(ctx context.Context, fn func() (any, error)) (val any, mine bool, err error) {
	for {
		sl.mu.Lock()
		select {
		case <-sl.done:
			sl.mu.Unlock()
			return sl.val, false, sl.err
		default:
		}
		if !sl.running {
			sl.running = true
			sl.mu.Unlock()
			v, err := fn()
			sl.mu.Lock()
			sl.running = false
			if err != nil && ctx.Err() != nil {
				// Canceled: leave the slot for another worker.
				sl.mu.Unlock()
				return nil, true, err
			}
			sl.val, sl.err = v, err
			close(sl.done)
			sl.mu.Unlock()
			return v, true, err
		}
		wait := sl.done
		sl.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// joinIDs numbers the joins of a plan tree in preorder.
func joinIDs(n plan.Node) map[*plan.Join]int {
	ids := map[*plan.Join]int{}
	var walk func(n plan.Node)
	walk = func(n plan.Node) {
		if j, ok := n.(*plan.Join); ok {
			ids[j] = len(ids)
		}
		for _, c := range plan.Children(n) {
			walk(c)
		}
	}
	walk(n)
	return ids
}

// builtTable is a join's build side after build: read-only.
type builtTable struct {
	store     []*vec.Vector
	bkeys     []*vec.Vector
	nbuild    int
	next      []int32
	unique    bool
	direct    bool
	dmin      int64
	first     []int32
	single    bool
	islots    []i64Slot
	slots     []uint64
	mask      uint64
	rightNull bool
	nullRows  []int32
}

// sharedBuild builds the join's hash table, or adopts the one another
// worker built.
func (j *joinOp) sharedBuild(ctx context.Context) error {
	if j.shared == nil || j.rightOuter {
		return j.build(ctx)
	}
	v, mine, err := j.shared.do(ctx, func() (any, error) {
		if err := j.build(ctx); err != nil {
			return nil, err
		}
		return &builtTable{store: j.store, bkeys: j.bkeys, nbuild: j.nbuild, next: j.next,
			unique: j.unique, direct: j.direct, dmin: j.dmin, first: j.first, single: j.single,
			islots: j.islots, slots: j.slots, mask: j.mask, rightNull: j.rightNull, nullRows: j.nullRows}, nil
	})
	if err != nil {
		return err
	}
	if mine {
		return nil
	}
	// Another worker built it: this copy's build input is not needed.
	if !j.closedR {
		j.closedR = true
		j.right.Close()
	}
	t := v.(*builtTable)
	j.store, j.bkeys, j.nbuild, j.next = t.store, t.bkeys, t.nbuild, t.next
	j.unique, j.direct, j.dmin, j.first, j.single = t.unique, t.direct, t.dmin, t.first, t.single
	j.islots, j.slots, j.mask, j.rightNull, j.nullRows = t.islots, t.slots, t.mask, t.rightNull, t.nullRows
	return nil
}
