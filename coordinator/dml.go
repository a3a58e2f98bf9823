package coordinator

import (
	"context"
	"math/bits"
	"slices"
	"sync"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/vec"
)

// DELETE and UPDATE run their bound query (see planner/dml.go), which
// returns the ctid of every row to change, and collect the ctids per data
// file of the manifest the query read. Files without a hit stay as they
// are. A file whose every row is hit leaves the manifest; every other hit
// file is rewritten without the hit rows by the participant that scans it
// (exchange.RewriteAction): the data is read and written next to where it
// lives and is cached, instead of travelling to the coordinator and back.
// UPDATE writes the new versions of the rows as new files through the
// table writer, as INSERT does (NOT NULL is checked there). The
// transaction's manifest of the table then gets the rewritten files in the
// old files' places and the new files at the end; nothing is visible to
// other sessions before commit, and the commit's version check on the table
// makes a concurrent writer of the same table fail with 40001 instead of
// losing an update. Old files stay in the store for garbage collection.

// maxRewrites bounds the file rewrites one statement runs at once.
const maxRewrites = 8

// delete runs DELETE.
func (s *session) delete(ctx context.Context, st *planner.Delete) (int64, error) {
	m, err := s.manifestFor(ctx, st.Table)
	if err != nil {
		return 0, err
	}
	rs := newRowSet(m)
	err = s.runDML(ctx, st.Query, func(b *vec.Batch) error {
		for _, ctid := range b.Cols[0].I64[:b.N] {
			if _, err := rs.add(ctid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || rs.n == 0 {
		return 0, err
	}
	repl, err := s.rewriteFiles(ctx, st.Table, rs)
	if err != nil {
		return 0, err
	}
	s.replaceFiles(st.Table, m, repl)
	return rs.n, nil
}

// update runs UPDATE.
func (s *session) update(ctx context.Context, st *planner.Update) (int64, error) {
	m, err := s.manifestFor(ctx, st.Table)
	if err != nil {
		return 0, err
	}
	rs := newRowSet(m)
	tw := newTableWriter(s, st.Table)
	ok := false
	defer func() {
		if !ok {
			tw.abort()
		}
	}()
	types := make([]catalog.Type, len(st.Table.Columns))
	for i, c := range st.Table.Columns {
		types[i] = c.Type
	}
	// Small batches of new rows are collected up to a full batch, so that
	// an UPDATE of a few rows writes one small file, not one per
	// participant that found some.
	pending := vec.NewBatch(types, vec.BatchSize)
	flush := func() error {
		if pending.N == 0 {
			return nil
		}
		err := tw.send(ctx, pending)
		pending.Reset()
		return err
	}
	sel := make([]int, 0, vec.BatchSize)
	err = s.runDML(ctx, st.Query, func(b *vec.Batch) error {
		// A row that joined more than once is updated once, with its first
		// match.
		sel = sel[:0]
		for r, ctid := range b.Cols[0].I64[:b.N] {
			fresh, err := rs.add(ctid)
			if err != nil {
				return err
			}
			if fresh {
				sel = append(sel, r)
			}
		}
		if len(sel) == b.N && b.N >= vec.BatchSize/2 && pending.N == 0 {
			out := &vec.Batch{Cols: make([]*vec.Vector, len(types)), N: b.N}
			for i, t := range types {
				v := *b.Cols[i+1]
				v.Type = t
				out.Cols[i] = &v
			}
			return tw.send(ctx, out)
		}
		for _, r := range sel {
			for i, v := range pending.Cols {
				v.AppendFrom(b.Cols[i+1], r)
			}
			pending.N++
			if pending.N == vec.BatchSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil || rs.n == 0 {
		return 0, err
	}
	repl, err := s.rewriteFiles(ctx, st.Table, rs)
	if err != nil {
		return 0, err
	}
	s.replaceFiles(st.Table, m, repl)
	if err := tw.finish(ctx); err != nil {
		return 0, err
	}
	ok = true
	return rs.n, nil
}

// runDML runs a DELETE's or UPDATE's query, passing each batch to fn.
func (s *session) runDML(ctx context.Context, q plan.Node, fn func(*vec.Batch) error) error {
	op, err := executor.Build(ctx, q, s.env())
	if err != nil {
		return err
	}
	defer op.Close()
	for {
		b, err := op.Next(ctx)
		if err != nil || b == nil {
			return err
		}
		if b.N == 0 {
			continue
		}
		if b.Cols[0].Nulls != nil && slices.Contains(b.Cols[0].Nulls[:b.N], true) {
			return sqlerr.New(sqlerr.Internal, "DML query returned a NULL row identity")
		}
		if err := fn(b); err != nil {
			return err
		}
	}
}

// rewriteFiles rewrites every file with hits without its hit rows, on the
// participant that scans the file, several at once. The result maps each
// hit file's ordinal to its replacement (nil: the file goes away).
func (s *session) rewriteFiles(ctx context.Context, tab *catalog.Table, rs *rowSet) (map[int]*storage.DataFile, error) {
	repl := make(map[int]*storage.DataFile, len(rs.bits))
	var jobs []int
	for ord := range rs.bits {
		if rs.counts[ord] == rs.m.Files[ord].Rows {
			repl[ord] = nil
			continue
		}
		jobs = append(jobs, ord)
	}
	slices.Sort(jobs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, maxRewrites)
	)
	for _, ord := range jobs {
		req := &exchange.RewriteRequest{Table: *tab, File: rs.m.Files[ord], Key: storage.NewDataFileKey(tab.OID), Drop: rs.ranges(ord)}
		part := s.c.parts[ord%len(s.c.parts)] // as assignFiles deals them
		wg.Add(1)
		sem <- struct{}{}
		go func(ord int) {
			defer wg.Done()
			defer func() { <-sem }()
			df, err := part.Rewrite(ctx, req)
			if err == nil && df.Rows != req.File.Rows-rs.counts[ord] {
				err = sqlerr.Errorf(sqlerr.Internal, "rewrite of %s kept %d rows, want %d", req.File.Key, df.Rows, req.File.Rows-rs.counts[ord])
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			repl[ord] = &df
		}(ord)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return repl, nil
}

// replaceFiles sets the transaction's file list of tab to base (the file
// list the statement read) with each file in repl replaced by its new
// version, or left out where that is nil.
func (s *session) replaceFiles(tab *catalog.Table, base *storage.Manifest, repl map[int]*storage.DataFile) {
	t := s.txn
	m, ok := t.manifests[tab.OID]
	if !ok {
		m = &storage.Manifest{Table: tab.OID}
		t.manifests[tab.OID] = m
		t.put(s, &catalog.Object{Table: tab}, false)
	}
	files := make([]storage.DataFile, 0, len(base.Files))
	for i, f := range base.Files {
		if r, hit := repl[i]; hit {
			if r != nil {
				files = append(files, *r)
			}
			continue
		}
		files = append(files, f)
	}
	m.Files = files
}

// fileOrdinals returns, for a scan that reads row ids, the ordinals in m of
// the files shipped with it (nil for other scans).
func fileOrdinals(scan *plan.Scan, m *storage.Manifest, files []storage.DataFile) []int {
	if !scan.ReadsRowID() {
		return nil
	}
	byKey := make(map[string]int, len(m.Files))
	for i, f := range m.Files {
		byKey[f.Key] = i
	}
	out := make([]int, len(files))
	for i, f := range files {
		out[i] = byKey[f.Key]
	}
	return out
}

// rowSet is a set of rows of a manifest's files: a bitmap per file with
// hits.
type rowSet struct {
	m      *storage.Manifest
	bits   map[int][]uint64
	counts map[int]int64
	n      int64
}

func newRowSet(m *storage.Manifest) *rowSet {
	return &rowSet{m: m, bits: map[int][]uint64{}, counts: map[int]int64{}}
}

// add adds the row a ctid names and reports whether it was not in the set.
func (rs *rowSet) add(ctid int64) (bool, error) {
	ord, pos := int(ctid>>32), ctid&0xffffffff
	if ctid < 0 || ord >= len(rs.m.Files) || pos >= rs.m.Files[ord].Rows {
		return false, sqlerr.Errorf(sqlerr.Internal, "row identity %d is not in the table's %d files", ctid, len(rs.m.Files))
	}
	b := rs.bits[ord]
	if b == nil {
		b = make([]uint64, (rs.m.Files[ord].Rows+63)/64)
		rs.bits[ord] = b
	}
	w, bit := pos>>6, uint64(1)<<(pos&63)
	if b[w]&bit != 0 {
		return false, nil
	}
	b[w] |= bit
	rs.counts[ord]++
	rs.n++
	return true, nil
}

// ranges returns the rows of file ord in the set as sorted, disjoint
// ranges.
func (rs *rowSet) ranges(ord int) []storage.RowRange {
	var out []storage.RowRange
	for w, word := range rs.bits[ord] {
		for word != 0 {
			pos := int64(w*64 + bits.TrailingZeros64(word))
			word &= word - 1
			if n := len(out); n > 0 && out[n-1].End == pos {
				out[n-1].End++
			} else {
				out = append(out, storage.RowRange{Start: pos, End: pos + 1})
			}
		}
	}
	return out
}
