package dbgen

import "fmt"

type distMember struct {
	text   string
	weight int
}

// dist is a weighted word list. dbgen picks a member by drawing j uniformly in
// [1, total weight] and taking the first member whose cumulative weight is at
// least j; byDraw[j-1] caches that answer.
type dist struct {
	words  []string
	bytes  [][]byte
	cum    []int64 // cumulative weights
	total  int64
	byDraw []uint8
}

func newDist(name string) *dist {
	src, ok := distSource[name]
	if !ok {
		panic(fmt.Sprintf("dbgen: no distribution %q", name))
	}
	d := &dist{}
	var sum int64
	for _, m := range src {
		sum += int64(m.weight)
		d.words = append(d.words, m.text)
		d.bytes = append(d.bytes, []byte(m.text))
		d.cum = append(d.cum, sum)
	}
	d.total = sum
	if sum > 0 && len(src) <= 256 {
		d.byDraw = make([]uint8, sum)
		i := 0
		for j := int64(1); j <= sum; j++ {
			for d.cum[i] < j {
				i++
			}
			d.byDraw[j-1] = uint8(i)
		}
	}
	return d
}

// pick draws one member index from stream s (dbgen's pick_str).
func (d *dist) pick(s *stream) int {
	j := s.unif(1, d.total)
	return int(d.byDraw[j-1])
}

var (
	dContainers   = newDist("p_cntr")
	dColors       = newDist("colors")
	dTypes        = newDist("p_types")
	dNations      = newDist("nations")
	dRegions      = newDist("regions")
	dPriorities   = newDist("o_oprio")
	dInstructions = newDist("instruct")
	dShipModes    = newDist("smode")
	dReturnFlags  = newDist("rflag")
	dSegments     = newDist("msegmnt")

	dNouns        = newDist("nouns")
	dVerbs        = newDist("verbs")
	dAdjectives   = newDist("adjectives")
	dAdverbs      = newDist("adverbs")
	dAuxiliaries  = newDist("auxillaries")
	dTerminators  = newDist("terminators")
	dPrepositions = newDist("prepositions")
	dGrammar      = newDist("grammar")
	dNounPhrases  = newDist("np")
	dVerbPhrases  = newDist("vp")
)
