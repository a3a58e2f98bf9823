package dbgen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// Sizes and SHA-256 of the update files of the reference dbgen 2.17.3
// (dbgen -s SF -U 2, trailing '|' removed).
var refreshSums = []struct {
	sf    float64
	file  string
	bytes int
	sha   string
}{
	{0.01, "orders.tbl.u1", 971, "98b3ed77419b6b34a2fb5b69fa232e26d3f433bf2ccb0bf86946106de990a74a"},
	{0.01, "lineitem.tbl.u1", 4316, "e809aab2ce9baeb5050419100bae49ad9850c00e0556e33253234bc6ea17b266"},
	{0.01, "delete.1", 23, "4bfa140bac8454e10c8cb7da40ed65e1edb2775fbbbaff53b62647b294b4fc23"},
	{0.01, "orders.tbl.u2", 1095, "76d78e4a6955f1b375bd9b4a773b25148bb06abe8bc307c71ad82b5ce95e2585"},
	{0.01, "lineitem.tbl.u2", 5142, "7aa4fb586c50ae8ca98f2c1e647c9d0a6422e23169d582aa254718fdaaadb021"},
	{0.01, "delete.2", 30, "bc354e8477eee4357f23efccf331ad6052d4e74c2f274ff35f4e067d8c1938c2"},
	{0.1, "orders.tbl.u1", 16022, "b26da2e3773fb2b6e877598300d8a5b1cf5b302e5f69bd2e549730bcaaa12065"},
	{0.1, "lineitem.tbl.u1", 70722, "ef506ec63e9129fd5d36e0d02e31d6ad9ac1fc8bac2583ef9c7e7a615a551862"},
	{0.1, "delete.1", 566, "86bc793ee3795d8c56343659e59e889891a8a1178a23d300f86b8486278a5309"},
	{0.1, "orders.tbl.u2", 16545, "22233179ccfab9472a3c562e860ab22a87923aaa6d7fdb4285e6a69d5b638073"},
	{0.1, "lineitem.tbl.u2", 74848, "40dfa91b74e6cc23e7b298e3f2fbbd0b1eca657fd1fb0d289d173f5657cbb774"},
	{0.1, "delete.2", 645, "3ab0da7bbc48caff2323f29b9cbacc6e651e23dd0bc208d0173683ee879ce79a"},
	{1, "orders.tbl.u1", 166445, "bcad924207971b3f24222ba1773ae1e599a865be915d974c31ed0746651933e6"},
	{1, "lineitem.tbl.u1", 714271, "2de75441a633c3ff5227a7d01840fcb8a32d8a99e3e9b977846d1882363e3581"},
	{1, "delete.1", 7211, "d8d9f9ef30b5bbed0ffcdd2ae9c694f83b831bd8cdeb87fcb0b44f7d02f9a63f"},
	{1, "orders.tbl.u2", 165576, "7000ef64c0c0c0a0c31a2a75a13e95ce60f1105344c14922b7cdd8d619c4f285"},
	{1, "lineitem.tbl.u2", 747452, "450a2b9159d2161818ab007f4d7e7465c8ab9ce64aa19d3bcda139d87a447ff7"},
	{1, "delete.2", 7997, "3da2f4b5bbc14d5fb886792e0517cca8fa9a772d97eaa3e0c842d23823d851d6"},
}

func TestRefreshSet(t *testing.T) {
	sets := map[string]*Refresh{}
	for _, c := range refreshSums {
		n := int(c.file[len(c.file)-1] - '0')
		key := fmt.Sprint(c.sf, n)
		r := sets[key]
		if r == nil {
			var err error
			if r, err = RefreshSet(c.sf, n); err != nil {
				t.Fatal(err)
			}
			sets[key] = r
		}
		var data []byte
		switch c.file[:3] {
		case "ord":
			data = r.Orders
		case "lin":
			data = r.Lineitems
		default:
			data = r.DeleteFile()
		}
		sum := sha256.Sum256(data)
		if len(data) != c.bytes || hex.EncodeToString(sum[:]) != c.sha {
			t.Errorf("SF %v %s: %d bytes %x, want %d bytes %s", c.sf, c.file, len(data), sum, c.bytes, c.sha)
		}
	}
	// keys: set 1 at SF 0.01 inserts 10 orders into the gaps and deletes the
	// first 10 base orders
	r := sets["0.01 1"]
	if fmt.Sprint(r.DeleteKeys) != "[1 2 3 4 5 6 7 32 33 34]" {
		t.Errorf("delete keys %v", r.DeleteKeys)
	}
	if _, err := RefreshSet(0.01, 0); err == nil {
		t.Error("no error for update set 0")
	}
}
