package coordinator

import (
	"github.com/cirrusdb/cirrus/executor"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
)

// pruneFiles drops the files whose manifest statistics prove the scan's
// filter false for every row (executor.Pruner). Files are dealt to
// participants before pruning, so a file always goes to the same
// participant whatever the filter.
func pruneFiles(sc *plan.Scan, shares [][]storage.DataFile) [][]storage.DataFile {
	pr := executor.NewPruner(sc)
	if pr == nil {
		return shares
	}
	cols := sc.Table.Columns
	out := make([][]storage.DataFile, len(shares))
	for p, files := range shares {
		for _, f := range files {
			if pr.MayMatch(func(ci int) storage.Bounds { return f.ColumnBounds(cols, ci) }) {
				out[p] = append(out[p], f)
			}
		}
	}
	return out
}
