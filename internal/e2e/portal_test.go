package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/cirrusdb/cirrus/internal/pgtest"
)

// TestPortalsDifferential drives the extended protocol message by message
// on Cirrus and PostgreSQL 15 and requires the same responses: named and
// unnamed statements and portals, Describe S and P, row-limited Execute
// with PortalSuspended and resuming, an Execute after the portal is done,
// Close, Flush without Sync, skipping to Sync after an error, and
// suspended portals across other statements, Syncs, an aborting error
// and the end of their transaction.
func TestPortalsDifferential(t *testing.T) {
	pg := pgtest.Shared(t)
	c := startCluster(t, "")
	db := fmt.Sprintf("portals_%d", diffDBs.Add(1))
	pg.CreateDB(t, db)
	ctx := context.Background()
	sel := "SELECT k, t, n FROM alltypes ORDER BY k"
	steps := [][]pgproto3.FrontendMessage{
		{
			&pgproto3.Parse{Name: "s1", Query: sel},
			&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
			&pgproto3.Bind{DestinationPortal: "p1", PreparedStatement: "s1", ResultFormatCodes: []int16{1, 0, 1}},
			&pgproto3.Describe{ObjectType: 'P', Name: "p1"},
			&pgproto3.Execute{Portal: "p1", MaxRows: 2},
			&pgproto3.Execute{Portal: "p1", MaxRows: 2},
			&pgproto3.Execute{Portal: "p1", MaxRows: 0},
			&pgproto3.Execute{Portal: "p1", MaxRows: 1},
			&pgproto3.Close{ObjectType: 'P', Name: "p1"},
			&pgproto3.Execute{Portal: "p1"},
			&pgproto3.Execute{Portal: "p1"}, // skipped after the error
			&pgproto3.Sync{},
		},
		{
			&pgproto3.Bind{PreparedStatement: "s1"},
			&pgproto3.Execute{MaxRows: 3},
			&pgproto3.Execute{MaxRows: 10},
			&pgproto3.Sync{},
		},
		{
			&pgproto3.Parse{Name: "s1", Query: "SELECT 1"},
			&pgproto3.Sync{},
		},
		{
			&pgproto3.Close{ObjectType: 'S', Name: "s1"},
			&pgproto3.Bind{PreparedStatement: "s1"},
			&pgproto3.Sync{},
		},
		{
			&pgproto3.Parse{Query: "SELECT $1::int4 + 1, $2::text", ParameterOIDs: []uint32{0, 25}},
			&pgproto3.Describe{ObjectType: 'S'},
			&pgproto3.Bind{Parameters: [][]byte{[]byte("41"), nil}},
			&pgproto3.Execute{},
			&pgproto3.Flush{},
		},
		{&pgproto3.Sync{}},
		{
			&pgproto3.Parse{Query: "BEGIN"}, &pgproto3.Bind{}, &pgproto3.Execute{},
			&pgproto3.Parse{Name: "s2", Query: "SELECT k FROM alltypes WHERE k > $1 ORDER BY k"},
			&pgproto3.Bind{DestinationPortal: "a", PreparedStatement: "s2", Parameters: [][]byte{[]byte("2")}},
			&pgproto3.Bind{DestinationPortal: "b", PreparedStatement: "s2", Parameters: [][]byte{[]byte("5")}},
			&pgproto3.Execute{Portal: "a", MaxRows: 1},
			&pgproto3.Execute{Portal: "b", MaxRows: 1},
			&pgproto3.Sync{},
		},
		{
			// Portals survive Sync inside a transaction.
			&pgproto3.Execute{Portal: "a", MaxRows: 1},
			&pgproto3.Execute{Portal: "b"},
			&pgproto3.Bind{DestinationPortal: "a", PreparedStatement: "s2", Parameters: [][]byte{[]byte("1")}},
			&pgproto3.Sync{},
		},
		{
			&pgproto3.Parse{Query: "COMMIT"}, &pgproto3.Bind{}, &pgproto3.Execute{},
			&pgproto3.Execute{Portal: "a"},
			&pgproto3.Sync{},
		},
		{
			&pgproto3.Parse{Query: "SELECT k / 0 FROM alltypes"},
			&pgproto3.Bind{},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{MaxRows: 1},
			&pgproto3.Sync{},
		},
		{
			// A suspended portal in a transaction that an error aborts.
			&pgproto3.Parse{Query: "BEGIN"}, &pgproto3.Bind{}, &pgproto3.Execute{},
			&pgproto3.Parse{Name: "s3", Query: "SELECT k, t FROM alltypes ORDER BY k"},
			&pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "s3"},
			&pgproto3.Execute{Portal: "c", MaxRows: 2},
			&pgproto3.Sync{},
		},
		{
			&pgproto3.Parse{Query: "SELECT k / 0 FROM alltypes"}, &pgproto3.Bind{}, &pgproto3.Execute{},
			&pgproto3.Sync{},
		},
		{
			&pgproto3.Execute{Portal: "c", MaxRows: 2},
			&pgproto3.Sync{},
		},
		{
			// An implicit transaction's suspended portal ends at Sync.
			&pgproto3.Parse{Query: "ROLLBACK"}, &pgproto3.Bind{}, &pgproto3.Execute{},
			&pgproto3.Bind{DestinationPortal: "d", PreparedStatement: "s3"},
			&pgproto3.Execute{Portal: "d", MaxRows: 1},
			&pgproto3.Execute{Portal: "d", MaxRows: 1},
			&pgproto3.Sync{},
		},
		{
			&pgproto3.Execute{Portal: "d", MaxRows: 1},
			&pgproto3.Sync{},
		},
		{
			// Two suspended portals of one statement, one closed half way,
			// with a statement between their Executes.
			&pgproto3.Parse{Query: "BEGIN"}, &pgproto3.Bind{}, &pgproto3.Execute{},
			&pgproto3.Bind{DestinationPortal: "e", PreparedStatement: "s3"},
			&pgproto3.Bind{DestinationPortal: "f", PreparedStatement: "s3", ResultFormatCodes: []int16{1}},
			&pgproto3.Execute{Portal: "e", MaxRows: 1},
			&pgproto3.Execute{Portal: "f", MaxRows: 3},
			&pgproto3.Parse{Query: "SELECT count(*) FROM alltypes"}, &pgproto3.Bind{}, &pgproto3.Execute{},
			&pgproto3.Close{ObjectType: 'P', Name: "e"},
			&pgproto3.Execute{Portal: "f", MaxRows: 0},
			&pgproto3.Execute{Portal: "f", MaxRows: 0},
			&pgproto3.Parse{Query: "COMMIT"}, &pgproto3.Bind{}, &pgproto3.Execute{},
			&pgproto3.Sync{},
		},
	}
	var outs [2][]string
	for i, d := range []string{dsn(c), pg.DSN(db)} {
		conn := connectSetUp(t, d, allTypesDDL+"; "+allTypesRows)
		fe := conn.Frontend()
		for k, step := range steps {
			for _, m := range step {
				fe.Send(m)
			}
			if err := fe.Flush(); err != nil {
				t.Fatal(err)
			}
			// A step ends at ReadyForQuery, or (Flush without Sync) at the
			// last response it asked for.
			_, flushOnly := step[len(step)-1].(*pgproto3.Flush)
			for {
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				msg, err := receive(ctx, conn)
				cancel()
				if err != nil {
					t.Fatalf("step %d: %v", k, err)
				}
				outs[i] = append(outs[i], fmt.Sprintf("step %d: %s", k, describeMessage(msg)))
				if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
					break
				}
				if _, ok := msg.(*pgproto3.CommandComplete); ok && flushOnly {
					break
				}
			}
		}
	}
	if got, want := strings.Join(outs[0], "\n"), strings.Join(outs[1], "\n"); got != want {
		t.Errorf("responses differ:\ncirrus:\n%s\npostgres:\n%s", got, want)
	}
}

