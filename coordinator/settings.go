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
// the session's statement_timeout when it is set. The timeout cancels the
// context rather than giving it a deadline: a deadline would travel to
// participants with every gRPC call, whose servers would then end their
// streams on their own clocks, sometimes before the coordinator's timer,
// and the statement would fail with the stream's error instead.
func (s *session) statementContext(ctx context.Context) (context.Context, func()) {
	d := s.timeoutSetting("statement_timeout")
	if d <= 0 {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	t := time.AfterFunc(d, func() { cancel(errStatementTimeout) })
	return ctx, func() {
		t.Stop()
		cancel(nil)
	}
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
