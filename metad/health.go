package metad

import (
	"context"
	"fmt"
	"time"
)

// Ready returns nil when metad can serve: etcd answers a read of the catalog
// version within 2 s. It backs the readiness probe (cirrus --http).
func (s *Server) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := s.cli.Get(ctx, s.k.catalogVersion()); err != nil {
		return fmt.Errorf("metad: etcd: %w", err)
	}
	return nil
}
