package coordinator

import (
	"context"
	"time"

	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// Broadcast init rows (protocol in executor/exchange/broadcast.go): a
// Remote whose fragment (or a Shuffle's input) reads broadcast exchange
// sources — InitRows results the executor computed before dispatching it
// — runs in an exchange session; once the fragments are started, the
// coordinator streams each source's rows to every participant that runs
// one, concurrently, as part of the gather (an error fails the query;
// closing the query cancels the streams and aborts the session).

// broadcaster sends one dispatch's broadcast sources.
type broadcaster struct {
	sid     string
	srcs    []*plan.ExchangeSource
	targets []int
}

// newBroadcaster returns the broadcaster of a Remote, nil when it reads no
// broadcast source. sid is the dispatch's exchange session ("": a new
// one).
func newBroadcaster(r *plan.Remote, sid string) *broadcaster {
	var srcs []*plan.ExchangeSource
	var walk func(n plan.Node)
	walk = func(n plan.Node) {
		if x, ok := n.(*plan.ExchangeSource); ok && x.Broadcast {
			srcs = append(srcs, x)
		}
		for _, c := range plan.Children(n) {
			walk(c)
		}
	}
	walk(r.Fragment)
	for _, sh := range r.Shuffles {
		walk(sh.Input)
	}
	if len(srcs) == 0 {
		return nil
	}
	if sid == "" {
		sid = newSessionID()
	}
	return &broadcaster{sid: sid, srcs: srcs}
}

// run starts a fragment with a split scan on participant p, in the
// broadcaster's session when there is one.
func (b *broadcaster) run(ctx context.Context, s *session, p int, fragment plan.Node, seq int64) (*exchange.Stream, error) {
	if b == nil {
		return s.c.parts[p].Run(ctx, fragment, seq)
	}
	b.targets = append(b.targets, p)
	return s.c.parts[p].RunWithSession(ctx, fragment, seq, b.sid)
}

// start streams every source to every target, as goroutines of the
// gather (before g.start).
func (b *broadcaster) start(s *session, g *gather) {
	if b == nil {
		return
	}
	for _, p := range b.targets {
		c := s.c.parts[p]
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			for _, x := range b.srcs {
				if err := sendBroadcast(g.ctx, c, b.sid, x); err != nil {
					g.fail(err)
					return
				}
			}
		}()
	}
}

// sendBroadcast streams one source's rows to one participant and waits
// for its acknowledgement.
func sendBroadcast(ctx context.Context, c *exchange.Client, sid string, x *plan.ExchangeSource) error {
	rows, ok := x.Rows.(*executor.BroadcastRows)
	if !ok {
		return sqlerr.New(sqlerr.Internal, "broadcast source without rows")
	}
	h := exchange.PartitionHeader{Session: sid, Exchange: x.ID, Producers: 1, Broadcast: true}
	w, err := c.OpenPartition(ctx, h, exchange.PartitionSchema(x.ColTypes))
	if err != nil {
		return err
	}
	for _, bt := range rows.Batches {
		if err := w.Send(bt); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}

// op returns the operator of a dispatch gathered by g: closing it aborts
// the broadcaster's session.
func (b *broadcaster) op(s *session, g *gather) executor.Operator {
	if b == nil {
		return g
	}
	return &shuffledOp{gather: g, s: s, session: b.sid}
}

// abort ends the broadcaster's session on every target (a dispatch that
// failed before it was gathered).
func (b *broadcaster) abort(s *session) {
	if b == nil || len(b.targets) == 0 {
		return
	}
	parts, sid := s.c.parts, b.sid
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, p := range parts {
			_ = p.AbortSession(ctx, sid)
		}
	}()
}
