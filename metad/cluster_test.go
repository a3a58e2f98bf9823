package metad

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// Coordinator numbers are distinct under concurrent first requests, stay
// with their id, and are reassigned only from ids that are not registered
// once every number is taken.
func TestCoordinatorNumbers(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	_, c2 := secondServer(t, cl)
	cl.srv.maxNumber = 4

	got := make([]uint32, 4)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cl.c
			if i%2 == 1 {
				c = c2 // through another metad
			}
			n, err := c.CoordinatorNumber(ctxT(t), fmt.Sprintf("coordinator-%d", i))
			if err != nil {
				t.Error(err)
			}
			got[i] = n
		}()
	}
	wg.Wait()
	seen := map[uint32]bool{}
	for i, n := range got {
		if n < 1 || n > 4 || seen[n] {
			t.Fatalf("numbers %v: coordinator-%d has %d", got, i, n)
		}
		seen[n] = true
	}
	again, err := c2.CoordinatorNumber(ctxT(t), "coordinator-2")
	if err != nil || again != got[2] {
		t.Fatalf("coordinator-2 again: %d %v, want %d", again, err, got[2])
	}

	// All four numbers are taken; coordinator-1 is registered, the others
	// are not: a new id gets the lowest number of an unregistered one.
	m, err := cl.c.RegisterNode(ctxT(t), NodeInfo{ID: "coordinator-1", Role: "coordinator", Number: got[1], PeerAddr: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want := uint32(5)
	for i, n := range got {
		if i != 1 && n < want {
			want = n
		}
	}
	n, err := cl.c.CoordinatorNumber(ctxT(t), "coordinator-new")
	if err != nil || n != want {
		t.Fatalf("coordinator-new: %d %v, want %d", n, err, want)
	}
	ns, err := cl.c.Nodes(ctxT(t))
	if err != nil || len(ns) != 1 || ns[0].Number != got[1] || ns[0].PeerAddr != "127.0.0.1:1" {
		t.Fatalf("nodes %+v %v", ns, err)
	}

	_, err = cl.c.CoordinatorNumber(ctxT(t), "bad id")
	wantCode(t, err, sqlerr.InvalidParameterValue, "")
}

// The cluster secret is created once, whichever metad is asked first.
func TestClusterSecret(t *testing.T) {
	cl := startCluster(t, t.TempDir())
	_, c2 := secondServer(t, cl)
	secrets := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range secrets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cl.c
			if i%2 == 1 {
				c = c2
			}
			s, err := c.ClusterSecret(ctxT(t))
			if err != nil {
				t.Error(err)
			}
			secrets[i] = s
		}()
	}
	wg.Wait()
	for _, s := range secrets {
		if len(s) != clusterSecretLen || !bytes.Equal(s, secrets[0]) {
			t.Fatalf("secrets differ: %x", secrets)
		}
	}
}
