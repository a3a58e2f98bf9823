package storage

import (
	"testing"
	"time"
)

// TestParseObjectKeyRoundTrip checks that the keys NewDataFileKey and
// NewManifestKey make parse back to their table, kind and creation time.
func TestParseObjectKeyRoundTrip(t *testing.T) {
	before := time.Now()
	keys := map[string]ObjectKind{
		NewDataFileKey(16385): DataFileObject,
		NewManifestKey(16385): ManifestObject,
	}
	after := time.Now()
	for key, kind := range keys {
		k, ok := ParseObjectKey(key)
		if !ok {
			t.Fatalf("%s does not parse", key)
		}
		if k.Table != 16385 || k.Kind != kind {
			t.Errorf("%s: got table %d kind %v, want 16385 %v", key, k.Table, k.Kind, kind)
		}
		if k.Created.Before(before.Truncate(0)) || k.Created.After(after) {
			t.Errorf("%s: created %v, not within [%v, %v]", key, k.Created, before, after)
		}
	}
}

func TestParseObjectKey(t *testing.T) {
	created := time.Unix(0, 1700000000123456789)
	for _, tc := range []struct {
		key  string
		want ObjectKey
		ok   bool
	}{
		{"tables/7/data/1700000000123456789-0123456789abcdef.parquet", ObjectKey{7, DataFileObject, created}, true},
		{"tables/7/manifests/1700000000123456789-0123456789abcdef.json", ObjectKey{7, ManifestObject, created}, true},
		// Wrong extension for the directory.
		{"tables/7/data/1700000000123456789-0123456789abcdef.json", ObjectKey{}, false},
		{"tables/7/manifests/1700000000123456789-0123456789abcdef.parquet", ObjectKey{}, false},
		// Other directories and depths.
		{"tables/7/other/1700000000123456789-0123456789abcdef.parquet", ObjectKey{}, false},
		{"tables/7/data/x/1700000000123456789-0123456789abcdef.parquet", ObjectKey{}, false},
		{"tables/7/1700000000123456789-0123456789abcdef.parquet", ObjectKey{}, false},
		{"views/7/data/1700000000123456789-0123456789abcdef.parquet", ObjectKey{}, false},
		// Bad OIDs.
		{"tables/0/data/1700000000123456789-0123456789abcdef.parquet", ObjectKey{}, false},
		{"tables/07/data/1700000000123456789-0123456789abcdef.parquet", ObjectKey{}, false},
		{"tables/-7/data/1700000000123456789-0123456789abcdef.parquet", ObjectKey{}, false},
		{"tables/4294967296/data/1700000000123456789-0123456789abcdef.parquet", ObjectKey{}, false},
		// Bad names: short or long time, non-digits, upper-case or short
		// random part, missing separator, a temporary file.
		{"tables/7/data/170000000012345678-0123456789abcdef.parquet", ObjectKey{}, false},
		{"tables/7/data/17000000001234567890-0123456789abcdef.parquet", ObjectKey{}, false},
		{"tables/7/data/17000000001234567x9-0123456789abcdef.parquet", ObjectKey{}, false},
		{"tables/7/data/1700000000123456789-0123456789ABCDEF.parquet", ObjectKey{}, false},
		{"tables/7/data/1700000000123456789-0123456789abcde.parquet", ObjectKey{}, false},
		{"tables/7/data/17000000001234567890123456789abcdef.parquet", ObjectKey{}, false},
		{"tables/7/data/9999999999999999999-0123456789abcdef.parquet", ObjectKey{}, false},
		{"tables/7/data/.tmp-1700000000123456789-0123456789abcdef.parquet", ObjectKey{}, false},
	} {
		got, ok := ParseObjectKey(tc.key)
		if ok != tc.ok || got.Table != tc.want.Table || got.Kind != tc.want.Kind || !got.Created.Equal(tc.want.Created) {
			t.Errorf("ParseObjectKey(%q) = %+v, %v; want %+v, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
}
