package participant

import (
	"context"
	"sync"
	"time"

	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/vec"
)

// The receiving side of repartitioning: exchange sessions and their
// queues. A session is created by whichever of its parts reaches this
// participant first (a producer's partition stream, or a fragment reading
// an exchange source) and holds one bounded queue per (exchange, pipeline).
// A session ends when the coordinator aborts it (AbortSessionAction) —
// its fragments are cancelled, its queues dropped, and it stays as a
// tombstone refusing late streams — or when nothing has used it for
// sessionIdle.

// queueBatches bounds each queue (batches of up to vec.BatchSize rows).
const queueBatches = 16

// sessionIdle is how long an unused session lives.
var sessionIdle = 60 * time.Second

type xkey struct{ exchange, sub int }

type xregistry struct {
	mu       sync.Mutex
	sessions map[string]*xsession
	gcOn     bool
	idle     time.Duration
}

type xsession struct {
	id      string
	ctx     context.Context
	cancel  context.CancelFunc
	bufs    map[xkey]*xbuf
	bcasts  map[int]*xbcast // broadcast sources (broadcast.go)
	refs    int
	last    time.Time
	aborted bool
}

func newXRegistry(idle time.Duration) *xregistry {
	return &xregistry{sessions: map[string]*xsession{}, idle: idle}
}

var errSessionEnded = sqlerr.New(sqlerr.QueryCanceled, exchange.AbortedPrefix+": the query's exchange session has ended")

// acquire returns the session id (created when new) for a user that must
// call release when done; an aborted session is an error.
func (r *xregistry) acquire(id string) (*xsession, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sessions[id]
	if s == nil {
		ctx, cancel := context.WithCancel(context.Background())
		s = &xsession{id: id, ctx: ctx, cancel: cancel, bufs: map[xkey]*xbuf{}}
		r.sessions[id] = s
		if !r.gcOn {
			r.gcOn = true
			go r.gc()
		}
	}
	if s.aborted {
		return nil, errSessionEnded
	}
	s.refs++
	s.last = time.Now()
	return s, nil
}

func (r *xregistry) release(s *xsession) {
	r.mu.Lock()
	s.refs--
	s.last = time.Now()
	r.mu.Unlock()
}

// buf returns the queue of (exchange, sub) in session s, expecting
// producers producers.
func (r *xregistry) buf(s *xsession, exchange, sub, producers int) (*xbuf, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.aborted {
		return nil, errSessionEnded
	}
	s.last = time.Now()
	k := xkey{exchange, sub}
	b := s.bufs[k]
	if b == nil {
		b = newXBuf(producers)
		s.bufs[k] = b
	}
	return b, nil
}

// abort ends session id: its fragments' contexts are cancelled and its
// queues fail and drop their rows. The session stays, aborted, until it
// has been idle for the idle time, so late streams are refused.
func (r *xregistry) abort(id string) {
	r.mu.Lock()
	s := r.sessions[id]
	if s == nil {
		ctx, cancel := context.WithCancel(context.Background())
		s = &xsession{id: id, ctx: ctx, cancel: cancel}
		r.sessions[id] = s
		if !r.gcOn {
			r.gcOn = true
			go r.gc()
		}
	}
	s.last = time.Now()
	bufs := s.bufs
	s.bufs = nil
	bcasts := s.bcasts
	s.bcasts = nil
	already := s.aborted
	s.aborted = true
	r.mu.Unlock()
	if already {
		return
	}
	s.cancel()
	for _, b := range bufs {
		b.fail(errSessionEnded)
		b.close()
	}
	for _, b := range bcasts {
		b.fail(errSessionEnded)
	}
}

// gc runs while sessions exist, aborting and then forgetting sessions
// idle for r.idle.
func (r *xregistry) gc() {
	tick := max(r.idle/4, 10*time.Millisecond)
	for {
		time.Sleep(tick)
		var expired []string
		r.mu.Lock()
		now := time.Now()
		for id, s := range r.sessions {
			if s.refs > 0 || now.Sub(s.last) < r.idle {
				continue
			}
			if s.aborted {
				delete(r.sessions, id)
			} else {
				expired = append(expired, id)
			}
		}
		if len(r.sessions) == 0 {
			r.gcOn = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		for _, id := range expired {
			r.abort(id)
		}
	}
}

// count returns the number of sessions and of live (not aborted) ones.
func (r *xregistry) count() (all, live int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.sessions {
		all++
		if !s.aborted {
			live++
		}
	}
	return all, live
}

// xbuf is the queue of one (session, exchange, pipeline): batches from
// every producer, until each has ended its stream.
type xbuf struct {
	ch        chan *vec.Batch
	mu        sync.Mutex
	producers int
	ended     map[int]bool
	eos       chan struct{} // closed when every producer has ended
	failed    chan struct{} // closed with err set
	err       error
	closed    chan struct{} // the reader is gone: rows are dropped
	closeOnce sync.Once
}

func newXBuf(producers int) *xbuf {
	b := &xbuf{ch: make(chan *vec.Batch, queueBatches), producers: producers, ended: map[int]bool{},
		eos: make(chan struct{}), failed: make(chan struct{}), closed: make(chan struct{})}
	if producers <= 0 {
		close(b.eos)
	}
	return b
}

// push queues a batch, waiting while the queue is full. Rows for a closed
// queue are dropped; a failed queue returns its error.
func (b *xbuf) push(ctx context.Context, batch *vec.Batch) error {
	select {
	case <-b.failed:
		return b.err
	default:
	}
	select {
	case <-b.closed:
		return nil
	default:
	}
	select {
	case b.ch <- batch:
		return nil
	case <-b.closed:
		b.drain()
		select {
		case <-b.failed:
			return b.err
		default:
			return nil
		}
	case <-b.failed:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// end records that producer has sent all its rows.
func (b *xbuf) end(producer int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ended[producer] {
		return
	}
	b.ended[producer] = true
	if len(b.ended) == b.producers {
		close(b.eos)
	}
}

// fail makes the reader fail with err (the first error is kept).
func (b *xbuf) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
		close(b.failed)
	}
}

// pop returns the next batch, nil at the end.
func (b *xbuf) pop(ctx context.Context) (*vec.Batch, error) {
	select {
	case <-b.failed:
		return nil, b.err
	default:
	}
	select {
	case x := <-b.ch:
		return x, nil
	case <-b.eos:
		select {
		case x := <-b.ch:
			return x, nil
		default:
			return nil, nil
		}
	case <-b.failed:
		return nil, b.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close drops queued rows; later rows are dropped on arrival.
func (b *xbuf) close() {
	b.closeOnce.Do(func() { close(b.closed) })
	b.drain()
}

func (b *xbuf) drain() {
	for {
		select {
		case <-b.ch:
		default:
			return
		}
	}
}
