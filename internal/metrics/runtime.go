package metrics

import (
	"runtime"
	rtmetrics "runtime/metrics"
	"time"
)

// RegisterRuntime registers the process's Go runtime metrics, under the
// names Prometheus's Go client uses so that existing dashboards work:
// goroutines, heap bytes, GC cycles, GOMAXPROCS and the start time. Once
// per process (not per node).
func RegisterRuntime(r *Registry) {
	start := float64(time.Now().UnixNano()) / 1e9
	r.NewGaugeFunc("go_goroutines", "Number of goroutines that currently exist.",
		Always(runtime.NumGoroutine))
	read := func(name string) func() (float64, bool) {
		return func() (float64, bool) {
			s := []rtmetrics.Sample{{Name: name}}
			rtmetrics.Read(s)
			switch s[0].Value.Kind() {
			case rtmetrics.KindUint64:
				return float64(s[0].Value.Uint64()), true
			case rtmetrics.KindFloat64:
				return s[0].Value.Float64(), true
			}
			return 0, false
		}
	}
	r.NewGaugeFunc("go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects (live and not yet swept).",
		read("/memory/classes/heap/objects:bytes"))
	r.NewGaugeFunc("go_memstats_heap_inuse_bytes", "Bytes in in-use heap spans.",
		func() (float64, bool) {
			obj, ok1 := read("/memory/classes/heap/objects:bytes")()
			frag, ok2 := read("/memory/classes/heap/unused:bytes")()
			return obj + frag, ok1 && ok2
		})
	r.NewGaugeFunc("go_memstats_sys_bytes", "Bytes of memory obtained from the operating system.",
		read("/memory/classes/total:bytes"))
	r.NewCounterFunc("go_gc_cycles_total", "Completed GC cycles.", read("/gc/cycles/total:gc-cycles"))
	r.NewGaugeFunc("go_gomaxprocs", "The GOMAXPROCS setting.", Always(func() int { return runtime.GOMAXPROCS(0) }))
	r.NewGaugeFunc("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.",
		func() (float64, bool) { return start, true })
}
