package storage

import (
	"encoding/json"

	"github.com/cirrusdb/cirrus/catalog"
)

// ColumnStats are min/max statistics of one column in one file, as text in
// the column's PostgreSQL text form (empty when unknown or all NULL).
type ColumnStats struct {
	Min       string `json:"min,omitempty"`
	Max       string `json:"max,omitempty"`
	NullCount int64  `json:"nulls,omitempty"`
	HasMinMax bool   `json:"has,omitempty"`
}

// DataFile is one immutable Parquet object of a table.
type DataFile struct {
	Key       string        `json:"key"`
	Rows      int64         `json:"rows"`
	Size      int64         `json:"size"`
	RowGroups int           `json:"row_groups"`
	Stats     []ColumnStats `json:"stats,omitempty"`
}

// Manifest is a table snapshot: the files that make up the table. It is
// written once as an object and never changed; a commit points the table's
// catalog entry at a new manifest.
type Manifest struct {
	Table catalog.OID `json:"table"`
	Files []DataFile  `json:"files"`
}

// Rows returns the total row count.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Rows
	}
	return n
}

// EncodeManifest returns the manifest's object bytes.
func EncodeManifest(m *Manifest) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// DecodeManifest parses manifest object bytes.
func DecodeManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
