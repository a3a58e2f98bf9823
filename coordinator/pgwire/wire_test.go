package pgwire_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"

	"github.com/cirrusdb/cirrus/coordinator/pgwire"
)

// wire is a raw protocol client.
type wire struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialWire(t *testing.T, ts *testServer) *wire {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return &wire{t: t, nc: nc, fe: pgproto3.NewFrontend(pgproto3.NewChunkReader(nc), nc)}
}

func (w *wire) send(msgs ...pgproto3.FrontendMessage) {
	w.t.Helper()
	var buf []byte
	for _, m := range msgs {
		var err error
		buf, err = m.Encode(buf)
		if err != nil {
			w.t.Fatal(err)
		}
	}
	if _, err := w.nc.Write(buf); err != nil {
		w.t.Fatal(err)
	}
}

// startup performs a startup and returns the BackendKeyData.
func (w *wire) startup() *pgproto3.BackendKeyData {
	w.t.Helper()
	w.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "tester", "database": "testdb"}})
	var key *pgproto3.BackendKeyData
	for {
		m := w.recv()
		switch m := m.(type) {
		case *pgproto3.BackendKeyData:
			key = &pgproto3.BackendKeyData{ProcessID: m.ProcessID, SecretKey: m.SecretKey}
		case *pgproto3.ReadyForQuery:
			return key
		case *pgproto3.ErrorResponse:
			w.t.Fatalf("startup: %s", m.Message)
		}
	}
}

func (w *wire) recv() pgproto3.BackendMessage {
	w.t.Helper()
	m, err := w.fe.Receive()
	if err != nil {
		w.t.Fatalf("receive: %v", err)
	}
	return m
}

// until collects a compact description of messages up to ReadyForQuery.
func (w *wire) until() []string {
	w.t.Helper()
	var out []string
	for {
		m := w.recv()
		out = append(out, describe(m))
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return out
		}
	}
}

func describe(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.ParseComplete:
		return "ParseComplete"
	case *pgproto3.BindComplete:
		return "BindComplete"
	case *pgproto3.CloseComplete:
		return "CloseComplete"
	case *pgproto3.NoData:
		return "NoData"
	case *pgproto3.PortalSuspended:
		return "PortalSuspended"
	case *pgproto3.EmptyQueryResponse:
		return "EmptyQueryResponse"
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("ParameterDescription%v", m.ParameterOIDs)
	case *pgproto3.RowDescription:
		var parts []string
		for _, f := range m.Fields {
			parts = append(parts, fmt.Sprintf("%s:%d/%d/%d/%d/%d/%d", f.Name, f.TableOID, f.TableAttributeNumber, f.DataTypeOID, f.DataTypeSize, f.TypeModifier, f.Format))
		}
		return "RowDescription[" + strings.Join(parts, " ") + "]"
	case *pgproto3.DataRow:
		var parts []string
		for _, v := range m.Values {
			if v == nil {
				parts = append(parts, "NULL")
			} else {
				parts = append(parts, fmt.Sprintf("%q", v))
			}
		}
		return "DataRow[" + strings.Join(parts, " ") + "]"
	case *pgproto3.CommandComplete:
		return "CommandComplete " + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		return "Error " + m.Severity + " " + m.Code + " " + m.Message
	case *pgproto3.NoticeResponse:
		return "Notice " + m.Code + " " + m.Message
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery " + string(m.TxStatus)
	case *pgproto3.CopyInResponse:
		return fmt.Sprintf("CopyInResponse %d %v", m.OverallFormat, m.ColumnFormatCodes)
	case *pgproto3.ParameterStatus:
		return "ParameterStatus " + m.Name + "=" + m.Value
	}
	return fmt.Sprintf("%T", m)
}

