package filter

import (
	"math/bits"
	"strings"
	"unicode/utf8"
)

// A matcher is a pattern's tokens run as a nondeterministic automaton over the runes of a
// path, simulated with bit sets: time is linear in the path times the live states (usually
// one or two), with no backtracking, whatever the pattern. State i means "tokens before i
// are matched"; state n (len(toks)) accepts. Every move goes forward or stays put (a star
// loops on itself), so the epsilon closure of each state is computed once, back to front.
type matcher struct {
	toks []token
	n    int      // states 0..n; n accepts
	w    int      // uint64 words per state set
	clo  []uint64 // clo[i*w:(i+1)*w]: states reachable from state i without consuming input

	// Literal tokens at either end are compared as strings: tokens [0,a) are prefix, tokens
	// [b,n) are suffix, and the automaton runs from state a over what lies between and
	// accepts in state b. No epsilon move crosses a or b (see newMatcher). Comparing bytes
	// agrees with decoding runes because a pattern is valid UTF-8: its literals are whole
	// encodings, and no decoding of the path runs across the first byte of one.
	prefix, suffix string
	a, b           int
	mid            midKind
}

type midKind uint8

const (
	midNFA     midKind = iota // run the automaton
	midNone                   // all tokens literal: the path must equal prefix
	midStar                   // tokens [a,b) are one *: the middle must hold no "/"
	midAnyPath                // tokens [a,b) are one **: any middle
)

// dirsGroup is what "**/" at the start of a segment compiles to: an epsilon move past the
// group (zero directories), or ** and then "/".
func dirsGroup() []token {
	return []token{{kind: tDirs}, {kind: tDstar}, {kind: tLit, sym: '/'}}
}

// fullTokens returns the tokens that match a whole path the way p does: an unanchored
// pattern gets a leading "**/", a directory pattern a trailing "/**", and every "**" that is
// a whole segment followed by "/" may match zero directories. The trailing "/**" is added
// after that rewrite, so "a/**/" matches paths in directories strictly below a.
func fullTokens(p parsed) []token {
	var toks []token
	if !p.anchored {
		toks = append(toks, dirsGroup()...)
	}
	body := p.body
	for i := 0; i < len(body); i++ {
		t := body[i]
		if t.kind == tDstar && (i == 0 || isSlash(body[i-1])) && i+1 < len(body) && isSlash(body[i+1]) {
			toks = append(toks, dirsGroup()...)
			i++ // the "/" is in the group
			continue
		}
		toks = append(toks, t)
	}
	if p.dirOnly {
		toks = append(toks, token{kind: tLit, sym: '/'}, token{kind: tDstar})
	}
	return toks
}

func newMatcher(toks []token) *matcher {
	n := len(toks)
	w := (n + 1 + 63) / 64
	m := &matcher{toks: toks, n: n, w: w, clo: make([]uint64, (n+1)*w)}
	for i := n; i >= 0; i-- {
		row := m.row(i)
		row[i/64] |= 1 << (i % 64)
		if i == n {
			continue
		}
		switch toks[i].kind {
		case tStar, tDstar:
			or(row, m.row(i+1))
		case tDirs:
			or(row, m.row(i+1))
			or(row, m.row(i+3))
		}
	}

	a := 0
	for a < n && toks[a].kind == tLit {
		a++
	}
	m.a = a
	m.prefix = literal(toks[:a])
	if a == n {
		m.b, m.mid = n, midNone
		return m
	}
	// b is past the last non-literal token and past the target of every tDirs skip, so no
	// epsilon move from a state before b lands after it.
	b := n
	for b > a && toks[b-1].kind == tLit {
		b--
	}
	for i, t := range toks {
		if t.kind == tDirs && i+3 > b {
			b = i + 3
		}
	}
	m.b = b
	m.suffix = literal(toks[b:])
	if b == a+1 {
		switch toks[a].kind {
		case tStar:
			m.mid = midStar
		case tDstar:
			m.mid = midAnyPath
		}
	}
	return m
}

func literal(toks []token) string {
	var sb strings.Builder
	for _, t := range toks {
		sb.WriteRune(t.sym)
	}
	return sb.String()
}

func (m *matcher) row(i int) []uint64 { return m.clo[i*m.w : (i+1)*m.w] }

func or(dst, src []uint64) {
	for i, x := range src {
		dst[i] |= x
	}
}

func has(set []uint64, i int) bool { return set[i/64]&(1<<(i%64)) != 0 }

