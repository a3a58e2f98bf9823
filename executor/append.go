package executor

import (
	"context"

	"github.com/cirrusdb/cirrus/catalog"
	"github.com/cirrusdb/cirrus/vec"
)

// appendOp yields its inputs' batches one input after the other (UNION
// ALL), closing each input when it ends.
type appendOp struct {
	ins   []Operator
	types []catalog.Type
	i     int
}

func (a *appendOp) Types() []catalog.Type { return a.types }

func (a *appendOp) Next(ctx context.Context) (*vec.Batch, error) {
	for a.i < len(a.ins) {
		b, err := a.ins[a.i].Next(ctx)
		if err != nil || b != nil {
			return b, err
		}
		a.ins[a.i].Close()
		a.i++
	}
	return nil, nil
}

func (a *appendOp) Close() {
	for ; a.i < len(a.ins); a.i++ {
		a.ins[a.i].Close()
	}
}