func expect(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestWireDescribeAndFormats(t *testing.T) {
	ts := startServer(t)
	w := dialWire(t, ts)
	w.startup()
	w.send(&pgproto3.Parse{Name: "s1", Query: "select types"}, &pgproto3.Describe{ObjectType: 'S', Name: "s1"}, &pgproto3.Sync{})
	expect(t, w.until(), "ParseComplete", "ParameterDescription[]",
		"RowDescription[smallint:16385/1/21/2/-1/0 integer:0/0/23/4/-1/0 bigint:0/0/20/8/-1/0 real:0/0/700/4/-1/0 double precision:0/0/701/8/-1/0 numeric(15,2):0/0/1700/-1/983046/0 text:0/0/25/-1/-1/0 character varying(10):0/0/1043/-1/14/0 character(3):0/0/1042/-1/7/0 date:0/0/1082/4/-1/0 timestamp without time zone:0/0/1114/8/-1/0 boolean:0/0/16/1/-1/0]",
		"ReadyForQuery I")
	// binary for all columns
	w.send(&pgproto3.Bind{PreparedStatement: "s1", ResultFormatCodes: []int16{1}}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	got := w.until()
	if len(got) != 6 || !strings.HasPrefix(got[1], "RowDescription[smallint:16385/1/21/2/-1/1") {
		t.Fatalf("binary: %q", got)
	}
	expect(t, got[2:3], `DataRow["\xff\xf4" "\x00\x01\xe2@" "\xff\xff\xff\xfd\xe7\x8e\xe6\x00" "?\xc0\x00\x00" "?\xb9\x99\x99\x99\x99\x99\x9a" "\x00\x03\x00\x01\x00\x00\x00\x02\x00\x01\t)\x1a," "héllo" "abc" "ab " "\x00\x00\"\\" "\x00\x02\xb3<ڜ0 " "\x01"]`)
	expect(t, got[3:], `DataRow[NULL NULL NULL NULL NULL NULL NULL NULL NULL NULL NULL NULL]`, "CommandComplete SELECT 2", "ReadyForQuery I")
	// per-column formats: text then binary...
	formats := make([]int16, 12)
	formats[1] = 1
	w.send(&pgproto3.Bind{PreparedStatement: "s1", ResultFormatCodes: formats}, &pgproto3.Execute{}, &pgproto3.Sync{})
	got = w.until()
	if !strings.HasPrefix(got[1], `DataRow["-12" "\x00\x01\xe2@" "-9000000000" "1.5" "0.1" "12345.67" "héllo" "abc" "ab " "2024-01-31" "2024-01-31 13:45:00.5" "t"]`) {
		t.Errorf("mixed formats: %q", got)
	}
	// wrong number of result formats / bad code
	w.send(&pgproto3.Bind{PreparedStatement: "s1", ResultFormatCodes: []int16{0, 1}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, w.until(), "Error ERROR 08P01 bind message has 2 result formats but query has 12 columns", "ReadyForQuery I")
	w.send(&pgproto3.Bind{PreparedStatement: "s1", ResultFormatCodes: []int16{7}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, w.until(), "Error ERROR 22023 unsupported format code: 7", "ReadyForQuery I")
	// unknown statement / portal
	w.send(&pgproto3.Describe{ObjectType: 'S', Name: "nope"}, &pgproto3.Sync{})
	expect(t, w.until(), `Error ERROR 26000 prepared statement "nope" does not exist`, "ReadyForQuery I")
	w.send(&pgproto3.Execute{Portal: "nope"}, &pgproto3.Sync{})
	expect(t, w.until(), `Error ERROR 34000 portal "nope" does not exist`, "ReadyForQuery I")
	// statement without rows: NoData
	w.send(&pgproto3.Parse{Query: "insert into t values (1)"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, w.until(), "ParseComplete", "BindComplete", "NoData", "CommandComplete INSERT 0 1", "ReadyForQuery I")
	w.send(&pgproto3.Bind{}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, w.until(), "BindComplete", "CommandComplete INSERT 0 1", `Error ERROR 55000 portal "" cannot be run`, "ReadyForQuery I")
	// empty query through the extended protocol
	w.send(&pgproto3.Parse{Query: " ; "}, &pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, w.until(), "ParseComplete", "ParameterDescription[]", "NoData", "BindComplete", "EmptyQueryResponse", "ReadyForQuery I")
	// parameters: count mismatch, text and binary, and bad binary width
	w.send(&pgproto3.Parse{Name: "e", Query: "select $1::int4, $2::numeric(10,2)"}, &pgproto3.Describe{ObjectType: 'S', Name: "e"}, &pgproto3.Sync{})
	expect(t, w.until(), "ParseComplete", "ParameterDescription[23 1700]", "RowDescription[integer:0/0/23/4/-1/0 numeric(10,2):0/0/1700/-1/655366/0]", "ReadyForQuery I")
	w.send(&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("1")}}, &pgproto3.Sync{})
	expect(t, w.until(), `Error ERROR 08P01 bind message supplies 1 parameters, but prepared statement "e" requires 2`, "ReadyForQuery I")
	w.send(&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 42}, []byte("3.14159")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, w.until(), "BindComplete", `DataRow["42" "3.14"]`, "CommandComplete SELECT 1", "ReadyForQuery I")
	w.send(&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 42}, {0, 0, 0, 0, 0, 0, 0, 0}}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, w.until(), "Error ERROR 08P01 insufficient data left in message", "ReadyForQuery I")
	w.send(&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 0, 42}, {0, 0, 0, 0, 0, 0, 0, 0}}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, w.until(), "Error ERROR 22P03 incorrect binary data format in bind parameter 1", "ReadyForQuery I")
	// int8-width binary for an int4 parameter is accepted when it fits
	w.send(&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 0, 0, 0, 0, 7}, nil}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, w.until(), "BindComplete", `DataRow["7" NULL]`, "CommandComplete SELECT 1", "ReadyForQuery I")
}

