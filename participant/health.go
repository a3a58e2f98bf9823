package participant

import "time"

// readyWithin is how recently a node must have heard from metad's queue to
// be ready; metad sends a heartbeat at least every second.
const readyWithin = 5 * time.Second

// Ready returns nil when the participant can run fragments: without metad
// (Config.Metad empty) always; with it, once its catalog follows metad's
// queue and is caught up. It backs the readiness probe (cirrus --http).
func (s *Server) Ready() error {
	if s.cat == nil {
		return nil
	}
	return s.cat.Current(readyWithin)
}
