package coordinator

import (
	"context"
	"time"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// virtual resolves Cirrus's system views.
func (c *Coordinator) virtual(name string) (*planner.VirtualTable, bool) {
	switch name {
	case "cirrus_stat_catalog":
		return c.statCatalog(), true
	}
	return nil, false
}

// CatalogStats returns this coordinator's catalog cache statistics.
func (c *Coordinator) CatalogStats() exchange.NodeStats {
	_, seq := c.cat.Snapshot()
	return exchange.NodeStats{Node: c.cfg.NodeID, Role: "coordinator", Seq: seq, Cache: c.cat.Cache().Stats()}
}

// statCatalog is cirrus_stat_catalog: one row per node (this coordinator
// and every participant) with its catalog cache counters. metad_requests
// counts every request the node's cache made to metad.
func (c *Coordinator) statCatalog() *planner.VirtualTable {
	cols := []catalog.Column{
		{Name: "node", Type: catalog.TypeText}, {Name: "role", Type: catalog.TypeText},
		{Name: "applied_seq", Type: catalog.TypeInt8}, {Name: "metad_requests", Type: catalog.TypeInt8},
		{Name: "syscache_hits", Type: catalog.TypeInt8}, {Name: "syscache_misses", Type: catalog.TypeInt8},
		{Name: "relcache_hits", Type: catalog.TypeInt8}, {Name: "relcache_misses", Type: catalog.TypeInt8},
		{Name: "relcache_evictions", Type: catalog.TypeInt8}, {Name: "sets_applied", Type: catalog.TypeInt8},
		{Name: "loads", Type: catalog.TypeInt8}, {Name: "resets", Type: catalog.TypeInt8},
		{Name: "file_loads", Type: catalog.TypeInt8},
	}
	stats := []exchange.NodeStats{c.CatalogStats()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, p := range c.parts {
		if ns, err := p.CatalogStats(ctx); err == nil {
			if ns.Node == "" {
				ns.Node = p.Addr
			}
			stats = append(stats, ns)
		}
	}
	vt := &planner.VirtualTable{Columns: cols}
	for _, ns := range stats {
		st := ns.Cache
		vt.Rows = append(vt.Rows, []plan.Datum{
			{S: ns.Node}, {S: ns.Role}, {I: ns.Seq}, {I: st.SourceRequests},
			{I: st.SyscacheHits}, {I: st.SyscacheMisses}, {I: st.RelcacheHits}, {I: st.RelcacheMisses},
			{I: st.RelcacheEvictions}, {I: st.SetsApplied}, {I: st.Loads}, {I: st.Resets}, {I: st.FileLoads},
		})
	}
	return vt
}