func TestWireRowLimit(t *testing.T) {
	ts := startServer(t)
	w := dialWire(t, ts)
	w.startup()
	// a named portal inside a transaction, fetched 2 rows at a time (JDBC setFetchSize)
	w.send(&pgproto3.Query{String: "begin"})
	expect(t, w.until(), "CommandComplete BEGIN", "ReadyForQuery T")
	w.send(&pgproto3.Parse{Query: "select * from generate_series(1, 5)"}, &pgproto3.Bind{DestinationPortal: "C_1"},
		&pgproto3.Describe{ObjectType: 'P', Name: "C_1"}, &pgproto3.Execute{Portal: "C_1", MaxRows: 2}, &pgproto3.Sync{})
	expect(t, w.until(), "ParseComplete", "BindComplete", "RowDescription[generate_series:0/0/20/8/-1/0]",
		`DataRow["1"]`, `DataRow["2"]`, "PortalSuspended", "ReadyForQuery T")
	w.send(&pgproto3.Execute{Portal: "C_1", MaxRows: 2}, &pgproto3.Sync{})
	expect(t, w.until(), `DataRow["3"]`, `DataRow["4"]`, "PortalSuspended", "ReadyForQuery T")
	w.send(&pgproto3.Execute{Portal: "C_1", MaxRows: 2}, &pgproto3.Execute{Portal: "C_1", MaxRows: 2}, &pgproto3.Sync{})
	expect(t, w.until(), `DataRow["5"]`, "CommandComplete SELECT 1", "CommandComplete SELECT 0", "ReadyForQuery T")
	// exactly max rows left: suspended, then an empty completion (like PostgreSQL)
	w.send(&pgproto3.Bind{DestinationPortal: "C_2"}, &pgproto3.Execute{Portal: "C_2", MaxRows: 5}, &pgproto3.Execute{Portal: "C_2"}, &pgproto3.Sync{})
	expect(t, w.until(), "BindComplete", `DataRow["1"]`, `DataRow["2"]`, `DataRow["3"]`, `DataRow["4"]`, `DataRow["5"]`, "PortalSuspended", "CommandComplete SELECT 0", "ReadyForQuery T")
	// binding an existing portal name fails
	w.send(&pgproto3.Bind{DestinationPortal: "C_2"}, &pgproto3.Sync{})
	expect(t, w.until(), `Error ERROR 42P03 cursor "C_2" already exists`, "ReadyForQuery E")
	w.send(&pgproto3.Query{String: "rollback"})
	expect(t, w.until(), "CommandComplete ROLLBACK", "ReadyForQuery I")
	// portals end with the transaction
	w.send(&pgproto3.Execute{Portal: "C_2"}, &pgproto3.Sync{})
	expect(t, w.until(), `Error ERROR 34000 portal "C_2" does not exist`, "ReadyForQuery I")
	// Close S closes its portals; Close of a missing name is fine
	w.send(&pgproto3.Parse{Name: "x", Query: "select 1"}, &pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "x"},
		&pgproto3.Close{ObjectType: 'S', Name: "x"}, &pgproto3.Close{ObjectType: 'P', Name: "zz"}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	expect(t, w.until(), "ParseComplete", "BindComplete", "CloseComplete", "CloseComplete", `Error ERROR 34000 portal "p" does not exist`, "ReadyForQuery I")
}

