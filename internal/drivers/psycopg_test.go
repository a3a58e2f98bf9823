package drivers

import (
	"path/filepath"
	"testing"
)

// python is Debian's interpreter, which the python3-psycopg2 and
// python3-psycopg packages install into (not a pyenv python on PATH).
const python = "/usr/bin/python3"

// psycopg2Sections are the sections of testdata/psycopg2_suite.py.
var psycopg2Sections = []section{
	{name: "simple"},
	{name: "params"},
	{name: "array_params"},
	{name: "executemany"},
	{name: "named_cursor"},
	{name: "copy_from"},
	{name: "copy_to"},
	{name: "types"},
	{name: "timestamptz"},
	{name: "numeric"},
	{name: "numeric_nan"},
	{name: "errors"},
	{name: "multi_statement"},
	{name: "transactions"},
}

// psycopg3Sections are the sections of testdata/psycopg3_suite.py.
var psycopg3Sections = []section{
	{name: "simple"},
	{name: "params"},
	{name: "array_params"},
	{name: "prepared"},
	{name: "deallocate"},
	{name: "executemany"},
	{name: "named_cursor"},
	{name: "copy_from"},
	{name: "copy_binary"},
	{name: "copy_to"},
	{name: "types"},
	{name: "binary_types"},
	{name: "pipeline"},
	{name: "pipeline_error"},
	{name: "timestamptz"},
	{name: "numeric"},
	{name: "numeric_nan"},
	{name: "errors"},
	{name: "transactions"},
}

// testPsycopg runs a Python suite (testdata/suite.py conventions) with
// Debian's python3 and compares its sections on both servers.
func testPsycopg(t *testing.T, srv *servers, program string, sections []section) {
	need(t, python)
	names := runnable(t, sections)
	compareSections(t, srv, names, func(target) []string {
		return append([]string{python, filepath.Join("testdata", program)}, names...)
	})
}
