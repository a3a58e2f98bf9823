package participant

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

func oneRow() *vec.Batch {
	b := vec.NewBatch([]catalog.Type{catalog.TypeInt8}, 1)
	b.Cols[0].AppendInt64(1)
	b.N = 1
	return b
}

func TestXBufEndOfStreams(t *testing.T) {
	ctx := context.Background()
	b := newXBuf(2)
	if err := b.push(ctx, oneRow()); err != nil {
		t.Fatal(err)
	}
	b.end(0)
	b.end(0) // a repeated end counts once
	if x, err := b.pop(ctx); err != nil || x == nil {
		t.Fatalf("pop: %v, %v", x, err)
	}
	// One producer is still sending: pop waits.
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := b.pop(wctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("pop before every producer ended: %v", err)
	}
	b.push(ctx, oneRow())
	b.end(1)
	if x, err := b.pop(ctx); err != nil || x == nil {
		t.Fatalf("pop of the last batch: %v, %v", x, err)
	}
	if x, err := b.pop(ctx); err != nil || x != nil {
		t.Fatalf("pop at the end: %v, %v", x, err)
	}
}

func TestXBufBackpressureAndClose(t *testing.T) {
	ctx := context.Background()
	b := newXBuf(1)
	for range queueBatches {
		if err := b.push(ctx, oneRow()); err != nil {
			t.Fatal(err)
		}
	}
	// A full queue blocks the sender until the reader takes a batch.
	pushed := make(chan error, 1)
	go func() { pushed <- b.push(ctx, oneRow()) }()
	select {
	case err := <-pushed:
		t.Fatalf("push into a full queue returned %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	b.pop(ctx)
	if err := <-pushed; err != nil {
		t.Fatal(err)
	}
	// Once the reader is gone, rows are dropped and senders never block.
	b.close()
	for range 3 * queueBatches {
		if err := b.push(ctx, oneRow()); err != nil {
			t.Fatal(err)
		}
	}
	if len(b.ch) != 0 {
		t.Fatalf("%d batches queued after close", len(b.ch))
	}
}

func TestXBufFail(t *testing.T) {
	ctx := context.Background()
	b := newXBuf(3)
	b.push(ctx, oneRow())
	b.fail(errSessionEnded)
	if _, err := b.pop(ctx); err != errSessionEnded {
		t.Fatalf("pop after fail: %v", err)
	}
	if err := b.push(ctx, oneRow()); err != errSessionEnded {
		t.Fatalf("push after fail: %v", err)
	}
}

func TestSessionAbortAndIdleGC(t *testing.T) {
	r := newXRegistry(100 * time.Millisecond)
	s, err := r.acquire("q1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.buf(s, 1, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	for range queueBatches {
		b.push(context.Background(), oneRow())
	}
	// A sender blocked on the full queue is released by the abort.
	blocked := make(chan error, 1)
	go func() { blocked <- b.push(context.Background(), oneRow()) }()
	time.Sleep(20 * time.Millisecond)
	r.release(s)
	r.abort("q1")
	if err := <-blocked; err == nil {
		t.Fatal("blocked push succeeded after abort")
	}
	if s.ctx.Err() == nil {
		t.Fatal("session context not cancelled")
	}
	if len(b.ch) != 0 {
		t.Fatalf("%d batches kept after abort", len(b.ch))
	}
	// The tombstone refuses late streams, then goes.
	if _, err := r.acquire("q1"); err == nil {
		t.Fatal("acquired an aborted session")
	}
	// A session nobody uses is aborted, then forgotten.
	s2, _ := r.acquire("q2")
	b2, _ := r.buf(s2, 1, 0, 1)
	b2.push(context.Background(), oneRow())
	r.release(s2)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if all, _ := r.count(); all == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("idle sessions not collected")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s2.ctx.Err() == nil || len(b2.ch) != 0 {
		t.Fatal("idle session not aborted")
	}
	// A session in use is never collected.
	s3, _ := r.acquire("q3")
	time.Sleep(300 * time.Millisecond)
	if _, live := r.count(); live != 1 {
		t.Fatalf("session in use collected (live=%d)", live)
	}
	r.release(s3)
}
