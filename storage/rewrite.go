package storage

import (
	"context"
	"fmt"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// RowRange is the row positions [Start, End) of a data file.
type RowRange struct {
	Start int64 `json:"s"`
	End   int64 `json:"e"`
}

// RewriteFile writes the rows of f that are not in drop as a new data file
// at key, in their order, with the table columns cols (the file's columns
// as the table has them now: columns added since f was written are NULL).
// drop holds sorted, non-overlapping, non-empty ranges within the file. f itself is
// left as it is (a data file is immutable). A rewrite that keeps no row
// writes no object and returns a DataFile with Rows 0.
func RewriteFile(ctx context.Context, store ObjectStore, f DataFile, cols []catalog.Column, key string, drop []RowRange) (DataFile, error) {
	var prev int64
	for _, r := range drop {
		if r.Start >= r.End || r.Start < prev || r.End > f.Rows {
			return DataFile{}, fmt.Errorf("storage: rewrite of %s: bad row range [%d, %d) (file has %d rows)", f.Key, r.Start, r.End, f.Rows)
		}
		prev = r.End
	}
	var dropped int64
	for _, r := range drop {
		dropped += r.End - r.Start
	}
	if dropped == f.Rows {
		return DataFile{}, nil
	}
	w, err := NewFileWriter(ctx, store, key, cols)
	if err != nil {
		return DataFile{}, err
	}
	ok := false
	defer func() {
		if !ok {
			w.Abort()
		}
	}()
	proj := make([]int, len(cols))
	types := make([]catalog.Type, len(cols))
	for i, c := range cols {
		proj[i], types[i] = i, c.Type
	}
	kept := vec.NewBatch(types, vec.BatchSize)
	var pos int64 // position of the batch's first row
	err = ScanFile(ctx, store, f, cols, proj, func(b *vec.Batch) error {
		end := pos + int64(b.N)
		defer func() { pos = end }()
		for len(drop) > 0 && drop[0].End <= pos {
			drop = drop[1:]
		}
		if len(drop) == 0 || drop[0].Start >= end {
			return w.Write(b) // nothing in this batch is dropped
		}
		kept.Reset()
		d := drop
		for r := 0; r < b.N; r++ {
			p := pos + int64(r)
			for len(d) > 0 && d[0].End <= p {
				d = d[1:]
			}
			if len(d) > 0 && d[0].Start <= p {
				continue
			}
			for c, v := range kept.Cols {
				v.AppendFrom(b.Cols[c], r)
			}
			kept.N++
		}
		if kept.N == 0 {
			return nil
		}
		return w.Write(kept)
	})
	if err != nil {
		return DataFile{}, err
	}
	if w.Rows() != f.Rows-dropped {
		return DataFile{}, fmt.Errorf("storage: rewrite of %s kept %d rows, want %d", f.Key, w.Rows(), f.Rows-dropped)
	}
	df, err := w.Close()
	if err != nil {
		return DataFile{}, err
	}
	ok = true
	return df, nil
}
