package participant

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/ipc"

	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Repartitioning: Shuffle producers, fragments reading exchange sources,
// and the partition streams between participants (protocol in
// executor/exchange/shuffle.go).

// exchangeState is the participant's shuffle state, made on first use.
type exchangeState struct {
	once  sync.Once
	reg   *xregistry
	mu    sync.Mutex
	peers map[string]*exchange.Client
}

func (s *Server) xreg() *xregistry {
	s.xs.once.Do(func() {
		s.xs.reg = newXRegistry(sessionIdle)
		s.xs.peers = map[string]*exchange.Client{}
	})
	return s.xs.reg
}

// peer returns a (cached) client of another participant.
func (s *Server) peer(addr string) (*exchange.Client, error) {
	s.xreg()
	s.xs.mu.Lock()
	defer s.xs.mu.Unlock()
	if c := s.xs.peers[addr]; c != nil {
		return c, nil
	}
	c, err := exchange.Dial(addr)
	if err != nil {
		return nil, sqlerr.Wrap(err, sqlerr.ConnectionFailure, "could not connect to participant "+addr)
	}
	s.xs.peers[addr] = c
	return c, nil
}

func (s *Server) closeExchange() {
	s.xs.mu.Lock()
	defer s.xs.mu.Unlock()
	for a, c := range s.xs.peers {
		c.Close()
		delete(s.xs.peers, a)
	}
}

// ExchangeSessions returns the number of exchange sessions this participant
// holds and how many of them are live (not ended); for tests.
func (s *Server) ExchangeSessions() (all, live int) { return s.xreg().count() }

// runExchange runs a fragment of a repartitioned query: a Shuffle producer
// or a fragment reading exchange sources.
func (s *Server) runExchange(ctx context.Context, req *exchange.FragmentRequest, stream flight.FlightService_DoGetServer) error {
	info := req.Exchange
	n := len(info.Peers)
	if n == 0 || info.Index < 0 || info.Index >= n || info.Subs <= 0 || info.Session == "" {
		return exchange.Errorf(sqlerr.ProtocolViolation, "bad exchange placement")
	}
	node, err := plan.Decode(req.Fragment)
	if err != nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "bad fragment: %v", err)
	}
	sess, err := s.xreg().acquire(info.Session)
	if err != nil {
		return exchange.ToStatus(err)
	}
	defer s.xreg().release(sess)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(sess.ctx, cancel)
	defer stop()

	if sh, ok := node.(*plan.Shuffle); ok {
		err = s.produce(ctx, req, sh, sess)
	} else {
		err = s.consume(ctx, req, node, sess, stream)
	}
	if err != nil {
		if stream.Context().Err() != nil || sess.ctx.Err() != nil {
			return exchange.ToStatus(context.Canceled)
		}
		return exchange.ToStatus(err)
	}
	return nil
}

// pipelines returns one plan copy per pipeline to run for a fragment: one
// per group of its split scan's files, or, reading exchange sources,
// info.Subs (pipeline i reads partition i of each exchange on this
// participant).
func (s *Server) pipelines(raw json.RawMessage, info *exchange.ExchangeInfo, input func(plan.Node) plan.Node) ([]plan.Node, error) {
	first, err := plan.Decode(raw)
	if err != nil {
		return nil, err
	}
	k := info.Subs
	if scan := plan.FindScan(input(first)); scan != nil {
		fg := splitFiles(scan.Files, s.cfg.Workers)
		k = len(fg)
		out := make([]plan.Node, k)
		for i, files := range fg {
			n, err := plan.Decode(raw)
			if err != nil {
				return nil, err
			}
			plan.FindScan(input(n)).Files = files
			plan.FindScan(input(n)).FileOrdinals = fileOrdinals(scan, files)
			out[i] = input(n)
		}
		return out, nil
	}
	out := make([]plan.Node, k)
	for i := range k {
		n, err := plan.Decode(raw)
		if err != nil {
			return nil, err
		}
		out[i] = input(n)
	}
	return out, nil
}

