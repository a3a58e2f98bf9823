package exchange

import (
	"context"
	"testing"
	"time"
)

// A call on a closed client fails with an error; it must not panic (a
// shuffle's cleanup may abort its session after the coordinator closed its
// clients).
func TestClientCallAfterClose(t *testing.T) {
	c, err := Dial("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.AbortSession(ctx, "s"); err == nil {
		t.Fatal("AbortSession on a closed client succeeded")
	}
}
