// Package sqllogic runs differential SQL logic tests.
//
// A test file is a sequence of records separated by blank lines, in the style
// of sqllogictest and CockroachDB's logic tests:
//
//	# A comment (only between records).
//	statement ok
//	CREATE TABLE t (a int, b text)
//
//	statement count 2
//	INSERT INTO t VALUES (1, 'x'), (2, NULL)
//
//	statement error pgcode 42P01
//	SELECT * FROM nope
//
//	statement error pgcode 22012 division by zero
//	SELECT 1/0
//
//	query IT rowsort
//	SELECT a, b FROM t
//	----
//	1 x
//	2 NULL
//
// Record headers:
//
//	statement ok                        the statement must succeed
//	statement count N                   it must succeed and affect N rows
//	statement error [pgcode C] [RE]     it must fail, with SQLSTATE C and a
//	                                    message matching the regexp RE if given
//	query TYPES [OPTIONS] [LABEL]       a query; TYPES has one letter per
//	                                    result column (I integer, T text,
//	                                    R float/numeric, B bool, D date/time;
//	                                    informational, but the count must
//	                                    match the result's column count)
//	query error [pgcode C] [RE]         a query that must fail
//
// Query options (space- or comma-separated): nosort (the default: rows must
// come back in exactly this order, so the query needs a total ORDER BY),
// rowsort (rows are sorted before comparison), valuesort (all values are
// sorted individually), colnames (the first result line holds the column
// names, which are then also compared across databases). Any other word is a
// label: queries with the same label must return the same results.
//
// The SQL runs until a blank line or, for queries, a line "----", after which
// the expected rows follow until a blank line. Without "----" a query's
// results are only compared across databases (and -rewrite fills them in).
// SQL may hold several statements separated by semicolons (simple protocol
// only); a query's results are those of the last one.
//
// Result values are written as the server sends them in text format; NULL is
// written NULL and the empty string (empty). Tab, newline and carriage return
// inside a value are written \t, \n, \r. Values are separated by single
// spaces, or by tabs when any value of the row contains a space; a line that
// holds a tab is split on tabs only. A one-column result takes the whole line
// as its value. A line whose last value ends in a space (char(n) padding) is
// ended with a tab so that the spaces survive editors; that tab is not a
// separator. A text value that is literally NULL or (empty) cannot be told
// from NULL or the empty string.
//
// A record may be preceded by "skipif NAME" or "onlyif NAME" lines, where
// NAME is a DB.Name: the record then does not run on (only runs on) that
// database. A line "halt" ends the file early.
//
// A line "load DATASET" before the first record says that the file needs a
// data set ("tpch", DatasetTPCH: the TPC-H schema with its SF 0.01 data).
// Before the first record runs, the runner creates and fills its tables on
// every database that does not already hold it (DB.Loaded), through the same
// connections the records use. Such a file should leave the data set as it
// found it, so that one loaded database can serve several files.
package sqllogic

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Kind is the kind of a record.
type Kind int

// Record kinds.
const (
	Statement Kind = iota
	Query
)

// SortMode says how query results are ordered before comparison.
type SortMode int

// Sort modes.
const (
	NoSort SortMode = iota
	RowSort
	ValueSort
)

func (m SortMode) String() string {
	switch m {
	case RowSort:
		return "rowsort"
	case ValueSort:
		return "valuesort"
	}
	return "nosort"
}

// Record is one statement or query of a test file.
type Record struct {
	Line int // 1-based line of the header
	Kind Kind
	SQL  string

	// ExpectError is set for "statement error" and "query error".
	ExpectError  bool
	ErrorCode    string         // SQLSTATE the error must have; "" for any
	ErrorPattern *regexp.Regexp // the error message must match; nil for any

	// HasCount and Count are set for "statement count N".
	HasCount bool
	Count    int64

	// Query records.
	Types      string   // one letter per column
	Sort       SortMode // how rows are compared
	ColNames   bool     // first expected line holds column names
	Label      string   // queries with one label must agree
	HasResults bool     // a "----" section was present
	Expected   []string // expected result lines (verbatim, after "----")

	SkipIf []string // DB names the record does not run on
	OnlyIf []string // DB names the record only runs on

	// 0-based line indexes used by rewrite.
	headerIdx int
	sqlEnd    int // index just after the last SQL line
	resEnd    int // index just after the last expected line (== sqlEnd when none)
}

// File is a parsed test file.
type File struct {
	Path     string
	Datasets []string // data sets named by "load" lines, in file order
	Records  []*Record
	lines    []string
}

// ParseFile reads and parses a test file.
func ParseFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(path, f)
}

var (
	errorHeaderRE = regexp.MustCompile(`^(statement|query)\s+error(?:\s+pgcode\s+(\S+))?(?:\s+(.*\S))?\s*$`)
	sqlstateRE    = regexp.MustCompile(`^[0-9A-Z]{5}$`)
	typesRE       = regexp.MustCompile(`^[A-Z]+$`)
)

