package filter

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// oracle translates a pattern into a regular expression straight from the rules in the
// package comment, sharing no code with the automaton, for FuzzMatch to check Match against.
// It returns nil for a pattern it cannot translate (New must refuse those).
func oracle(pattern string) *regexp.Regexp {
	type unit struct {
		kind byte // 'l' literal, '/' separator, '*', 'D' (**), '?', '[' (re holds the class)
		re   string
	}
	var us []unit
	for i := 0; i < len(pattern); {
		switch c := pattern[i]; c {
		case '*':
			j := i
			for j < len(pattern) && pattern[j] == '*' {
				j++
			}
			if j-i == 1 {
				us = append(us, unit{kind: '*'})
			} else {
				us = append(us, unit{kind: 'D'})
			}
			i = j
		case '?':
			us = append(us, unit{kind: '?'})
			i++
		case '/':
			us = append(us, unit{kind: '/'})
			i++
		case '[':
			end := i + 1
			neg := end < len(pattern) && (pattern[end] == '!' || pattern[end] == '^')
			if neg {
				end++
			}
			var items []string
			for end < len(pattern) && pattern[end] != ']' {
				char := func() (rune, bool) {
					if pattern[end] == '\\' {
						end++
					}
					if end >= len(pattern) {
						return 0, false
					}
					r, n := utf8.DecodeRuneInString(pattern[end:])
					end += n
					return r, true
				}
				lo, ok := char()
				if !ok {
					return nil
				}
				hi := lo
				if end < len(pattern) && pattern[end] == '-' {
					end++
					if hi, ok = char(); !ok {
						return nil
					}
				}
				// A class never matches '/': a range across it is two ranges, one each side.
				for _, r := range [][2]rune{{lo, min(hi, '/'-1)}, {max(lo, '/'+1), hi}} {
					if r[0] <= r[1] {
						items = append(items, fmt.Sprintf(`\x{%x}-\x{%x}`, r[0], r[1]))
					}
				}
			}
			if end >= len(pattern) || len(items) == 0 {
				return nil
			}
			re := "[" + strings.Join(items, "") + "]"
			if neg {
				re = "[^/" + strings.Join(items, "") + "]"
			}
			us = append(us, unit{kind: '[', re: re})
			i = end + 1
		case '\\':
			if i+1 == len(pattern) {
				return nil
			}
			r, n := utf8.DecodeRuneInString(pattern[i+1:])
			if r == '/' {
				us = append(us, unit{kind: '/'})
			} else {
				us = append(us, unit{kind: 'l', re: regexp.QuoteMeta(string(r))})
			}
			i += 1 + n
		default:
			r, n := utf8.DecodeRuneInString(pattern[i:])
			us = append(us, unit{kind: 'l', re: regexp.QuoteMeta(string(r))})
			i += n
		}
	}
	anchored, dirOnly := false, false
	if len(us) > 0 && us[0].kind == '/' {
		anchored, us = true, us[1:]
	}
	if len(us) > 0 && us[len(us)-1].kind == '/' {
		dirOnly, us = true, us[:len(us)-1]
	}
	if len(us) == 0 {
		return nil
	}
	var body strings.Builder
	for i := 0; i < len(us); i++ {
		switch u := us[i]; u.kind {
		case '/':
			anchored = true
			body.WriteString("/")
		case 'D':
			if (i == 0 || us[i-1].kind == '/') && i+1 < len(us) && us[i+1].kind == '/' {
				body.WriteString("(?:.*/)?") // zero or more whole directories
				i++
			} else {
				body.WriteString(".*")
			}
		case '*':
			body.WriteString("[^/]*")
		case '?':
			body.WriteString("[^/]")
		default:
			body.WriteString(u.re)
		}
	}
	re := "(?s)^"
	if !anchored {
		re += "(?:.*/)?"
	}
	re += body.String()
	if dirOnly {
		re += "/.*"
	}
	return regexp.MustCompile(re + "$")
}

