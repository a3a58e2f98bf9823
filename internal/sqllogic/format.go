package sqllogic

import (
	"slices"
	"strings"
)

// nullValue stands for SQL NULL in raw result rows; text values sent by
// PostgreSQL never contain a NUL byte.
const nullValue = "\x00"

var valueEscaper = strings.NewReplacer("\t", `\t`, "\n", `\n`, "\r", `\r`)

// FormatValue renders a raw text-format value (nil for NULL) as written in
// test files.
func FormatValue(v []byte) string {
	if v == nil {
		return "NULL"
	}
	return formatRaw(string(v))
}

func formatRaw(s string) string {
	switch s {
	case nullValue:
		return "NULL"
	case "":
		return "(empty)"
	}
	return valueEscaper.Replace(s)
}

// formatRow renders formatted values as one result line.
func formatRow(vals []string) string {
	sep := " "
	if len(vals) > 1 {
		for _, v := range vals {
			if strings.Contains(v, " ") {
				sep = "\t"
				break
			}
		}
	}
	line := strings.Join(vals, sep)
	if strings.HasSuffix(line, " ") {
		// Protect trailing spaces (e.g. of char(n) values) with a
		// terminating tab; splitRow drops it.
		line += "\t"
	}
	return line
}

// splitRow splits a result line into ncol values (ncol <= 0: unknown). A
// line holding a tab is split on tabs, and a final tab only terminates the
// line.
func splitRow(line string, ncol int) []string {
	if strings.Contains(line, "\t") {
		vals := strings.Split(line, "\t")
		if len(vals) > 1 && vals[len(vals)-1] == "" {
			vals = vals[:len(vals)-1] // terminating tab
		}
		return vals
	}
	if ncol == 1 {
		return []string{line}
	}
	return strings.Fields(line)
}

func formatRows(raw [][]string) [][]string {
	out := make([][]string, len(raw))
	for i, row := range raw {
		f := make([]string, len(row))
		for j, v := range row {
			f[j] = formatRaw(v)
		}
		out[i] = f
	}
	return out
}

// sortRows orders rows per mode; it returns a new slice. For ValueSort the
// result is one single-value row per value.
func sortRows(rows [][]string, mode SortMode) [][]string {
	switch mode {
	case RowSort:
		out := slices.Clone(rows)
		slices.SortStableFunc(out, slices.Compare[[]string])
		return out
	case ValueSort:
		var vals []string
		for _, r := range rows {
			vals = append(vals, r...)
		}
		slices.Sort(vals)
		out := make([][]string, len(vals))
		for i, v := range vals {
			out[i] = []string{v}
		}
		return out
	}
	return rows
}

func rowsEqual(a, b [][]string) bool {
	return slices.EqualFunc(a, b, slices.Equal[[]string])
}

func rowLines(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = formatRow(r)
	}
	return out
}

// typeChar maps a PostgreSQL type OID to a type letter.
func typeChar(oid uint32) byte {
	switch oid {
	case 20, 21, 23, 26: // int8, int2, int4, oid
		return 'I'
	case 700, 701, 1700: // float4, float8, numeric
		return 'R'
	case 16: // bool
		return 'B'
	case 1082, 1083, 1114, 1184, 1186, 1266: // date, time, timestamp, timestamptz, interval, timetz
		return 'D'
	}
	return 'T'
}

// isBlank reports whether a line ends a record. Only spaces count, so a
// result line of spaces protected by a terminating tab is not blank.
func isBlank(line string) bool {
	return strings.Trim(line, " ") == ""
}
