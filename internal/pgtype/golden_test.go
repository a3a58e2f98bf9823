package pgtype

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/internal/sqlerr"
)

// goldenCase is one input recorded from PostgreSQL 15 by TestAgainstPostgres
// (CIRRUS_TEST_PG=... CIRRUS_UPDATE_GOLDEN=1 go test -run AgainstPostgres).
type goldenCase struct {
	Type   catalog.Type `json:"type"`
	In     string       `json:"in"`
	Text   string       `json:"text,omitempty"`
	Bin    string       `json:"bin,omitempty"` // hex of the binary output
	Code   string       `json:"code,omitempty"`
	Msg    string       `json:"msg,omitempty"`
	Detail string       `json:"detail,omitempty"`
}

const goldenFile = "testdata/pg15_golden.json"

func writeGolden(t *testing.T, cases []goldenCase) {
	b, err := json.MarshalIndent(cases, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGolden replays the inputs recorded from PostgreSQL 15.
func TestGolden(t *testing.T) {
	b, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 100 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	for _, gc := range cases {
		d, err := ParseText(gc.Type, []byte(gc.In))
		if gc.Code != "" {
			if err == nil {
				t.Errorf("%s %q: want error %s %q, got %q", gc.Type, gc.In, gc.Code, gc.Msg, AppendDatumText(nil, gc.Type, d))
				continue
			}
			se := sqlerr.As(err)
			if se.Code != gc.Code || se.Message != gc.Msg || se.Detail != gc.Detail {
				t.Errorf("%s %q: want %s %q %q, got %s %q %q", gc.Type, gc.In, gc.Code, gc.Msg, gc.Detail, se.Code, se.Message, se.Detail)
			}
			continue
		}
		if err != nil {
			if unsupported[gc.In] && sqlerr.Code(err) == sqlerr.FeatureNotSupported {
				continue
			}
			t.Errorf("%s %q: want %q, got error %v", gc.Type, gc.In, gc.Text, err)
			continue
		}
		if got := AppendDatumText(nil, gc.Type, d); string(got) != gc.Text {
			t.Errorf("%s %q: text want %q, got %q", gc.Type, gc.In, gc.Text, got)
		}
		if gc.Bin == "" {
			continue
		}
		want, _ := hex.DecodeString(gc.Bin)
		if got := AppendDatumBinary(nil, gc.Type, d); !bytes.Equal(got, want) {
			t.Errorf("%s %q: binary want % x, got % x", gc.Type, gc.In, want, got)
		}
		d2, err := DecodeBinary(gc.Type, want)
		if err != nil {
			t.Errorf("%s %q: DecodeBinary: %v", gc.Type, gc.In, err)
		} else if got := AppendDatumText(nil, gc.Type, d2); string(got) != gc.Text {
			t.Errorf("%s %q: DecodeBinary text want %q, got %q", gc.Type, gc.In, gc.Text, got)
		}
	}
}
