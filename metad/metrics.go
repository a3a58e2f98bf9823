package metad

import (
	"context"
	"time"

	"github.com/cirrusdb/cirrus/internal/metrics"
)

// metadMetrics are metad's Prometheus metrics (served at /metrics by the
// role's --http server).
type metadMetrics struct {
	reg     *metrics.Registry
	commits *metrics.CounterVec // outcome
	latency *metrics.Histogram
}

// scrapeTimeout bounds the etcd reads a scrape makes.
const scrapeTimeout = 2 * time.Second

func newMetadMetrics(s *Server) *metadMetrics {
	r := metrics.NewRegistry()
	m := &metadMetrics{reg: r,
		commits: r.NewCounterVec("cirrus_metad_commits_total",
			"Catalog commits (one etcd transaction each), by outcome (ok, error).", "outcome"),
		latency: r.NewHistogram("cirrus_metad_commit_duration_seconds",
			"Catalog commit latency in metad, from taking the DDL lock to etcd's answer.", metrics.LatencyBuckets),
	}
	r.NewGaugeFunc("cirrus_metad_registered_nodes", "Coordinators and participants registered with a live lease.",
		func() (float64, bool) {
			ctx, cancel := context.WithTimeout(s.ctx, scrapeTimeout)
			defer cancel()
			nodes, _, err := s.listNodes(ctx)
			return float64(len(nodes)), err == nil
		})
	r.NewGaugeFunc("cirrus_metad_invalidation_seq", "Sequence number of the newest catalog change (invalidation set).",
		func() (float64, bool) {
			ctx, cancel := context.WithTimeout(s.ctx, scrapeTimeout)
			defer cancel()
			resp, err := s.cli.Get(ctx, s.k.catalogVersion())
			if err != nil {
				return 0, false
			}
			if len(resp.Kvs) == 0 {
				return 0, true
			}
			return float64(resp.Kvs[0].ModRevision), true
		})
	r.NewGaugeFunc("cirrus_metad_revision", "etcd's current revision as metad last read it (heartbeats carry it).",
		func() (float64, bool) {
			ctx, cancel := context.WithTimeout(s.ctx, scrapeTimeout)
			defer cancel()
			_, rev, err := s.readKeys(ctx, 0, nil)
			return float64(rev), err == nil
		})
	return m
}

// observeCommit counts a commit that took since start.
func (m *metadMetrics) observeCommit(start time.Time, err error) {
	m.latency.Observe(time.Since(start).Seconds())
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.commits.With(outcome).Inc()
}

// Metrics returns metad's metrics registry; the role serves it at /metrics.
func (s *Server) Metrics() *metrics.Registry { return s.metrics.reg }
