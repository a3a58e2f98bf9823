package pgwire_test

import (
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cirrusdb/cirrus/coordinator/pgwire"
	"github.com/jackc/pgproto3/v2"
)

// pipeListener hands out in-memory connections.
type pipeListener struct {
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func (l *pipeListener) dial() net.Conn {
	c, s := net.Pipe()
	l.ch <- s
	return c
}

func mustEncode(msgs ...pgproto3.FrontendMessage) []byte {
	var b []byte
	for _, m := range msgs {
		var err error
		if b, err = m.Encode(b); err != nil {
			panic(err)
		}
	}
	return b
}

// FuzzConn feeds arbitrary bytes to a connection (optionally after a valid
// startup) and checks that the server never panics and always hangs up or
// answers.
func FuzzConn(f *testing.F) {
	startup := mustEncode(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "u", "database": "d"}})
	f.Add(false, startup)
	f.Add(true, mustEncode(&pgproto3.Query{String: "select 1; select types"}))
	f.Add(true, mustEncode(&pgproto3.Parse{Name: "a", Query: "select $1::int4, $2::numeric(10,2)"}, &pgproto3.Describe{ObjectType: 'S', Name: "a"},
		&pgproto3.Bind{PreparedStatement: "a", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 1}, {0, 1, 0, 0, 0, 0, 0, 2, 0, 7}}, ResultFormatCodes: []int16{1}},
		&pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{}))
	f.Add(true, mustEncode(&pgproto3.Query{String: "copy t from stdin binary"}, &pgproto3.CopyData{Data: []byte("PGCOPY\n\377\r\n\000")}, &pgproto3.Sync{}, &pgproto3.CopyDone{}))
	f.Add(true, mustEncode(&pgproto3.Query{String: "copy t from stdin fail"}, &pgproto3.CopyData{Data: []byte("1\n")}, &pgproto3.CopyFail{Message: "x"}))
	f.Add(true, mustEncode(&pgproto3.Bind{DestinationPortal: "p", Parameters: [][]byte{nil}}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Close{ObjectType: 'P', Name: "p"}, &pgproto3.Flush{}, &pgproto3.Sync{}))
	f.Add(false, []byte{0, 0, 0, 8, 4, 210, 22, 47, 0, 0, 0, 8, 4, 210, 22, 48})
	f.Add(false, []byte{0, 0, 0, 16, 4, 210, 22, 46, 0, 0, 0, 1, 0, 0, 0, 2})
	f.Add(true, []byte{'B', 0, 0, 0, 16, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xf0, 0, 0})

	log := &panicLog{}
	l := newPipeListener()
	srv := pgwire.NewServer(newFakeBackend(), pgwire.Options{Logger: slog.New(log), MaxMessageSize: 1 << 16})
	go srv.Serve(l)
	f.Cleanup(func() { srv.Close() })

	f.Fuzz(func(t *testing.T, withStartup bool, data []byte) {
		before := srv.Finished()
		c := l.dial()
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		readDone := make(chan struct{})
		go func() {
			io.Copy(io.Discard, c)
			close(readDone)
		}()
		if withStartup {
			c.Write(startup)
		}
		c.Write(data)
		// Terminate, then hang up if the server has not already.
		c.Write([]byte{'X', 0, 0, 0, 4})
		c.Close()
		<-readDone
		waitEnded(t, srv, before, log)
	})
}

// waitEnded waits until srv has finished a connection more than before and
// fails t if the server logged a panic.
func waitEnded(t *testing.T, srv *pgwire.Server, before uint64, log *panicLog) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); srv.Finished() == before; {
		if time.Now().After(deadline) {
			t.Fatal("connection did not end")
		}
		time.Sleep(100 * time.Microsecond)
	}
	if p := log.take(); len(p) > 0 {
		t.Fatalf("server panicked: %q", p)
	}
}
