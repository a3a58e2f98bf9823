// Package metricstest scrapes and checks a /metrics endpoint in tests: the
// text is parsed with Prometheus's own parser (prometheus/common/expfmt),
// and checked as promtool would: legacy metric and label names, HELP and
// TYPE before a family's samples and once each, counters ending in _total,
// histograms with increasing cumulative buckets ending in +Inf equal to
// _count.
package metricstest

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Scrape is one parsed scrape.
type Scrape struct {
	Text     string
	Families map[string]*dto.MetricFamily
}

// Get scrapes url (an http:// URL of a /metrics endpoint) and checks it;
// the test fails on any error.
func Get(t testing.TB, url string) *Scrape {
	t.Helper()
	cl := &http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("scrape %s: %s: %s", url, resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("scrape %s: Content-Type %q", url, ct)
	}
	s, err := Parse(string(body))
	if err != nil {
		t.Fatalf("scrape %s: %v\n%s", url, err, body)
	}
	return s
}

var (
	nameRE  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// Parse parses and checks exposition text.
func Parse(text string) (*Scrape, error) {
	if err := checkLines(text); err != nil {
		return nil, err
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("expfmt: %w", err)
	}
	for name, f := range fams {
		if !nameRE.MatchString(name) {
			return nil, fmt.Errorf("invalid metric name %q", name)
		}
		if f.GetHelp() == "" {
			return nil, fmt.Errorf("%s: no HELP", name)
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if !labelRE.MatchString(l.GetName()) {
					return nil, fmt.Errorf("%s: invalid label name %q", name, l.GetName())
				}
			}
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			if !strings.HasSuffix(name, "_total") {
				return nil, fmt.Errorf("counter %s does not end in _total", name)
			}
			for _, m := range f.Metric {
				if v := m.GetCounter().GetValue(); v < 0 || math.IsNaN(v) {
					return nil, fmt.Errorf("counter %s = %v", name, v)
				}
			}
		case dto.MetricType_HISTOGRAM:
			for _, m := range f.Metric {
				h := m.GetHistogram()
				var prevLE = math.Inf(-1)
				var prev uint64
				bs := h.GetBucket()
				if len(bs) == 0 || !math.IsInf(bs[len(bs)-1].GetUpperBound(), 1) {
					return nil, fmt.Errorf("histogram %s has no +Inf bucket", name)
				}
				for _, b := range bs {
					if b.GetUpperBound() <= prevLE {
						return nil, fmt.Errorf("histogram %s: bucket bounds not increasing", name)
					}
					if b.GetCumulativeCount() < prev {
						return nil, fmt.Errorf("histogram %s: buckets not cumulative", name)
					}
					prevLE, prev = b.GetUpperBound(), b.GetCumulativeCount()
				}
				if prev != h.GetSampleCount() {
					return nil, fmt.Errorf("histogram %s: +Inf bucket %d != count %d", name, prev, h.GetSampleCount())
				}
			}
		}
	}
	return &Scrape{Text: text, Families: fams}, nil
}

// checkLines checks what the parser tolerates: each family's HELP and TYPE
// come once, before its samples, and a family's samples are contiguous.
func checkLines(text string) error {
	seen := map[string]bool{}  // families whose samples have ended
	typed := map[string]bool{} // families with a TYPE line
	cur := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "# ") {
			f := strings.Fields(line)
			if len(f) < 3 || (f[1] != "HELP" && f[1] != "TYPE") {
				continue
			}
			name := f[2]
			if seen[name] {
				return fmt.Errorf("%s: %s after its samples", name, f[1])
			}
			if f[1] == "TYPE" {
				if typed[name] {
					return fmt.Errorf("%s: two TYPE lines", name)
				}
				typed[name] = true
			}
			if cur != "" && cur != name {
				seen[cur] = true
			}
			cur = name
			continue
		}
		name := line
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name = line[:i]
		}
		fam := name
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base := strings.TrimSuffix(name, suf); base != name && typed[base] {
				fam = base
			}
		}
		if !typed[fam] {
			return fmt.Errorf("sample %q without a TYPE line", line)
		}
		if seen[fam] {
			return fmt.Errorf("%s: samples not contiguous", fam)
		}
		if fam != cur {
			if cur != "" {
				seen[cur] = true
			}
			cur = fam
		}
	}
	return sc.Err()
}

// Value returns the sum of the values of family name's series that carry
// the given labels (name/value pairs; other labels may have any value),
// and whether there is any. A histogram's value is its sample count.
func (s *Scrape) Value(name string, labels ...string) (float64, bool) {
	f := s.Families[name]
	if f == nil {
		return 0, false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	var sum float64
	found := false
	for _, m := range f.Metric {
		ok := true
		for k, v := range want {
			has := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					has = true
				}
			}
			ok = ok && has
		}
		if !ok {
			continue
		}
		found = true
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			sum += m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			sum += m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			sum += float64(m.GetHistogram().GetSampleCount())
		default:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, found
}

// Names returns the families' names, sorted.
func (s *Scrape) Names() []string {
	var out []string
	for n := range s.Families {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
