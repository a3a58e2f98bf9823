package exchange

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/mem"
)

// bufferPool serves gRPC's message buffers in every power-of-two size up
// to MaxMessageBytes. gRPC's default pool jumps from 32 KiB to 1 MiB and
// zeroes each buffer it hands out, so every Arrow batch a little over
// 32 KiB (2,048 rows of two bigints) cost clearing a whole MiB: a quarter
// of a shuffle's CPU time.
var bufferPool = func() mem.BufferPool {
	var exps []uint8
	for e := uint8(8); 1<<e <= MaxMessageBytes; e++ {
		exps = append(exps, e)
	}
	p, err := mem.NewBinaryTieredBufferPool(exps...)
	if err != nil {
		panic(err)
	}
	return p
}()

// gRPC's codec takes marshalling buffers from the process-wide default
// pool, whatever the connection's pool is.
func init() { experimental.SetDefaultBufferPool(bufferPool) }

// ServerOptions are the gRPC options of a participant's Flight server.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes), experimental.BufferPool(bufferPool)}
}

// reconnect retries a lost participant connection at most 2 s apart
// (gRPC's default backs off to 2 minutes, so a participant back after a
// crash would stay unreachable long after it is up).
var reconnect = grpc.WithConnectParams(grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
	MinConnectTimeout: 5 * time.Second,
})
