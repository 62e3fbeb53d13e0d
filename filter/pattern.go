package filter

import (
	"unicode/utf8"
)

// A pattern is parsed into tokens, one per thing that consumes input. Literal characters are
// one token each (a rune); "/" is a literal like any other, whether written "/" or "\/".

type tokKind uint8

const (
	tLit   tokKind = iota // one rune, sym
	tAny                  // ?: one rune other than "/"
	tClass                // [...]: one rune other than "/" in (or, negated, not in) the class
	tStar                 // *: any run of runes other than "/", including none
	tDstar                // **: any run of runes, "/" included, including none
	tDirs                 // consumes nothing: lets "**/" that follows it match nothing (zero directories)
)

type token struct {
	kind tokKind
	sym  rune   // tLit
	cls  *class // tClass
}

// rawBase is added to a byte of a path that is not valid UTF-8, so that such a byte is a symbol
// of its own: it matches ?, *, ** and negated classes, never a literal or a range.
const rawBase = utf8.MaxRune + 1

type class struct {
	negate bool
	ranges []runeRange
}

type runeRange struct{ lo, hi rune }

func (c *class) has(r rune) bool {
	if r == '/' {
		return false
	}
	for _, rg := range c.ranges {
		if rg.lo <= r && r <= rg.hi {
			return !c.negate
		}
	}
	return c.negate
}

// parsed is a pattern taken apart: the body without its anchoring "/" or its directory "/".
type parsed struct {
	body     []token
	anchored bool // a leading "/" or a "/" inside: match the whole path from the root
	dirOnly  bool // a trailing "/": match directories, so every path inside one
}

// parse returns the pattern's parts, or a reason (for a PatternError) why it is not valid.
func parse(pattern string) (parsed, string) {
	if !utf8.ValidString(pattern) {
		return parsed{}, "not valid UTF-8"
	}
	var toks []token
	for i := 0; i < len(pattern); {
		switch c := pattern[i]; c {
		case '*':
			j := i
			for j < len(pattern) && pattern[j] == '*' {
				j++
			}
			if j-i == 1 {
				toks = append(toks, token{kind: tStar})
			} else {
				toks = append(toks, token{kind: tDstar})
			}
			i = j
		case '?':
			toks = append(toks, token{kind: tAny})
			i++
		case '[':
			cls, n, reason := parseClass(pattern[i:])
			if reason != "" {
				return parsed{}, reason
			}
			toks = append(toks, token{kind: tClass, cls: cls})
			i += n
		case '\\':
			if i+1 == len(pattern) {
				return parsed{}, `ends with an unescaped "\"`
			}
			r, n := utf8.DecodeRuneInString(pattern[i+1:])
			toks = append(toks, token{kind: tLit, sym: r})
			i += 1 + n
		default:
			r, n := utf8.DecodeRuneInString(pattern[i:])
			toks = append(toks, token{kind: tLit, sym: r})
			i += n
		}
	}

	var p parsed
	if len(toks) > 0 && isSlash(toks[0]) {
		p.anchored = true
		toks = toks[1:]
	}
	if len(toks) > 0 && isSlash(toks[len(toks)-1]) {
		p.dirOnly = true
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return parsed{}, "matches no path (empty apart from /)"
	}
	for _, t := range toks {
		if isSlash(t) {
			p.anchored = true
		}
	}
	p.body = toks
	return p, ""
}

func isSlash(t token) bool { return t.kind == tLit && t.sym == '/' }

// parseClass parses the character class at the start of s (which begins with "["), as
// path.Match does, with "!" as well as "^" for negation. It returns the class, the number of
// bytes it takes, or a reason it is not valid.
func parseClass(s string) (*class, int, string) {
	cls := &class{}
	i := 1
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		cls.negate = true
		i++
	}
	for {
		if i >= len(s) {
			return nil, 0, "character class has no closing ]"
		}
		if s[i] == ']' {
			if len(cls.ranges) == 0 {
				return nil, 0, `empty character class (write "\]" for a "]" in a class)`
			}
			return cls, i + 1, ""
		}
		lo, n, reason := classChar(s[i:])
		if reason != "" {
			return nil, 0, reason
		}
		i += n
		hi := lo
		if i < len(s) && s[i] == '-' {
			hi, n, reason = classChar(s[i+1:])
			if reason != "" {
				return nil, 0, reason
			}
			i += 1 + n
			if hi < lo {
				return nil, 0, "character class range " + string(lo) + "-" + string(hi) + " is backwards"
			}
		}
		cls.ranges = append(cls.ranges, runeRange{lo, hi})
	}
}

// classChar reads one character of a class: a rune or a "\"-escaped rune.
func classChar(s string) (rune, int, string) {
	if s == "" {
		return 0, 0, "character class has no closing ]"
	}
	n := 0
	switch s[0] {
	case '\\':
		if len(s) == 1 {
			return 0, 0, `ends with an unescaped "\"`
		}
		n = 1
	case '-':
		return 0, 0, `unescaped "-" in character class (write "\-")`
	case ']':
		return 0, 0, `character class range has no end (write "\-" for a "-")`
	}
	r, size := utf8.DecodeRuneInString(s[n:])
	if r == '/' {
		return 0, 0, `a character class never matches "/"`
	}
	return r, n + size, ""
}