func TestWireIgnoreTillSync(t *testing.T) {
	ts := startServer(t)
	w := dialWire(t, ts)
	w.startup()
	w.send(
		&pgproto3.Parse{Query: "select 1"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "select 1/0"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "select 2"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Query{String: "select 2"}, &pgproto3.Flush{},
		&pgproto3.Sync{},
		&pgproto3.Parse{Query: "select 2"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{},
	)
	expect(t, w.until(), "ParseComplete", "BindComplete", `DataRow["1"]`, "CommandComplete SELECT 1",
		"ParseComplete", "BindComplete", "Error ERROR 22012 division by zero", "ReadyForQuery I")
	expect(t, w.until(), "ParseComplete", "BindComplete", `DataRow["2"]`, "CommandComplete SELECT 1", "ReadyForQuery I")
	// Flush delivers without Sync
	w.send(&pgproto3.Parse{Name: "f", Query: "select 1"}, &pgproto3.Flush{})
	if got := describe(w.recv()); got != "ParseComplete" {
		t.Errorf("after Flush: %s", got)
	}
	w.send(&pgproto3.Sync{})
	expect(t, w.until(), "ReadyForQuery I")
	// simple query errors: syntax error position, then the session continues
	w.send(&pgproto3.Query{String: "select 1; syntax error"})
	expect(t, w.until(), "Error ERROR 42601 syntax error at or near \"error\"", "ReadyForQuery I")
	// stray copy messages are ignored
	w.send(&pgproto3.CopyData{Data: []byte("x")}, &pgproto3.CopyDone{}, &pgproto3.Query{String: "select 2"})
	expect(t, w.until(), "RowDescription[?column?:0/0/23/4/-1/0]", `DataRow["2"]`, "CommandComplete SELECT 1", "ReadyForQuery I")
}

func TestWireCopy(t *testing.T) {
	ts := startServer(t)
	w := dialWire(t, ts)
	w.startup()
	// psql style: the \. line inside CopyData, Flush/Sync ignored during copy
	w.send(&pgproto3.Query{String: "COPY t FROM STDIN"})
	if got := describe(w.recv()); got != "CopyInResponse 0 [0 0]" {
		t.Fatalf("got %s", got)
	}
	w.send(&pgproto3.CopyData{Data: []byte("1\ta\n2\tb\n")}, &pgproto3.Flush{}, &pgproto3.Sync{}, &pgproto3.CopyData{Data: []byte("3\tc\n\\.\n")}, &pgproto3.CopyDone{})
	expect(t, w.until(), "CommandComplete COPY 3", "ReadyForQuery I")
	// CopyFail
	w.send(&pgproto3.Query{String: "COPY t FROM STDIN"})
	w.recv()
	w.send(&pgproto3.CopyData{Data: []byte("1\ta\n")}, &pgproto3.CopyFail{Message: "user gave up"})
	expect(t, w.until(), "Error ERROR 57014 COPY from stdin failed: user gave up", "ReadyForQuery I")
	// the statement fails early: the rest is drained before the error
	w.send(&pgproto3.Query{String: "COPY t FROM STDIN fail"})
	w.recv()
	w.send(&pgproto3.CopyData{Data: []byte("1\n")}, &pgproto3.CopyData{Data: []byte("2\n")}, &pgproto3.CopyDone{}, &pgproto3.Query{String: "select 1"})
	expect(t, w.until(), "Error ERROR 22P04 extra data after last expected column", "ReadyForQuery I")
	expect(t, w.until(), "RowDescription[?column?:0/0/23/4/-1/0]", `DataRow["1"]`, "CommandComplete SELECT 1", "ReadyForQuery I")
	// binary COPY through the extended protocol; a Sync sent during copy-in
	// is ignored (PostgreSQL's protocol), so the client sends another
	w.send(&pgproto3.Parse{Query: "copy t from stdin binary"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	expect(t, []string{describe(w.recv()), describe(w.recv()), describe(w.recv())}, "ParseComplete", "BindComplete", "CopyInResponse 1 [1 1]")
	w.send(&pgproto3.CopyData{Data: []byte("PGCOPY\n\377\r\n\000\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01a\xff\xff")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
	expect(t, w.until(), "CommandComplete COPY 1", "ReadyForQuery I")
	// an unexpected message during COPY
	w.send(&pgproto3.Query{String: "COPY t FROM STDIN"})
	w.recv()
	w.send(&pgproto3.Parse{Query: "select 1"})
	expect(t, w.until(), "Error ERROR 08P01 unexpected message type 0x50 during COPY from stdin", "ReadyForQuery I")
}

func TestWireStartupVariants(t *testing.T) {
	ts := startServer(t)
	// GSSENCRequest then SSLRequest, both refused, then a normal startup
	w := dialWire(t, ts)
	for _, code := range []uint32{80877104, 80877103} {
		var b [8]byte
		binary.BigEndian.PutUint32(b[:], 8)
		binary.BigEndian.PutUint32(b[4:], code)
		w.nc.Write(b[:])
		var r [1]byte
		if _, err := io.ReadFull(w.nc, r[:]); err != nil || r[0] != 'N' {
			t.Fatalf("request %d: %q %v", code, r, err)
		}
	}
	w.startup()
	w.send(&pgproto3.Terminate{})
	if _, err := w.fe.Receive(); err == nil {
		t.Errorf("connection open after Terminate")
	}
	// protocol 3.1 and _pq_ options → NegotiateProtocolVersion, then success
	w = dialWire(t, ts)
	w.send(&pgproto3.StartupMessage{ProtocolVersion: 3<<16 | 1, Parameters: map[string]string{"user": "u", "_pq_.x": "1"}})
	var nb [64]byte
	if n, err := io.ReadAtLeast(w.nc, nb[:], 17); err != nil || nb[0] != 'v' || !strings.Contains(string(nb[:n]), "_pq_.x\x00") {
		t.Errorf("no NegotiateProtocolVersion: %q %v", nb[:n], err)
	}
	// protocol 2 → FATAL
	w = dialWire(t, ts)
	w.send(&pgproto3.StartupMessage{ProtocolVersion: 2 << 16, Parameters: map[string]string{"user": "u"}})
	if got := describe(w.recv()); got != "Error FATAL 0A000 unsupported frontend protocol 2.0: server supports 3.0 to 3.0" {
		t.Errorf("v2: %s", got)
	}
	// no user
	w = dialWire(t, ts)
	w.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"database": "x"}})
	if got := describe(w.recv()); got != "Error FATAL 28000 no PostgreSQL user name specified in startup packet" {
		t.Errorf("no user: %s", got)
	}
	// oversized startup packet: closed without reading it
	w = dialWire(t, ts)
	var b [8]byte
	binary.BigEndian.PutUint32(b[:], 20000)
	binary.BigEndian.PutUint32(b[4:], pgproto3.ProtocolVersionNumber)
	w.nc.Write(b[:])
	if _, err := w.nc.Read(b[:1]); err == nil {
		t.Errorf("oversized startup packet accepted")
	}
}

func TestWireProtocolViolations(t *testing.T) {
	ts := startServer(t)
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"huge length", []byte{'Q', 0x7f, 0xff, 0xff, 0xff}, "Error FATAL 08P01 invalid message length 2147483647 for message type 'Q'"},
		{"short length", []byte{'Q', 0, 0, 0, 2}, "Error FATAL 08P01 invalid message length 2 for message type 'Q'"},
		{"unknown type", []byte{'z', 0, 0, 0, 4}, "Error FATAL 08P01 invalid frontend message type 122"},
		{"query without NUL", []byte{'Q', 0, 0, 0, 5, 'x'}, "Error FATAL 08P01 invalid Query message format"},
		{"bind negative length", []byte{'B', 0, 0, 0, 16, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xf0, 0, 0}, "Error FATAL 08P01 invalid Bind message format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := dialWire(t, ts)
			w.startup()
			w.nc.Write(c.raw)
			if got := describe(w.recv()); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if _, err := w.fe.Receive(); err == nil {
				t.Errorf("connection still open")
			}
		})
	}
	if p := ts.log.panics(); len(p) != 0 {
		t.Errorf("panics: %q", p)
	}
}

