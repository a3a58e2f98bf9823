package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/ipc"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/vec"
)

// Repartitioning (shuffles) between participants.
//
// A query whose Remote has Shuffles gets an exchange session: a random
// 128-bit id. The coordinator starts, on every participant, each Shuffle
// (DoGet with the plan.Shuffle as the fragment) and the fragment that
// reads the exchange sources (DoGet), each with an ExchangeInfo naming the
// session, the participants (Peers; a participant's index is its
// partition number) and the partitions per participant (Subs). A
// producer runs the Shuffle's input, hash-partitions its rows by the keys
// into len(Peers)*Subs partitions (partition j belongs to participant
// j % len(Peers), its pipeline j / len(Peers)), and streams each
// partition's rows to its owner with DoExchange: the first message's
// descriptor is a PartitionHeader, then Arrow record batches, then the
// producer half-closes; the owner answers one message (empty FlightData)
// once it has queued every batch, or fails the call. A producer's DoGet
// sends no rows; it ends when every owner has acknowledged its partitions
// (or with the first error). The receiving participant queues batches per
// (session, exchange, pipeline) in a bounded queue (a full queue stops
// reading the stream: gRPC flow control then blocks that producer only);
// the exchange source reads the queue until every producer has ended its
// stream. AbortSessionAction (DoAction, body: the session id) makes a
// participant cancel the session's fragments and drop its queued rows.

// ExchangeInfo places one fragment of a repartitioned query.
type ExchangeInfo struct {
	// Session is the query's exchange session id.
	Session string `json:"session"`
	// Peers are the participants' addresses; index = partition owner.
	Peers []string `json:"peers"`
	// Index is the receiving participant's index in Peers.
	Index int `json:"index"`
	// Subs is the number of partitions per participant: the pipelines
	// that read each exchange on one participant.
	Subs int `json:"subs"`
}

// Partitions is the number of partitions of each exchange.
func (x *ExchangeInfo) Partitions() int { return len(x.Peers) * x.Subs }

// PartitionHeader is the descriptor of a partition stream: producer
// Producer's rows of exchange Exchange for pipeline Sub of the receiving
// participant. Producers is how many producers each exchange has.
type PartitionHeader struct {
	Session   string `json:"session"`
	Exchange  int    `json:"exchange"`
	Sub       int    `json:"sub"`
	Producer  int    `json:"producer"`
	Producers int    `json:"producers"`
	// Broadcast marks the coordinator's stream of a broadcast source's
	// rows (broadcast.go); Sub and Producer are 0, Producers 1.
	Broadcast bool `json:"broadcast,omitempty"`
}

// AbortSessionAction is the Flight action that ends an exchange session on
// a participant: its fragments are cancelled and its queued rows dropped.
const AbortSessionAction = "exchange_abort"

// AbortedPrefix starts the message of errors a fragment reports because
// another part of its query failed (a producer's stream broke); the
// coordinator reports the original error instead when it has one.
const AbortedPrefix = "exchange aborted"

// RunExchange starts a fragment of a repartitioned query on the
// participant: a *plan.Shuffle (a producer; its stream has no rows) or a
// fragment reading exchange sources.
func (c *Client) RunExchange(ctx context.Context, fragment plan.Node, seq int64, info *ExchangeInfo) (*Stream, error) {
	enc, err := plan.Encode(fragment)
	if err != nil {
		return nil, err
	}
	return c.run(ctx, FragmentRequest{Fragment: enc, Seq: seq, Exchange: info})
}

// PartitionWriter streams one producer's rows of one partition to the
// participant that owns it.
type PartitionWriter struct {
	c      *Client
	stream flight.FlightService_DoExchangeClient
	w      *flight.Writer
	schema *arrow.Schema
	cancel context.CancelFunc
}

// PartitionSchema is the Arrow schema of rows of the given types.
func PartitionSchema(types []catalog.Type) *arrow.Schema {
	names := make([]string, len(types))
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	return vec.Schema(names, types)
}

// OpenPartition starts a partition stream.
func (c *Client) OpenPartition(ctx context.Context, h PartitionHeader, schema *arrow.Schema) (*PartitionWriter, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.fc.DoExchange(ctx)
	if err != nil {
		cancel()
		return nil, c.fromStatus(err)
	}
	desc, _ := json.Marshal(h)
	w := flight.NewRecordWriter(stream, ipc.WithSchema(schema))
	w.SetFlightDescriptor(&flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: desc})
	return &PartitionWriter{c: c, stream: stream, w: w, schema: schema, cancel: cancel}, nil
}

// Send streams one batch; it blocks while the receiver's queue is full.
func (w *PartitionWriter) Send(b *vec.Batch) error {
	rec := vec.ToRecord(w.schema, b)
	defer rec.Release()
	if err := w.w.Write(rec); err != nil {
		return w.c.fromStatus(w.finishErr(err))
	}
	return nil
}

// finishErr turns an io.EOF on send into the receiver's real error.
func (w *PartitionWriter) finishErr(err error) error {
	if errors.Is(err, io.EOF) {
		if _, rerr := w.stream.Recv(); rerr != nil {
			return rerr
		}
	}
	return err
}

// Close ends the stream and waits until the receiver has queued every
// batch.
func (w *PartitionWriter) Close() error {
	defer w.cancel()
	if err := w.w.Close(); err != nil {
		return w.c.fromStatus(w.finishErr(err))
	}
	if err := w.stream.CloseSend(); err != nil {
		return w.c.fromStatus(err)
	}
	if _, err := w.stream.Recv(); err != nil {
		if errors.Is(err, io.EOF) {
			return sqlerr.Errorf(sqlerr.ConnectionFailure, "%s: participant %s ended a partition stream without acknowledging it", AbortedPrefix, w.c.Addr)
		}
		return w.c.fromStatus(err)
	}
	return nil
}

// Abort abandons the stream; the receiver fails the exchange.
func (w *PartitionWriter) Abort() { w.cancel() }

// AbortSession asks the participant to end an exchange session.
func (c *Client) AbortSession(ctx context.Context, session string) error {
	stream, err := c.fc.DoAction(ctx, &flight.Action{Type: AbortSessionAction, Body: []byte(session)})
	if err != nil {
		return c.fromStatus(err)
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return c.fromStatus(err)
		}
	}
}
