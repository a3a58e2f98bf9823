package coordinator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
)

// Repartitioned (shuffled) fragments. A Remote with Shuffles runs as one
// exchange session (protocol in executor/exchange/shuffle.go): every
// Shuffle starts on every participant over its share of its input's split
// scan (broadcast scans whole), the fragment reading the exchange sources
// starts on every participant, and the coordinator gathers the fragment's
// outputs together with the producers' (row-less) streams, so an error
// anywhere ends the query. When the query ends, every participant is told
// to drop the session.

// shufflePipelinesVar sets how many partitions of each exchange one
// participant owns (and pipelines it runs over them).
const shufflePipelinesVar = "cirrus.shuffle_pipelines"

// defaultShufflePipelines is the partitions per participant by default.
const defaultShufflePipelines = 1

// abortGrace is how long the gather waits, after a fragment reports that
// it was aborted because of another failure, for the original error to
// arrive before it cancels the rest.
const abortGrace = 2 * time.Second

func newSessionID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func (s *session) shufflePipelines() int {
	if v, ok := s.vars[shufflePipelinesVar]; ok {
		if k, err := strconv.Atoi(v); err == nil && k > 0 {
			return min(k, 64)
		}
	}
	return defaultShufflePipelines
}

// openShuffled dispatches a Remote whose fragment reads exchange sources.
func (s *session) openShuffled(ctx context.Context, r *plan.Remote) (executor.Operator, error) {
	if plan.FindScan(r.Fragment) != nil {
		return nil, sqlerr.New(sqlerr.Internal, "remote fragment with both a split scan and shuffles")
	}
	roots := []plan.Node{r.Fragment}
	for _, sh := range r.Shuffles {
		roots = append(roots, sh.Input)
	}
	for _, root := range roots {
		for _, bs := range plan.Scans(root) {
			if bs.Broadcast {
				bm, err := s.manifestFor(ctx, bs.Table)
				if err != nil {
					return nil, err
				}
				bs.Files = bm.Files
				bs.FileOrdinals = fileOrdinals(bs, bm, bm.Files)
			}
		}
	}
	if err := unifyShuffleKeys(r); err != nil {
		return nil, err
	}
	n := len(s.c.parts)
	peers := make([]string, n)
	for i, p := range s.c.parts {
		peers[i] = p.Addr
	}
	sid := newSessionID()
	subs := s.shufflePipelines()
	info := func(p int) *exchange.ExchangeInfo {
		return &exchange.ExchangeInfo{Session: sid, Peers: peers, Index: p, Subs: subs}
	}
	seq := s.c.cat.ShipSeq()
	g := newGather(ctx, &s.act)
	op := &shuffledOp{gather: g, s: s, session: sid}
	fail := func(err error) (executor.Operator, error) {
		op.Close()
		return nil, err
	}
	for _, sh := range r.Shuffles {
		scan := plan.FindScan(sh.Input)
		var shares [][]storage.DataFile
		var m *storage.Manifest
		if scan != nil {
			var err error
			m, err = s.manifestFor(ctx, scan.Table)
			if err != nil {
				return fail(err)
			}
			shares = assignFiles(m.Files, n)
		}
		for p := range n {
			if scan != nil {
				scan.Files = shares[p]
				scan.FileOrdinals = fileOrdinals(scan, m, shares[p])
			}
			st, err := s.c.parts[p].RunExchange(g.ctx, sh, seq, info(p))
			if scan != nil {
				scan.Files, scan.FileOrdinals = nil, nil
			}
			if err != nil {
				return fail(err)
			}
			g.add(st)
		}
	}
	bc := newBroadcaster(r, sid)
	for p := range n {
		st, err := s.c.parts[p].RunExchange(g.ctx, r.Fragment, seq, info(p))
		if err != nil {
			return fail(err)
		}
		g.add(st)
		if bc != nil {
			bc.targets = append(bc.targets, p)
		}
	}
	bc.start(s, g)
	g.start()
	return op, nil
}

// unifyShuffleKeys gives the two Shuffles under each repartitioned join
// keys of one type per pair, as the join compares them, so equal keys
// hash alike on both sides.
func unifyShuffleKeys(r *plan.Remote) error {
	byID := map[int]*plan.Shuffle{}
	for _, sh := range r.Shuffles {
		byID[sh.ID] = sh
	}
	var walk func(n plan.Node) error
	walk = func(n plan.Node) error {
		if j, ok := n.(*plan.Join); ok {
			lx, lok := j.Left.(*plan.ExchangeSource)
			rx, rok := j.Right.(*plan.ExchangeSource)
			if lok && rok && byID[lx.ID] != nil && byID[rx.ID] != nil {
				lk, rk, err := executor.ShuffleKeys(j.LeftKeys, j.RightKeys)
				if err != nil {
					return err
				}
				byID[lx.ID].Keys, byID[rx.ID].Keys = lk, rk
			}
		}
		for _, c := range plan.Children(n) {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(r.Fragment); err != nil {
		return err
	}
	for _, sh := range r.Shuffles {
		if err := walk(sh.Input); err != nil {
			return err
		}
	}
	return nil
}

// shuffledOp gathers a repartitioned query's outputs; closing it ends the
// exchange session on every participant.
type shuffledOp struct {
	*gather
	s       *session
	session string
	closed  bool
}

func (o *shuffledOp) Close() {
	o.gather.Close()
	if o.closed {
		return
	}
	o.closed = true
	parts, sid := o.s.c.parts, o.session
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, p := range parts {
			_ = p.AbortSession(ctx, sid)
		}
	}()
}

// errorRank orders errors for reporting: an original error (3) before one
// a fragment reports because another part of the query failed (2), before
// a cancellation (1).
func errorRank(err error) int {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 1
	}
	e := sqlerr.As(err)
	switch {
	case e.Code == sqlerr.QueryCanceled:
		return 1
	case strings.HasPrefix(e.Message, exchange.AbortedPrefix):
		return 2
	}
	return 3
}

// fail records a stream's error, keeping the most telling one, and stops
// the other streams (after a grace period when the error is only a
// consequence of another failure, which should arrive meanwhile).
func (g *gather) fail(err error) {
	r := errorRank(err)
	g.errMu.Lock()
	if r > g.errRank {
		g.err, g.errRank = err, r
	}
	g.errMu.Unlock()
	if r == 2 {
		time.AfterFunc(abortGrace, g.cancel)
		return
	}
	g.cancel()
}