// sendCancel sends a CancelRequest on a new connection, as clients do, and
// checks that the server closes it without an answer.
func sendCancel(t *testing.T, ts *testServer, pid, secret uint32) {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	b, _ := (&pgproto3.CancelRequest{ProcessID: pid, SecretKey: secret}).Encode(nil)
	nc.Write(b)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := nc.Read(b[:1]); n != 0 || err == nil {
		t.Errorf("cancel connection: %d %v", n, err)
	}
}

func TestWireCancelAndDisconnect(t *testing.T) {
	ts := startServer(t)
	w := dialWire(t, ts)
	key := w.startup()
	w.send(&pgproto3.Query{String: "sleep"})
	time.Sleep(50 * time.Millisecond)
	sendCancel(t, ts, key.ProcessID, key.SecretKey+1) // wrong key: ignored
	select {
	case <-ts.b.canceled:
		t.Fatal("cancelled with a wrong key")
	case <-time.After(100 * time.Millisecond):
	}
	sendCancel(t, ts, key.ProcessID, key.SecretKey)
	expect(t, w.until(), "Error ERROR 57014 canceling statement due to user request", "ReadyForQuery I")
	<-ts.b.canceled

	// the client goes away mid-statement: the statement is cancelled
	w2 := dialWire(t, ts)
	w2.startup()
	w2.send(&pgproto3.Query{String: "sleep"})
	time.Sleep(50 * time.Millisecond)
	w2.nc.Close()
	select {
	case <-ts.b.canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("disconnect did not cancel the statement")
	}
}

