package plan

import (
	"encoding/json"
	"fmt"
)

// wire is the JSON form of a node tree: one field set per node, inputs nested.
type wire struct {
	Scan       *Scan           `json:"scan,omitempty"`
	Values     *Values         `json:"values,omitempty"`
	Filter     *Filter         `json:"filter,omitempty"`
	Project    *Project        `json:"project,omitempty"`
	Aggregate  *Aggregate      `json:"aggregate,omitempty"`
	Join       *Join           `json:"join,omitempty"`
	Sort       *Sort           `json:"sort,omitempty"`
	Limit      *Limit          `json:"limit,omitempty"`
	Shuffle    *Shuffle        `json:"shuffle,omitempty"`
	Append     *Append         `json:"append,omitempty"`
	DistinctOn *DistinctOn     `json:"distinct_on,omitempty"`
	Exchange   *ExchangeSource `json:"exchange,omitempty"`
	Window     *Window         `json:"window,omitempty"`
	Inputs     []*wire         `json:"inputs,omitempty"`
}

// Encode serializes a node tree (Remote nodes cannot travel).
func Encode(n Node) ([]byte, error) {
	w, err := toWire(n)
	if err != nil {
		return nil, err
	}
	return json.Marshal(w)
}

func toWire(n Node) (*wire, error) {
	w := &wire{}
	switch n := n.(type) {
	case *Scan:
		w.Scan = n
	case *Values:
		w.Values = n
	case *Filter:
		w.Filter = n
	case *Project:
		w.Project = n
	case *Aggregate:
		w.Aggregate = n
	case *Join:
		w.Join = n
	case *Sort:
		w.Sort = n
	case *Limit:
		w.Limit = n
	case *Shuffle:
		w.Shuffle = n
	case *Append:
		w.Append = n
	case *DistinctOn:
		w.DistinctOn = n
	case *ExchangeSource:
		w.Exchange = n
	case *Window:
		w.Window = n
	default:
		return nil, fmt.Errorf("plan: cannot encode %T", n)
	}
	for _, c := range Children(n) {
		cw, err := toWire(c)
		if err != nil {
			return nil, err
		}
		w.Inputs = append(w.Inputs, cw)
	}
	return w, nil
}

// Decode parses a node tree made by Encode.
func Decode(b []byte) (Node, error) {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	return fromWire(&w)
}

func fromWire(w *wire) (Node, error) {
	var in []Node
	for _, c := range w.Inputs {
		n, err := fromWire(c)
		if err != nil {
			return nil, err
		}
		in = append(in, n)
	}
	need := func(k int) error {
		if len(in) != k {
			return fmt.Errorf("plan: node has %d inputs, want %d", len(in), k)
		}
		return nil
	}
	switch {
	case w.Scan != nil:
		return w.Scan, need(0)
	case w.Exchange != nil:
		return w.Exchange, need(0)
	case w.DistinctOn != nil:
		if err := need(1); err != nil {
			return nil, err
		}
		w.DistinctOn.Input = in[0]
		return w.DistinctOn, nil
	case w.Append != nil:
		if len(in) == 0 {
			return nil, fmt.Errorf("plan: append without inputs")
		}
		w.Append.Inputs = in
		return w.Append, nil
	case w.Shuffle != nil:
		if err := need(1); err != nil {
			return nil, err
		}
		w.Shuffle.Input = in[0]
		return w.Shuffle, nil
	case w.Values != nil:
		return w.Values, need(0)
	case w.Filter != nil:
		if err := need(1); err != nil {
			return nil, err
		}
		w.Filter.Input = in[0]
		return w.Filter, nil
	case w.Project != nil:
		if err := need(1); err != nil {
			return nil, err
		}
		w.Project.Input = in[0]
		return w.Project, nil
	case w.Aggregate != nil:
		if err := need(1); err != nil {
			return nil, err
		}
		w.Aggregate.Input = in[0]
		return w.Aggregate, nil
	case w.Join != nil:
		if err := need(2); err != nil {
			return nil, err
		}
		w.Join.Left, w.Join.Right = in[0], in[1]
		return w.Join, nil
	case w.Sort != nil:
		if err := need(1); err != nil {
			return nil, err
		}
		w.Sort.Input = in[0]
		return w.Sort, nil
	case w.Window != nil:
		if err := need(1); err != nil {
			return nil, err
		}
		w.Window.Input = in[0]
		return w.Window, nil
	case w.Limit != nil:
		if err := need(1); err != nil {
			return nil, err
		}
		w.Limit.Input = in[0]
		return w.Limit, nil
	}
	return nil, fmt.Errorf("plan: empty node")
}