// hasExchange reports whether a plan reads an exchange source.
func hasExchange(n plan.Node) bool {
	if _, ok := n.(*plan.ExchangeSource); ok {
		return true
	}
	for _, c := range plan.Children(n) {
		if hasExchange(c) {
			return true
		}
	}
	return false
}

// env returns the executor environment of pipeline sub.
func (s *Server) env(sess *xsession, info *exchange.ExchangeInfo, sub int) *executor.Env {
	return &executor.Env{OpenScan: s.openScan, OpenExchange: func(ctx context.Context, x *plan.ExchangeSource) (executor.Operator, error) {
		if x.Broadcast {
			return s.openBroadcast(sess, x)
		}
		b, err := s.xreg().buf(sess, x.ID, sub, len(info.Peers))
		if err != nil {
			return nil, err
		}
		return &exchangeOp{buf: b}, nil
	}}
}

// runAll runs the pipelines and returns the most telling error: one that
// is neither a cancellation nor an abort caused by another failure.
func runAll(ctx context.Context, cancel context.CancelFunc, k int, run func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, k)
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(i); err != nil {
				errs[i] = err
				cancel()
			}
		}()
	}
	wg.Wait()
	return bestError(errs...)
}

// bestError picks the error to report among several: an original error
// before an abort caused by another failure, before a cancellation.
func bestError(errs ...error) error {
	var best error
	rank := 0
	for _, e := range errs {
		if e == nil {
			continue
		}
		if r := errorRank(e); r > rank {
			best, rank = e, r
		}
	}
	return best
}

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

// consume runs a fragment reading exchange sources and streams its output.
func (s *Server) consume(ctx context.Context, req *exchange.FragmentRequest, node plan.Node, sess *xsession, stream flight.FlightService_DoGetServer) error {
	info := req.Exchange
	if plan.FindScan(node) != nil && hasExchange(node) {
		return sqlerr.New(sqlerr.Internal, "fragment has both a split scan and exchange sources")
	}
	nodes, err := s.pipelines(req.Fragment, info, func(n plan.Node) plan.Node { return n })
	if err != nil {
		return sqlerr.Wrap(err, sqlerr.ProtocolViolation, "bad fragment")
	}
	schema := exchange.PartitionSchema(node.Types())
	w := flight.NewRecordWriter(stream, ipc.WithSchema(schema))
	defer w.Close()
	var mu sync.Mutex
	send := func(b *vec.Batch) error {
		rec := vec.ToRecord(schema, b)
		defer rec.Release()
		mu.Lock()
		defer mu.Unlock()
		return w.Write(rec)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	return runAll(ctx, cancel, len(nodes), func(i int) error {
		return runPipeline(ctx, nodes[i], s.env(sess, info, i), send)
	})
}

// partSender sends one partition's rows: to a peer's queue over Flight,
// or straight into this participant's own queue.
type partSender struct {
	mu       sync.Mutex
	remote   *exchange.PartitionWriter
	local    *xbuf
	producer int
}

// send sends b; it reports whether b may be reused (it was copied out).
func (p *partSender) send(ctx context.Context, b *vec.Batch) (reuse bool, err error) {
	if p.local != nil {
		return false, p.local.push(ctx, b)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return true, p.remote.Send(b)
}

func (p *partSender) finish() error {
	if p.local != nil {
		p.local.end(p.producer)
		return nil
	}
	return p.remote.Close()
}

func (p *partSender) abort(err error) {
	if p.local != nil {
		p.local.fail(sqlerr.Errorf(sqlerr.ConnectionFailure, "%s: producer %d failed: %v", exchange.AbortedPrefix, p.producer, err))
		return
	}
	if p.remote != nil {
		p.remote.Abort()
	}
}

// produce runs a Shuffle: its input's rows, hash-partitioned by the keys,
// go to the partitions' owners.
func (s *Server) produce(ctx context.Context, req *exchange.FragmentRequest, sh *plan.Shuffle, sess *xsession) (err error) {
	info := req.Exchange
	n := len(info.Peers)
	parts := info.Partitions()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	nodes, err := s.pipelines(req.Fragment, info, func(n plan.Node) plan.Node { return n.(*plan.Shuffle).Input })
	if err != nil {
		return sqlerr.Wrap(err, sqlerr.ProtocolViolation, "bad fragment")
	}
	types := sh.Input.Types()
	schema := exchange.PartitionSchema(types)
	senders := make([]*partSender, parts)
	defer func() {
		if err != nil {
			for _, p := range senders {
				if p != nil {
					p.abort(err)
				}
			}
		}
	}()
	for j := range parts {
		owner, sub := j%n, j/n
		p := &partSender{producer: info.Index}
		if owner == info.Index {
			b, err := s.xreg().buf(sess, sh.ID, sub, n)
			if err != nil {
				return err
			}
			p.local = b
		} else {
			c, err := s.peer(info.Peers[owner])
			if err != nil {
				return err
			}
			h := exchange.PartitionHeader{Session: info.Session, Exchange: sh.ID, Sub: sub, Producer: info.Index, Producers: n}
			w, err := c.OpenPartition(ctx, h, schema)
			if err != nil {
				return err
			}
			p.remote = w
		}
		senders[j] = p
	}
	err = runAll(ctx, cancel, len(nodes), func(i int) error {
		op, err := executor.Build(ctx, nodes[i], s.env(sess, info, i))
		if err != nil {
			return err
		}
		defer op.Close()
		part, err := executor.NewPartitioner(sh.Keys, types, parts)
		if err != nil {
			return err
		}
		emit := func(j int, b *vec.Batch) error {
			reuse, err := senders[j].send(ctx, b)
			if reuse {
				part.Recycle(b)
			}
			return err
		}
		for {
			b, err := op.Next(ctx)
			if err != nil {
				return err
			}
			if b == nil {
				return part.Flush(emit)
			}
			if err := part.Add(b, emit); err != nil {
				return err
			}
		}
	})
	if err != nil {
		return err
	}
	// Every owner acknowledges its partitions (concurrently).
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for j, p := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.finish(); err != nil {
				errs[j] = err
				cancel()
			}
		}()
	}
	wg.Wait()
	return bestError(errs...)
}

