// Package metrics holds a node's operational counters, gauges and
// histograms and writes them in Prometheus's text exposition format
// (version 0.0.4), which every role serves at /metrics.
//
// It is small on purpose: the hot path of every metric is one or two atomic
// operations with no allocation and no lock (a labelled child is looked up
// in a copy-on-write map read with one atomic load, and callers on hot
// paths keep the child), and the format is written by hand. Values owned by
// other structures (cache counters, catalog sequence numbers) are read when
// scraped through CounterFunc and GaugeFunc instead of being copied.
//
// A Registry belongs to one node (a coordinator, a participant, metad); its
// constant labels (node="…") keep the series of several nodes apart when
// one process runs several (cirrus dev) and Write merges the registries'
// families by name. Go runtime metrics are per process (RegisterRuntime).
//
// Names follow Prometheus's conventions: cirrus_<role>_<what>_<unit>, with
// _total on counters; durations are in seconds, sizes in bytes.
package metrics

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Type is a metric family's TYPE.
type Type string

// The metric types written.
const (
	TypeCounter   Type = "counter"
	TypeGauge     Type = "gauge"
	TypeHistogram Type = "histogram"
)

// Registry is one node's set of metrics. Registration panics on an invalid
// or duplicate name (a programming error); everything else is safe for
// concurrent use.
type Registry struct {
	constLabels string // formatted `k="v",…` pairs, or ""

	mu      sync.Mutex
	names   map[string]bool
	metrics []metric // in registration order
}

// metric is one registered family's series in a registry.
type metric interface {
	info() *desc
	// samples appends the metric's current samples.
	samples(dst []sample) []sample
}

// desc is a family's name, help and type, and its variable label names.
type desc struct {
	name, help string
	typ        Type
	labels     []string
}

func (d *desc) info() *desc { return d }

// sample is one exposition line: name+suffix{labels} value.
type sample struct {
	suffix string // "", "_bucket", "_sum", "_count"
	labels string // formatted variable labels, or ""
	value  float64
}

// NewRegistry returns an empty registry whose series all carry the given
// constant labels, as name/value pairs ("node", "coordinator-1").
func NewRegistry(constLabels ...string) *Registry {
	if len(constLabels)%2 != 0 {
		panic("metrics: odd number of constant label strings")
	}
	var b strings.Builder
	for i := 0; i < len(constLabels); i += 2 {
		checkLabel(constLabels[i])
		appendLabel(&b, constLabels[i], constLabels[i+1])
	}
	return &Registry{constLabels: b.String(), names: map[string]bool{}}
}

// NewNodeRegistry returns the registry of node id: its series carry
// node="id" (none when id is empty, a node that is not registered).
func NewNodeRegistry(id string) *Registry {
	if id == "" {
		return NewRegistry()
	}
	return NewRegistry("node", id)
}

