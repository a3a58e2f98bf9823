package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/invalidation"
)

func save(t *testing.T, c *Cache, path string) {
	t.Helper()
	saved, err := c.SaveFile(path)
	if err != nil || !saved {
		t.Fatalf("SaveFile: saved %v, %v", saved, err)
	}
}

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if filepath.Ext(e.Name()) != ".rc" {
			t.Fatalf("left behind: %s", e.Name())
		}
	}
}

func TestFileRoundTrip(t *testing.T) {
	f := seeded(50)
	f.commit([]*catalog.Object{namespace(catalog.FirstUserOID+1000, "s2"), table(t0+3, "t3", "m/3/1")})
	c := loaded(t, f)
	path := filepath.Join(t.TempDir(), "catalog.rc")
	save(t, c, path)
	noTempFiles(t, filepath.Dir(path))
	if seq, ok, err := FileSeq(path); err != nil || !ok || seq != c.Seq() {
		t.Fatalf("FileSeq: %d, %v, %v", seq, ok, err)
	}

	// A new node installs the file without asking the source anything.
	f.resetCalls()
	n := New(f, opts())
	ok, err := n.LoadFile(path)
	if err != nil || !ok {
		t.Fatalf("LoadFile: %v, %v", ok, err)
	}
	wantCalls(t, f, calls{})
	sameAsSource(t, n, f) // versions included
	h1, s1, e1 := c.Hash()
	h2, s2, e2 := n.Hash()
	if h1 != h2 || s1 != s2 || e1 != e2 || !e2 {
		t.Fatalf("hash %x@%d/%v vs %x@%d/%v", h1, s1, e1, h2, s2, e2)
	}
	if st := n.Stats(); st.FileLoads != 1 || st.Loads != 0 || st.SourceRequests != 0 {
		t.Fatalf("stats %+v", st)
	}
	if st := c.Stats(); st.FileSaves != 1 {
		t.Fatalf("stats %+v", st)
	}

	// It catches up from the file's seq: one range read, one Get.
	f.commit([]*catalog.Object{table(t0+7, "t7", "m/7/1")})
	f.commit(nil, t0+8)
	if err := n.CatchUp(context.Background(), f.head()); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, f, calls{ranges: 1, gets: 1})
	sameAsSource(t, n, f)

	// A file at or behind the cache is not installed.
	if ok, err := n.LoadFile(path); ok || err != nil {
		t.Fatalf("older file: %v, %v", ok, err)
	}
}

func TestFileMissingOrInvalid(t *testing.T) {
	f := seeded(5)
	c := loaded(t, f)
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.rc")
	n := New(f, opts())
	if ok, err := n.LoadFile(path); ok || err != nil {
		t.Fatalf("missing file: %v, %v", ok, err)
	}
	if _, ok, err := FileSeq(path); ok || err != nil {
		t.Fatalf("FileSeq of a missing file: %v, %v", ok, err)
	}
	save(t, c, path)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"empty":     {},
		"truncated": good[:len(good)-7],
		"flipped":   flip(good, len(good)/2),
		"crc":       flip(good, len(good)-1),
		"count":     flip(good, 32),
		"magic":     flip(good, 0),
	}
	v2 := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(v2[8:], fileVersion+1)
	bad["version"] = v2
	for name, b := range bad {
		p := filepath.Join(dir, name+".rc")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		ok, err := n.LoadFile(p)
		if ok || !errors.Is(err, ErrInvalidFile) {
			t.Errorf("%s: LoadFile = %v, %v", name, ok, err)
		}
	}
	if _, ok, _ := FileSeq(filepath.Join(dir, "version.rc")); ok {
		t.Error("FileSeq accepted another format version")
	}
	if n.Loaded() || n.Stats().FileLoads != 0 {
		t.Fatal("an invalid file was installed")
	}
}

func flip(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i] ^= 0x40
	return out
}