// Parse parses a test file read from r; name is used in messages.
func Parse(name string, r io.Reader) (*File, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for sc.Scan() {
		lines = append(lines, strings.TrimSuffix(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f := &File{Path: name, lines: lines}
	errf := func(i int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, i+1, fmt.Sprintf(format, args...))
	}
	var skipIf, onlyIf []string
	i := 0
	for i < len(lines) {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			i++
			continue
		}
		fields := strings.Fields(line)
		switch fields[0] {
		case "halt":
			if len(skipIf) > 0 || len(onlyIf) > 0 {
				return nil, errf(i, "skipif/onlyif before halt")
			}
			return f, nil
		case "skipif", "onlyif":
			if len(fields) != 2 {
				return nil, errf(i, "want %q followed by one database name", fields[0])
			}
			if fields[0] == "skipif" {
				skipIf = append(skipIf, fields[1])
			} else {
				onlyIf = append(onlyIf, fields[1])
			}
			i++
			continue
		case "load":
			if len(fields) != 2 {
				return nil, errf(i, "want \"load DATASET\"")
			}
			if len(f.Records) > 0 || len(skipIf) > 0 || len(onlyIf) > 0 {
				return nil, errf(i, "\"load\" must come before the first record")
			}
			if _, ok := datasets[fields[1]]; !ok {
				return nil, errf(i, "unknown data set %q", fields[1])
			}
			if !slices.Contains(f.Datasets, fields[1]) {
				f.Datasets = append(f.Datasets, fields[1])
			}
			i++
			continue
		case "statement", "query":
		default:
			return nil, errf(i, "unknown directive %q", fields[0])
		}
		rec := &Record{Line: i + 1, headerIdx: i, SkipIf: skipIf, OnlyIf: onlyIf}
		skipIf, onlyIf = nil, nil
		if len(fields) < 2 {
			return nil, errf(i, "incomplete header %q", line)
		}
		if fields[0] == "statement" {
			rec.Kind = Statement
		} else {
			rec.Kind = Query
		}
		switch {
		case fields[1] == "error":
			m := errorHeaderRE.FindStringSubmatch(line)
			if m == nil {
				return nil, errf(i, "malformed error header %q", line)
			}
			rec.ExpectError = true
			rec.ErrorCode = m[2]
			if m[2] != "" && !sqlstateRE.MatchString(m[2]) {
				return nil, errf(i, "bad SQLSTATE %q", m[2])
			}
			if m[3] != "" {
				re, err := regexp.Compile(m[3])
				if err != nil {
					return nil, errf(i, "bad error regexp: %v", err)
				}
				rec.ErrorPattern = re
			}
		case rec.Kind == Statement && fields[1] == "ok":
			if len(fields) != 2 {
				return nil, errf(i, "unexpected text after \"statement ok\"")
			}
		case rec.Kind == Statement && fields[1] == "count":
			if len(fields) != 3 {
				return nil, errf(i, "want \"statement count N\"")
			}
			n, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil || n < 0 {
				return nil, errf(i, "bad count %q", fields[2])
			}
			rec.HasCount, rec.Count = true, n
		case rec.Kind == Statement:
			return nil, errf(i, "want \"statement ok\", \"statement count N\" or \"statement error ...\"")
		default:
			if !typesRE.MatchString(fields[1]) {
				return nil, errf(i, "bad type string %q (want letters such as IT)", fields[1])
			}
			rec.Types = fields[1]
			for _, field := range fields[2:] {
				for _, opt := range strings.Split(field, ",") {
					switch opt {
					case "":
					case "nosort":
						rec.Sort = NoSort
					case "rowsort":
						rec.Sort = RowSort
					case "valuesort":
						rec.Sort = ValueSort
					case "colnames":
						rec.ColNames = true
					default:
						if rec.Label != "" {
							return nil, errf(i, "unknown query option %q (label already %q)", opt, rec.Label)
						}
						rec.Label = opt
					}
				}
			}
		}
		i++
		var sql []string
		for i < len(lines) && !isBlank(lines[i]) && lines[i] != "----" {
			sql = append(sql, lines[i])
			i++
		}
		if len(sql) == 0 {
			return nil, errf(rec.Line-1, "record without SQL")
		}
		rec.SQL = strings.Join(sql, "\n")
		rec.sqlEnd = i
		rec.resEnd = i
		if i < len(lines) && lines[i] == "----" {
			if rec.Kind != Query || rec.ExpectError {
				return nil, errf(i, "\"----\" only follows a query that succeeds")
			}
			rec.HasResults = true
			i++
			for i < len(lines) && !isBlank(lines[i]) {
				rec.Expected = append(rec.Expected, lines[i])
				i++
			}
			rec.resEnd = i
		}
		if rec.ColNames && rec.HasResults && len(rec.Expected) == 0 {
			return nil, errf(rec.Line-1, "colnames query without a column-name line")
		}
		f.Records = append(f.Records, rec)
	}
	if len(skipIf) > 0 || len(onlyIf) > 0 {
		return nil, errf(len(lines)-1, "skipif/onlyif at end of file")
	}
	return f, nil
}

// runsOn reports whether the record runs on the database named db.
func (r *Record) runsOn(db string) bool {
	for _, n := range r.SkipIf {
		if n == db {
			return false
		}
	}
	if len(r.OnlyIf) == 0 {
		return true
	}
	for _, n := range r.OnlyIf {
		if n == db {
			return true
		}
	}
	return false
}
