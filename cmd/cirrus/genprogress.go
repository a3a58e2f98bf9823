package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cirrusdb/cirrus/internal/tpch"
)

// genProgress draws `cirrus tpch gen`'s progress: on a terminal one line
// per table with a bar, redrawn in place five times a second; otherwise a
// line per finished table.
type genProgress struct {
	mu     sync.Mutex
	w      io.Writer
	term   bool
	order  []string
	done   map[string]int64
	total  map[string]int64
	said   map[string]bool
	lines  int
	start  time.Time
	stop   chan struct{}
	wg     sync.WaitGroup
	redraw bool
}

func newGenProgress(w io.Writer) *genProgress {
	p := &genProgress{w: w, term: tpch.IsTerminal(w), done: map[string]int64{}, total: map[string]int64{},
		said: map[string]bool{}, start: time.Now(), stop: make(chan struct{})}
	if p.term {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-p.stop:
					return
				case <-t.C:
					p.mu.Lock()
					p.draw()
					p.mu.Unlock()
				}
			}
		}()
	}
	return p
}

// update is dbgen's Progress callback.
func (p *genProgress) update(table string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.total[table]; !ok {
		p.order = append(p.order, table)
	}
	p.done[table], p.total[table] = done, total
	if !p.term && done >= total && !p.said[table] {
		p.said[table] = true
		fmt.Fprintf(p.w, "generated %-9s %10d rows  %6.2fs\n", table, total, time.Since(p.start).Seconds())
	}
}

func (p *genProgress) draw() {
	if p.lines > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.lines)
	}
	for _, t := range p.order {
		d, n := p.done[t], p.total[t]
		frac := 1.0
		if n > 0 {
			frac = float64(d) / float64(n)
		}
		const width = 30
		bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(".", width-int(frac*width))
		fmt.Fprintf(p.w, "\r%-9s [%s] %5.1f%%  %10d / %d rows\x1b[K\n", t, bar, 100*frac, d, n)
	}
	p.lines = len(p.order)
}

func (p *genProgress) finish() {
	close(p.stop)
	p.wg.Wait()
	if p.term {
		p.mu.Lock()
		p.draw()
		p.mu.Unlock()
	}
}
