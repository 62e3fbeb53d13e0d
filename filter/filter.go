// Package filter decides which paths --include and --exclude rules keep. It is the one filter
// for haul: cp -r in both directions and sync use it, on the local and the S3 side alike, so
// a pattern means the same thing everywhere.
//
// A path is a relative key with "/" separators and no leading "/": the key relative to the
// prefix on S3, or a file's path relative to the root directory, slash-separated. Matching
// is byte-exact and case-sensitive; a leading "." is not special.
//
// Rules are evaluated in the order given (command-line order) and the last rule that matches
// a path decides; a path no rule matches is included. So
//
//	--exclude '*' --include '*.txt'    keeps only .txt files, at any depth
//	--include '*.txt' --exclude '*'    keeps nothing
//
// In a pattern:
//
//   - * matches any run of characters other than "/"; ? matches one character other than
//     "/"; [abc], [a-z], [!a] (or [^a]) match one character in, or not in, the class, as in
//     path.Match, and never "/" (a class that names "/" is an error).
//   - ** matches any run of characters, "/" included, and the empty run. A "**" that is a
//     whole segment followed by "/" also matches zero directories: "**/b" matches "b", and
//     "a/**/b" matches "a/b". A trailing "/**" matches everything inside a directory, not
//     the directory's own name: "a/**" matches "a/x" and "a/x/y", not "a".
//   - \ makes the next character literal ("\*", "\[", "\\"); "\/" is the same as "/".
//   - A pattern with no "/" (a trailing one aside) matches the base name at any depth:
//     "*.log" matches "x/y/z.log". A pattern with a "/" in it is anchored at the root:
//     "build/*.o" matches "build/a.o", not "src/build/a.o" or "build/x/a.o". A leading "/"
//     anchors explicitly and is dropped: "/a.txt" matches "a.txt", not "x/a.txt". In
//     general an unanchored pattern P means the same as "**/P", so a "**" inside one still
//     crosses "/": "a**" matches "x/ab/c".
//   - A trailing "/" matches directories only, and so every path inside a matching
//     directory: "build/" matches "build/x" and "a/build/y/z" but not a file named "build";
//     "a/build/" matches "a/build/x" only at the root. "P/" means the same as "P/**" with the
//     anchoring of P.
//   - A pattern must be valid UTF-8. A path need not be: each byte of it that is not part of
//     valid UTF-8 is one character, which only ?, *, ** and negated classes match.
//
// Without a trailing "/" a pattern matches the path itself, never what lies under it:
// "--exclude build" excludes a file named build, not the directory; write "build/".
//
// Filter.Prune lets a walk skip a directory whose every path is excluded. The walk must still
// call Match on every path it does not prune: Prune is a shortcut, Match the decision.
package filter

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Rule is one --include or --exclude: Include false (the zero value) excludes.
type Rule struct {
	Include bool
	Pattern string
}

// String returns the rule as it is written on a command line, shell-quoted:
// --exclude 'build/'.
func (r Rule) String() string {
	flag := "--exclude "
	if r.Include {
		flag = "--include "
	}
	return flag + shellQuote(r.Pattern)
}

