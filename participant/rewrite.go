package participant

import (
	"encoding/json"

	"github.com/apache/arrow/go/v15/arrow/flight"

	"github.com/cirrusdb/cirrus/executor/exchange"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
	"github.com/cirrusdb/cirrus/storage"
	"github.com/cirrusdb/cirrus/vec"
)

// rewrite serves exchange.RewriteAction: it writes a data file again
// without the rows DELETE or UPDATE took out of it. The new object is not
// part of the table until the coordinator's commit references it.
func (s *Server) rewrite(a *flight.Action, stream flight.FlightService_DoActionServer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logf("participant: panic rewriting: %v", r)
			err = exchange.Errorf(sqlerr.Internal, "participant: internal error: %v", r)
		}
	}()
	var req exchange.RewriteRequest
	if err := json.Unmarshal(a.Body, &req); err != nil {
		return exchange.Errorf(sqlerr.ProtocolViolation, "bad rewrite request: %v", err)
	}
	df, err := storage.RewriteFile(stream.Context(), s.cfg.Store, req.File, req.Table.Columns, req.Key, req.Drop)
	if err != nil {
		return exchange.ToStatus(sqlerr.Wrap(err, sqlerr.IOError, "could not rewrite data file"))
	}
	body, _ := json.Marshal(df)
	return stream.Send(&flight.Result{Body: body})
}

// fileOrdinals returns the manifest ordinals of files, looked up by key in
// the fragment's Files and FileOrdinals (nil when the scan has none).
func fileOrdinals(sc *plan.Scan, files []storage.DataFile) []int {
	if len(sc.FileOrdinals) == 0 {
		return nil
	}
	byKey := make(map[string]int, len(sc.Files))
	for i, f := range sc.Files {
		byKey[f.Key] = sc.FileOrdinals[i]
	}
	out := make([]int, len(files))
	for i, f := range files {
		out[i] = byKey[f.Key]
	}
	return out
}

// setRowIDs turns the row positions a scan read for RowID columns into
// row ids: the file's manifest ordinal goes into the high 32 bits.
func setRowIDs(sc *plan.Scan, file int, b *vec.Batch) error {
	if len(sc.FileOrdinals) != len(sc.Files) {
		return sqlerr.New(sqlerr.Internal, "participant: scan of row ids without file ordinals")
	}
	hi := int64(sc.FileOrdinals[file]) << 32
	for k, c := range sc.Cols {
		if c != plan.RowID {
			continue
		}
		v := b.Cols[k].I64[:b.N]
		for j, pos := range v {
			if pos >= 1<<32 {
				return sqlerr.Errorf(sqlerr.ProgramLimitExceeded, "data file %s has more than 2^32 rows", sc.Files[file].Key)
			}
			v[j] = hi | pos
		}
	}
	return nil
}
