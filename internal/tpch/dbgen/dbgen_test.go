package dbgen

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

const sharedDir = "/work/shared/tpch"

type checksum struct {
	rows, bytes int64
	sha         string
}

// loadChecksums reads checksums.tsv: sf, table, rows, bytes, sha256.
func loadChecksums(t testing.TB) map[string]map[string]checksum {
	f, err := os.Open(sharedDir + "/checksums.tsv")
	if err != nil {
		t.Skipf("no reference checksums: %v", err)
	}
	defer f.Close()
	res := map[string]map[string]checksum{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) != 5 || fs[0] == "sf" {
			continue
		}
		rows, _ := strconv.ParseInt(fs[2], 10, 64)
		n, _ := strconv.ParseInt(fs[3], 10, 64)
		if res[fs[0]] == nil {
			res[fs[0]] = map[string]checksum{}
		}
		res[fs[0]][fs[1]] = checksum{rows, n, fs[4]}
	}
	return res
}

type hashWriter struct {
	h     hashState
	bytes int64
	rows  int64
}

type hashState interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
}

func (w *hashWriter) Write(p []byte) (int, error) {
	w.bytes += int64(len(p))
	for _, c := range p {
		if c == '\n' {
			w.rows++
		}
	}
	return w.h.Write(p)
}

func TestQuickSF001(t *testing.T) {
	sums := loadChecksums(t)["0.01"]
	for _, table := range Tables {
		n, err := Units(table, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		w := &hashWriter{h: sha256.New()}
		if err := WriteTable(context.Background(), w, table, 0.01, 0, n); err != nil {
			t.Fatal(err)
		}
		got := checksum{w.rows, w.bytes, hex.EncodeToString(w.h.Sum(nil))}
		if got != sums[table] {
			t.Errorf("%s: got %+v want %+v", table, got, sums[table])
		}
	}
}