// shellQuote quotes s for a POSIX shell, so that a reader need unescape nothing; s that is
// not valid UTF-8 is quoted as Go does instead, so the message stays readable text.
func shellQuote(s string) string {
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (r Rule) verb() string {
	if r.Include {
		return "include"
	}
	return "exclude"
}

// PatternError is returned by New (and Flag.Set) for a pattern that is not valid.
type PatternError struct {
	Rule   Rule
	Reason string // what is wrong, e.g. "character class has no closing ]"
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("filter: invalid %s pattern %s: %s", e.Rule.verb(), shellQuote(e.Rule.Pattern), e.Reason)
}

// Filter is an ordered list of compiled rules. It is immutable: Match and Prune are safe to
// call from many goroutines at once. A nil *Filter includes everything, so callers need no
// special case for "no rules".
type Filter struct {
	rules []compiled
}

type matchMode uint8

const (
	modeFull     matchMode = iota // full matches the whole path
	modeBaseName                  // name matches the last segment (an unanchored pattern without **)
	modeAnyDir                    // name matches some segment but the last (the same, with a trailing "/")
)

type compiled struct {
	Rule
	mode matchMode
	full *matcher // the whole path; used by Prune, and by Match in modeFull
	name *matcher // one segment; Match in modeBaseName and modeAnyDir
	dir  string   // modeAnyDir with a literal name: "/", the name and "/"
}

// New compiles rules, in command-line order. An invalid pattern is a *PatternError naming
// it. New with no rules returns a Filter that includes everything.
func New(rules []Rule) (*Filter, error) {
	f := &Filter{rules: make([]compiled, 0, len(rules))}
	for _, r := range rules {
		c, err := compile(r)
		if err != nil {
			return nil, err
		}
		f.rules = append(f.rules, c)
	}
	return f, nil
}

func compile(r Rule) (compiled, error) {
	p, reason := parse(r.Pattern)
	if reason != "" {
		return compiled{}, &PatternError{Rule: r, Reason: reason}
	}
	c := compiled{Rule: r, full: newMatcher(fullTokens(p))}
	// An unanchored pattern without ** matches within one segment: the same answer as the
	// full matcher (the fuzz test checks), over a shorter string.
	if !p.anchored && !hasDstar(p.body) {
		c.name = newMatcher(p.body)
		c.mode = modeBaseName
		if p.dirOnly {
			c.mode = modeAnyDir
			if c.name.mid == midNone {
				c.dir = "/" + c.name.prefix + "/"
			}
		}
	}
	return c, nil
}

func hasDstar(toks []token) bool {
	for _, t := range toks {
		if t.kind == tDstar {
			return true
		}
	}
	return false
}

func (c *compiled) match(rel string) bool {
	switch c.mode {
	case modeBaseName:
		return c.name.match(rel[strings.LastIndexByte(rel, '/')+1:])
	case modeAnyDir:
		if c.dir != "" {
			return strings.HasPrefix(rel, c.dir[1:]) || strings.Contains(rel, c.dir)
		}
		for {
			i := strings.IndexByte(rel, '/')
			if i < 0 {
				return false
			}
			if c.name.match(rel[:i]) {
				return true
			}
			rel = rel[i+1:]
		}
	}
	return c.full.match(rel)
}

// Match reports whether the file or object at the relative path rel is included: the last
// rule that matches it decides, and a path no rule matches is included.
func (f *Filter) Match(rel string) bool {
	if f == nil {
		return true
	}
	for i := len(f.rules) - 1; i >= 0; i-- {
		if c := &f.rules[i]; c.match(rel) {
			return c.Include
		}
	}
	return true
}

// Prune reports whether a walk may skip the directory dir (a relative path without a
// trailing "/"; "" is the root) without looking inside: true only if Match is false for
// every path under dir. That is so when the last rule that could match anything under dir
// is an exclude that matches everything under it ("build/", "build/**", "*") and no later
// include could match inside ("--exclude build/ --include build/keep/**" prunes build/other
// but not build or build/keep). Prune may say false for a directory whose paths are all
// excluded after all (by several partial excludes, say); then the walk goes in and Match
// excludes each path. Prune runs the rules once over dir: call it once per directory.
func (f *Filter) Prune(dir string) bool {
	if f == nil {
		return false
	}
	prefix := strings.TrimSuffix(dir, "/")
	if prefix != "" {
		prefix += "/"
	}
	for i := len(f.rules) - 1; i >= 0; i-- {
		c := &f.rules[i]
		set := c.full.prefixStates(prefix)
		switch {
		case set == nil:
			// matches nothing under dir
		case c.full.coversAll(set):
			return !c.Include
		case c.Include:
			return false // may include something under dir
		}
		// An exclude of some paths under dir: the others fall to earlier rules.
	}
	return false
}

// Rules returns a copy of the rules, in order. It is nil for a nil Filter.
func (f *Filter) Rules() []Rule {
	if f == nil {
		return nil
	}
	rules := make([]Rule, len(f.rules))
	for i, c := range f.rules {
		rules[i] = c.Rule
	}
	return rules
}

// String returns the rules as a command line would give them, e.g.
// --exclude '*' --include '*.txt'; "" for no rules.
func (f *Filter) String() string {
	var parts []string
	for _, r := range f.Rules() {
		parts = append(parts, r.String())
	}
	return strings.Join(parts, " ")
}
