package e2e

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/cirrusdb/cirrus/coordinator/peerpb"
	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/cirrusdb/cirrus/internal/devcluster"
	"github.com/cirrusdb/cirrus/internal/metrics/metricstest"
	"github.com/cirrusdb/cirrus/internal/pgtest"
	"github.com/cirrusdb/cirrus/metad"
)

// startTwoCoordinators starts a cluster of two coordinators and two
// participants where the superuser cirrus is trusted and other roles log
// in with SCRAM-SHA-256.
func startTwoCoordinators(t *testing.T) *devcluster.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rules, err := pgwire.ParseHostRules("hba", []byte("host all cirrus 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := devcluster.Start(ctx, devcluster.Config{Dir: t.TempDir(), Coordinators: 2, Participants: 2, Logf: t.Logf,
		Wire: pgwire.Options{HostRules: rules}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// noticeConn is a connection and the notices it received, as
// "SEVERITY CODE message" lines.
type noticeConn struct {
	*pgx.Conn
	mu      sync.Mutex
	notices []string
}

// connectNotices connects to dsn with application_name app, collecting
// notices.
func connectNotices(t *testing.T, dsn, app string) *noticeConn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	nc := &noticeConn{}
	cfg.RuntimeParams["application_name"] = app
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		nc.mu.Lock()
		nc.notices = append(nc.notices, n.Severity+" "+n.Code+" "+n.Message)
		nc.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if nc.Conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { nc.Close(context.Background()) })
	return nc
}

// outcome runs a query returning one value and describes what happened:
// the value, or the error's SQLSTATE and message, then the notices.
func (nc *noticeConn) outcome(sql string) string {
	var v *bool
	err := nc.QueryRow(context.Background(), sql).Scan(&v)
	var out string
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		out = pe.Severity + " " + pe.Code + " " + pe.Message
	case err != nil:
		out = err.Error()
	case v == nil:
		out = "NULL"
	default:
		out = fmt.Sprint(*v)
	}
	nc.mu.Lock()
	defer nc.mu.Unlock()
	for _, n := range nc.notices {
		out += "; " + n
	}
	nc.notices = nil
	return out
}

