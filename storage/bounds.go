package storage

import (
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/parquet/metadata"

	"github.com/cirrusdb/cirrus/catalog"
)

// Bounds describe the values of one column over a set of rows (a file or a
// row group) in execution form, for pruning: int64-backed types (integers,
// scaled numerics, dates in days and timestamps in µs since 2000-01-01) in
// MinI/MaxI, strings bytewise in MinB/MaxB (as stored: CHAR values padded).
// Floats, booleans and dynamic-scale numerics get no min/max.
type Bounds struct {
	Rows       int64
	Nulls      int64 // -1 when unknown
	HasMinMax  bool
	MinI, MaxI int64
	MinB, MaxB []byte
}

// Unknown returns bounds that prove nothing about rows rows.
func Unknown(rows int64) Bounds { return Bounds{Rows: rows, Nulls: -1} }

// AllNull reports whether every row is known to be NULL.
func (b Bounds) AllNull() bool { return b.Nulls >= 0 && b.Nulls == b.Rows }

// boundsKind reports how t's bounds are kept: 'i' int64, 's' bytes, 0 none.
func boundsKind(t catalog.Type) byte {
	switch {
	case t.Kind == catalog.Numeric && t.Scale < 0:
		return 0
	case t.IsString():
		return 's'
	case t.IsInt64Backed():
		return 'i'
	}
	return 0
}

// RowGroupBounds returns the bounds of table column ci (of cols) in row
// group rg, from the Parquet statistics.
func (m *FileMeta) RowGroupBounds(rg int, cols []catalog.Column, ci int) Bounds {
	rows := m.rgRows[rg]
	if ci < 0 || ci >= len(cols) {
		return Unknown(rows)
	}
	if ci >= m.md.Schema.NumColumns() {
		// A column added after the file was written reads as NULL.
		return Bounds{Rows: rows, Nulls: rows}
	}
	t := cols[ci].Type
	kind, err := kindOf(t)
	if err != nil || m.md.Schema.Column(ci).PhysicalType() != kind.parquetType() {
		return Unknown(rows)
	}
	b := Unknown(rows)
	_ = catchPanic(func() error {
		cc, err := m.md.RowGroup(rg).ColumnChunk(ci)
		if err != nil {
			return err
		}
		if ok, err := cc.StatsSet(); err != nil || !ok {
			return err
		}
		st, err := cc.Statistics()
		if err != nil || st == nil {
			return err
		}
		if st.HasNullCount() {
			b.Nulls = st.NullCount()
		}
		if !st.HasMinMax() {
			return nil
		}
		switch bk := boundsKind(t); {
		case bk == 'i' && (kind == pkInt32 || kind == pkDate):
			s, ok := st.(*metadata.Int32Statistics)
			if !ok {
				return nil
			}
			b.MinI, b.MaxI = int64(s.Min()), int64(s.Max())
			if kind == pkDate {
				b.MinI, b.MaxI = fromUnixDays(s.Min()), fromUnixDays(s.Max())
			}
			b.HasMinMax = true
		case bk == 'i' && (kind == pkInt64 || kind == pkTimestamp):
			s, ok := st.(*metadata.Int64Statistics)
			if !ok {
				return nil
			}
			b.MinI, b.MaxI = s.Min(), s.Max()
			if kind == pkTimestamp {
				b.MinI, b.MaxI = fromUnixMicros(b.MinI), fromUnixMicros(b.MaxI)
			}
			b.HasMinMax = true
		case bk == 's':
			s, ok := st.(*metadata.ByteArrayStatistics)
			if !ok {
				return nil
			}
			b.MinB, b.MaxB = []byte(s.Min()), []byte(s.Max())
			b.HasMinMax = true
		}
		return nil
	})
	return b
}

// ColumnBounds returns the bounds of table column ci (of cols) over the
// whole file, from the manifest's statistics.
func (f DataFile) ColumnBounds(cols []catalog.Column, ci int) Bounds {
	b := Unknown(f.Rows)
	if ci < 0 || ci >= len(cols) || ci >= len(f.Stats) {
		return b
	}
	cs := f.Stats[ci]
	b.Nulls = cs.NullCount
	if !cs.HasMinMax {
		return b
	}
	t := cols[ci].Type
	switch boundsKind(t) {
	case 's':
		b.MinB, b.MaxB = []byte(cs.Min), []byte(cs.Max)
		b.HasMinMax = true
	case 'i':
		lo, ok1 := parseStatInt(t, cs.Min)
		hi, ok2 := parseStatInt(t, cs.Max)
		if ok1 && ok2 {
			b.MinI, b.MaxI, b.HasMinMax = lo, hi, true
		}
	}
	return b
}

// parseStatInt parses a statistic written by statsAcc.result.
func parseStatInt(t catalog.Type, s string) (int64, bool) {
	switch {
	case t.Kind == catalog.Numeric:
		return parseScaled(s, t.Scale)
	case t.Kind == catalog.Date:
		if strings.HasSuffix(s, " BC") {
			return 0, false
		}
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return 0, false
		}
		return d.Unix()/86400 - pgEpochDays, true
	case t.IsTimestamp():
		if strings.HasSuffix(s, " BC") {
			return 0, false
		}
		ts, err := time.Parse("2006-01-02 15:04:05.999999", s)
		if err != nil {
			return 0, false
		}
		return ts.Unix()*1e6 + int64(ts.Nanosecond()/1000) - pgEpochMicros, true
	case t.IsInteger():
		x, err := strconv.ParseInt(s, 10, 64)
		return x, err == nil
	}
	return 0, false
}

// parseScaled parses a decimal with exactly scale fractional digits (as
// formatNumeric writes it) into a scaled integer.
func parseScaled(s string, scale int32) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	if len(fp) != int(scale) || ip == "" {
		return 0, false
	}
	u, err := strconv.ParseUint(ip+fp, 10, 63)
	if err != nil {
		return 0, false
	}
	x := int64(u)
	if neg {
		x = -x
	}
	return x, true
}
