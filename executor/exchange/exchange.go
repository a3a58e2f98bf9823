// Package exchange is the Arrow Flight protocol between coordinators and
// participants: the request formats, a client, and helpers for the server
// side. A coordinator runs a fragment on a participant with DoGet (the
// ticket carries the encoded fragment) and writes table data through a
// participant with DoPut (the descriptor names the table and object key; the
// participant answers with the finished file's description).
package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/status"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/catalog/cache"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/vec"
)

// MaxMessageBytes is the gRPC message limit on both ends.
const MaxMessageBytes = 64 << 20

// FragmentRequest is a DoGet ticket: the fragment to run (its Scan carries
// the files this participant reads and the table descriptor), and the
// highest catalog invalidation sequence number the coordinator has seen.
type FragmentRequest struct {
	Fragment json.RawMessage `json:"fragment"`
	Seq      int64           `json:"seq"`
	QueryID  string          `json:"query_id,omitempty"`
	// Exchange is set for the fragments of a repartitioned query: Shuffle
	// producers and the fragments that read exchange sources (shuffle.go).
	Exchange *ExchangeInfo `json:"exchange,omitempty"`
	// Session is the exchange session of the broadcast sources a fragment
	// with a split scan reads (broadcast.go); fragments of a
	// repartitioned query use Exchange.Session.
	Session string `json:"session,omitempty"`
}

// WriteRequest is a DoPut descriptor: write the streamed rows (all columns
// of Table, in order) as one Parquet object at Key.
type WriteRequest struct {
	Table catalog.Table `json:"table"`
	Key   string        `json:"key"`
}

// Client talks to one participant.
type Client struct {
	Addr string
	conn *grpc.ClientConn
	fc   flight.Client
}

// Dial connects to a participant (lazily: the connection is made on first use).
func Dial(addr string) (*Client, error) {
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()), experimental.WithBufferPool(bufferPool), reconnect,
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)))
	if err != nil {
		return nil, err
	}
	return &Client{Addr: addr, conn: conn, fc: flight.NewClientFromConn(conn, nil)}, nil
}

// Close closes the connection. Calls made after Close fail with an error
// (flight.Client's own Close would make them panic instead).
func (c *Client) Close() error { return c.conn.Close() }

// Stream is the output of a fragment on one participant. Its reader is
// opened at the first Next (reading the stream's schema waits for the
// participant's first batch), so starting fragments on many participants
// never waits for any of them.
type Stream struct {
	addr   string
	stream flight.FlightService_DoGetClient
	rdr    *flight.Reader
	cancel context.CancelFunc
}

// Run starts fragment on the participant.
func (c *Client) Run(ctx context.Context, fragment plan.Node, seq int64) (*Stream, error) {
	enc, err := plan.Encode(fragment)
	if err != nil {
		return nil, err
	}
	return c.run(ctx, FragmentRequest{Fragment: enc, Seq: seq})
}

func (c *Client) run(ctx context.Context, req FragmentRequest) (*Stream, error) {
	ticket, _ := json.Marshal(req)
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.fc.DoGet(ctx, &flight.Ticket{Ticket: ticket})
	if err != nil {
		cancel()
		return nil, c.fromStatus(err)
	}
	return &Stream{addr: c.Addr, stream: stream, cancel: cancel}, nil
}

// Addr is the participant's address.
func (s *Stream) Addr() string { return s.addr }

// Next returns the next batch, or nil at the end.
func (s *Stream) Next() (*vec.Batch, error) {
	if s.rdr == nil {
		rdr, err := flight.NewRecordReader(s.stream)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil // no schema: the fragment sent nothing
			}
			return nil, fromStatus(s.addr, err)
		}
		s.rdr = rdr
	}
	if s.rdr.Next() {
		return vec.FromRecord(s.rdr.Record())
	}
	if err := s.rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, fromStatus(s.addr, err)
	}
	return nil, nil
}

// Close stops the stream.
func (s *Stream) Close() {
	s.cancel()
	if s.rdr != nil {
		s.rdr.Release()
	}
}

// Writer streams rows of one table to a participant, which writes them as
// one Parquet object.
type Writer struct {
	c      *Client
	stream flight.FlightService_DoPutClient
	w      *flight.Writer
	schema *arrow.Schema
	cancel context.CancelFunc
}

