package coordinator

import (
	"context"
	"math"
	"strconv"
	"sync"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/pgtype"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/storage"
)

// statsCache maps a manifest key to the planner statistics derived from
// it (manifests are immutable, so the statistics are too).
type statsCache struct{ m sync.Map }

// tableStats returns join-ordering statistics for a table as this session
// sees it: row counts from the manifest, and for int64-backed columns an
// upper bound of their distinct values from the files' min/max.
func (s *session) tableStats(t *catalog.Table) *planner.TableStats {
	m, err := s.manifestFor(context.Background(), t)
	if err != nil {
		return nil
	}
	key := t.Manifest
	if s.txn != nil {
		if _, ok := s.txn.manifests[t.OID]; ok {
			key = "" // the transaction's own files: not cached
		}
	}
	if key != "" {
		if st, ok := s.c.stats.m.Load(key); ok {
			return st.(*planner.TableStats)
		}
	}
	st := deriveStats(t, m)
	if key != "" {
		s.c.stats.m.Store(key, st)
	}
	return st
}

func deriveStats(t *catalog.Table, m *storage.Manifest) *planner.TableStats {
	st := &planner.TableStats{Rows: float64(m.Rows()), NDV: make([]float64, len(t.Columns)), Clustered: make([]bool, len(t.Columns))}
	for i, c := range t.Columns {
		if !c.Type.IsInt64Backed() || c.Dropped {
			continue
		}
		lo, hi, ok := int64(math.MaxInt64), int64(math.MinInt64), true
		for _, f := range m.Files {
			if i >= len(f.Stats) || !f.Stats[i].HasMinMax {
				ok = false
				break
			}
			a, err1 := pgtype.ParseText(c.Type, []byte(f.Stats[i].Min))
			b, err2 := pgtype.ParseText(c.Type, []byte(f.Stats[i].Max))
			if err1 != nil || err2 != nil {
				ok = false
				break
			}
			lo, hi = min(lo, a.I), max(hi, b.I)
		}
		if ok && hi >= lo {
			st.NDV[i] = math.Min(float64(hi)-float64(lo)+1, st.Rows)
			st.Clustered[i] = clustered(m.Files, i, c.Type, lo, hi)
		}
	}
	return st
}

// rowsSetting reads a row-count session setting such as
// cirrus.broadcast_rows (0 when unset or invalid, which means the default;
// an explicit 0 reads as -1: "none" or "always", as the setting says).
func (s *session) rowsSetting(name string) float64 {
	v, ok := s.vars[name]
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0
	}
	if f == 0 {
		return -1
	}
	return f
}

// clustered reports whether the files' ranges of column col (over [lo, hi]
// in all) are nearly disjoint: their widths add up to at most 1.5 times the
// whole range. One file is not clustered (nothing to divide).
func clustered(files []storage.DataFile, col int, typ catalog.Type, lo, hi int64) bool {
	if len(files) < 2 {
		return false
	}
	var sum float64
	for _, f := range files {
		a, b, ok := fileRange(f, col, typ)
		if !ok {
			return false
		}
		sum += float64(b) - float64(a) + 1
	}
	return sum <= 1.5*(float64(hi)-float64(lo)+1)
}
