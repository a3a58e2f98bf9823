package exchange

import (
	"context"
	"encoding/json"

	"github.com/apache/arrow/go/v15/arrow/flight"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/storage"
)

// RewriteAction is the Flight action that rewrites one data file without
// some of its rows (DELETE and UPDATE): the body is a RewriteRequest, the
// one result the new file's storage.DataFile as JSON (Rows 0, and no
// object written, when no row is left).
const RewriteAction = "rewrite"

// RewriteRequest asks a participant to write the rows of File that are not
// in Drop (sorted, disjoint row position ranges) as a new Parquet object at
// Key, with Table's columns.
type RewriteRequest struct {
	Table catalog.Table      `json:"table"`
	File  storage.DataFile   `json:"file"`
	Key   string             `json:"key"`
	Drop  []storage.RowRange `json:"drop"`
}

// Rewrite asks the participant to rewrite a data file (see RewriteAction).
func (c *Client) Rewrite(ctx context.Context, req *RewriteRequest) (storage.DataFile, error) {
	var df storage.DataFile
	body, err := json.Marshal(req)
	if err != nil {
		return df, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.fc.DoAction(ctx, &flight.Action{Type: RewriteAction, Body: body})
	if err != nil {
		return df, c.fromStatus(err)
	}
	res, err := stream.Recv()
	if err != nil {
		return df, c.fromStatus(err)
	}
	err = json.Unmarshal(res.Body, &df)
	return df, err
}