func TestOracle(t *testing.T) {
	// The oracle is only worth comparing with if it agrees with the documented examples.
	for _, tt := range []struct {
		pattern, path string
		want          bool
	}{
		{"*.log", "x/y/z.log", true},
		{"build/*.o", "src/build/a.o", false},
		{"a/**/b", "a/b", true},
		{"a/**", "a", false},
		{"build/", "a/build/y/z", true},
		{"build/", "build", false},
		{"[!a]", "/", false},
		{`\*`, "a", false},
	} {
		if got := oracle(tt.pattern).MatchString(tt.path); got != tt.want {
			t.Errorf("oracle(%q).MatchString(%q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

// pruneSound fails if f prunes a directory above rel while Match includes rel.
func pruneSound(t *testing.T, f *Filter, rel string) {
	t.Helper()
	if !f.Match(rel) {
		return
	}
	if f.Prune("") {
		t.Fatalf("%s: Prune(\"\") but Match(%q)", f, rel)
	}
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' && f.Prune(rel[:i]) {
			t.Fatalf("%s: Prune(%q) but Match(%q)", f, rel[:i], rel)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"*.log", "x/y/z.log"},
		{"build/", "a/build/y/z"},
		{"a/**/b", "a/b"},
		{"**/x", "x"},
		{"[!a-c]?", "dé"},
		{`\*\[`, "*["},
		{"a**", "x/ab/c"},
		{"/a/*.tmp", "a/b/c.tmp"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, rel string) {
		// A literal path with no metacharacters, as a pattern, matches itself.
		if rel != "" && rel[0] != '/' && utf8.ValidString(rel) && !strings.ContainsAny(rel, `*?[\`) {
			for _, rs := range [][]Rule{{{Pattern: rel}}, {{Pattern: "*"}, {Include: true, Pattern: rel}}} {
				lit, err := New(rs)
				if err != nil {
					t.Fatalf("New(%v): %v", rs, err)
				}
				if lit.Match(rel) != rs[len(rs)-1].Include {
					t.Fatalf("%s: Match(%q) = %v", lit, rel, lit.Match(rel))
				}
			}
		}

		ex, err := New([]Rule{{Pattern: pattern}})
		if err != nil {
			var pe *PatternError
			if !errors.As(err, &pe) || pe.Rule.Pattern != pattern {
				t.Fatalf("New(%q): %v is not a PatternError for the pattern", pattern, err)
			}
			return
		}
		c := &ex.rules[0]
		got := c.match(rel)
		if ex.Match(rel) == got {
			t.Fatalf("--exclude %q: Match(%q) = %v, but the rule matched: %v", pattern, rel, ex.Match(rel), got)
		}
		// The shortcuts (one segment, literal prefix and suffix) agree with the automaton.
		set := c.full.run(0, rel, make([]uint64, c.full.w), make([]uint64, c.full.w))
		if whole := set != nil && has(set, c.full.n); whole != got || c.full.match(rel) != got {
			t.Fatalf("%q on %q: match %v, full %v, whole automaton %v", pattern, rel, got, c.full.match(rel), whole)
		}
		if utf8.ValidString(rel) {
			re := oracle(pattern)
			if re == nil {
				t.Fatalf("New accepts %q, the oracle cannot translate it", pattern)
			}
			if want := re.MatchString(rel); got != want {
				t.Fatalf("%q on %q: %v, oracle %s says %v", pattern, rel, got, re, want)
			}
		}

		for _, rs := range [][]Rule{
			{{Pattern: pattern}},
			{{Pattern: pattern}, {Include: true, Pattern: "*.txt"}},
			{{Pattern: pattern}, {Include: true, Pattern: "a/**"}},
			{{Pattern: "*"}, {Include: true, Pattern: pattern}},
			{{Pattern: "b/"}, {Include: true, Pattern: pattern}},
			{{Include: true, Pattern: pattern}, {Pattern: "b/"}},
		} {
			pruneSound(t, mustNew(t, rs), rel)
		}
	})
}
