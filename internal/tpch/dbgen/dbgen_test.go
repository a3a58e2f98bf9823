package dbgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const sharedDir = "../../../../shared/tpch"

type checksum struct {
	rows, bytes int64
	sha         string
}

// loadChecksums reads checksums.tsv (sf, table, rows, bytes, sha256) for one
// scale factor.
func loadChecksums(t testing.TB, sf string) map[string]checksum {
	f, err := os.Open(filepath.Join(sharedDir, "checksums.tsv"))
	if err != nil {
		t.Skipf("no reference checksums: %v", err)
	}
	defer f.Close()
	res := map[string]checksum{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) != 5 || fs[0] != sf {
			continue
		}
		rows, _ := strconv.ParseInt(fs[2], 10, 64)
		n, _ := strconv.ParseInt(fs[3], 10, 64)
		res[fs[1]] = checksum{rows, n, fs[4]}
	}
	if len(res) != len(Tables) {
		t.Fatalf("checksums.tsv: %d tables at SF %s", len(res), sf)
	}
	return res
}

// hashWriter counts rows and bytes and hashes what is written.
type hashWriter struct {
	h      hash.Hash
	bytes  int64
	rows   int64
	closed bool
}

func newHashWriter() *hashWriter { return &hashWriter{h: sha256.New()} }

func (w *hashWriter) Write(p []byte) (int, error) {
	w.bytes += int64(len(p))
	w.rows += int64(bytes.Count(p, []byte{'\n'}))
	return w.h.Write(p)
}

func (w *hashWriter) Close() error { w.closed = true; return nil }

func (w *hashWriter) sum() checksum {
	return checksum{w.rows, w.bytes, hex.EncodeToString(w.h.Sum(nil))}
}

// generateHashes runs GenerateTo into hash writers.
func generateHashes(t testing.TB, o Options) map[string]checksum {
	var mu sync.Mutex
	ws := map[string]*hashWriter{}
	err := GenerateTo(context.Background(), o, func(table string) (io.WriteCloser, error) {
		mu.Lock()
		defer mu.Unlock()
		w := newHashWriter()
		ws[table] = w
		return w, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]checksum{}
	for table, w := range ws {
		if !w.closed {
			t.Errorf("%s: writer not closed", table)
		}
		res[table] = w.sum()
	}
	return res
}

func checkSums(t testing.TB, sf string, got map[string]checksum) {
	t.Helper()
	want := loadChecksums(t, sf)
	for _, table := range Tables {
		if got[table] != want[table] {
			t.Errorf("SF %s %s: got %+v, want %+v", sf, table, got[table], want[table])
		}
	}
}

// TestWriteTableSF001 generates every SF 0.01 table sequentially with
// WriteTable and compares it with the reference checksums.
func TestWriteTableSF001(t *testing.T) {
	got := map[string]checksum{}
	for _, table := range Tables {
		n, err := Units(table, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		w := newHashWriter()
		if err := WriteTable(context.Background(), w, table, 0.01, 0, n); err != nil {
			t.Fatal(err)
		}
		got[table] = w.sum()
		if rc := RowCount(table, 0.01); rc != w.rows {
			t.Errorf("RowCount(%s) = %d, generated %d rows", table, rc, w.rows)
		}
	}
	checkSums(t, "0.01", got)
}

// TestGenerateSF01 generates SF 0.1 in parallel.
func TestGenerateSF01(t *testing.T) {
	start := time.Now()
	got := generateHashes(t, Options{SF: 0.1})
	t.Logf("SF 0.1 generated in %v", time.Since(start))
	checkSums(t, "0.1", got)
}

// TestParallelSameBytes checks that the chunking of a parallel run and of
// WriteTable ranges does not change the output.
func TestParallelSameBytes(t *testing.T) {
	seq := generateHashes(t, Options{SF: 0.01, Parallel: 1})
	par := generateHashes(t, Options{SF: 0.01, Parallel: 7})
	for _, table := range Tables {
		if seq[table] != par[table] {
			t.Errorf("%s: Parallel=1 %+v, Parallel=7 %+v", table, seq[table], par[table])
		}
	}
	checkSums(t, "0.01", par)

	// odd ranges concatenated give the same table
	for _, table := range []string{"supplier", "partsupp", "lineitem"} {
		n, _ := Units(table, 0.01)
		w := newHashWriter()
		for first, step := int64(0), int64(1); first < n; first, step = first+step, step*3+1 {
			c := min(step, n-first)
			if err := WriteTable(context.Background(), w, table, 0.01, first, c); err != nil {
				t.Fatal(err)
			}
		}
		if w.sum() != seq[table] {
			t.Errorf("%s: ranges give %+v, whole table %+v", table, w.sum(), seq[table])
		}
	}
}

// TestGenerateFiles writes files and compares them with the SF 0.01 reference
// files.
func TestGenerateFiles(t *testing.T) {
	dir := t.TempDir()
	var calls int
	var last [2]int64
	err := Generate(context.Background(), dir, Options{SF: 0.01, Tables: []string{"nation", "orders", "supplier"},
		Progress: func(table string, done, total int64) {
			calls++
			if table == "orders" {
				last = [2]int64{done, total}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Errorf("%d files in output dir, want 3", len(ents))
	}
	for _, table := range []string{"nation", "orders", "supplier"} {
		got, err := os.ReadFile(filepath.Join(dir, table+".tbl"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(sharedDir, "sf0.01", table+".tbl"))
		if err != nil {
			t.Skip(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s.tbl differs from the reference", table)
		}
	}
	if calls == 0 || last != [2]int64{15000, 15000} {
		t.Errorf("progress: %d calls, last orders %v", calls, last)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := GenerateTo(ctx, Options{SF: 0.01}, func(string) (io.WriteCloser, error) { return newHashWriter(), nil })
	if err == nil {
		t.Fatal("no error from a cancelled generation")
	}
}

func TestRowCount(t *testing.T) {
	for _, c := range []struct {
		table string
		sf    float64
		want  int64
	}{
		{"lineitem", 1, 6001215}, {"orders", 1, 1500000}, {"partsupp", 0.1, 80000},
		{"customer", 10, 1500000}, {"nation", 100, 25}, {"region", 0.01, 5},
	} {
		if got := RowCount(c.table, c.sf); got != c.want {
			t.Errorf("RowCount(%s, %v) = %d, want %d", c.table, c.sf, got, c.want)
		}
	}
}

// BenchmarkGenerateSF1 generates SF 1 (all tables, streamed into SHA-256
// hashers, text pool included) and checks it against the reference
// checksums:
//
//	go test -run '^$' -bench GenerateSF1 -benchtime 1x ./internal/tpch/dbgen
func BenchmarkGenerateSF1(b *testing.B) {
	for i := 0; i < b.N; i++ {
		releaseTextPoolNow()
		start, cpu := time.Now(), processCPU()
		got := generateHashes(b, Options{SF: 1})
		wall := time.Since(start)
		cpu = processCPU() - cpu
		b.ReportMetric(cpu.Seconds(), "cpu-s/op")
		b.Logf("SF 1 generated in %v (CPU %v)", wall.Round(time.Millisecond), cpu.Round(time.Millisecond))
		checkSums(b, "1", got)
	}
}

// releaseTextPoolNow drops the cached text pool so that a measurement
// includes building it.
func releaseTextPoolNow() {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if pool.users == 0 && pool.text != nil {
		pool.free()
		pool.text, pool.free = nil, nil
	}
}
