package pgtype

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
)

// TestArrayText checks array_in/array_out: canonical text of elements with
// quoting, NULLs and empty strings, and errors on malformed input.
func TestArrayText(t *testing.T) {
	for _, c := range []struct {
		t        catalog.Type
		in, want string
	}{
		{catalog.ArrayOf(catalog.Text), `{a, "b c" ,NULL,"",x\,y}`, `{a,"b c",NULL,"","x,y"}`},
		{catalog.ArrayOf(catalog.Int4), `{ 1,2 , 3}`, `{1,2,3}`},
		{catalog.ArrayOf(catalog.Text), `{}`, `{}`},
		{catalog.ArrayOf(catalog.Text), `{"null"}`, `{"null"}`},
		{catalog.Type{Kind: catalog.Int2Vector}, `1 2`, `1 2`},
	} {
		got, err := NormalizeArray(c.t, []byte(c.in))
		if err != nil || got != c.want {
			t.Errorf("%s as %s: %q, %v; want %q", c.in, c.t, got, err, c.want)
		}
	}
	for _, bad := range []string{`a`, `{a`, `{"a}`, `{{1}}`} {
		if _, err := NormalizeArray(catalog.ArrayOf(catalog.Text), []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := NormalizeArray(catalog.ArrayOf(catalog.Int4), []byte(`{x}`)); err == nil {
		t.Error("{x} as int4[]: no error")
	}
}

// TestArrayBinary checks array_send's format against PostgreSQL 15's
// bytes for '{1,NULL}'::int4[] and '{}'::text[].
func TestArrayBinary(t *testing.T) {
	for _, c := range []struct {
		t       catalog.Type
		in, hex string
	}{
		{catalog.ArrayOf(catalog.Int4), `{1,NULL}`, "00000001000000010000001700000002000000010000000400000001ffffffff"},
		{catalog.ArrayOf(catalog.Text), `{}`, "000000000000000000000019"},
	} {
		want, _ := hex.DecodeString(c.hex)
		if got := AppendArrayBinary(nil, c.t, c.in); !bytes.Equal(got, want) {
			t.Errorf("%s: %x, want %s", c.in, got, c.hex)
		}
	}
}
