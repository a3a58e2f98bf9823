// Package dbgen generates the TPC-H tables byte for byte as the TPC-H kit's
// dbgen 2.17.3 does (in a build that writes no trailing '|' at the end of a
// line): '|'-separated rows, one per line, ISO dates.
//
// The generator reproduces dbgen's random number streams, distributions
// (dists.dss) and text pool. Because every row of a table starts at a fixed
// position of each random stream, any range of rows can be generated on its
// own; Generate uses that to build chunks of a table on all cores and writes
// them in order.
//
// Comments are cut from a 300 MiB text pool that is built (about a second of
// CPU, spread over all cores) on first use, shared, and released a couple of
// minutes after the last generation ends.
//
// Scale factors follow dbgen: for SF >= 1 only the integer part counts (SF
// 1.5 generates SF 1); below 1, the base row counts are scaled by
// int(1000·SF)/1000. SF must be below 30000 (from there on dbgen draws two
// columns from a different generator, which this package does not implement).
//
// The update sets of dbgen -U (refresh functions RF1 and RF2) are given by
// RefreshSet.
package dbgen

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
)

// Tables lists the 8 tables in dbgen's order.
var Tables = []string{"part", "partsupp", "supplier", "customer", "orders", "lineitem", "nation", "region"}

// group is a set of tables dbgen generates together, from one "unit" (row of
// the parent table) at a time: a part and its 4 partsupp rows, an order and
// its 1–7 lineitems.
type group struct {
	name   string
	tables []string
	chunk  int64 // units per parallel chunk
}

var groups = []group{
	{"part", []string{"part", "partsupp"}, 4096},
	{"supplier", []string{"supplier"}, 16384},
	{"customer", []string{"customer"}, 16384},
	{"orders", []string{"orders", "lineitem"}, 4096},
	{"nation", []string{"nation"}, 25},
	{"region", []string{"region"}, 5},
}

func groupOf(table string) (*group, int, error) {
	for gi := range groups {
		for ti, t := range groups[gi].tables {
			if t == table {
				return &groups[gi], ti, nil
			}
		}
	}
	return nil, 0, fmt.Errorf("dbgen: unknown table %q", table)
}

func (sc scaling) units(g *group) int64 {
	switch g.name {
	case "part":
		return sc.partRows()
	case "supplier":
		return sc.suppRows()
	case "customer":
		return sc.custRows()
	case "orders":
		return sc.ordersRows()
	case "nation":
		return int64(len(dNations.words))
	case "region":
		return int64(len(dRegions.words))
	}
	panic("dbgen: bad group " + g.name)
}

// Units returns the number of generation units of a table at scale factor sf:
// its row count, except for partsupp (4 rows per part) and lineitem (1–7 rows
// per order), whose units are parts and orders. WriteTable ranges are in
// units.
func Units(table string, sf float64) (int64, error) {
	sc, err := newScaling(sf)
	if err != nil {
		return 0, err
	}
	g, _, err := groupOf(table)
	if err != nil {
		return 0, err
	}
	return sc.units(g), nil
}

var lineCounts sync.Map // scaling → int64

// lineitemRows counts lineitems: the number of lines of order i is draw i of
// the line-count stream (one draw per order).
func lineitemRows(sc scaling) int64 {
	if n, ok := lineCounts.Load(sc); ok {
		return n.(int64)
	}
	s := stream{cur: streamDefs[sOLcnt].seed}
	var n int64
	for i := sc.ordersRows(); i > 0; i-- {
		n += s.unif(1, linesMax)
	}
	lineCounts.Store(sc, n)
	return n
}

// RowCount returns the number of rows of a table at scale factor sf (0 for an
// unknown table or a scale factor out of range).
func RowCount(table string, sf float64) int64 {
	sc, err := newScaling(sf)
	if err != nil {
		return 0
	}
	g, _, err := groupOf(table)
	if err != nil {
		return 0
	}
	switch table {
	case "partsupp":
		return 4 * sc.partRows()
	case "lineitem":
		return lineitemRows(sc)
	}
	return sc.units(g)
}

// chunkOut is what generating a range of units produced, per table of the
// group.
type chunkOut struct {
	buf  [2][]byte
	rows [2]int64
}

// genRange generates units [first, first+count) (1-based) of group g into
// out; want says which of the group's tables to produce (a nil buffer tells a
// generator to skip a table).
func genRange(gen *generator, g *group, want [2]bool, first, count int64, out *chunkOut) {
	var b [2][]byte
	for k := range b {
		out.rows[k] = 0
		if want[k] {
			if out.buf[k] == nil {
				out.buf[k] = make([]byte, 0, 64<<10)
			}
			b[k] = out.buf[k][:0]
		}
	}
	gen.seek(first)
	var rows [2]int64
	end := first + count
	for i := first; i < end; i++ {
		switch g.name {
		case "part":
			b[0], b[1] = gen.part(b[0], b[1], i)
			rows[0]++
			rows[1] += 4
		case "supplier":
			b[0] = gen.supplier(b[0], i)
			rows[0]++
		case "customer":
			b[0] = gen.customer(b[0], i)
			rows[0]++
		case "orders":
			var n int
			b[0], b[1], n = gen.order(b[0], b[1], i, 0)
			rows[0]++
			rows[1] += int64(n)
		case "nation":
			b[0] = gen.nation(b[0], i)
			rows[0]++
		case "region":
			b[0] = gen.region(b[0], i)
			rows[0]++
		}
		gen.nextRow()
	}
	for k := range b {
		if want[k] {
			out.buf[k], out.rows[k] = b[k], rows[k]
		}
	}
}

