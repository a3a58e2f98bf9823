package plan

import (
	"encoding/json"
	"math"
	"testing"
)

// TestDatumJSON round-trips constants through a plan's JSON, non-finite
// floats included (JSON itself has no NaN or infinities).
func TestDatumJSON(t *testing.T) {
	for _, d := range []Datum{{F: math.Inf(1)}, {F: math.Inf(-1)}, {F: math.NaN()}, {F: 1.5}, {I: 7, S: "x"}, {Null: true}} {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("%v: %v", d, err)
		}
		var got Datum
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		same := got == d || (math.IsNaN(d.F) && math.IsNaN(got.F) && got.I == d.I && got.S == d.S)
		if !same {
			t.Errorf("%v → %s → %v", d, b, got)
		}
	}
}
