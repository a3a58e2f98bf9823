package catsync_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/catsync"
	"github.com/cirrusdb/cirrus/metad"
)

// stallProxy forwards connections; while up is stalled, bytes from the
// client to the server are held back (a one-way partition, no RST).
type stallProxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	cond   *sync.Cond
	stall  bool
	conns  []net.Conn
}

func startStallProxy(t *testing.T, target string) *stallProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{l: l, target: target}
	p.cond = sync.NewCond(&p.mu)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go p.pipe(u, c, true)
			go p.pipe(c, u, false)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		p.stall = false
		p.cond.Broadcast()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	return p
}

func (p *stallProxy) pipe(dst, src net.Conn, up bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && up {
			p.mu.Lock()
			for p.stall {
				p.cond.Wait()
			}
			p.mu.Unlock()
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

func (p *stallProxy) setStall(s bool) {
	p.mu.Lock()
	p.stall = s
	p.cond.Broadcast()
	p.mu.Unlock()
}

func TestReproShippedBlockedByStuckWriter(t *testing.T) {
	e := startEnv(t, nil)
	p := startStallProxy(t, e.addr)
	nc := e.dial(t, p.l.Addr().String())
	n := startNode(t, catsync.Config{Metad: nc})
	base := e.alloc(3)
	seq := e.commit(metad.Op{Put: table(base, catalog.PublicNamespace, "a", "x")})
	waitApplied(t, n, seq)

	p.setStall(true)
	// The Follow stream (metad -> node) still delivers this set; the node's
	// sync goroutine re-reads the object and its request is held back.
	s1 := e.commit(metad.Op{Put: table(base+1, catalog.PublicNamespace, "b", "x")})
	time.Sleep(300 * time.Millisecond)
	s2 := e.commit(metad.Op{Put: table(base+2, catalog.PublicNamespace, "c", "x")})
	start := time.Now()
	err := n.Shipped(ctxT(t), s2, nil, time.Second)
	t.Logf("s1=%d s2=%d node at %d; Shipped returned after %v: %v", s1, s2, n.Cache().Seq(), time.Since(start), err)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("Shipped with a 1 s timeout took %v", d)
	}
	p.setStall(false)
}
