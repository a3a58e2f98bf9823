package pgtype

import (
	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// Values holds a batch's values in their wire formats, encoded column by
// column with the column encoders (the type dispatched once per column);
// strings, whose text and binary forms are their bytes, are read in place.
// DataRows and COPY rows are then assembled from Value. The zero Values is
// ready; its buffers are reused by each Encode.
type Values struct {
	arena  []byte
	data   [][]byte // per column: the bytes holding its values
	starts []int    // per column: where its first value starts
	ends   [][]int  // per column: where each row's value ends
}

// Encode encodes the rows of b; binary(j) chooses the binary send format
// for column j, else the text output format (under out's settings).
func (vs *Values) Encode(b *vec.Batch, binary func(j int) bool, out Output) {
	ncol := len(b.Cols)
	for len(vs.ends) < ncol {
		vs.ends = append(vs.ends, nil)
	}
	vs.arena, vs.data, vs.starts = vs.arena[:0], vs.data[:0], vs.starts[:0]
	inPlace := func(j int, t catalog.Type) bool {
		// A record's bytes are its binary form.
		return t.IsString() || (t.IsBytesBacked() && t.Kind != catalog.Interval && binary(j) == (t.Kind == catalog.Record))
	}
	for j, v := range b.Cols {
		ends := vs.ends[j][:0]
		switch {
		case inPlace(j, v.Type):
			vs.starts = append(vs.starts, int(v.Offsets[0]))
			for i := 0; i < b.N; i++ {
				ends = append(ends, int(v.Offsets[i+1]))
			}
		case binary(j):
			vs.starts = append(vs.starts, len(vs.arena))
			vs.arena, ends = AppendBinaryColumn(vs.arena, ends, v, b.N)
		default:
			vs.starts = append(vs.starts, len(vs.arena))
			vs.arena, ends = AppendTextColumn(vs.arena, ends, v, b.N, out)
		}
		vs.ends[j] = ends
	}
	// Only now: the arena may have moved while it grew.
	for j, v := range b.Cols {
		if inPlace(j, v.Type) {
			vs.data = append(vs.data, v.Data)
		} else {
			vs.data = append(vs.data, vs.arena)
		}
	}
}

// Value returns row i of column j as encoded (meaningless for a NULL).
func (vs *Values) Value(j, i int) []byte {
	start := vs.starts[j]
	if i > 0 {
		start = vs.ends[j][i-1]
	}
	return vs.data[j][start:vs.ends[j][i]]
}
