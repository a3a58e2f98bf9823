package dbgen

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Comments are substrings of one text pool: 300 MiB of pseudo-English
// sentences generated once from stream 5 with the grammar of dists.dss
// (grammar → noun/verb/prepositional phrases → words). A comment of a column
// draws an offset in [0, poolSize−max] and a length in [min, max] from the
// column's stream and copies that slice of the pool.

const poolSize = 300 * 1024 * 1024

// phrase forms, pre-parsed: each token names a word list and an optional
// punctuation byte that follows the word.
type phraseToken struct {
	words *dist
	punct byte
}

var (
	npForms      [][]phraseToken
	vpForms      [][]phraseToken
	grammarForms [][]byte
)

func init() {
	parse := func(d *dist, lists map[byte]*dist) [][]phraseToken {
		var forms [][]phraseToken
		for _, w := range d.words {
			var toks []phraseToken
			for i := 0; i < len(w); i++ {
				if w[i] == ' ' {
					continue
				}
				t := phraseToken{words: lists[w[i]]}
				if i+1 < len(w) && w[i+1] != ' ' {
					t.punct = w[i+1]
					i++
				}
				toks = append(toks, t)
			}
			forms = append(forms, toks)
		}
		return forms
	}
	npForms = parse(dNounPhrases, map[byte]*dist{'A': newDist("articles"), 'J': dAdjectives, 'D': dAdverbs, 'N': dNouns})
	vpForms = parse(dVerbPhrases, map[byte]*dist{'D': dAdverbs, 'V': dVerbs, 'X': dAuxiliaries})
	for _, w := range dGrammar.words {
		var toks []byte
		for i := 0; i < len(w); i++ {
			if w[i] != ' ' {
				toks = append(toks, w[i])
			}
		}
		grammarForms = append(grammarForms, toks)
	}
}

// appendPhrase appends a noun or verb phrase: its words, each followed by its
// punctuation if any and a space.
func appendPhrase(b []byte, forms [][]phraseToken, formDist *dist, s *stream) []byte {
	for _, t := range forms[formDist.pick(s)] {
		b = append(b, t.words.bytes[t.words.pick(s)]...)
		if t.punct != 0 {
			b = append(b, t.punct)
		}
		b = append(b, ' ')
	}
	return b
}

// appendSentence appends one sentence (without a trailing space).
func appendSentence(b []byte, s *stream) []byte {
	for _, tok := range grammarForms[dGrammar.pick(s)] {
		switch tok {
		case 'N':
			b = appendPhrase(b, npForms, dNounPhrases, s)
		case 'V':
			b = appendPhrase(b, vpForms, dVerbPhrases, s)
		case 'P':
			b = append(b, dPrepositions.bytes[dPrepositions.pick(s)]...)
			b = append(b, " the "...)
			b = appendPhrase(b, npForms, dNounPhrases, s)
		case 'T':
			// the terminator replaces the space after the previous word
			b = append(b[:len(b)-1], dTerminators.bytes[dTerminators.pick(s)]...)
		}
	}
	return b
}

type poolCheckpoint struct {
	draws  int64
	offset int
}

// buildPool builds the text pool in parallel segments (see poolCheckpoints).
// The pool is the first poolSize bytes of the sentences, each followed by a
// space. free releases it.
func buildPool(par int) (pool []byte, free func()) {
	mem, free := allocPool(poolSize + 512)
	if !buildPoolFrom(mem, poolCheckpoints, par) {
		buildPoolFrom(mem, nil, 1) // cannot happen unless the checkpoints are wrong
	}
	return mem[:poolSize:poolSize], free
}

// buildPoolFrom fills mem with the pool, each segment between checkpoints by
// one of par goroutines, and reports whether every segment ended exactly at
// the next checkpoint.
func buildPoolFrom(mem []byte, cps []poolCheckpoint, par int) bool {
	cps = append([]poolCheckpoint{{0, 0}}, cps...)
	seed := streamDefs[sText].seed
	var (
		next atomic.Int64
		bad  atomic.Bool
		wg   sync.WaitGroup
	)
	segment := func(k int) bool {
		start := cps[k]
		s := stream{cur: mulMod(seed, powMod(start.draws))}
		if k == len(cps)-1 { // the last segment is cut at poolSize
			b := mem[start.offset:start.offset]
			n := poolSize - start.offset
			for len(b) < n {
				b = appendSentence(b, &s)
				b = append(b, ' ')
			}
			return &mem[start.offset] == &b[0]
		}
		end := cps[k+1]
		b := mem[start.offset:start.offset:end.offset]
		for len(b) < end.offset-start.offset {
			b = appendSentence(b, &s)
			b = append(b, ' ')
		}
		return len(b) == end.offset-start.offset && &mem[start.offset] == &b[0] &&
			s.cur == mulMod(seed, powMod(end.draws))
	}
	for w := 0; w < max(par, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(cps) {
					return
				}
				if !segment(k) {
					bad.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return !bad.Load()
}

// The pool is built on first use and shared; it is dropped a while after the
// last generation that used it ends.
var pool struct {
	mu    sync.Mutex
	text  []byte
	free  func()
	users int
	timer *time.Timer
	build sync.Mutex // serializes building
}

const poolKeep = 2 * time.Minute

func acquirePool() []byte {
	pool.build.Lock()
	defer pool.build.Unlock()
	pool.mu.Lock()
	if pool.text != nil {
		pool.users++
		if pool.timer != nil {
			pool.timer.Stop()
			pool.timer = nil
		}
		t := pool.text
		pool.mu.Unlock()
		return t
	}
	pool.mu.Unlock()
	t, free := buildPool(runtime.GOMAXPROCS(0))
	pool.mu.Lock()
	pool.text, pool.free = t, free
	pool.users++
	pool.mu.Unlock()
	return t
}

func releasePool() {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	pool.users--
	if pool.users == 0 && pool.timer == nil {
		pool.timer = time.AfterFunc(poolKeep, func() {
			pool.mu.Lock()
			defer pool.mu.Unlock()
			if pool.users == 0 && pool.text != nil {
				pool.free()
				pool.text, pool.free = nil, nil
			}
			pool.timer = nil
		})
	}
}

// appendText appends a comment of length drawn in [min, max] (dbgen's
// dbg_text): first the pool offset, then the length.
func appendText(b []byte, text []byte, s *stream, min, max int64) []byte {
	off := s.unif(0, poolSize-max)
	n := s.unif(min, max)
	return append(b, text[off:off+n]...)
}
