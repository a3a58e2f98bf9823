package participant

import (
	"context"

	"google.golang.org/grpc/stats"

	"github.com/cirrusdb/cirrus/internal/metrics"
	"github.com/cirrusdb/cirrus/storage"
)

// partMetrics are the participant's Prometheus metrics (served at /metrics
// by the role's --http server).
type partMetrics struct {
	reg                 *metrics.Registry
	fragments           *metrics.Counter
	running             *metrics.Gauge
	flightIn, flightOut *metrics.Counter
}

func newPartMetrics(s *Server) *partMetrics {
	r := metrics.NewNodeRegistry(s.cfg.NodeID)
	m := &partMetrics{reg: r,
		fragments: r.NewCounter("cirrus_participant_fragments_total", "Fragments started (query fragments, shuffle producers and consumers)."),
		running:   r.NewGauge("cirrus_participant_fragments_running", "Fragments running now."),
		flightIn: r.NewCounter("cirrus_participant_exchange_received_bytes_total",
			"Bytes of Flight messages the participant received (fragment requests, shuffled and broadcast rows, writes)."),
		flightOut: r.NewCounter("cirrus_participant_exchange_sent_bytes_total",
			"Bytes of Flight messages the participant's server sent (fragment results to coordinators)."),
	}
	r.NewCounterFunc("cirrus_participant_row_groups_scanned_total", "Row groups scans read.",
		metrics.Always(s.scans.scanned.Load))
	r.NewCounterFunc("cirrus_participant_row_groups_pruned_total", "Row groups skipped because their statistics prove the filter false.",
		metrics.Always(s.scans.pruned.Load))
	mem := func(f func(storage.CacheStats) int64) func() (float64, bool) {
		return metrics.Always(func() int64 { return f(s.cache.Stats()) })
	}
	r.NewCounterFunc("cirrus_participant_scan_rows_total", "Rows of the row groups scans read (after pruning).",
		mem(func(c storage.CacheStats) int64 { return c.RowsRead }))
	r.NewCounterFunc("cirrus_participant_scan_bytes_total", "Decoded bytes of the column chunks scans read (from the cache or decoded).",
		mem(func(c storage.CacheStats) int64 { return c.BytesRead }))
	r.NewCounterFunc("cirrus_participant_memory_cache_hits_total", "Decoded column cache lookups that found their chunk (decoded or being decoded).",
		mem(func(c storage.CacheStats) int64 { return c.Hits + c.Waits }))
	r.NewCounterFunc("cirrus_participant_memory_cache_misses_total", "Decoded column cache lookups that decoded their chunk.",
		mem(func(c storage.CacheStats) int64 { return c.Misses }))
	r.NewCounterFunc("cirrus_participant_memory_cache_evictions_total", "Chunks evicted from the decoded column cache.",
		mem(func(c storage.CacheStats) int64 { return c.Evictions }))
	r.NewGaugeFunc("cirrus_participant_memory_cache_bytes", "Bytes held by the decoded column cache.",
		mem(func(c storage.CacheStats) int64 { return c.Bytes }))
	r.NewGaugeFunc("cirrus_participant_memory_cache_max_bytes", "Bound of the decoded column cache.",
		mem(func(c storage.CacheStats) int64 { return c.MaxBytes }))
	if s.disk != nil {
		disk := func(f func(storage.DiskCacheStats) int64) func() (float64, bool) {
			return metrics.Always(func() int64 { return f(s.disk.Stats()) })
		}
		r.NewCounterFunc("cirrus_participant_disk_cache_hits_total", "Disk cache block reads served from local disk.",
			disk(func(c storage.DiskCacheStats) int64 { return c.Hits }))
		r.NewCounterFunc("cirrus_participant_disk_cache_misses_total", "Disk cache block reads fetched from the object store.",
			disk(func(c storage.DiskCacheStats) int64 { return c.Misses }))
		r.NewCounterFunc("cirrus_participant_disk_cache_hit_bytes_total", "Bytes read from the disk cache.",
			disk(func(c storage.DiskCacheStats) int64 { return c.HitBytes }))
		r.NewCounterFunc("cirrus_participant_disk_cache_miss_bytes_total", "Bytes fetched from the object store through the disk cache.",
			disk(func(c storage.DiskCacheStats) int64 { return c.MissBytes }))
		r.NewCounterFunc("cirrus_participant_disk_cache_evictions_total", "Blocks evicted from the disk cache.",
			disk(func(c storage.DiskCacheStats) int64 { return c.Evictions }))
		r.NewGaugeFunc("cirrus_participant_disk_cache_bytes", "Bytes held by the disk cache.",
			disk(func(c storage.DiskCacheStats) int64 { return c.Bytes }))
		r.NewGaugeFunc("cirrus_participant_disk_cache_max_bytes", "Bound of the disk cache.",
			disk(func(c storage.DiskCacheStats) int64 { return c.MaxBytes }))
	}
	return m
}

// Metrics returns the participant's metrics registry (its catalog cache's
// metrics included); the role serves it at /metrics.
func (s *Server) Metrics() *metrics.Registry { return s.metrics.reg }

// flightStats counts the bytes of the Flight server's messages.
type flightStats struct{ m *partMetrics }

func (h flightStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (h flightStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (h flightStats) HandleConn(context.Context, stats.ConnStats)                       {}

func (h flightStats) HandleRPC(_ context.Context, st stats.RPCStats) {
	switch p := st.(type) {
	case *stats.InPayload:
		h.m.flightIn.Add(uint64(p.WireLength))
	case *stats.OutPayload:
		h.m.flightOut.Add(uint64(p.WireLength))
	}
}