// sendCancel sends a CancelRequest for pid with key to the server at addr,
// as a client does on a new connection, and waits for the server to close
// it.
func sendCancel(t *testing.T, addr string, pid uint32, key []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg := binary.BigEndian.AppendUint32(nil, uint32(12+len(key)))
	msg = binary.BigEndian.AppendUint32(msg, 80877102)
	msg = binary.BigEndian.AppendUint32(msg, pid)
	if _, err := conn.Write(append(msg, key...)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := conn.Read(msg); n != 0 || err == nil {
		t.Fatalf("cancel request answered with %d bytes, %v", n, err)
	}
}

// TestClusterActivityAndCancel: with two coordinators, each lists the
// sessions of both, process ids are unique in the cluster, and a running
// distributed query on one is stopped from the other by
// pg_cancel_backend, by a CancelRequest sent to the wrong coordinator (as
// through a load balancer) and by pg_terminate_backend; a coordinator that
// does not answer is left out without an error.
func TestClusterActivityAndCancel(t *testing.T) {
	c := startTwoCoordinators(t)
	url := metricsServer(t, c)
	dsnAt := func(i int) string { return fmt.Sprintf("postgres://cirrus@%s/cirrus?sslmode=disable", c.PGAddrs[i]) }
	a := connectNotices(t, dsnAt(0), "watch-a")
	b := connectNotices(t, dsnAt(1), "watch-b")
	loadSlowTable(t, a.Conn)
	slow := connectNotices(t, dsnAt(0), "slow")

	// Process ids: unique, with each coordinator's number in the high bits.
	pids := map[string]uint32{"watch-a": a.PgConn().PID(), "watch-b": b.PgConn().PID(), "slow": slow.PgConn().PID()}
	numA, numB := pgwire.ServerOfPID(pids["watch-a"]), pgwire.ServerOfPID(pids["watch-b"])
	if numA == 0 || numB == 0 || numA == numB || pgwire.ServerOfPID(pids["slow"]) != numA || pids["watch-a"] == pids["slow"] {
		t.Fatalf("process ids %v", pids)
	}
	var backendPID uint32
	if err := b.QueryRow(t.Context(), `SELECT pg_backend_pid()`).Scan(&backendPID); err != nil || backendPID != pids["watch-b"] {
		t.Fatalf("pg_backend_pid() %d %v, BackendKeyData %d", backendPID, err, pids["watch-b"])
	}

	// Statements that read no activity view ask nothing of the other
	// coordinator, nor of metad's registry.
	peerRequests := func(labels ...string) float64 {
		v, _ := metricstest.Get(t, url).Value("cirrus_coordinator_peer_requests_total", labels...)
		return v
	}
	for i := range 100 {
		for _, conn := range []*noticeConn{a, b} {
			rows(t, conn.Conn, `SELECT count(*) FROM slow WHERE x > $1`, i)
			rows(t, conn.Conn, `SELECT pg_backend_pid(), current_user`)
		}
	}
	if n := peerRequests(); n != 0 {
		t.Fatalf("200 queries on each coordinator made %v requests for other coordinators", n)
	}

	// Both coordinators list every session, with its coordinator.
	want := []string{
		fmt.Sprintf("%d|coordinator-0|watch-a", pids["watch-a"]),
		fmt.Sprintf("%d|coordinator-0|slow", pids["slow"]),
		fmt.Sprintf("%d|coordinator-1|watch-b", pids["watch-b"]),
	}
	slices.Sort(want)
	for i, conn := range []*noticeConn{a, b} {
		got := rows(t, conn.Conn, `SELECT pid, coordinator, application_name FROM cirrus_stat_activity ORDER BY 1`)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("cirrus_stat_activity on coordinator %d: %q, want %q", i, got, want)
		}
		got = rows(t, conn.Conn, `SELECT count(*), count(DISTINCT pid), bool_and(usename = 'cirrus' AND usesysid = 10 AND datname = 'cirrus' AND backend_type = 'client backend') FROM pg_stat_activity`)
		if !slices.Equal(got, []string{"3|3|true"}) {
			t.Errorf("pg_stat_activity on coordinator %d: %q", i, got)
		}
	}
	if n := rows(t, b.Conn, `SELECT count(*) FROM cirrus_stat_activity WHERE pid = pg_backend_pid() AND state = 'active'`); !slices.Equal(n, []string{"1"}) {
		t.Errorf("own row: %q", n)
	}

	type result struct {
		end time.Time
		err error
	}
	start := func() chan result {
		ch := make(chan result, 1)
		go func() {
			_, err := slow.Exec(context.Background(), slowQuery)
			ch <- result{time.Now(), err}
		}()
		return ch
	}
	// stopped checks that the query failed with 57014 within a second of
	// asked and that the participants are idle within a second after.
	stopped := func(what string, done chan result, asked time.Time, code, msg string) {
		t.Helper()
		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the query still runs after 10 s", what)
		}
		var pe *pgconn.PgError
		if !errors.As(r.err, &pe) || pe.Code != code || pe.Message != msg {
			t.Fatalf("%s: %v, want %s %q", what, r.err, code, msg)
		}
		took := r.end.Sub(asked)
		idle := waitParticipantsIdle(t, url, time.Second)
		t.Logf("%s: the client had the error %v after the request, participants idle %v later", what, took, idle)
		if took > time.Second {
			t.Errorf("%s: the client had the error only %v after the request", what, took)
		}
	}

	// pg_cancel_backend on coordinator B of a query running on A.
	done := start()
	pid, parts := waitActive(t, b.Conn, "slow")
	if uint32(pid) != pids["slow"] {
		t.Fatalf("active pid %d, want %d", pid, pids["slow"])
	}
	if got, want := strings.Split(parts, ","), slices.Sorted(slices.Values(c.ParticipantAddrs)); !slices.Equal(got, want) {
		t.Errorf("participants %q, want %q", parts, want)
	}
	asked := time.Now()
	if got := b.outcome(fmt.Sprintf(`SELECT pg_cancel_backend(%d)`, pid)); got != "true" {
		t.Fatalf("pg_cancel_backend from B: %s", got)
	}
	stopped("pg_cancel_backend from the other coordinator", done, asked, "57014", "canceling statement due to user request")

	// A CancelRequest sent to B for a session of A: a wrong key does
	// nothing, the right one cancels.
	done = start()
	waitActive(t, a.Conn, "slow")
	key := slow.PgConn().SecretKey()
	wrong := slices.Clone(key)
	wrong[0]++
	sendCancel(t, c.PGAddrs[1], uint32(pid), wrong)
	time.Sleep(300 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("a CancelRequest with a wrong key ended the query: %v", r.err)
	default:
	}
	asked = time.Now()
	sendCancel(t, c.PGAddrs[1], uint32(pid), key)
	stopped("CancelRequest to the other coordinator", done, asked, "57014", "canceling statement due to user request")

	// pg_terminate_backend from B.
	done = start()
	waitActive(t, b.Conn, "slow")
	asked = time.Now()
	if got := b.outcome(fmt.Sprintf(`SELECT pg_terminate_backend(%d)`, pid)); got != "true" {
		t.Fatalf("pg_terminate_backend from B: %s", got)
	}
	stopped("pg_terminate_backend from the other coordinator", done, asked, "57P01", "terminating connection due to administrator command")
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Equal(rows(t, b.Conn, `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, pid), []string{"0"}) {
		if time.Now().After(deadline) {
			t.Fatal("the terminated session is still listed")
		}
		time.Sleep(20 * time.Millisecond)
	}

	if n := peerRequests("request", "signal", "outcome", "ok"); n != 2 {
		t.Errorf("%v signal requests, want 2", n)
	}
	if n := peerRequests("request", "cancel", "outcome", "ok"); n != 2 {
		t.Errorf("%v cancel requests, want 2 (the wrong key and the right one)", n)
	}

	// A registered coordinator that does not answer is left out of the
	// views after viewTimeout, and its process ids are no backends'.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() { // accepts and never answers
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	mc, err := metad.Dial(t.Context(), c.MetadAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()

	// The peer service answers only callers with the cluster's token.
	nodes, err := mc.Nodes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Role != "coordinator" {
			continue
		}
		cc, err := grpc.NewClient(n.PeerAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = peerpb.NewPeerClient(cc).Signal(t.Context(), &peerpb.SignalRequest{Pid: pids["watch-a"], Terminate: true, Role: 10})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s's peer service without the token: %v", n.ID, err)
		}
		cc.Close()
	}

	const silentNumber = 1000
	m, err := mc.RegisterNode(t.Context(), metad.NodeInfo{ID: "coordinator-silent", Role: "coordinator", Number: silentNumber, PeerAddr: silent.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	began := time.Now()
	got := rows(t, a.Conn, `SELECT pid, coordinator FROM cirrus_stat_activity ORDER BY 1`)
	took := time.Since(began)
	if len(got) != 2 || took > 4*time.Second {
		t.Errorf("cirrus_stat_activity with a silent coordinator: %q after %v", got, took)
	}
	t.Logf("cirrus_stat_activity with a silent coordinator answered in %v", took)
	silentPID := silentNumber<<pgwire.LocalPIDBits | 5
	if got, want := a.outcome(fmt.Sprintf(`SELECT pg_cancel_backend(%d)`, silentPID)),
		fmt.Sprintf("false; WARNING 01000 PID %d is not a PostgreSQL backend process", silentPID); got != want {
		t.Errorf("pg_cancel_backend of a silent coordinator's pid: %s, want %s", got, want)
	}
}

// TestClusterSignalLikePostgres: pg_cancel_backend and
// pg_terminate_backend of sessions on one coordinator called from the other
// give PostgreSQL 15's results, errors and warnings for the same roles and
// sessions on one PostgreSQL server: permissions (superusers, members of
// the session's role, others), missing pids, NULL, and the end of a
// terminated session; and what pg_stat_activity shows of a session to
// roles with and without its role's privileges.
func TestClusterSignalLikePostgres(t *testing.T) {
	pg := pgtest.Start(t)
	c := startTwoCoordinators(t)
	setup := []string{
		`CREATE ROLE alice LOGIN PASSWORD 'pw'`,
		`CREATE ROLE bob LOGIN PASSWORD 'pw'`,
		`CREATE ROLE carol LOGIN PASSWORD 'pw'`,
		`GRANT alice TO carol`,
		`CREATE TABLE nums (n int)`,
		`INSERT INTO nums VALUES (1), (2)`,
		`GRANT SELECT ON nums TO bob`,
	}
	// A pid no backend has: on Cirrus, of a coordinator number no
	// coordinator holds; far above Linux's pid_max for PostgreSQL.
	missing := 1000<<pgwire.LocalPIDBits | 12345

	// run plays the scenario with sessions of alice and the superuser on
	// one server (first) signalled from sessions on another (second).
	run := func(super string, first, second func(user string) string) []string {
		admin := connectNotices(t, first(super), "admin")
		for _, sql := range setup {
			exec1(t, admin.Conn, sql)
		}
		alice := connectNotices(t, first("alice"), "alice")
		root := connectNotices(t, first(super), "root")
		bob := connectNotices(t, second("bob"), "bob")
		carol := connectNotices(t, second("carol"), "carol")
		alice2 := connectNotices(t, second("alice"), "alice2")
		root2 := connectNotices(t, second(super), "root2")
		alicePID, rootPID := alice.PgConn().PID(), root.PgConn().PID()
		var out []string
		name := map[any]string{alicePID: "alice's pid", rootPID: "the superuser's pid"}
		do := func(who string, nc *noticeConn, f string, pid any) {
			arg, ok := name[pid]
			if !ok {
				arg = fmt.Sprint(pid)
			}
			out = append(out, fmt.Sprintf("%s %s(%s): %s", who, f, arg, nc.outcome(fmt.Sprintf("SELECT %s(%v)", f, pid))))
		}
		// What pg_stat_activity shows of alice's session: to a role
		// without her privileges, only who she is.
		exec1(t, alice.Conn, `SELECT 1`)
		// PostgreSQL reports idle a moment before its wait on the client
		// (wait_event ClientRead) begins.
		time.Sleep(100 * time.Millisecond)
		activity := fmt.Sprintf(`SELECT datname = current_database(), usesysid = (SELECT oid FROM pg_roles WHERE rolname = 'alice'), usename, application_name,
			client_addr IS NOT NULL, client_port IS NOT NULL, backend_start IS NOT NULL, xact_start, query_start IS NOT NULL, state_change IS NOT NULL,
			wait_event_type, wait_event, state, backend_xid, backend_xmin, query_id, query, backend_type, leader_pid
			FROM pg_stat_activity WHERE pid = %d`, alicePID)
		for _, who := range []struct {
			name string
			nc   *noticeConn
		}{{"bob", bob}, {"carol", carol}, {"superuser", root2}} {
			r, err := pgtest.TextRows(t.Context(), who.nc.Conn, activity)
			out = append(out, fmt.Sprintf("%s sees alice: %q %v", who.name, r, err))
		}
		for _, f := range []string{"pg_cancel_backend", "pg_terminate_backend"} {
			do("bob", bob, f, alicePID)
			do("bob", bob, f, rootPID)
			do("alice", alice2, f, rootPID)
			do("bob", bob, f, missing)
			do("bob", bob, f, 0)
			do("bob", bob, f, "NULL")
		}
		do("bob", bob, "pg_cancel_backend", "pg_backend_pid()")
		do("bob", bob, "pg_cancel_backend", "(SELECT pid FROM pg_stat_activity WHERE application_name = 'alice2')")
		do("bob", bob, "pg_cancel_backend", "(SELECT pid FROM pg_stat_activity)")
		do("bob", bob, "pg_cancel_backend", "(SELECT pid FROM pg_stat_activity WHERE false)")
		do("carol", carol, "pg_cancel_backend", alicePID)
		do("alice", alice2, "pg_cancel_backend", alicePID)
		do("superuser", root2, "pg_cancel_backend", alicePID)
		do("bob", bob, "pg_terminate_backend", fmt.Sprintf("%d, 100", missing))
		do("bob", bob, "pg_terminate_backend", "0, -1")
		do("bob", bob, "pg_terminate_backend", "NULL, -1")
		do("bob", bob, "pg_terminate_backend", "0, NULL")
		// Over the rows of pg_stat_activity, as PostgreSQL users write it.
		for _, q := range []struct {
			who string
			nc  *noticeConn
			sql string
		}{
			{"bob", bob, `SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'alice2'`},
			{"superuser", root2, `SELECT bool_and(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE application_name IN ('alice', 'alice2')`},
			{"bob", bob, fmt.Sprintf(`SELECT pg_cancel_backend(pid * 0 + %d) FROM pg_stat_activity WHERE application_name = 'alice'`, missing)},
			// Over a table's rows (on Cirrus the projection and filter stay
			// on the coordinator).
			{"bob", bob, fmt.Sprintf(`SELECT pg_cancel_backend(n * 0 + %d) FROM nums`, missing)},
			{"bob", bob, fmt.Sprintf(`SELECT n FROM nums WHERE pg_cancel_backend(n * 0 + %d)`, missing)},
			{"carol", carol, `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = 'alice'`},
		} {
			out = append(out, fmt.Sprintf("%s %s: %s", q.who, q.sql, q.nc.outcome(q.sql)))
		}
		out = append(out, "alice after termination: "+alice.outcome("SELECT true"))
		return out
	}
	pgDSN := func(user string) string {
		return fmt.Sprintf("postgres://%s:pw@127.0.0.1:%d/postgres?sslmode=disable", user, pg.Port())
	}
	want := run(pgtest.SuperUser, pgDSN, pgDSN)
	cirrusDSN := func(i int) func(string) string {
		return func(user string) string {
			return fmt.Sprintf("postgres://%s:pw@%s/cirrus?sslmode=disable", user, c.PGAddrs[i])
		}
	}
	got := run("cirrus", cirrusDSN(0), cirrusDSN(1))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Cirrus:\n%s\nPostgreSQL 15:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// scramSalt starts a SCRAM-SHA-256 exchange for user at addr and returns
// the salt of the server's first message.
func scramSalt(t *testing.T, addr, user string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fe := pgproto3.NewFrontend(conn, conn)
	send := func(m pgproto3.FrontendMessage) {
		fe.Send(m)
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": user, "database": "cirrus"}})
	if m, err := fe.Receive(); err != nil {
		t.Fatal(err)
	} else if _, ok := m.(*pgproto3.AuthenticationSASL); !ok {
		t.Fatalf("%s at %s: %T, want AuthenticationSASL", user, addr, m)
	}
	send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abcdefghijklmnop")})
	m, err := fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	cont, ok := m.(*pgproto3.AuthenticationSASLContinue)
	if !ok {
		t.Fatalf("%s at %s: %T, want AuthenticationSASLContinue", user, addr, m)
	}
	for _, attr := range strings.Split(string(cont.Data), ",") {
		if s, ok := strings.CutPrefix(attr, "s="); ok {
			return s
		}
	}
	t.Fatalf("%s at %s: no salt in %q", user, addr, cont.Data)
	return ""
}

// TestMockSaltAcrossCoordinators: behind a load balancer, a role that does
// not exist must not be told from one that does by salts that differ from
// one coordinator to the other: both derive the mock salt from the
// cluster secret in metad.
func TestMockSaltAcrossCoordinators(t *testing.T) {
	c := startTwoCoordinators(t)
	exec1(t, connect(t, c), `CREATE ROLE alice LOGIN PASSWORD 'pw'`)
	for _, user := range []string{"alice", "nobody", "mallory"} {
		s0, s1 := scramSalt(t, c.PGAddrs[0], user), scramSalt(t, c.PGAddrs[1], user)
		if s0 != s1 {
			t.Errorf("%s: salt %q on one coordinator, %q on the other", user, s0, s1)
		}
	}
	if scramSalt(t, c.PGAddrs[0], "nobody") == scramSalt(t, c.PGAddrs[0], "mallory") {
		t.Error("two unknown roles have the same salt")
	}
}
