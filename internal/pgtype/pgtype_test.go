package pgtype

import (
	"math"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
	"github.com/cirrusdb/cirrus/vec"
)

func TestAppendNumeric(t *testing.T) {
	cases := []struct {
		v     int64
		scale int32
		want  string
	}{
		{12345, 2, "123.45"}, {-5, 2, "-0.05"}, {0, 2, "0.00"}, {0, 0, "0"}, {7, 0, "7"},
		{-7, 0, "-7"}, {100, 2, "1.00"}, {1, 18, "0.000000000000000001"},
		{math.MaxInt64, 4, "922337203685477.5807"}, {math.MinInt64, 4, "-922337203685477.5808"},
		{math.MinInt64, 0, "-9223372036854775808"},
	}
	for _, c := range cases {
		if got := string(AppendNumeric(nil, c.v, c.scale)); got != c.want {
			t.Errorf("AppendNumeric(%d, %d) = %q, want %q", c.v, c.scale, got, c.want)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	cases := []struct {
		f    float64
		bits int
		want string
	}{
		{0.1, 64, "0.1"}, {1e20, 64, "1e+20"}, {1e15, 64, "1e+15"}, {1e14, 64, "100000000000000"},
		{math.NaN(), 64, "NaN"}, {math.Inf(1), 64, "Infinity"}, {math.Inf(-1), 64, "-Infinity"},
		{math.Copysign(0, -1), 64, "-0"}, {0, 64, "0"}, {1e-5, 64, "1e-05"}, {0.0001, 64, "0.0001"},
		{12345678901234567, 64, "1.2345678901234568e+16"}, {1.5e300, 64, "1.5e+300"}, {-2.5, 64, "-2.5"},
		{123456, 32, "123456"}, {1234567, 32, "1.234567e+06"}, {float64(float32(0.1)), 32, "0.1"},
		{5e-324, 64, "5e-324"}, {math.MaxFloat64, 64, "1.7976931348623157e+308"},
	}
	for _, c := range cases {
		if got := string(AppendFloat(nil, c.f, c.bits)); got != c.want {
			t.Errorf("AppendFloat(%v, %d) = %q, want %q", c.f, c.bits, got, c.want)
		}
	}
}

func TestAppendDateTimestamp(t *testing.T) {
	dates := []struct {
		d    int64
		want string
	}{
		{0, "2000-01-01"}, {-1, "1999-12-31"}, {8796, "2024-01-31"}, {DatePosInfinity, "infinity"},
		{DateNegInfinity, "-infinity"}, {-730119, "0001-01-01"}, {-730120, "0001-12-31 BC"},
	}
	for _, c := range dates {
		if got := string(AppendDate(nil, c.d)); got != c.want {
			t.Errorf("AppendDate(%d) = %q, want %q", c.d, got, c.want)
		}
		if c.d != DatePosInfinity && c.d != DateNegInfinity {
			if back, err := ParseDate([]byte(c.want)); err != nil || back != c.d {
				t.Errorf("ParseDate(%q) = %d, %v", c.want, back, err)
			}
		}
	}
	ts := []struct {
		us   int64
		want string
	}{
		{0, "2000-01-01 00:00:00"}, {-1, "1999-12-31 23:59:59.999999"},
		{8796*usPerDay + (13*3600+45*60)*usPerSec, "2024-01-31 13:45:00"},
		{500000, "2000-01-01 00:00:00.5"}, {120, "2000-01-01 00:00:00.00012"},
		{TimestampPosInfinity, "infinity"}, {TimestampNegInfinity, "-infinity"},
	}
	for _, c := range ts {
		if got := string(AppendTimestamp(nil, c.us)); got != c.want {
			t.Errorf("AppendTimestamp(%d) = %q, want %q", c.us, got, c.want)
		}
		if back, err := ParseTimestamp([]byte(c.want)); err != nil || back != c.us {
			t.Errorf("ParseTimestamp(%q) = %d, %v", c.want, back, err)
		}
	}
	if v, err := ParseTimestamp([]byte("2024-01-31T13:45:00")); err != nil || v != 8796*usPerDay+(13*3600+45*60)*usPerSec {
		t.Errorf("T separator: %d %v", v, err)
	}
	if v, err := ParseTimestamp([]byte("2024-01-31")); err != nil || v != 8796*usPerDay {
		t.Errorf("date alone: %d %v", v, err)
	}
}

func TestParseFast(t *testing.T) {
	ints := []struct {
		s    string
		k    catalog.Kind
		want int64
		code string
	}{
		{"42", catalog.Int4, 42, ""}, {" -42 ", catalog.Int4, -42, ""}, {"+7", catalog.Int2, 7, ""},
		{"32768", catalog.Int2, 0, sqlerr.NumericValueOutOfRange}, {"-32768", catalog.Int2, -32768, ""},
		{"abc", catalog.Int4, 0, sqlerr.InvalidTextRepresentation}, {"", catalog.Int8, 0, sqlerr.InvalidTextRepresentation},
		{"-9223372036854775808", catalog.Int8, math.MinInt64, ""}, {"9223372036854775808", catalog.Int8, 0, sqlerr.NumericValueOutOfRange},
		{"99999999999999999999999999", catalog.Int8, 0, sqlerr.NumericValueOutOfRange},
	}
	for _, c := range ints {
		v, err := ParseInt([]byte(c.s), c.k)
		if c.code != "" {
			if sqlerr.Code(err) != c.code {
				t.Errorf("ParseInt(%q): err %v, want %s", c.s, err, c.code)
			}
		} else if err != nil || v != c.want {
			t.Errorf("ParseInt(%q) = %d, %v", c.s, v, err)
		}
	}
	if _, err := ParseInt([]byte("abc"), catalog.Int4); err.Error() != `invalid input syntax for type integer: "abc"` {
		t.Errorf("message %q", err)
	}
	nums := []struct {
		s          string
		prec, scal int32
		want       int64
		code       string
	}{
		{"123.45", 5, 2, 12345, ""}, {"-0.005", 5, 2, -1, ""}, {"0.004", 5, 2, 0, ""}, {"999.995", 5, 2, 0, sqlerr.NumericValueOutOfRange},
		{"1.5e2", 0, 1, 1500, ""}, {"12", 0, 0, 12, ""}, {"9223372036854775807", 0, 0, math.MaxInt64, ""},
		{"9223372036854775808", 0, 0, 0, sqlerr.NumericValueOutOfRange}, {"x", 5, 2, 0, sqlerr.InvalidTextRepresentation},
		{"2.5", 1, 0, 3, ""}, {"-2.5", 1, 0, -3, ""}, {"0.000000000000000000000000000000000001", 18, 2, 0, ""},
	}
	for _, c := range nums {
		v, err := ParseNumeric([]byte(c.s), c.prec, c.scal)
		if c.code != "" {
			if sqlerr.Code(err) != c.code {
				t.Errorf("ParseNumeric(%q): err %v, want %s", c.s, err, c.code)
			}
		} else if err != nil || v != c.want {
			t.Errorf("ParseNumeric(%q,%d,%d) = %d, %v", c.s, c.prec, c.scal, v, err)
		}
	}
	for s, want := range map[string]bool{"t": true, "TRUE": true, "yes": true, "on": true, "1": true, "f": false, "off": false, "No": false, "0": false, " fal ": false} {
		if v, err := ParseBool([]byte(s)); err != nil || v != want {
			t.Errorf("ParseBool(%q) = %v, %v", s, v, err)
		}
	}
	for _, s := range []string{"o", "2", "", "truee", "of f"} {
		if _, err := ParseBool([]byte(s)); sqlerr.Code(err) != sqlerr.InvalidTextRepresentation {
			t.Errorf("ParseBool(%q): %v", s, err)
		}
	}
	for s, want := range map[string]float64{"1.5": 1.5, " -2e3 ": -2000, "Infinity": math.Inf(1), "-inf": math.Inf(-1), "4.9e-324": 5e-324} {
		if v, err := ParseFloat([]byte(s)); err != nil || v != want {
			t.Errorf("ParseFloat(%q) = %v, %v", s, v, err)
		}
	}
	if v, err := ParseFloat([]byte("NaN")); err != nil || !math.IsNaN(v) {
		t.Errorf("NaN: %v %v", v, err)
	}
	for _, s := range []string{"1e400", "1e-400"} {
		if _, err := ParseFloat([]byte(s)); sqlerr.Code(err) != sqlerr.NumericValueOutOfRange {
			t.Errorf("ParseFloat(%q): %v", s, err)
		}
	}
}

func TestStrings(t *testing.T) {
	vc := catalog.Type{Kind: catalog.Varchar, Length: 3}
	bp := catalog.Type{Kind: catalog.Bpchar, Length: 3}
	cases := []struct {
		t    catalog.Type
		in   string
		want string
		code string
	}{
		{vc, "ab", "ab", ""}, {vc, "abc  ", "abc", ""}, {vc, "abcd", "", sqlerr.StringDataRightTruncation},
		{bp, "a", "a  ", ""}, {bp, "éé", "éé ", ""}, {bp, "abc ", "abc", ""}, {bp, "abcd", "", sqlerr.StringDataRightTruncation},
		{catalog.TypeText, "\xff", "", "22021"}, {catalog.TypeText, "a\x00", "", "22021"},
	}
	for _, c := range cases {
		d, err := ParseText(c.t, []byte(c.in))
		if c.code != "" {
			if sqlerr.Code(err) != c.code {
				t.Errorf("%s %q: err %v, want %s", c.t, c.in, err, c.code)
			}
			continue
		}
		if err != nil || d.S != c.want {
			t.Errorf("%s %q = %q, %v", c.t, c.in, d.S, err)
		}
	}
	_, err := ParseText(vc, []byte("abcd"))
	if err.Error() != "value too long for type character varying(3)" {
		t.Errorf("message %q", err)
	}
}

func TestNumericBinary(t *testing.T) {
	cases := []struct {
		v     int64
		scale int32
		want  []uint16 // ndigits, weight, sign, dscale, digits...
	}{
		{0, 2, []uint16{0, 0, 0, 2}},
		{-5, 2, []uint16{1, 0xffff, 0x4000, 2, 500}},
		{1000000, 2, []uint16{1, 1, 0, 2, 1}},               // 10000.00
		{123456789, 4, []uint16{3, 1, 0, 4, 1, 2345, 6789}}, // 12345.6789
		{10000, 0, []uint16{1, 1, 0, 0, 1}},
		{math.MinInt64, 0, []uint16{5, 4, 0x4000, 0, 922, 3372, 368, 5477, 5808}},
	}
	for _, c := range cases {
		var want []byte
		for _, w := range c.want {
			want = append(want, byte(w>>8), byte(w))
		}
		got := AppendNumericBinary(nil, c.v, c.scale)
		if string(got) != string(want) {
			t.Errorf("AppendNumericBinary(%d, %d) = % x, want % x", c.v, c.scale, got, want)
		}
		back, err := DecodeNumericBinary(got, 0, c.scale)
		if err != nil || back != c.v {
			t.Errorf("DecodeNumericBinary(% x) = %d, %v; want %d", got, back, err, c.v)
		}
		txt, err := DecodeNumericBinaryText(got)
		if err != nil || txt != string(AppendNumeric(nil, c.v, c.scale)) {
			t.Errorf("DecodeNumericBinaryText(% x) = %q, %v", got, txt, err)
		}
		if b2 := AppendNumericTextBinary(nil, AppendNumeric(nil, c.v, c.scale)); string(b2) != string(want) {
			t.Errorf("AppendNumericTextBinary(%d,%d) = % x, want % x", c.v, c.scale, b2, want)
		}
	}
	// rounding: 0.005 (dscale 3) into numeric(5,2) → 0.01; with dscale 2 it is truncated first
	b := []byte{0, 1, 0xff, 0xff, 0, 0, 0, 3, 0x00, 0x32} // digits [50] weight -1 → 0.0050
	if v, err := DecodeNumericBinary(b, 5, 2); err != nil || v != 1 {
		t.Errorf("round: %d %v", v, err)
	}
	b[7] = 2
	if v, err := DecodeNumericBinary(b, 5, 2); err != nil || v != 0 {
		t.Errorf("trunc to dscale: %d %v", v, err)
	}
	for _, bad := range [][]byte{{0, 1}, {0, 1, 0, 0, 0x12, 0, 0, 0, 0, 1}, {0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10}, {0, 0, 0, 0, 0, 0, 0, 0, 1}} {
		if _, err := DecodeNumericBinary(bad, 10, 2); err == nil {
			t.Errorf("DecodeNumericBinary(% x): no error", bad)
		}
	}
}

func TestVectorRoundTrip(t *testing.T) {
	types := []catalog.Type{catalog.TypeBool, catalog.TypeInt2, catalog.TypeInt4, catalog.TypeInt8, catalog.TypeFloat4, catalog.TypeFloat8,
		catalog.NumericType(15, 2), catalog.TypeText, {Kind: catalog.Varchar, Length: 10}, {Kind: catalog.Bpchar, Length: 4}, catalog.TypeDate, catalog.TypeTimestamp}
	inputs := []string{"1", "0", "12", "-3"}
	for _, typ := range types {
		v := vec.NewVector(typ, 4)
		for _, in := range inputs {
			d, err := ParseText(typ, []byte(in))
			if err != nil {
				if typ.Kind == catalog.Date || typ.Kind == catalog.Timestamp {
					d, err = ParseText(typ, []byte("2024-0"+in[len(in)-1:]+"-0"+in[len(in)-1:]))
				}
				if typ.Kind == catalog.Bool {
					d, err = ParseText(typ, []byte(in[len(in)-1:]))
				}
				if err != nil {
					continue
				}
			}
			switch {
			case typ.Kind == catalog.Bool:
				v.AppendBool(d.B)
			case typ.Kind == catalog.Float4 || typ.Kind == catalog.Float8:
				v.AppendFloat64(d.F)
			case typ.IsString():
				v.AppendBytes([]byte(d.S))
			default:
				v.AppendInt64(d.I)
			}
			i := v.Len() - 1
			txt := AppendText(nil, v, i)
			if want := AppendDatumText(nil, typ, d); string(txt) != string(want) {
				t.Errorf("%s: AppendText %q, AppendDatumText %q", typ, txt, want)
			}
			d2, err := DecodeBinary(typ, AppendBinary(nil, v, i))
			if err != nil || string(AppendDatumText(nil, typ, d2)) != string(txt) {
				t.Errorf("%s %q: binary round trip %v %v", typ, txt, d2, err)
			}
		}
	}
}

func TestNoAllocs(t *testing.T) {
	v := vec.NewVector(catalog.NumericType(15, 2), 1)
	v.AppendInt64(-12345)
	ts := vec.NewVector(catalog.TypeTimestamp, 1)
	ts.AppendInt64(123456789012345)
	f := vec.NewVector(catalog.TypeFloat8, 1)
	f.AppendFloat64(0.1)
	buf := make([]byte, 0, 256)
	in := [][]byte{[]byte("12345"), []byte("123.45"), []byte("1.25"), []byte("2024-01-31"), []byte("2024-01-31 12:00:00.5"), []byte("true")}
	allocs := testing.AllocsPerRun(100, func() {
		b := AppendText(buf[:0], v, 0)
		b = AppendBinary(b, v, 0)
		b = AppendText(b, ts, 0)
		b = AppendText(b, f, 0)
		_ = AppendBinary(b, f, 0)
		_, _ = ParseInt(in[0], catalog.Int4)
		_, _ = ParseNumeric(in[1], 15, 2)
		_, _ = ParseFloat(in[2])
		_, _ = ParseDate(in[3])
		_, _ = ParseTimestamp(in[4])
		_, _ = ParseBool(in[5])
	})
	if allocs != 0 {
		t.Errorf("%v allocations", allocs)
	}
}

var fuzzTypes = []catalog.Type{catalog.TypeBool, catalog.TypeInt2, catalog.TypeInt4, catalog.TypeInt8, catalog.TypeFloat4, catalog.TypeFloat8,
	catalog.NumericType(15, 2), catalog.NumericType(18, 18), catalog.NumericType(0, 4), {Kind: catalog.Numeric, Scale: -1}, catalog.TypeText,
	{Kind: catalog.Varchar, Length: 3}, {Kind: catalog.Bpchar, Length: 3}, catalog.TypeDate, catalog.TypeTimestamp, catalog.TypeUnknown}

func FuzzParseText(f *testing.F) {
	for _, s := range []string{"1", "-1.5e3", "2024-01-31 13:45:00.123", "infinity", "t", "NaN", "0x1p3", "1e1000", "héllo", " 1 BC", "20240131"} {
		f.Add(uint8(0), []byte(s))
	}
	f.Fuzz(func(t *testing.T, k uint8, s []byte) {
		typ := fuzzTypes[int(k)%len(fuzzTypes)]
		d, err := ParseText(typ, s)
		if err != nil {
			if sqlerr.Code(err) == sqlerr.Internal {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		// what we print must parse back to the same value
		txt := AppendDatumText(nil, typ, d)
		d2, err := ParseText(typ, txt)
		if err != nil {
			t.Fatalf("%s %q → %q does not parse: %v", typ, s, txt, err)
		}
		if txt2 := AppendDatumText(nil, typ, d2); string(txt2) != string(txt) {
			t.Fatalf("%s %q → %q → %q", typ, s, txt, txt2)
		}
		bin := AppendDatumBinary(nil, typ, d)
		if _, err := DecodeBinary(typ, bin); err != nil {
			t.Fatalf("%s %q: binary % x does not decode: %v", typ, s, bin, err)
		}
	})
}

func FuzzDecodeBinary(f *testing.F) {
	f.Add(uint8(6), []byte{0, 1, 0xff, 0xff, 0, 0, 0, 3, 0x00, 0x32})
	f.Add(uint8(2), []byte{0, 0, 0, 1})
	f.Add(uint8(9), []byte{0, 2, 0x7f, 0xff, 0x40, 0, 0x3f, 0xff, 0x27, 0x0f, 0, 1})
	f.Fuzz(func(t *testing.T, k uint8, b []byte) {
		typ := fuzzTypes[int(k)%len(fuzzTypes)]
		d, err := DecodeBinary(typ, b)
		if err != nil {
			return
		}
		_ = AppendDatumText(nil, typ, d)
		_ = AppendDatumBinary(nil, typ, d)
	})
}
