package metrics

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// ContentType is the text exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves the metrics of the registries regs returns (Write) over
// HTTP; regs is called at every scrape (a cluster in one process may
// replace a node).
func Handler(regs func() []*Registry) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		Write(w, regs()...)
	})
}

// Write writes the registries' metrics in the text exposition format: each
// family once, with its HELP and TYPE lines and the series of every
// registry that has it (families of the same name must agree on type).
// Families appear in the order first registered, series in registry order.
func Write(w io.Writer, regs ...*Registry) error {
	type family struct {
		d    *desc
		rows []string
	}
	var order []string
	fams := map[string]*family{}
	var buf []sample
	for _, r := range regs {
		if r == nil {
			continue
		}
		r.mu.Lock()
		ms := append([]metric(nil), r.metrics...)
		r.mu.Unlock()
		for _, m := range ms {
			d := m.info()
			f := fams[d.name]
			if f == nil {
				f = &family{d: d}
				fams[d.name] = f
				order = append(order, d.name)
			} else if f.d.typ != d.typ {
				continue // a conflicting family would make the output invalid
			}
			buf = m.samples(buf[:0])
			for _, s := range buf {
				f.rows = append(f.rows, formatSample(d.name, r.constLabels, s))
			}
		}
	}
	bw := bufio.NewWriter(w)
	for _, name := range order {
		f := fams[name]
		bw.WriteString("# HELP " + name + " " + escapeHelp(f.d.help) + "\n")
		bw.WriteString("# TYPE " + name + " " + string(f.d.typ) + "\n")
		for _, row := range f.rows {
			bw.WriteString(row)
		}
	}
	return bw.Flush()
}

func formatSample(name, constLabels string, s sample) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(s.suffix)
	if constLabels != "" || s.labels != "" {
		b.WriteByte('{')
		b.WriteString(constLabels)
		if constLabels != "" && s.labels != "" {
			b.WriteByte(',')
		}
		b.WriteString(s.labels)
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(s.value))
	b.WriteByte('\n')
	return b.String()
}

// appendLabel appends name="value" (comma-separated from what b holds).
func appendLabel(b *strings.Builder, name, value string) {
	if b.Len() > 0 {
		b.WriteByte(',')
	}
	b.WriteString(name)
	b.WriteString(`="`)
	for _, r := range value {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// formatFloat writes a value as Prometheus expects: shortest round-trip
// form, +Inf, -Inf, NaN.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