// Write starts writing a data file for table at key.
func (c *Client) Write(ctx context.Context, table *catalog.Table, key string) (*Writer, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.fc.DoPut(ctx)
	if err != nil {
		cancel()
		return nil, c.fromStatus(err)
	}
	desc, _ := json.Marshal(WriteRequest{Table: *table, Key: key})
	names := make([]string, len(table.Columns))
	types := make([]catalog.Type, len(table.Columns))
	for i, col := range table.Columns {
		names[i], types[i] = col.Name, col.Type
	}
	schema := vec.Schema(names, types)
	w := flight.NewRecordWriter(stream, ipc.WithSchema(schema))
	w.SetFlightDescriptor(&flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: desc})
	return &Writer{c: c, stream: stream, w: w, schema: schema, cancel: cancel}, nil
}

// Send streams one batch (one vector per table column).
func (w *Writer) Send(b *vec.Batch) error {
	rec := vec.ToRecord(w.schema, b)
	defer rec.Release()
	if err := w.w.Write(rec); err != nil {
		return w.c.fromStatus(w.finishErr(err))
	}
	return nil
}

// finishErr turns an io.EOF on send into the server's real error.
func (w *Writer) finishErr(err error) error {
	if errors.Is(err, io.EOF) {
		if _, rerr := w.stream.Recv(); rerr != nil {
			return rerr
		}
	}
	return err
}

// Close finishes the file and returns its description.
func (w *Writer) Close() (storage.DataFile, error) {
	defer w.cancel()
	var df storage.DataFile
	if err := w.w.Close(); err != nil {
		return df, w.c.fromStatus(w.finishErr(err))
	}
	if err := w.stream.CloseSend(); err != nil {
		return df, w.c.fromStatus(err)
	}
	res, err := w.stream.Recv()
	if err != nil {
		return df, w.c.fromStatus(err)
	}
	if err := json.Unmarshal(res.AppMetadata, &df); err != nil {
		return df, err
	}
	return df, nil
}

// Abort abandons the file: the participant discards it.
func (w *Writer) Abort() {
	w.cancel()
}

func (c *Client) fromStatus(err error) error { return fromStatus(c.Addr, err) }

// ToStatus encodes an error for gRPC, keeping its SQLSTATE.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, "SQLSTATE 57014: canceling statement due to user request")
	}
	e := sqlerr.As(err)
	return status.Error(codes.Unknown, "SQLSTATE "+e.Code+": "+e.Message)
}

// fromStatus decodes an error made by ToStatus; transport failures become
// connection errors naming the participant.
func fromStatus(addr string, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := st.Message()
	// Readers may wrap the status (its message then has a prefix).
	if i := strings.Index(msg, "SQLSTATE "); i >= 0 && len(msg) > i+16 && msg[i+14] == ':' {
		return sqlerr.New(msg[i+9:i+14], msg[i+16:])
	}
	switch st.Code() {
	case codes.Canceled:
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	case codes.Unavailable, codes.DeadlineExceeded:
		return sqlerr.Errorf(sqlerr.ConnectionFailure, "participant %s unavailable: %s", addr, msg)
	}
	return sqlerr.Errorf(sqlerr.Internal, "participant %s: %s", addr, msg)
}

// Errorf is a helper for servers: an error with a SQLSTATE as a gRPC status.
func Errorf(code, format string, args ...any) error {
	return ToStatus(sqlerr.Errorf(code, format, args...))
}

// CatalogStatsAction is the Flight action that returns a node's catalog
// cache statistics as JSON (a NodeStats).
const CatalogStatsAction = "catalog_stats"

// NodeStats are one node's catalog cache statistics (cirrus_stat_catalog).
type NodeStats struct {
	Node  string      `json:"node"`
	Role  string      `json:"role"`
	Seq   int64       `json:"seq"`
	Cache cache.Stats `json:"cache"`
}

// CatalogStats asks a participant for its catalog cache statistics.
func (c *Client) CatalogStats(ctx context.Context) (NodeStats, error) {
	var ns NodeStats
	err := c.actionJSON(ctx, CatalogStatsAction, &ns)
	return ns, err
}
