package tpch

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress shows how far each table's load is: on a terminal a block of
// lines redrawn in place; otherwise a plain line per finished table.
type progress struct {
	w      io.Writer
	term   bool
	loads  []*tableLoad
	done   chan struct{}
	wg     sync.WaitGroup
	lines  int             // lines drawn last time (terminal)
	said   map[string]bool // tables reported (plain)
	start  time.Time
	period time.Duration
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func startProgress(w io.Writer, loads []*tableLoad) *progress {
	p := &progress{w: w, term: IsTerminal(w), loads: loads, done: make(chan struct{}), said: map[string]bool{}, start: time.Now(), period: time.Second}
	if p.term {
		p.period = 200 * time.Millisecond
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(p.period)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				p.draw()
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}

// rate formats rows per second.
func rate(rows int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	r := float64(rows) / d.Seconds()
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM rows/s", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.0fk rows/s", r/1e3)
	}
	return fmt.Sprintf("%.0f rows/s", r)
}

func (p *progress) draw() {
	now := time.Now()
	if !p.term {
		for _, tl := range p.loads {
			end := tl.end.Load()
			if end == 0 || p.said[tl.name] {
				continue
			}
			p.said[tl.name] = true
			d := time.Duration(end - tl.start.Load())
			fmt.Fprintf(p.w, "loaded %-8s %11d rows in %6.2fs  %s\n", tl.name, tl.rows.Load(), d.Seconds(), rate(tl.rows.Load(), d))
		}
		return
	}
	var b strings.Builder
	if p.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.lines)
	}
	var all int64
	for _, tl := range p.loads {
		rows := tl.rows.Load()
		all += rows
		start, end := tl.start.Load(), tl.end.Load()
		state := "waiting"
		var d time.Duration
		switch {
		case end != 0:
			d = time.Duration(end - start)
			state = fmt.Sprintf("committed in %.2fs", d.Seconds())
		case tl.failed.Load():
			state = "failed"
		case start != 0:
			d = now.Sub(time.Unix(0, start))
			state = "loading"
		}
		pct := 0.0
		if tl.total > 0 {
			pct = 100 * float64(rows) / float64(tl.total)
		}
		fmt.Fprintf(&b, "\x1b[2K%-8s %11d / %-11d %5.1f%%  %-16s %s\n", tl.name, rows, tl.total, pct, rate(rows, d), state)
	}
	el := now.Sub(p.start)
	fmt.Fprintf(&b, "\x1b[2Ktotal    %11d rows in %.1fs  %s\n", all, el.Seconds(), rate(all, el))
	p.lines = len(p.loads) + 1
	io.WriteString(p.w, b.String())
}
