package participant

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow/flight"

	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Broadcast sources (protocol in executor/exchange/broadcast.go): rows the
// coordinator sends whole to every participant of a dispatch. Unlike a
// partition queue, which one pipeline consumes, a broadcast source is kept
// whole, in the session, and every reader (each pipeline's operator tree
// of a fragment, or of a Shuffle producer, reading it; a shared join build
// retried after a cancellation) reads all of its rows from the start once
// the coordinator's stream has ended. The rows are immutable and shared.

// xbcast holds one broadcast source's rows in one session.
type xbcast struct {
	mu      sync.Mutex
	batches []*vec.Batch
	done    chan struct{} // closed when every row has arrived
	failed  chan struct{} // closed with err set
	err     error
	ended   bool
}

func newXBcast() *xbcast {
	return &xbcast{done: make(chan struct{}), failed: make(chan struct{})}
}

func (b *xbcast) add(batch *vec.Batch) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.ended {
		b.batches = append(b.batches, batch)
	}
}

func (b *xbcast) end() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.ended {
		b.ended = true
		close(b.done)
	}
}

// fail makes readers fail with err (the first error is kept) and drops
// the rows.
func (b *xbcast) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
		b.batches = nil
		close(b.failed)
	}
}

// wait returns every row once the stream has ended.
func (b *xbcast) wait(ctx context.Context) ([]*vec.Batch, error) {
	select {
	case <-b.failed:
		return nil, b.err
	default:
	}
	select {
	case <-b.done:
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.err != nil {
			return nil, b.err
		}
		return b.batches, nil
	case <-b.failed:
		return nil, b.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// bcast returns broadcast source id of session s.
func (r *xregistry) bcast(s *xsession, id int) (*xbcast, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.aborted {
		return nil, errSessionEnded
	}
	s.last = time.Now()
	if s.bcasts == nil {
		s.bcasts = map[int]*xbcast{}
	}
	b := s.bcasts[id]
	if b == nil {
		b = newXBcast()
		s.bcasts[id] = b
	}
	return b, nil
}

// openBroadcast opens a reader of a broadcast source.
func (s *Server) openBroadcast(sess *xsession, x *plan.ExchangeSource) (executor.Operator, error) {
	if sess == nil {
		return nil, sqlerr.New(sqlerr.ProtocolViolation, "broadcast source outside an exchange session")
	}
	b, err := s.xreg().bcast(sess, x.ID)
	if err != nil {
		return nil, err
	}
	return &bcastOp{b: b}, nil
}

// bcastOp reads every row of a broadcast source.
type bcastOp struct {
	b       *xbcast
	batches []*vec.Batch
	ready   bool
	i       int
}

func (o *bcastOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !o.ready {
		bs, err := o.b.wait(ctx)
		if err != nil {
			return nil, err
		}
		o.batches, o.ready = bs, true
	}
	if o.i >= len(o.batches) {
		return nil, nil
	}
	o.i++
	return o.batches[o.i-1], nil
}

func (o *bcastOp) Close() { o.batches = nil }

// receiveBroadcast receives the coordinator's stream of a broadcast
// source's rows.
func (s *Server) receiveBroadcast(stream flight.FlightService_DoExchangeServer, rdr *flight.Reader, sess *xsession, h exchange.PartitionHeader) error {
	b, err := s.xreg().bcast(sess, h.Exchange)
	if err != nil {
		return exchange.ToStatus(err)
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	stop := context.AfterFunc(sess.ctx, cancel)
	defer stop()
	broken := func(err error) error {
		b.fail(sqlerr.Errorf(sqlerr.ConnectionFailure, "%s: broadcast stream %d broke: %v", exchange.AbortedPrefix, h.Exchange, err))
		return exchange.ToStatus(err)
	}
	for rdr.Next() {
		if ctx.Err() != nil {
			return broken(ctx.Err())
		}
		batch, err := vec.FromRecord(rdr.Record())
		if err != nil {
			return broken(err)
		}
		b.add(batch)
	}
	if err := rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return broken(err)
	}
	if ctx.Err() != nil {
		return broken(ctx.Err())
	}
	b.end()
	return stream.Send(&flight.FlightData{})
}
