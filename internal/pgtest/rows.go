package pgtest

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// TextRows runs sql on conn (any server speaking the PostgreSQL protocol)
// with the simple protocol and returns its rows as text exactly as the
// server sent them, values joined by '|' (NULL as "<null>").
func TextRows(ctx context.Context, conn *pgx.Conn, sql string) ([]string, error) {
	results, err := conn.PgConn().Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range results {
		for _, row := range r.Rows {
			parts := make([]string, len(row))
			for i, v := range row {
				if v == nil {
					parts[i] = "<null>"
				} else {
					parts[i] = string(v)
				}
			}
			out = append(out, strings.Join(parts, "|"))
		}
	}
	return out, nil
}