func TestServerCloseEndsConnections(t *testing.T) {
	ts := startServer(t)
	w := dialWire(t, ts)
	w.startup()
	w.send(&pgproto3.Query{String: "sleep"})
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		ts.srv.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung")
	}
	for {
		if _, err := w.fe.Receive(); err != nil {
			break
		}
	}
	ts.b.mu.Lock()
	closed := ts.b.closed
	ts.b.mu.Unlock()
	if closed != 1 {
		t.Errorf("sessions closed: %d", closed)
	}
}

func TestWireLargeMessages(t *testing.T) {
	ts := startServer(t) // MaxMessageSize 1 MiB
	w := dialWire(t, ts)
	w.startup()
	w.send(&pgproto3.Query{String: "select 2" + strings.Repeat(" ;", 400<<10)})
	expect(t, w.until(), "RowDescription[?column?:0/0/23/4/-1/0]", `DataRow["2"]`, "CommandComplete SELECT 1", "ReadyForQuery I")
	// Only the header of the oversized message is sent: the server must
	// refuse it from the length word alone, before reading (or allocating)
	// the body. (Sending the whole body races with the server's close.)
	big, _ := (&pgproto3.Query{String: "select 2" + strings.Repeat(" ;", 600<<10)}).Encode(nil)
	if _, err := w.nc.Write(big[:5]); err != nil {
		t.Fatal(err)
	}
	if got := describe(w.recv()); got != "Error FATAL 08P01 invalid message length 1228813 for message type 'Q'" {
		t.Errorf("over the cap: %s", got)
	}
	// beyond the 1 MiB step of the body reader, with the default cap
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pgwireNewServerDefault(ts.b)
	go srv.Serve(l)
	defer srv.Close()
	w = dialWire(t, &testServer{addr: l.Addr().String()})
	w.startup()
	w.send(&pgproto3.Query{String: "select 2" + strings.Repeat(" ;", 3<<20)})
	expect(t, w.until(), "RowDescription[?column?:0/0/23/4/-1/0]", `DataRow["2"]`, "CommandComplete SELECT 1", "ReadyForQuery I")
}

// TestServerNumberAndForwardedCancel: process ids carry the server number
// above their low bits; a CancelRequest naming another number goes to
// ForwardCancel (with its key, unchecked), one naming this server's is
// checked here, and Server.CancelRequest delivers a forwarded one.
func TestServerNumberAndForwardedCancel(t *testing.T) {
	type req struct{ pid, secret uint32 }
	forwarded := make(chan req, 4)
	ts := startServerWith(t, pgwire.Options{ServerNumber: 37, ForwardCancel: func(pid, secret uint32) { forwarded <- req{pid, secret} }})
	w := dialWire(t, ts)
	key := w.startup()
	if n := pgwire.ServerOfPID(key.ProcessID); n != 37 || key.ProcessID > 1<<31-1 {
		t.Fatalf("process id %d: number %d, want 37 and a positive int4", key.ProcessID, n)
	}
	other := uint32(38)<<pgwire.LocalPIDBits | 77
	sendCancel(t, ts, other, 12345)
	select {
	case r := <-forwarded:
		if r != (req{other, 12345}) {
			t.Errorf("forwarded %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancel request for server 38 was not forwarded")
	}
	sendCancel(t, ts, key.ProcessID+1, key.SecretKey) // this server's number, no such connection
	select {
	case r := <-forwarded:
		t.Fatalf("a cancel request for this server was forwarded: %+v", r)
	case <-time.After(100 * time.Millisecond):
	}

	w.send(&pgproto3.Query{String: "sleep"})
	time.Sleep(50 * time.Millisecond)
	if ts.srv.CancelRequest(key.ProcessID, key.SecretKey+1) {
		t.Fatal("CancelRequest with a wrong key canceled")
	}
	if !ts.srv.CancelRequest(key.ProcessID, key.SecretKey) {
		t.Fatal("CancelRequest with the right key did not cancel")
	}
	expect(t, w.until(), "Error ERROR 57014 canceling statement due to user request", "ReadyForQuery I")
	<-ts.b.canceled
}
