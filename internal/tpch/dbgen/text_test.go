package dbgen

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// TestPoolSegments checks that building the text pool from checkpoints
// detects a wrong checkpoint, and that the sequential build gives the same
// pool as the segmented one.
func TestPoolSegments(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	pool := acquirePool()
	want := sha256.Sum256(pool)
	if !bytes.HasPrefix(pool, []byte("furiously special foxes haggle furiously blithely ironic deposits. slyly final theodolites boost slyly even asymptotes. carefully final foxes wake furiously around the furiously bold deposits. foxes around the pending, special theodolites believe about the special accounts. furiously special packages wake about the slyly ironic accounts. ")) {
		t.Errorf("pool starts with %q", pool[:200])
	}
	releasePool()

	mem, free := allocPool(poolSize + 512)
	defer free()
	wrong := append([]poolCheckpoint(nil), poolCheckpoints...)
	wrong[10].draws++
	if buildPoolFrom(mem, wrong, 2) {
		t.Error("a wrong checkpoint went unnoticed")
	}
	if !buildPoolFrom(mem, nil, 1) {
		t.Error("sequential build failed")
	}
	if sha256.Sum256(mem[:poolSize]) != want {
		t.Error("sequential and segmented pools differ")
	}
}
