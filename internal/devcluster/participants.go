package devcluster

import (
	"context"
	"fmt"
	"net"

	"github.com/cirrusdb/cirrus/participant"
)

// Participant returns participant i's server.
func (c *Cluster) Participant(i int) *participant.Server { return c.participants[i] }

// StopParticipant stops participant i as a crash would: its connections
// drop and its running fragments end.
func (c *Cluster) StopParticipant(i int) { c.participants[i].Close() }

// RestartParticipant starts a stopped participant i again on its address.
func (c *Cluster) RestartParticipant(ctx context.Context, i int, logf func(string, ...any)) error {
	addr := c.ParticipantAddrs[i]
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("restart participant %d: %w", i, err)
	}
	p := participant.New(participant.Config{Store: c.store, Logf: logf, Metad: c.MetadAddr,
		NodeID: fmt.Sprintf("participant-%d", i), Addr: addr})
	if err := p.Start(ctx); err != nil {
		l.Close()
		return err
	}
	c.participants[i] = p
	go p.Serve(l)
	return nil
}
