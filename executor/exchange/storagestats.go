package exchange

import (
	"context"
	"encoding/json"

	"github.com/apache/arrow/go/v15/arrow/flight"

	"github.com/cirrusdb/cirrus/storage"
)

// StorageStatsAction is the Flight action that returns a participant's
// storage counters as JSON (a StorageStats).
const StorageStatsAction = "storage_stats"

// StorageStats are a participant's storage counters (cirrus_stat_storage).
type StorageStats struct {
	Node string `json:"node"`
	// Cache is the decoded column cache.
	Cache storage.CacheStats `json:"cache"`
	// Disk is the local disk cache of object bytes; nil when the
	// participant reads its store directly (a local directory).
	Disk *storage.DiskCacheStats `json:"disk,omitempty"`
	// Row groups scanned and skipped by their statistics; files skipped by
	// the coordinator never arrive.
	RowGroupsScanned int64 `json:"row_groups_scanned"`
	RowGroupsPruned  int64 `json:"row_groups_pruned"`
}

// StorageStats asks a participant for its storage counters.
func (c *Client) StorageStats(ctx context.Context) (StorageStats, error) {
	var st StorageStats
	err := c.actionJSON(ctx, StorageStatsAction, &st)
	return st, err
}

// actionJSON runs a body-less Flight action whose one result is JSON and
// decodes it into out.
func (c *Client) actionJSON(ctx context.Context, action string, out any) error {
	stream, err := c.fc.DoAction(ctx, &flight.Action{Type: action})
	if err != nil {
		return c.fromStatus(err)
	}
	res, err := stream.Recv()
	if err != nil {
		return c.fromStatus(err)
	}
	return json.Unmarshal(res.Body, out)
}
