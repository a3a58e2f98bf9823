package coordinator

import (
	"context"
	"errors"
	"time"

	"github.com/cirrusdb/cirrus/internal/metrics"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// coordMetrics are the coordinator's Prometheus metrics (served at
// /metrics by the role's --http server).
type coordMetrics struct {
	reg       *metrics.Registry
	started   *metrics.Counter
	finished  *metrics.CounterVec // outcome, sqlstate_class
	ok        *metrics.Counter    // finished{outcome="ok",sqlstate_class="00"}
	latency   *metrics.Histogram
	rows      *metrics.Counter
	commits   *metrics.Counter
	rollbacks *metrics.Counter
	// peer counts what the coordinator asked of the other coordinators
	// and of metad's registry for them (peer.go), by request and outcome.
	peer *metrics.CounterVec
}

func newCoordMetrics(c *Coordinator) *coordMetrics {
	r := metrics.NewNodeRegistry(c.cfg.NodeID)
	m := &coordMetrics{reg: r,
		started: r.NewCounter("cirrus_coordinator_queries_started_total", "Statements started (simple and extended protocol)."),
		finished: r.NewCounterVec("cirrus_coordinator_queries_finished_total",
			"Statements finished, by outcome (ok, error, canceled) and SQLSTATE class (00 for success).", "outcome", "sqlstate_class"),
		latency: r.NewHistogram("cirrus_coordinator_query_duration_seconds",
			"Statement latency from start of execution to its last row or error.", metrics.LatencyBuckets),
		rows:      r.NewCounter("cirrus_coordinator_rows_returned_total", "Rows returned to clients by queries."),
		commits:   r.NewCounter("cirrus_coordinator_transactions_committed_total", "Transactions committed (explicit ones and the implicit one around a statement)."),
		rollbacks: r.NewCounter("cirrus_coordinator_transactions_rolled_back_total", "Transactions rolled back or failed (explicit ones and the implicit one around a statement)."),
		peer: r.NewCounterVec("cirrus_coordinator_peer_requests_total",
			"Requests for other coordinators: listings of them in metad's registry (list) and calls to their peer service (sessions, signal, cancel), by outcome (ok, error).", "request", "outcome"),
	}
	m.ok = m.finished.With("ok", "00")
	r.NewGaugeFunc("cirrus_coordinator_sessions", "Client sessions on this coordinator.",
		metrics.Always(func() int { n, _ := c.sessions.count(); return n }))
	r.NewGaugeFunc("cirrus_coordinator_open_transactions", "Sessions in a transaction block (BEGIN … COMMIT).",
		metrics.Always(func() int { _, n := c.sessions.count(); return n }))
	r.NewCounterFunc("cirrus_coordinator_catalog_rows_hits_total", "Catalog relation scans answered from the rows cached for the catalog snapshot.",
		metrics.Always(func() int64 { return c.catalogRows.hits.Load() }))
	r.NewCounterFunc("cirrus_coordinator_catalog_rows_misses_total", "Catalog relation scans that computed their rows (then cached for the snapshot).",
		metrics.Always(func() int64 { return c.catalogRows.misses.Load() }))
	return m
}

// peerRequest counts a request for other coordinators.
func (m *coordMetrics) peerRequest(request string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.peer.With(request, outcome).Inc()
}

// finish counts a finished statement; ctx is the context it ran under.
func (m *coordMetrics) finish(start time.Time, rows int64, err error, ctx context.Context) {
	m.latency.Observe(time.Since(start).Seconds())
	m.rows.Add(uint64(rows))
	if err == nil {
		m.ok.Inc()
		return
	}
	code := sqlerr.As(err).Code
	var e *sqlerr.Error
	if !errors.As(err, &e) && ctx.Err() != nil {
		code = sqlerr.QueryCanceled
	}
	outcome := "error"
	if code == sqlerr.QueryCanceled {
		outcome = "canceled"
	}
	m.finished.With(outcome, code[:2]).Inc()
}

// Metrics returns the coordinator's metrics registry (its catalog cache's
// metrics included); the role serves it at /metrics.
func (c *Coordinator) Metrics() *metrics.Registry { return c.metrics.reg }
