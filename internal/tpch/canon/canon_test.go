package canon

import (
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

func TestText(t *testing.T) {
	for _, c := range []struct {
		k        Kind
		in, want string
	}{
		{Numeric, "12.34565", "12.3457"},
		{Numeric, "-12.34565", "-12.3457"},
		{Numeric, "12.34564", "12.3456"},
		{Numeric, "9.99995", "10.0000"},
		{Numeric, "-0.00001", "0.0000"},
		{Numeric, "0.5", "0.5000"},
		{Numeric, ".5", "0.5000"},
		{Numeric, "1995", "1995"},
		{Numeric, "1.5e3", "1500.0000"},
		{Decimal, "3", "3.0000"},
		{Decimal, "2.00005", "2.0001"},
		{String, "abc   ", "abc"},
		{String, `a|b\c` + "\n", `a\|b\\c\n`},
		{Bool, "t", "true"},
		{Bool, "f", "false"},
		{Timestamp, "1995-03-15 00:00:00", "1995-03-15"},
		{Timestamp, "1995-03-15 10:00:00", "1995-03-15 10:00:00"},
		{Other, "1995-03-15", "1995-03-15"},
		{Other, "42", "42"},
	} {
		if got := Text(c.k, []byte(c.in)); got != c.want {
			t.Errorf("Text(%d, %q) = %q, want %q", c.k, c.in, got, c.want)
		}
	}
	if got := Text(String, nil); got != "NULL" {
		t.Errorf("NULL: %q", got)
	}
}

func TestValue(t *testing.T) {
	b := vec.NewBatch([]catalog.Type{{Kind: catalog.Numeric, Precision: 15, Scale: 2}, {Kind: catalog.Bpchar, Length: 5}, {Kind: catalog.Date}, {Kind: catalog.Int4}}, 2)
	b.Cols[0].AppendInt64(-12345)
	b.Cols[1].AppendBytes([]byte("ab   "))
	b.Cols[2].AppendInt64(0)
	b.Cols[3].AppendNull()
	b.N = 1
	if got, want := Row(b, 0), "-123.4500|ab|2000-01-01|NULL"; got != want {
		t.Errorf("Row = %q, want %q", got, want)
	}
}

func TestCompare(t *testing.T) {
	want := []string{"A|1995|10.0000", `x\|y|2|0.5000`}
	if err := Compare([]string{"A|1995.0000|10.0001", `x\|y|2|0.4999`}, want); err != nil {
		t.Errorf("within tolerance: %v", err)
	}
	for _, got := range [][]string{
		{"A|1995|10.0002", `x\|y|2|0.5000`},
		{"A|1996|10.0000", `x\|y|2|0.5000`},
		{"A|1995|10.0000", `x\|y|2.5|0.5000`},
		{"A|1995|10.0000"},
		{"A|1995|10.0000", `x\|y|2|0.5000`, "extra"},
		{"A|1995|10.0000", `x|y|2|0.5000`},
	} {
		if err := Compare(got, want); err == nil {
			t.Errorf("%q matched %q", got, want)
		}
	}
	if !SameValue("123456789012.1235", "123456789012.1234") || !SameValue("1e12", "1000000000000.0010") {
		t.Error("large values")
	}
	if SameValue("7", "8") || SameValue("1.5000", "1") || !SameValue("1.0000", "1") {
		t.Error("integers")
	}
	if len(Lines("")) != 0 || len(Lines("a\nb\n")) != 2 {
		t.Error("Lines")
	}
}