// TestFileSaveSkippedWhenApplyRaces: an invalidation applied while the file
// was being written keeps it from being installed; a heartbeat does not.
func TestFileSaveSkippedWhenApplyRaces(t *testing.T) {
	f := seeded(5)
	c := loaded(t, f)
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.rc")
	save(t, c, path)
	before, _ := os.ReadFile(path)

	saveFileHook = func() {
		if err := c.Apply(context.Background(), f.commit([]*catalog.Object{table(t0, "t0", "m/0/1")})); err != nil {
			t.Error(err)
		}
	}
	defer func() { saveFileHook = nil }()
	saved, err := c.SaveFile(path)
	if err != nil || saved {
		t.Fatalf("racing save: saved %v, %v", saved, err)
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Fatal("the file changed")
	}
	noTempFiles(t, dir)
	if st := c.Stats(); st.FileSaveSkips != 1 || st.FileSaves != 1 {
		t.Fatalf("stats %+v", st)
	}

	saveFileHook = func() {
		if err := c.Apply(context.Background(), invalidation.Set{Seq: f.tick()}); err != nil {
			t.Error(err)
		}
	}
	save(t, c, path)
	saveFileHook = nil
	n := New(f, opts())
	if ok, err := n.LoadFile(path); !ok || err != nil {
		t.Fatalf("LoadFile: %v, %v", ok, err)
	}
	if tb, _ := n.TableByOID(t0); tb.Manifest != "m/0/1" {
		t.Fatalf("file holds %+v", tb)
	}
}

func TestFileNotSavedBeforeLoad(t *testing.T) {
	c := New(newFake(), opts())
	path := filepath.Join(t.TempDir(), "catalog.rc")
	if saved, err := c.SaveFile(path); saved || err != nil {
		t.Fatalf("saved %v, %v", saved, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("file written")
	}
}

// TestStartOrder follows the package comment's start order: join the queue
// at the file's seq (buffering), load the file, catch up with one Get.
func TestStartOrder(t *testing.T) {
	ctx := context.Background()
	f := seeded(20)
	old := loaded(t, f)
	path := filepath.Join(t.TempDir(), "catalog.rc")
	save(t, old, path)
	// The cluster moves on while the node is down.
	for i := range 5 {
		f.commit([]*catalog.Object{table(t0+catalog.OID(i), fmt.Sprintf("t%d", i), fmt.Sprintf("m/%d/9", i))})
	}
	f.resetCalls()

	// 1. The file's seq; 2. join the queue there, buffering.
	seq, ok, err := FileSeq(path)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	fo := invalidation.NewFollower(seq)
	for _, s := range f.setsAfter(seq) { // what Follow(seq) delivers
		fo.Step(s)
	}
	f.commit(nil, t0+10) // committed while the node loads: still delivered
	for _, s := range f.setsAfter(f.head() - 1) {
		fo.Step(s)
	}
	// 3. Load the file.
	n := New(f, opts())
	if ok, err := n.LoadFile(path); !ok || err != nil {
		t.Fatal(ok, err)
	}
	// 4. Catch up.
	d := fo.Ready()
	got, err := n.Execute(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	fo.Advance(d, got)
	wantCalls(t, f, calls{gets: 1})
	sameAsSource(t, n, f)
	if fo.Applied() != f.head() || n.Seq() != f.head() {
		t.Fatalf("follower %d, cache %d, head %d", fo.Applied(), n.Seq(), f.head())
	}

	// Without a usable file the same steps fall back to a full load.
	os.WriteFile(path, []byte("garbage"), 0o600)
	f.resetCalls()
	seq, _, _ = FileSeq(path)
	fo = invalidation.NewFollower(seq)
	for _, s := range f.setsAfter(seq) {
		fo.Step(s)
	}
	n = New(f, opts())
	if ok, _ := n.LoadFile(path); ok {
		t.Fatal("garbage loaded")
	}
	if err := n.Load(ctx); err != nil {
		t.Fatal(err)
	}
	d = fo.Ready()
	got, err = n.Execute(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	fo.Advance(d, got)
	wantCalls(t, f, calls{snapshots: 1})
	sameAsSource(t, n, f)
	if fo.Applied() != f.head() || fo.HasReady() {
		t.Fatalf("follower at %d, head %d", fo.Applied(), f.head())
	}
}
