package catsync

import (
	"time"

	"github.com/cirrusdb/cirrus/catalog/cache"

	"github.com/cirrusdb/cirrus/internal/metrics"
)

// registerMetrics registers the node's catalog metrics: how far its cache
// has applied metad's queue, how far behind metad it is, and its cache
// counters.
func (n *Node) registerMetrics(r *metrics.Registry) {
	seq := func() int64 { return n.cache.Seq() }
	r.NewGaugeFunc("cirrus_catalog_applied_seq",
		"Invalidation sequence number this node's catalog cache has applied.", metrics.Always(seq))
	r.NewGaugeFunc("cirrus_catalog_latest_seq",
		"Highest sequence number metad's invalidation queue has delivered to this node (a change or a heartbeat).",
		metrics.Always(n.latest.Load))
	r.NewGaugeFunc("cirrus_catalog_lag_seq",
		"Invalidation lag: the latest sequence number heard from metad minus the one applied (0 when caught up).",
		metrics.Always(func() int64 { return max(n.latest.Load()-seq(), 0) }))
	r.NewGaugeFunc("cirrus_catalog_queue_silence_seconds",
		"Seconds since metad's invalidation queue last delivered anything (metad sends a heartbeat every 500 ms).",
		func() (float64, bool) {
			heard := n.heard.Load()
			if heard == 0 {
				return 0, false
			}
			return time.Since(time.Unix(0, heard)).Seconds(), true
		})
	stat := func(f func(s cache.Stats) int64) func() (float64, bool) {
		return metrics.Always(func() int64 { return f(n.cache.Stats()) })
	}
	r.NewCounterFunc("cirrus_catalog_sets_applied_total", "Invalidation sets with messages applied to the catalog cache.",
		stat(func(s cache.Stats) int64 { return s.SetsApplied }))
	r.NewCounterFunc("cirrus_catalog_loads_total", "Full catalog snapshots read from metad.",
		stat(func(s cache.Stats) int64 { return s.Loads }))
	r.NewCounterFunc("cirrus_catalog_resets_total", "Full snapshots that replaced a loaded catalog (compacted history or drift).",
		stat(func(s cache.Stats) int64 { return s.Resets }))
	r.NewCounterFunc("cirrus_catalog_metad_requests_total", "Requests the catalog cache made to metad.",
		stat(func(s cache.Stats) int64 { return s.SourceRequests }))
}