var (
	nameRE  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

func checkLabel(l string) {
	if !labelRE.MatchString(l) || strings.HasPrefix(l, "__") || l == "le" {
		panic(fmt.Sprintf("metrics: invalid label name %q", l))
	}
}

func (r *Registry) register(m metric) {
	d := m.info()
	if !nameRE.MatchString(d.name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", d.name))
	}
	for _, l := range d.labels {
		checkLabel(l)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names[d.name] {
		panic(fmt.Sprintf("metrics: %s registered twice", d.name))
	}
	r.names[d.name] = true
	r.metrics = append(r.metrics, m)
}

// ---- counters and gauges ----

// Counter is a monotonically increasing integer count.
type Counter struct {
	desc
	v atomic.Uint64
}

// NewCounter registers a counter.
func (r *Registry) NewCounter(name, help string) *Counter {
	c := &Counter{desc: desc{name: name, help: help, typ: TypeCounter}}
	r.register(c)
	return c
}

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value returns the count.
func (c *Counter) Value() uint64 { return c.v.Load() }

func (c *Counter) samples(dst []sample) []sample {
	return append(dst, sample{value: float64(c.v.Load())})
}

// Gauge is an integer value that goes up and down.
type Gauge struct {
	desc
	v atomic.Int64
}

// NewGauge registers a gauge.
func (r *Registry) NewGauge(name, help string) *Gauge {
	g := &Gauge{desc: desc{name: name, help: help, typ: TypeGauge}}
	r.register(g)
	return g
}

// Set sets the value.
func (g *Gauge) Set(v int64) { g.v.Store(v) }

// Add adds d (which may be negative).
func (g *Gauge) Add(d int64) { g.v.Add(d) }

// Value returns the value.
func (g *Gauge) Value() int64 { return g.v.Load() }

func (g *Gauge) samples(dst []sample) []sample {
	return append(dst, sample{value: float64(g.v.Load())})
}

// funcMetric is a value read when scraped.
type funcMetric struct {
	desc
	f func() (float64, bool)
}

func (m *funcMetric) samples(dst []sample) []sample {
	if v, ok := m.f(); ok {
		dst = append(dst, sample{value: v})
	}
	return dst
}

// NewCounterFunc registers a counter whose value f returns when scraped
// (a count kept elsewhere; it must never decrease). When f reports false
// the sample is left out of that scrape.
func (r *Registry) NewCounterFunc(name, help string, f func() (float64, bool)) {
	r.register(&funcMetric{desc: desc{name: name, help: help, typ: TypeCounter}, f: f})
}

// NewGaugeFunc registers a gauge whose value f returns when scraped; when
// it reports false the sample is left out of that scrape.
func (r *Registry) NewGaugeFunc(name, help string, f func() (float64, bool)) {
	r.register(&funcMetric{desc: desc{name: name, help: help, typ: TypeGauge}, f: f})
}

// Always adapts a function that always has a value for NewCounterFunc and
// NewGaugeFunc.
func Always[T int | int64 | uint64 | float64](f func() T) func() (float64, bool) {
	return func() (float64, bool) { return float64(f()), true }
}

// ---- labelled counters ----

// maxLabels bounds the number of variable labels of a vector.
const maxLabels = 3

// labelKey is a child's label values (unused ones empty): an array, so a
// lookup builds its key without allocating.
type labelKey [maxLabels]string

// CounterVec is a family of counters told apart by label values.
type CounterVec struct {
	desc
	mu       sync.Mutex                            // serializes adding children
	children atomic.Pointer[map[labelKey]*Counter] // copy on write
}

// NewCounterVec registers a family of counters with the given label names
// (at most 3).
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	if len(labels) == 0 || len(labels) > maxLabels {
		panic(fmt.Sprintf("metrics: %s: a vector needs 1 to %d labels", name, maxLabels))
	}
	v := &CounterVec{desc: desc{name: name, help: help, typ: TypeCounter, labels: labels}}
	m := map[labelKey]*Counter{}
	v.children.Store(&m)
	r.register(v)
	return v
}

// With returns the counter for the label values, one per label name,
// creating it on first use. Label values should come from a small set
// (outcomes, SQLSTATE classes): every distinct tuple is a series forever.
func (v *CounterVec) With(values ...string) *Counter {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", v.name, len(v.labels), len(values)))
	}
	var k labelKey
	copy(k[:], values)
	if c, ok := (*v.children.Load())[k]; ok {
		return c
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	old := *v.children.Load()
	if c, ok := old[k]; ok {
		return c
	}
	m := make(map[labelKey]*Counter, len(old)+1)
	for kk, c := range old {
		m[kk] = c
	}
	c := &Counter{}
	m[k] = c
	v.children.Store(&m)
	return c
}

func (v *CounterVec) samples(dst []sample) []sample {
	m := *v.children.Load()
	type kv struct {
		labels string
		c      *Counter
	}
	list := make([]kv, 0, len(m))
	for k, c := range m {
		var b strings.Builder
		for i, l := range v.labels {
			appendLabel(&b, l, k[i])
		}
		list = append(list, kv{b.String(), c})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].labels < list[j].labels })
	for _, e := range list {
		dst = append(dst, sample{labels: e.labels, value: float64(e.c.v.Load())})
	}
	return dst
}

// ---- histograms ----

// Histogram counts observations in buckets of upper bounds.
type Histogram struct {
	desc
	bounds []float64
	counts []atomic.Uint64 // per bucket (not cumulative); the last is +Inf
	count  atomic.Uint64
	sum    atomic.Uint64 // float64 bits
}

// LatencyBuckets are upper bounds in seconds for query and commit
// latencies: 1 ms to 2 min.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}

// NewHistogram registers a histogram with the given bucket upper bounds
// (increasing; +Inf is implied).
func (r *Registry) NewHistogram(name, help string, bounds []float64) *Histogram {
	for i := 1; i < len(bounds); i++ {
		if !(bounds[i] > bounds[i-1]) {
			panic(fmt.Sprintf("metrics: %s: bucket bounds not increasing", name))
		}
	}
	h := &Histogram{desc: desc{name: name, help: help, typ: TypeHistogram},
		bounds: append([]float64(nil), bounds...), counts: make([]atomic.Uint64, len(bounds)+1)}
	r.register(h)
	return h
}

// Observe records one value.
func (h *Histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v: le is inclusive
	h.counts[i].Add(1)
	for {
		old := h.sum.Load()
		if h.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			break
		}
	}
	h.count.Add(1)
}

// Count returns the number of observations.
func (h *Histogram) Count() uint64 { return h.count.Load() }

func (h *Histogram) samples(dst []sample) []sample {
	// The count is read first and the buckets are clamped to it, so a
	// scrape during Observe never shows a bucket above _count.
	count := h.count.Load()
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		le := "+Inf"
		if i < len(h.bounds) {
			le = formatFloat(h.bounds[i])
		}
		c := min(cum, count)
		if i == len(h.bounds) {
			c = count
		}
		dst = append(dst, sample{suffix: "_bucket", labels: `le="` + le + `"`, value: float64(c)})
	}
	return append(dst,
		sample{suffix: "_sum", value: math.Float64frombits(h.sum.Load())},
		sample{suffix: "_count", value: float64(count)})
}
