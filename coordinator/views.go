package coordinator

import (
	"context"
	"slices"
	"sync"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// The system views (system.go).

// OIDs of Cirrus's own system views: unused by PostgreSQL 15, below
// FirstGenbkiObjectId (10000), so never a user object's.
const (
	cirrusStatCatalogOID  catalog.OID = 9890
	cirrusStatStorageOID  catalog.OID = 9891
	cirrusStatActivityOID catalog.OID = 9892
)

// CatalogStats returns this coordinator's catalog cache statistics.
func (c *Coordinator) CatalogStats() exchange.NodeStats {
	_, seq := c.cat.Snapshot()
	return exchange.NodeStats{Node: c.cfg.NodeID, Role: "coordinator", Seq: seq, Cache: c.cat.Cache().Stats()}
}

// statCatalog is cirrus_stat_catalog: one row per node (this coordinator
// and every participant that answers) with its catalog cache counters.
// metad_requests counts every request the node's cache made to metad.
var statCatalog = &systemRelation{
	SystemRelation: planner.SystemRelation{
		OID: cirrusStatCatalogOID, Name: "cirrus_stat_catalog", Kind: planner.SystemView,
		Columns: slices.Concat(columns(catalog.TypeText, "node", "role"), columns(catalog.TypeInt8,
			"applied_seq", "metad_requests", "syscache_hits", "syscache_misses", "relcache_hits", "relcache_misses",
			"relcache_evictions", "sets_applied", "loads", "resets", "file_loads")),
	},
	rows: func(s *session, ctx context.Context) ([][]plan.Datum, error) {
		stats := []exchange.NodeStats{s.c.CatalogStats()}
		res, errs := askAll(ctx, s.c.parts, statsTimeout, (*exchange.Client).CatalogStats)
		for i, ns := range res {
			if errs[i] != nil {
				continue
			}
			if ns.Node == "" {
				ns.Node = s.c.parts[i].Addr
			}
			stats = append(stats, ns)
		}
		var rows [][]plan.Datum
		for _, ns := range stats {
			st := ns.Cache
			rows = append(rows, []plan.Datum{
				{S: ns.Node}, {S: ns.Role}, {I: ns.Seq}, {I: st.SourceRequests},
				{I: st.SyscacheHits}, {I: st.SyscacheMisses}, {I: st.RelcacheHits}, {I: st.RelcacheMisses},
				{I: st.RelcacheEvictions}, {I: st.SetsApplied}, {I: st.Loads}, {I: st.Resets}, {I: st.FileLoads},
			})
		}
		return rows, nil
	},
}

// statStorage is cirrus_stat_storage: one row per participant with its
// storage counters since it started. memory_* is the decoded column cache
// (memory_hits counts every lookup that found its chunk, decoded or being
// decoded for another query); disk_* is the disk cache of object bytes,
// NULL when the participant has none; a hit ratio is NULL before the first
// lookup. A participant that does not answer within statsTimeout has a row
// of NULL counters (its node NULL unless it answered before).
var statStorage = &systemRelation{
	SystemRelation: planner.SystemRelation{OID: cirrusStatStorageOID, Name: "cirrus_stat_storage", Kind: planner.SystemView, Columns: storageColumns},
	rows: func(s *session, ctx context.Context) ([][]plan.Datum, error) {
		res, errs := askAll(ctx, s.c.parts, statsTimeout, (*exchange.Client).StorageStats)
		rows := make([][]plan.Datum, len(res))
		for i := range res {
			addr := s.c.parts[i].Addr
			var st *exchange.StorageStats
			if errs[i] == nil {
				st = &res[i]
				participantNodes.Store(addr, st.Node)
			}
			node := plan.Datum{Null: true}
			if n, ok := participantNodes.Load(addr); ok {
				node = plan.Datum{S: n.(string)}
			}
			rows[i] = storageRow(node, addr, st)
		}
		return rows, nil
	},
}

// participantNodes maps a participant's address to the node ID it last
// reported, to name it in its row while it does not answer. It is shared
// by the coordinators of a process: a participant's ID is the same to all.
var participantNodes sync.Map

var storageColumns = slices.Concat(
	columns(catalog.TypeText, "node", "addr"),
	columns(catalog.TypeInt8, "memory_hits", "memory_misses", "memory_evictions", "memory_bytes", "memory_max_bytes",
		"disk_hits", "disk_misses", "disk_hit_bytes", "disk_miss_bytes", "disk_evictions", "disk_bytes", "disk_max_bytes"),
	columns(catalog.TypeFloat8, "memory_hit_ratio", "disk_hit_ratio"),
	columns(catalog.TypeInt8, "row_groups_scanned", "row_groups_pruned"),
)

// storageRow is a participant's row of cirrus_stat_storage; st is nil when
// it did not answer.
func storageRow(node plan.Datum, addr string, st *exchange.StorageStats) []plan.Datum {
	row := []plan.Datum{node, {S: addr}}
	if st == nil {
		return append(row, nulls(len(storageColumns)-len(row))...)
	}
	m, d := st.Cache, st.Disk
	row = append(row, ints(m.Hits+m.Waits, m.Misses, m.Evictions, m.Bytes, m.MaxBytes)...)
	diskRatio := plan.Datum{Null: true}
	if d != nil {
		row = append(row, ints(d.Hits, d.Misses, d.HitBytes, d.MissBytes, d.Evictions, d.Bytes, d.MaxBytes)...)
		diskRatio = hitRatio(d.Hits, d.Misses)
	} else {
		row = append(row, nulls(7)...)
	}
	row = append(row, hitRatio(m.Hits+m.Waits, m.Misses), diskRatio)
	return append(row, ints(st.RowGroupsScanned, st.RowGroupsPruned)...)
}

// hitRatio is hits/(hits+misses) as a float8 datum, NULL when there were
// no lookups.
func hitRatio(hits, misses int64) plan.Datum {
	if hits+misses == 0 {
		return plan.Datum{Null: true}
	}
	return plan.Datum{F: float64(hits) / float64(hits+misses)}
}

func ints(xs ...int64) []plan.Datum {
	ds := make([]plan.Datum, len(xs))
	for i, x := range xs {
		ds[i] = plan.Datum{I: x}
	}
	return ds
}

func nulls(n int) []plan.Datum {
	ds := make([]plan.Datum, n)
	for i := range ds {
		ds[i].Null = true
	}
	return ds
}
