package metrics_test

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cirrusdb/cirrus/internal/metrics"
	"github.com/cirrusdb/cirrus/internal/metrics/metricstest"
)

func TestExposition(t *testing.T) {
	a := metrics.NewRegistry("node", "a")
	b := metrics.NewRegistry("node", `b"\`+"\n")
	proc := metrics.NewRegistry()
	metrics.RegisterRuntime(proc)
	var hs []*metrics.Histogram
	for i, r := range []*metrics.Registry{a, b} {
		c := r.NewCounter("test_events_total", "Events.\nTwo lines, a \\ backslash.")
		c.Add(uint64(3 + i))
		g := r.NewGauge("test_sessions", "Sessions.")
		g.Add(5)
		g.Add(-2)
		v := r.NewCounterVec("test_queries_total", "Queries by outcome.", "outcome", "class")
		v.With("ok", "00").Inc()
		v.With("error", "22").Add(2)
		v.With("ok", "00").Inc()
		r.NewGaugeFunc("test_lag", "Lag.", metrics.Always(func() int64 { return 7 }))
		r.NewGaugeFunc("test_missing", "Never there.", func() (float64, bool) { return 0, false })
		hs = append(hs, r.NewHistogram("test_latency_seconds", "Latency.", []float64{0.01, 0.1, 1}))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				hs[w%2].Observe(float64(i%4) * 0.05) // 0, .05, .1, .15
			}
		}()
	}
	srv := httptest.NewServer(metrics.Handler(func() []*metrics.Registry { return []*metrics.Registry{a, b, proc} }))
	defer srv.Close()
	for range 5 { // scrapes during the observations stay valid
		metricstest.Get(t, srv.URL)
	}
	wg.Wait()
	s := metricstest.Get(t, srv.URL)
	check := func(want float64, name string, labels ...string) {
		t.Helper()
		if v, ok := s.Value(name, labels...); !ok || v != want {
			t.Errorf("%s%v = %v (found %v), want %v", name, labels, v, ok, want)
		}
	}
	check(3, "test_events_total", "node", "a")
	check(4, "test_events_total", "node", `b"\`+"\n")
	check(6, "test_sessions")
	check(2, "test_queries_total", "node", "a", "outcome", "ok", "class", "00")
	check(4, "test_queries_total", "outcome", "error")
	check(14, "test_lag")
	check(4000, "test_latency_seconds")
	if _, ok := s.Value("test_missing"); ok {
		t.Error("test_missing has a sample")
	}
	if v, _ := s.Value("go_goroutines"); v < 1 {
		t.Errorf("go_goroutines = %v", v)
	}
	// Buckets: le is inclusive; 0 → 0.01, .05 and .1 → 0.1, .15 → 1.
	h := s.Families["test_latency_seconds"].Metric[0].GetHistogram()
	var got []uint64
	for _, bk := range h.Bucket {
		got = append(got, bk.GetCumulativeCount())
	}
	if want := []uint64{500, 1500, 2000, 2000}; !equal(got, want) {
		t.Errorf("buckets %v, want %v", got, want)
	}
	if sum := h.GetSampleSum(); sum < 149.99 || sum > 150.01 {
		t.Errorf("sum %v, want 150", sum)
	}
	if strings.Count(s.Text, "# TYPE test_events_total counter\n") != 1 {
		t.Errorf("family written more than once:\n%s", s.Text)
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCheckerRejects(t *testing.T) {
	for _, bad := range []string{
		"x_total 1\n", // no TYPE
		"# HELP x_total h\n# TYPE x_total counter\nx_total 1\n# HELP y h\n# TYPE y gauge\ny 1\nx_total{a=\"b\"} 2\n", // not contiguous
		"# HELP x h\n# TYPE x counter\nx 1\n", // counter without _total
		"# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n", // not cumulative
		"# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", // +Inf != count
		"# HELP x-y h\n# TYPE x-y gauge\nx-y 1\n",                                                             // bad name
	} {
		if _, err := metricstest.Parse(bad); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}

func TestRegistrationPanics(t *testing.T) {
	r := metrics.NewRegistry()
	r.NewCounter("dup_total", "d")
	for _, f := range []func(){
		func() { r.NewCounter("dup_total", "d") },
		func() { r.NewGauge("bad-name", "d") },
		func() { r.NewCounterVec("v_total", "d", "le") },
		func() { r.NewHistogram("h", "d", []float64{1, 1}) },
		func() { r.NewCounterVec("w_total", "d", "a").With("x", "y") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

func BenchmarkHotPath(b *testing.B) {
	r := metrics.NewRegistry()
	c := r.NewCounter("c_total", "c")
	v := r.NewCounterVec("v_total", "v", "outcome", "class")
	h := r.NewHistogram("h_seconds", "h", metrics.LatencyBuckets)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Inc()
			v.With("ok", "00").Inc()
			h.Observe(0.003)
		}
	})
}
