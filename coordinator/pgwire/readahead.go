package pgwire

import (
	"net"
	"sync"
)

const (
	readChunk  = 32 << 10
	readChunks = 32 // read-ahead limit: readChunks reads (≤ 1 MiB)
)

// readAhead reads the socket on its own goroutine, ahead of the protocol
// loop, so that a client that goes away is noticed (and its statement
// cancelled) while the loop is busy executing. Chunks are recycled.
type readAhead struct {
	data chan []byte // filled chunks; closed after err is set
	free chan []byte // empty buffers for reuse
	stop chan struct{}
	once sync.Once
	done chan struct{}
	err  error

	cur, curBuf []byte // chunk being consumed
}

// newReadAhead starts reading nc; pending bytes, already read from it, come
// first.
func newReadAhead(nc net.Conn, pending []byte, onError func(error)) *readAhead {
	r := &readAhead{
		cur:  pending,
		data: make(chan []byte, readChunks),
		free: make(chan []byte, readChunks+1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go r.loop(nc, onError)
	return r
}

func (r *readAhead) loop(nc net.Conn, onError func(error)) {
	defer close(r.done)
	for {
		var buf []byte
		select {
		case buf = <-r.free:
		default:
			buf = make([]byte, readChunk)
		}
		n, err := nc.Read(buf[:cap(buf)])
		if n > 0 {
			select {
			case r.data <- buf[:n]:
			case <-r.stop:
				return
			}
		}
		if err != nil {
			onError(err)
			r.err = err
			close(r.data)
			return
		}
	}
}

// Read implements io.Reader for the protocol loop.
func (r *readAhead) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.curBuf != nil {
			select {
			case r.free <- r.curBuf[:cap(r.curBuf)]:
			default:
			}
			r.curBuf = nil
		}
		b, ok := <-r.data
		if !ok {
			return 0, r.err
		}
		r.cur, r.curBuf = b, b
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// buffered reports how many bytes can be read without waiting for the
// current chunk (a lower bound: queued chunks are not counted).
func (r *readAhead) buffered() int {
	if len(r.cur) > 0 {
		return len(r.cur)
	}
	if len(r.data) > 0 {
		return 1 << 30
	}
	return 0
}

// close stops the reader; the caller closes the socket first.
func (r *readAhead) close() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}
