package storage

import (
	"strconv"
	"strings"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
)

// TablesPrefix is the prefix of every table object (data files and
// manifests): garbage collection lists it.
const TablesPrefix = "tables/"

// ObjectKind says what a table object is.
type ObjectKind int

const (
	// DataFileObject is a Parquet data file (NewDataFileKey).
	DataFileObject ObjectKind = iota + 1
	// ManifestObject is a manifest (NewManifestKey).
	ManifestObject
)

// String returns the kind's name.
func (k ObjectKind) String() string {
	switch k {
	case DataFileObject:
		return "data file"
	case ManifestObject:
		return "manifest"
	}
	return "unknown"
}

// ObjectKey is a table object key taken apart.
type ObjectKey struct {
	Table catalog.OID
	Kind  ObjectKind
	// Created is when the key was made (just before the object was
	// written), on the clock of the node that made it.
	Created time.Time
}

// ParseObjectKey takes apart a key made by NewDataFileKey or NewManifestKey:
// tables/<oid>/data/<19-digit unix nanoseconds>-<16 hex digits>.parquet or
// tables/<oid>/manifests/<…>.json. Any other key — a table object from
// elsewhere, a temporary file — does not parse (ok is false), and garbage
// collection never deletes it.
func ParseObjectKey(key string) (k ObjectKey, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 4 || parts[0]+"/" != TablesPrefix {
		return ObjectKey{}, false
	}
	oid, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil || oid == 0 || strconv.FormatUint(oid, 10) != parts[1] {
		return ObjectKey{}, false
	}
	var ext string
	switch parts[2] {
	case "data":
		k.Kind, ext = DataFileObject, ".parquet"
	case "manifests":
		k.Kind, ext = ManifestObject, ".json"
	default:
		return ObjectKey{}, false
	}
	stem, found := strings.CutSuffix(parts[3], ext)
	if !found {
		return ObjectKey{}, false
	}
	nanos, random, found := strings.Cut(stem, "-")
	if !found || len(nanos) != 19 || len(random) != 16 || !allDigits(nanos) || !allLowerHex(random) {
		return ObjectKey{}, false
	}
	ns, err := strconv.ParseInt(nanos, 10, 64)
	if err != nil {
		return ObjectKey{}, false
	}
	k.Table = catalog.OID(oid)
	k.Created = time.Unix(0, ns)
	return k, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func allLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}