// match reports whether the pattern matches all of s.
func (m *matcher) match(s string) bool {
	if len(s) < len(m.prefix)+len(m.suffix) || !strings.HasPrefix(s, m.prefix) || !strings.HasSuffix(s, m.suffix) {
		return false
	}
	mid := s[len(m.prefix) : len(s)-len(m.suffix)]
	switch m.mid {
	case midNone:
		return mid == ""
	case midStar:
		return strings.IndexByte(mid, '/') < 0
	case midAnyPath:
		return true
	}
	if m.w == 1 {
		return m.run1(m.a, mid)&(1<<m.b) != 0
	}
	var buf [8]uint64
	var cur, next []uint64
	if 2*m.w <= len(buf) {
		cur, next = buf[:m.w], buf[m.w:2*m.w]
	} else {
		cur, next = make([]uint64, m.w), make([]uint64, m.w)
	}
	set := m.run(m.a, mid, cur, next)
	return set != nil && has(set, m.b)
}

// next returns the state token st moves to on reading c, or -1.
func (m *matcher) next(st int, c rune) int {
	switch t := &m.toks[st]; t.kind {
	case tLit:
		if c == t.sym {
			return st + 1
		}
	case tAny:
		if c != '/' {
			return st + 1
		}
	case tClass:
		if t.cls.has(c) {
			return st + 1
		}
	case tStar:
		if c != '/' {
			return st
		}
	case tDstar:
		return st
	}
	return -1
}

// decode returns the symbol at the start of s (a rune, or rawBase plus a byte that is not
// valid UTF-8) and its length in bytes.
func decode(s string) (rune, int) {
	c := rune(s[0])
	if c < utf8.RuneSelf {
		return c, 1
	}
	c, size := utf8.DecodeRuneInString(s)
	if c == utf8.RuneError && size == 1 {
		c = rawBase + rune(s[0])
	}
	return c, size
}

// run1 is run for automata of at most 63 tokens (one word per set, the usual case), without
// the scratch sets.
func (m *matcher) run1(start int, s string) uint64 {
	cur := m.clo[start]
	for i := 0; i < len(s); {
		c, size := decode(s[i:])
		i += size
		var next uint64
		for word := cur; word != 0; word &= word - 1 {
			st := bits.TrailingZeros64(word)
			if st >= m.n {
				continue // the accepting state consumes nothing
			}
			if to := m.next(st, c); to >= 0 {
				next |= m.clo[to]
			}
		}
		if next == 0 {
			return 0
		}
		cur = next
	}
	return cur
}

// run feeds s to the automaton started in state start (with its closure) and returns the
// set of states it ends in, or nil if none is left. cur and next are scratch sets of m.w
// words; the result is one of them.
func (m *matcher) run(start int, s string, cur, next []uint64) []uint64 {
	copy(cur, m.row(start))
	for i := 0; i < len(s); {
		c, size := decode(s[i:])
		i += size
		clear(next)
		live := false
		for wi, word := range cur {
			for word != 0 {
				st := wi*64 + bits.TrailingZeros64(word)
				word &= word - 1
				if st >= m.n {
					continue // the accepting state consumes nothing
				}
				if to := m.next(st, c); to >= 0 {
					or(next, m.row(to))
					live = true
				}
			}
		}
		if !live {
			return nil
		}
		cur, next = next, cur
	}
	return cur
}

// prefixStates returns the states the automaton is in after reading p from the start, or nil
// if no extension of p can match.
func (m *matcher) prefixStates(p string) []uint64 {
	return m.run(0, p, make([]uint64, m.w), make([]uint64, m.w))
}

// coversAll reports whether, from the states in set, every string is accepted. It is exact
// for the forms a pattern takes in practice (a trailing "**", a directory pattern, "**/*")
// and otherwise says false, which is safe: it is used only to prune.
func (m *matcher) coversAll(set []uint64) bool {
	for j := 0; j < m.n; j++ {
		if !has(set, j) || m.toks[j].kind != tDstar {
			continue
		}
		// ** and then nothing that needs input.
		if has(m.row(j), m.n) {
			return true
		}
		// ** / *...: a string with a "/" ends in the last segment, matched by the stars; one
		// without a "/" is matched by the stars alone, if they are live too.
		if j+2 < m.n && isSlash(m.toks[j+1]) && has(set, j+2) && onlyStars(m.toks[j+2:]) {
			return true
		}
	}
	return false
}

func onlyStars(toks []token) bool {
	for _, t := range toks {
		if t.kind != tStar && t.kind != tDstar {
			return false
		}
	}
	return true
}
