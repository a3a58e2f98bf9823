package coordinator

import (
	"context"
	"time"

	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// errStatementTimeout is the cause of a statement cancelled by
// statement_timeout.
var errStatementTimeout = sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to statement timeout")

// statementContext returns the context a statement runs under: ctx, with
// the session's statement_timeout when it is set.
func (s *session) statementContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := s.timeoutSetting("statement_timeout")
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, d, errStatementTimeout)
}

// timeoutSetting returns a time setting whose unit is milliseconds
// (statement_timeout, lock_timeout, …); 0 when unset or disabled.
func (s *session) timeoutSetting(name string) time.Duration {
	v, ok := s.vars[name]
	if !ok {
		return 0
	}
	d, err := parseMillis(v)
	if err != nil {
		return 0
	}
	return d
}
