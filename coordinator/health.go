package coordinator

import "time"

// readyWithin is how recently the coordinator must have heard from metad's
// queue to be ready; metad sends a heartbeat at least every second.
const readyWithin = 5 * time.Second

// Ready returns nil when the coordinator can serve queries: its catalog
// follows metad's queue and is caught up. It backs the readiness probe
// (cirrus --http).
func (c *Coordinator) Ready() error { return c.cat.Current(readyWithin) }