// receive reads one backend message, giving up when ctx ends.
func receive(ctx context.Context, conn *pgconn.PgConn) (pgproto3.BackendMessage, error) {
	if deadline, ok := ctx.Deadline(); ok {
		conn.Conn().SetReadDeadline(deadline)
		defer conn.Conn().SetReadDeadline(time.Time{})
	}
	return conn.Frontend().Receive()
}

// describeMessage prints what a test compares of a backend message.
func describeMessage(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.DataRow:
		return fmt.Sprintf("DataRow %q", m.Values)
	case *pgproto3.RowDescription:
		var b strings.Builder
		b.WriteString("RowDescription")
		for _, f := range m.Fields {
			fmt.Fprintf(&b, " %s:%d/%d/%d/%d", f.Name, f.DataTypeOID, f.DataTypeSize, f.TypeModifier, f.Format)
		}
		return b.String()
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("ParameterDescription %v", m.ParameterOIDs)
	case *pgproto3.CommandComplete:
		return "CommandComplete " + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		return "ErrorResponse " + m.Code
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery " + string(m.TxStatus)
	}
	return fmt.Sprintf("%T", m)
}

// connectSetUp connects pgconn to dsn and runs setup (SQL statements); the
// connection closes when the test ends.
func connectSetUp(t *testing.T, dsn, setup string) *pgconn.PgConn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, setup).ReadAll(); err != nil {
		t.Fatal(err)
	}
	return conn
}
