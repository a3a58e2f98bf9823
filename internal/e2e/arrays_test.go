package e2e

import (
	"testing"
)

// TestPgxArrayAndRegDifferential binds array parameters (int2[], int4[],
// int8[], text[], varchar[], float8[], oid[], with NULL elements and
// empty) and reg* parameters through pgx in all five query-exec modes,
// which send them in binary (with the types from Describe) or as text,
// and reads arrays, reg* values and records back in the formats pgx asks
// for (binary arrays and records; reg* OIDs in binary, names in text),
// against Cirrus and PostgreSQL 15: descriptions, every value's bytes,
// tags and SQLSTATEs must be identical.
func TestPgxArrayAndRegDifferential(t *testing.T) {
	dsns := pgxTargets(t, "pgxarrays",
		"CREATE TABLE arr (k integer PRIMARY KEY, s text, b bigint)",
		"INSERT INTO arr VALUES (1, 'one', 10), (2, 'two', 20), (3, NULL, 30), (4, 'four', NULL)")
	str := func(s string) *string { return &s }
	queries := []pgxQuery{
		{"SELECT k FROM arr WHERE k = ANY($1) ORDER BY k", []any{[]int32{1, 3, 24}}},
		{"SELECT k FROM arr WHERE k <> ALL($1) ORDER BY k", []any{[]int32{1, 3}}},
		{"SELECT k FROM arr WHERE b = ANY($1) ORDER BY k", []any{[]int64{20, 30, -1 << 62}}},
		{"SELECT k FROM arr WHERE s = ANY($1) ORDER BY k", []any{[]string{"one", "four", "x"}}},
		{"SELECT k FROM arr WHERE s = ANY($1::text[]) ORDER BY k", []any{[]*string{str("two"), nil}}},
		{"SELECT k FROM arr WHERE k = ANY($1) ORDER BY k", []any{[]int32{}}},
		{"SELECT $1::int2[], $2::int4[], $3::int8[]", []any{[]int16{-1, 0, 32767}, []int32{1 << 30, -5}, []int64{1 << 40}}},
		{"SELECT $1::text[], $2::varchar[], $3::float8[]", []any{[]*string{str("a"), nil, str("b,c \"q\"")}, []string{"x", ""}, []float64{0.5, -1e300}}},
		{"SELECT $1::oid[], $2::text[], $3::int4[]", []any{[]uint32{26, 4294967295}, []string{}, nil}},
		{"SELECT array_length($1::int4[], 1), cardinality($2::text[]), ($1::int4[])[2]", []any{[]int32{7, 8, 9}, []string{"a"}}},
		{"SELECT ARRAY[1, 2, NULL]::int4[], ARRAY['a', 'b c']::text[], '{}'::int8[], ARRAY[1.5]::float8[]", nil},
		{"SELECT ARRAY[k, k * 2] FROM arr ORDER BY k", nil},
		{"SELECT $1::int4[]", []any{"{1,x}"}},
		{"SELECT 'pg_class'::regclass, 'int4'::regtype, 'pg_catalog'::regnamespace, 'array_in'::regproc, 'arr'::regclass::oid > 0", nil},
		{"SELECT c.oid::regclass, c.relnamespace::regnamespace FROM pg_class c WHERE c.relname IN ('pg_type', 'pg_proc') ORDER BY 1", nil},
		{"SELECT $1::regclass, $2::regtype, $3::regnamespace, $4::regproc", []any{"pg_class", "integer", "pg_catalog", "pg_catalog.array_in"}},
		{"SELECT relname::text FROM pg_class WHERE oid = $1::regclass", []any{"pg_namespace"}},
		{"SELECT $1::regclass", []any{"no_such_table"}},
		{"SELECT $1::oid, $2::oid[]", []any{uint32(1259), []uint32{1259, 2615}}},
		{"SELECT ROW(1, 'a b'::text, NULL::int8, 2.50), information_schema._pg_expandarray(ARRAY[5, 6]) ORDER BY 2", nil},
		{"SELECT (information_schema._pg_expandarray($1::int2[])).n, unnest($2::text[]) WITH ORDINALITY", []any{[]int16{4, 2}, []string{"p"}}},
		{"SELECT u.x, u.i FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY 2 DESC", []any{[]string{"p", "q"}}},
	}
	comparePgxModes(t, dsns, queries)
}