// exchangeOp reads one exchange queue.
type exchangeOp struct {
	buf *xbuf
}

func (o *exchangeOp) Next(ctx context.Context) (*vec.Batch, error) { return o.buf.pop(ctx) }
func (o *exchangeOp) Close()                                       { o.buf.close() }

// DoExchange receives one producer's rows of one partition (a partition
// stream) into the session's queue.
func (s *Server) DoExchange(stream flight.FlightService_DoExchangeServer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logf("participant: panic receiving a partition: %v", r)
			err = exchange.Errorf(sqlerr.Internal, "participant: internal error: %v", r)
		}
	}()
	rdr, err := flight.NewRecordReader(stream)
	if err != nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "bad partition stream: %v", err)
	}
	defer rdr.Release()
	desc := rdr.LatestFlightDescriptor()
	if desc == nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "partition stream without descriptor")
	}
	var h exchange.PartitionHeader
	if err := json.Unmarshal(desc.Cmd, &h); err != nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "bad partition header: %v", err)
	}
	sess, err := s.xreg().acquire(h.Session)
	if err != nil {
		return exchange.ToStatus(err)
	}
	defer s.xreg().release(sess)
	if h.Broadcast {
		return s.receiveBroadcast(stream, rdr, sess, h)
	}
	buf, err := s.xreg().buf(sess, h.Exchange, h.Sub, h.Producers)
	if err != nil {
		return exchange.ToStatus(err)
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	stop := context.AfterFunc(sess.ctx, cancel)
	defer stop()
	broken := func(err error) error {
		buf.fail(sqlerr.Errorf(sqlerr.ConnectionFailure, "%s: partition stream from producer %d broke: %v", exchange.AbortedPrefix, h.Producer, err))
		return exchange.ToStatus(err)
	}
	for rdr.Next() {
		b, err := vec.FromRecord(rdr.Record())
		if err != nil {
			return broken(err)
		}
		if err := buf.push(ctx, b); err != nil {
			return broken(err)
		}
	}
	if err := rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return broken(err)
	}
	if ctx.Err() != nil {
		return broken(ctx.Err())
	}
	buf.end(h.Producer)
	return stream.Send(&flight.FlightData{})
}
