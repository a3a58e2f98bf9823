package exchange

import (
	"context"

	"github.com/cirrusdb/cirrus/planner/plan"
)

// Broadcast sources (plan.ExchangeSource with Broadcast set): rows the
// coordinator computed (an InitRows result) and sends whole to every
// participant of a dispatch. The coordinator gives the dispatch an
// exchange session (a repartitioned query's own, or a new one carried in
// FragmentRequest.Session), starts the fragments, and streams each
// source's rows to every participant with DoExchange, as for a partition
// stream: the descriptor is a PartitionHeader with Broadcast set
// (Exchange = the source's id, Producer 0, Producers 1), then Arrow
// record batches, then a half-close that the participant acknowledges
// once it holds every row. A participant keeps the rows until the session
// ends; every pipeline reading the source reads all of them, after the
// stream has ended. When the query ends the coordinator aborts the
// session on every participant that got a fragment.

// RunWithSession starts a fragment with a split scan that reads broadcast
// sources of exchange session session.
func (c *Client) RunWithSession(ctx context.Context, fragment plan.Node, seq int64, session string) (*Stream, error) {
	enc, err := plan.Encode(fragment)
	if err != nil {
		return nil, err
	}
	return c.run(ctx, FragmentRequest{Fragment: enc, Seq: seq, Session: session})
}