// WriteTable writes the rows of units [first, first+count) of a table (see
// Units; first is 0-based) to w, generating them on the calling goroutine. To
// load a table in parallel, call it on disjoint ranges from several
// goroutines; the concatenation of the ranges in order is the table file.
func WriteTable(ctx context.Context, w io.Writer, table string, sf float64, first, count int64) error {
	sc, err := newScaling(sf)
	if err != nil {
		return err
	}
	g, ti, err := groupOf(table)
	if err != nil {
		return err
	}
	total := sc.units(g)
	if first < 0 || count < 0 || first+count > total {
		return fmt.Errorf("dbgen: range [%d, %d) outside %s's %d units", first, first+count, table, total)
	}
	text := acquirePool()
	defer releasePool()
	gen := newGenerator(sc, text, g.name)
	var want [2]bool
	want[ti] = true
	var out chunkOut
	for count > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(count, g.chunk)
		genRange(gen, g, want, first+1, n, &out)
		if _, err := w.Write(out.buf[ti]); err != nil {
			return err
		}
		first += n
		count -= n
	}
	return nil
}

// Options control Generate and GenerateTo.
type Options struct {
	SF       float64  // scale factor
	Tables   []string // nil: all
	Parallel int      // goroutines; 0: runtime.GOMAXPROCS(0)
	// Progress, if set, is called from one goroutine after each chunk written.
	Progress func(table string, rowsDone, rowsTotal int64)
}

// job is a chunk of a group to generate.
type job struct {
	g     *group
	want  [2]bool
	first int64 // 1-based unit
	count int64
	done  chan *chunkOut
}

// Generate writes each requested table to dir/<table>.tbl, through a
// temporary file renamed when the table is complete.
func Generate(ctx context.Context, dir string, o Options) error {
	var (
		mu   sync.Mutex
		temp = map[string]*os.File{}
	)
	defer func() {
		for _, f := range temp { // tables not completed
			f.Close()
			os.Remove(f.Name())
		}
	}()
	return GenerateTo(ctx, o, func(table string) (io.WriteCloser, error) {
		f, err := os.CreateTemp(dir, table+".tbl.*.tmp")
		if err != nil {
			return nil, err
		}
		mu.Lock()
		temp[table] = f
		mu.Unlock()
		return &renameOnClose{f, filepath.Join(dir, table+".tbl"), func() {
			mu.Lock()
			delete(temp, table)
			mu.Unlock()
		}}, nil
	})
}

type renameOnClose struct {
	*os.File
	name string
	done func()
}

func (r *renameOnClose) Close() error {
	if err := r.File.Close(); err != nil {
		return err
	}
	if err := os.Rename(r.File.Name(), r.name); err != nil {
		return err
	}
	r.done()
	return nil
}

// GenerateTo generates the requested tables in parallel and streams each, in
// order, to a writer obtained from open. Close is called on a table's writer
// once all its bytes are written (not when GenerateTo fails).
func GenerateTo(ctx context.Context, o Options, open func(table string) (io.WriteCloser, error)) error {
	sc, err := newScaling(o.SF)
	if err != nil {
		return err
	}
	tables := o.Tables
	if tables == nil {
		tables = Tables
	}
	wanted := map[string]bool{}
	for _, t := range tables {
		if _, _, err := groupOf(t); err != nil {
			return err
		}
		wanted[t] = true
	}
	par := o.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}

	// the chunks of all requested tables, in output order
	var jobs []*job
	for gi := range groups {
		g := &groups[gi]
		var want [2]bool
		some := false
		for k, t := range g.tables {
			want[k] = wanted[t]
			some = some || want[k]
		}
		if !some {
			continue
		}
		n := sc.units(g)
		for first := int64(1); first <= n; first += g.chunk {
			jobs = append(jobs, &job{g: g, want: want, first: first, count: min(g.chunk, n-first+1), done: make(chan *chunkOut, 1)})
		}
	}
	type outFile struct {
		w         io.WriteCloser
		rows, tot int64
	}
	files := map[string]*outFile{}
	for t := range wanted {
		f := &outFile{}
		if o.Progress != nil {
			f.tot = RowCount(t, o.SF)
		}
		files[t] = f
	}

	text := acquirePool()
	defer releasePool()

	ctx, cancel := context.WithCancel(ctx)
	var (
		next   atomic.Int64
		tokens = make(chan struct{}, 2*par) // bounds the chunks in memory
		free   = make(chan *chunkOut, 3*par)
		wg     sync.WaitGroup
	)
	defer func() {
		cancel()
		wg.Wait()
	}()
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gens := map[string]*generator{}
			for {
				select {
				case tokens <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				gen := gens[j.g.name]
				if gen == nil {
					gen = newGenerator(sc, text, j.g.name)
					gens[j.g.name] = gen
				}
				var out *chunkOut
				select {
				case out = <-free:
				default:
					out = new(chunkOut)
				}
				genRange(gen, j.g, j.want, j.first, j.count, out)
				j.done <- out
			}
		}()
	}

	for i, j := range jobs {
		var out *chunkOut
		select {
		case out = <-j.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		for k, t := range j.g.tables {
			if !j.want[k] {
				continue
			}
			f := files[t]
			if f.w == nil {
				if f.w, err = open(t); err != nil {
					return err
				}
			}
			if _, err := f.w.Write(out.buf[k]); err != nil {
				return err
			}
			f.rows += out.rows[k]
			if o.Progress != nil {
				o.Progress(t, f.rows, f.tot)
			}
			if i+1 == len(jobs) || jobs[i+1].g != j.g {
				if err := f.w.Close(); err != nil {
					return err
				}
			}
		}
		select {
		case free <- out:
		default:
		}
		<-tokens
	}
	return nil
}
