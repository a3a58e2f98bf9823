package pgtype

import (
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/planner/plan"
)

// TestRecordText checks record_out's quoting and field selection over a
// record built from typed values.
func TestRecordText(t *testing.T) {
	ts := []catalog.Type{catalog.TypeText, catalog.TypeInt4, catalog.TypeText, catalog.TypeText, catalog.NumericType(5, 2), catalog.ArrayOf(catalog.Int4)}
	ds := []plan.Datum{{S: `a "b"\`}, {I: -3}, {Null: true}, {S: ""}, {I: 150}, {S: "{1,2}"}}
	rec := AppendRecord(nil, ts, ds)
	if got, want := string(AppendRecordText(nil, rec)), `("a ""b""\\",-3,,"",1.50,"{1,2}")`; got != want {
		t.Errorf("record_out: got %s, want %s", got, want)
	}
	for i, want := range []string{`a "b"\`, "-3", "NULL", "", "1.50", "{1,2}"} {
		d, err := RecordField(rec, i, ts[i])
		if err != nil {
			t.Fatal(err)
		}
		got := string(AppendDatumText(nil, ts[i], d))
		if d.Null {
			got = "NULL"
		}
		if got != want {
			t.Errorf("field %d: got %q, want %q", i, got, want)
		}
	}
}

// TestArrayBinaryRoundTrip decodes what array_send's encoding produces,
// and checks array_recv's errors.
func TestArrayBinaryRoundTrip(t *testing.T) {
	for _, c := range []struct {
		t catalog.Type
		s string
	}{
		{catalog.ArrayOf(catalog.Int4), "{1,NULL,-7}"},
		{catalog.ArrayOf(catalog.Text), `{a,"b c","",NULL}`},
		{catalog.ArrayOf(catalog.Float8), "{0.5,-Infinity}"},
		{catalog.ArrayOf(catalog.Int8), "{}"},
		{catalog.Type{Kind: catalog.Int2Vector}, "1 3"},
	} {
		b := AppendArrayBinary(nil, c.t, c.s)
		d, err := DecodeBinary(c.t, b)
		if err != nil || d.S != c.s {
			t.Errorf("%s %s: got %q, %v", c.t, c.s, d.S, err)
		}
	}
	int4s := AppendArrayBinary(nil, catalog.ArrayOf(catalog.Int4), "{1,2}")
	for _, c := range []struct {
		t    catalog.Type
		b    []byte
		code string
	}{
		{catalog.ArrayOf(catalog.Int8), int4s, sqlerr.DatatypeMismatch},
		{catalog.ArrayOf(catalog.Int4), int4s[:len(int4s)-1], codeInvalidBinaryRepr},
		{catalog.ArrayOf(catalog.Int4), append(int4s[:len(int4s):len(int4s)], 0), codeInvalidBinaryRepr},
		{catalog.ArrayOf(catalog.Int4), []byte{0, 0, 0, 7, 0, 0, 0, 0}, sqlerr.ProgramLimitExceeded},
		{catalog.ArrayOf(catalog.Int4), []byte{0, 0, 0, 1, 0, 0, 0, 2}, sqlerr.InvalidParameterValue},
		{catalog.ArrayOf(catalog.Int4), []byte{0, 0, 0}, sqlerr.ProtocolViolation},
	} {
		_, err := DecodeBinary(c.t, c.b)
		if err == nil || sqlerr.As(err).Code != c.code {
			t.Errorf("%s %x: got %v, want %s", c.t, c.b, err, c.code)
		}
	}
}
