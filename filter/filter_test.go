package filter

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

// rules builds rules from "-pattern" (exclude) and "+pattern" (include).
func rules(specs ...string) []Rule {
	var rs []Rule
	for _, s := range specs {
		rs = append(rs, Rule{Include: s[0] == '+', Pattern: s[1:]})
	}
	return rs
}

func mustNew(t testing.TB, rs []Rule) *Filter {
	t.Helper()
	f, err := New(rs)
	if err != nil {
		t.Fatalf("New(%v): %v", rs, err)
	}
	return f
}

func TestMatch(t *testing.T) {
	long := strings.Repeat("d/", 40)      // patterns of more than 64 tokens: multi-word state sets
	veryLong := strings.Repeat("d/", 150) // and of more than 256: sets that do not fit on the stack
	tests := []struct {
		name  string
		rules []string
		in    []string // included
		out   []string // excluded
	}{
		// Order: the last matching rule wins; no match includes.
		{"no rules", nil, []string{"a", "x/y/z"}, nil},
		{"exclude all, include txt", []string{"-*", "+*.txt"}, []string{"a.txt", "x/y/b.txt"}, []string{"a.log", "x/a.log", "txt"}},
		{"include txt, exclude all", []string{"+*.txt", "-*"}, nil, []string{"a.txt", "x/b.txt", "a.log"}},
		{"include alone keeps the rest", []string{"+*.txt"}, []string{"a.txt", "a.log"}, nil},
		{"last of three wins", []string{"-*.log", "+keep.log", "-keep.log"}, []string{"a.txt"}, []string{"keep.log", "a.log"}},
		{"later include overrides", []string{"-*.log", "+keep.log"}, []string{"keep.log", "x/keep.log"}, []string{"a.log"}},

		// Base name at any depth; anchoring.
		{"base name", []string{"-*.log"}, []string{"z.log.1", "x.log/y", "log"}, []string{"z.log", "x/y/z.log", ".log"}},
		{"base name tmp (acceptance 22)", []string{"-*.tmp"}, []string{"a/b/c.tmpx"}, []string{"a/b/c.tmp"}},
		{"slash anchors (acceptance 22)", []string{"-a/*.tmp"}, []string{"a/b/c.tmp", "x/a/c.tmp"}, []string{"a/c.tmp"}},
		{"anchored at root", []string{"-build/*.o"}, []string{"src/build/a.o", "build/x/a.o", "build/a.c"}, []string{"build/a.o"}},
		{"leading slash anchors", []string{"-/a.txt"}, []string{"x/a.txt", "a.txtx"}, []string{"a.txt"}},
		{"literal name at depth", []string{"-a.txt"}, []string{"a.txt/b", "ba.txt"}, []string{"a.txt", "x/y/a.txt"}},
		{"literal anchored path", []string{"-a/b/c"}, []string{"a/b", "a/b/c/d", "x/a/b/c"}, []string{"a/b/c"}},
		{"name pattern is not a directory", []string{"-build"}, []string{"build/x", "a/build/y"}, []string{"build", "a/build"}},

		// * and ? do not cross "/".
		{"star stops at slash", []string{"-a/*"}, []string{"a/b/c", "a"}, []string{"a/b", "a/"}},
		{"anchored star", []string{"-/a*c"}, []string{"a/c", "ab/c"}, []string{"ac", "abbc"}},
		{"question mark", []string{"-/a?c"}, []string{"a/c", "ac", "abbc"}, []string{"abc", "aéc"}},
		{"question mark one rune", []string{"-?"}, []string{"ab", "x/ab"}, []string{"é", "x/a"}},
		{"star alone", []string{"-*"}, nil, []string{"a", "x/y/z", ".hidden"}},

		// ** in each position.
		{"leading **/", []string{"-**/b"}, []string{"ab", "b/c", "a/xb"}, []string{"b", "a/b", "a/x/b"}},
		{"middle /**/", []string{"-a/**/b"}, []string{"ab", "a/xb", "x/a/b", "a/b/c"}, []string{"a/b", "a/x/b", "a/x/y/b"}},
		{"two middle /**/", []string{"-a/**/**/b"}, []string{"a/bc"}, []string{"a/b", "a/x/b", "a/x/y/b"}},
		{"trailing /**", []string{"-a/**"}, []string{"a", "ab/x", "x/a/y"}, []string{"a/x", "a/x/y"}},
		{"** alone", []string{"-**"}, nil, []string{"a", "a/b/c"}},
		{"/** anchored", []string{"-/**"}, nil, []string{"a", "a/b/c"}},
		{"** inside a name crosses /", []string{"-a**"}, []string{"b", "x/ba", "ba/c"}, []string{"abc", "x/ab/c", "b/a"}},
		{"** before a suffix", []string{"-**.log"}, []string{"a.txt", "log"}, []string{"a.log", "x/y.log"}},
		{"anchored ** inside a name", []string{"-/x**y"}, []string{"a/xy", "x/a"}, []string{"xy", "x/a/y", "xay"}},
		{"**/ at start then anchored tail", []string{"-**/logs/*.gz"}, []string{"logs/x/a.gz", "logs/a.gzip"}, []string{"logs/a.gz", "x/logs/a.gz"}},
		{"*** is **", []string{"-a/***"}, []string{"a"}, []string{"a/x/y"}},
		{"** not a whole segment before /", []string{"-/a**/b"}, []string{"b", "xa/b"}, []string{"a/b", "ax/b", "a/x/y/b"}},

		// Directory patterns.
		{"dir at any depth", []string{"-build/"}, []string{"build", "x/build", "builder/x", "a/build", "xbuild/y"},
			[]string{"build/x", "a/build/y/z", "build/"}},
		{"anchored dir", []string{"-a/build/"}, []string{"b/a/build/x", "a/build"}, []string{"a/build/x", "a/build/y/z"}},
		{"leading-slash dir", []string{"-/build/"}, []string{"a/build/x"}, []string{"build/x"}},
		{"dir with wildcard", []string{"-*.d/"}, []string{"x.d", "a/x.d"}, []string{"x.d/y", "a/x.d/y/z"}},
		{"dir below a", []string{"-a/**/"}, []string{"a/x", "a"}, []string{"a/x/y", "a/x/y/z"}},
		{"dir with **", []string{"-**/c/"}, []string{"c", "a/c"}, []string{"c/x", "a/b/c/x"}},
		{"dir, later include inside", []string{"-build/", "+build/keep/**"},
			[]string{"build/keep/x", "build/keep/y/z", "src/a"}, []string{"build/other", "build/keepx", "a/build/keep/x"}},
		{"dir (acceptance 22)", []string{"-logs/"}, []string{"logsx/a", "a.logs"}, []string{"logs/a", "logs/b/c"}},

		// Character classes.
		{"class", []string{"-[abc].txt"}, []string{"d.txt", "ab.txt"}, []string{"a.txt", "x/c.txt"}},
		{"class range", []string{"-[a-c]x"}, []string{"dx", "Ax"}, []string{"bx", "y/ax"}},
		{"negated class !", []string{"-[!a]x"}, []string{"ax"}, []string{"bx", "éx"}},
		{"negated class ^", []string{"-[^a]x"}, []string{"ax"}, []string{"bx"}},
		{"negated class never /", []string{"-/a[!b]c"}, []string{"a/c", "abc"}, []string{"axc"}},
		{"escaped ] in class", []string{`-[\]]`}, []string{"a"}, []string{"]"}},
		{"escaped - in class", []string{`-[a\-z]`}, []string{"b"}, []string{"-", "a", "z"}},
		{"multibyte class", []string{"-[é-ë]"}, []string{"e", "ì"}, []string{"é", "ê", "ë"}},
		{"several ranges", []string{"-[a-cx-z0]"}, []string{"d", "w", "1"}, []string{"a", "y", "0"}},

		// Escapes.
		{`escaped *`, []string{`-\*`}, []string{"a", "**"}, []string{"*", "x/*"}},
		{`escaped ?`, []string{`-a\?`}, []string{"ab"}, []string{"a?"}},
		{`escaped [`, []string{`-\[x\]`}, []string{"x"}, []string{"[x]"}},
		{`escaped backslash`, []string{`-\\`}, []string{"a"}, []string{`\`, `x/\`}},
		{`escaped letter`, []string{`-\a`}, []string{"b"}, []string{"a"}},
		{`escaped slash is a slash`, []string{`-a\/b`}, []string{"x/a/b"}, []string{"a/b"}},
		{`escaped * is not **`, []string{`-/a\**`}, []string{"a", "a/b"}, []string{"a*", "a*b"}},

		// Paths that are not valid UTF-8, and long patterns.
		{"invalid UTF-8 byte is one character", []string{"-?"}, []string{"\xff\xfe"}, []string{"\xff", "x/\xff"}},
		{"invalid UTF-8 under star", []string{"-a*b"}, []string{"a\xff"}, []string{"a\xffb", "a\xe2\x82b"}},
		{"invalid byte not a literal", []string{"-\uFFFD"}, []string{"\xff"}, []string{"\uFFFD"}},
		{"invalid byte not in a class", []string{"-[\uFFFD]"}, []string{"\xff", "x/\xfe"}, []string{"\uFFFD"}},
		{"invalid byte in a negated class", []string{"-[!a]"}, []string{"a"}, []string{"\xff", "x/\xfe"}},
		{"long literal", []string{"-/" + long + "x"}, []string{long + "y", "q/" + long + "x"}, []string{long + "x"}},
		{"long with wildcards", []string{"-/" + long + "**/*.x"}, []string{long + "a.y", "d/a.x"}, []string{long + "a.x", long + "q/r/a.x"}},
		{"very long with wildcards", []string{"-/" + veryLong + "**/*.x"}, []string{veryLong + "a.y", long + "a.x"}, []string{veryLong + "a.x", veryLong + "q/r/a.x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustNew(t, rules(tt.rules...))
			for _, p := range tt.in {
				if !f.Match(p) {
					t.Errorf("%s: Match(%q) = false, want included", f, p)
				}
			}
			for _, p := range tt.out {
				if f.Match(p) {
					t.Errorf("%s: Match(%q) = true, want excluded", f, p)
				}
			}
		})
	}
}

func TestPrune(t *testing.T) {
	tests := []struct {
		name  string
		rules []string
		prune []string // directories Prune must skip
		keep  []string // directories Prune must enter
	}{
		{"no rules", nil, nil, []string{"", "a"}},
		{"dir pattern", []string{"-build/"}, []string{"build", "a/build", "build/x", "a/build/c/d"}, []string{"", "src", "builder", "a"}},
		{"dir, later include inside", []string{"-build/", "+build/keep/**"},
			[]string{"build/other", "a/build", "build/keepx"}, []string{"build", "build/keep", "build/keep/deep"}},
		{"dir, later include anywhere", []string{"-build/", "+*.txt"}, nil, []string{"build", "a/build"}},
		{"dir, earlier include", []string{"+*.txt", "-build/"}, []string{"build", "a/build/x"}, []string{"a"}},
		{"dir, later include of the same dir", []string{"-build/", "+build/"}, nil, []string{"build"}},
		{"dir, later exclude elsewhere", []string{"-build/", "-*.o"}, []string{"build"}, []string{"src"}},
		{"exclude all", []string{"-*"}, []string{"", "a", "a/b"}, nil},
		{"exclude all, include txt", []string{"-*", "+*.txt"}, nil, []string{"", "a", "a/b"}},
		{"exclude all, include one dir", []string{"-*", "+keep/**"}, []string{"other", "a/keep"}, []string{"", "keep", "keep/x"}},
		{"exclude **", []string{"-**"}, []string{"", "a"}, nil},
		{"exclude **/*", []string{"-**/*"}, []string{"", "a", "a/b"}, nil},
		{"exclude a/**", []string{"-a/**"}, []string{"a", "a/b"}, []string{"", "b", "ab"}},
		{"exclude a/**/", []string{"-a/**/"}, []string{"a/b", "a/b/c"}, []string{"", "a"}},
		{"exclude a/* keeps a", []string{"-a/*"}, nil, []string{"a", "a/b"}},
		{"exclude files by name", []string{"-*.log"}, nil, []string{"", "x.log"}},
		{"two partial excludes", []string{"-*.a", "-*.b"}, nil, []string{"x"}},
		{"later include of a name", []string{"-logs/", "+keep.txt"}, nil, []string{"logs"}},
		{"trailing slash on dir", []string{"-build/"}, []string{"build/"}, nil},
		{"long anchored dir", []string{"-/" + strings.Repeat("d/", 40)}, []string{strings.TrimSuffix(strings.Repeat("d/", 40), "/")}, []string{"d/d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustNew(t, rules(tt.rules...))
			for _, d := range tt.prune {
				if !f.Prune(d) {
					t.Errorf("%s: Prune(%q) = false, want true", f, d)
				}
			}
			for _, d := range tt.keep {
				if f.Prune(d) {
					t.Errorf("%s: Prune(%q) = true, want false", f, d)
				}
			}
		})
	}
}

// TestPruneWalk walks a tree with pruning and checks that it keeps exactly the paths that
// Match alone keeps: a pruned directory holds no included path.
func TestPruneWalk(t *testing.T) {
	tree := []string{
		"a.txt", "a.log", "build/a.o", "build/keep/x", "build/keep/y/z.txt", "build/other/q",
		"src/build/a.o", "src/main.go", "src/x/y/z.log", "logs/2026/a.gz", "logs/b.txt",
		"keep/a", "other/keep/b", "d.d/e", "x/d.d/f",
	}
	tests := []struct {
		rules  []string
		pruned []string // directories the walk must skip
	}{
		{[]string{"-build/", "+build/keep/**"}, []string{"build/other", "src/build"}},
		{[]string{"-*", "+*.txt"}, nil},
		{[]string{"-*", "+keep/**"}, []string{"build", "logs", "other", "src", "d.d", "x"}},
		{[]string{"-logs/**", "-*.d/"}, []string{"logs", "d.d", "x/d.d"}},
		{[]string{"-**/build/**", "+*.txt"}, nil},
		{[]string{"+*.txt", "-src/", "-logs/"}, []string{"src", "logs"}},
	}
	for _, tt := range tests {
		f := mustNew(t, rules(tt.rules...))
		t.Run(f.String(), func(t *testing.T) {
			var kept, pruned []string
			seen := map[string]bool{}
			for _, p := range tree {
				skip := false
				for i := 0; i < len(p); i++ {
					if p[i] != '/' {
						continue
					}
					d := p[:i]
					if f.Prune(d) {
						if !seen[d] {
							seen[d] = true
							pruned = append(pruned, d)
						}
						skip = true
						break
					}
				}
				if f.Match(p) {
					kept = append(kept, p)
					if skip {
						t.Errorf("%s is included but a directory above it was pruned", p)
					}
				}
			}
			for _, d := range tt.pruned {
				if !seen[d] {
					t.Errorf("directory %s not pruned; pruned %q (kept %q)", d, pruned, kept)
				}
			}
			if len(pruned) != len(tt.pruned) {
				t.Errorf("pruned %q, want %q", pruned, tt.pruned)
			}
		})
	}
}

func TestNewInvalid(t *testing.T) {
	tests := []struct {
		pattern string
		reason  string // part of the message
	}{
		{"", "empty"},
		{"/", "empty"},
		{"//", "empty"},
		{"a[", "no closing ]"},
		{"a[bc", "no closing ]"},
		{"[]", "empty character class"},
		{"[!]", "empty character class"},
		{"[a-]", "range has no end"},
		{"[-a]", `unescaped "-"`},
		{"[z-a]", "backwards"},
		{`a\`, `unescaped "\"`},
		{`[a\`, `unescaped "\"`},
		{"[/]", `never matches "/"`},
		{`[a\/]`, `never matches "/"`},
		{"[!a/]", `never matches "/"`},
		{"a\xffb", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			for _, include := range []bool{false, true} {
				r := Rule{Include: include, Pattern: tt.pattern}
				f, err := New([]Rule{{Pattern: "*.ok"}, r})
				if f != nil || err == nil {
					t.Fatalf("New(%v) = %v, %v; want an error", r, f, err)
				}
				var pe *PatternError
				if !errors.As(err, &pe) || pe.Rule != r {
					t.Fatalf("New(%v): error %#v is not a *PatternError for the rule", r, err)
				}
				if msg := err.Error(); !strings.Contains(msg, tt.reason) || !strings.Contains(msg, shellQuote(tt.pattern)) {
					t.Errorf("New(%v) error %q does not name the pattern and %q", r, msg, tt.reason)
				}
				if verb := r.verb(); !strings.Contains(err.Error(), verb+" pattern") {
					t.Errorf("error %q does not say %s", err, verb)
				}
			}
		})
	}
}

func TestNilAndEmpty(t *testing.T) {
	empty := mustNew(t, nil)
	for name, f := range map[string]*Filter{"nil": nil, "empty": empty} {
		t.Run(name, func(t *testing.T) {
			for _, p := range []string{"a", "x/y/z", ""} {
				if !f.Match(p) {
					t.Errorf("Match(%q) = false", p)
				}
				if f.Prune(p) {
					t.Errorf("Prune(%q) = true", p)
				}
			}
			if s := f.String(); s != "" {
				t.Errorf("String() = %q", s)
			}
			if rs := f.Rules(); len(rs) != 0 {
				t.Errorf("Rules() = %v", rs)
			}
		})
	}
}

func TestString(t *testing.T) {
	rs := rules("-*", "+*.txt", "-it's/")
	f := mustNew(t, rs)
	want := `--exclude '*' --include '*.txt' --exclude 'it'\''s/'`
	if got := f.String(); got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	got := f.Rules()
	got[0].Pattern = "changed"
	if again := f.Rules(); len(again) != 3 || again[0] != rs[0] || again[2] != rs[2] {
		t.Errorf("Rules() = %v after changing a copy, want %v", again, rs)
	}
}

// pflagValue is what github.com/spf13/pflag asks of a flag value.
type pflagValue interface {
	String() string
	Set(string) error
	Type() string
}

var _ pflagValue = (*Flag)(nil)

func TestFlag(t *testing.T) {
	tests := []struct {
		args    []string
		want    []Rule
		wantErr string
	}{
		{nil, nil, ""},
		{[]string{"--exclude", "*", "--include", "*.txt", "--exclude", "b/"}, rules("-*", "+*.txt", "-b/"), ""},
		{[]string{"--include=a", "--include=b"}, rules("+a", "+b"), ""},
		{[]string{"--exclude", "x", "--include", "[a"}, nil, `invalid include pattern '[a'`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var got []Rule
			fs := flag.NewFlagSet("cp", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.Var(IncludeFlag(&got), "include", "")
			fs.Var(ExcludeFlag(&got), "exclude", "")
			err := fs.Parse(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error %v, want %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("rules %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("rules %v, want %v", got, tt.want)
				}
			}
		})
	}
	var rs []Rule
	inc, exc := IncludeFlag(&rs), ExcludeFlag(&rs)
	if inc.String() != "" || inc.Type() != "pattern" {
		t.Errorf("before Set: String() = %q, Type() = %q", inc.String(), inc.Type())
	}
	for _, err := range []error{exc.Set("a"), inc.Set("b"), exc.Set("c")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if inc.String() != "b" || exc.String() != "a,c" {
		t.Errorf("String() = %q and %q, want b and a,c", inc.String(), exc.String())
	}
}

// BenchmarkMatch measures Match per key: a typical set of rules, and one rule of each kind
// (the name shortcuts, literal prefix and suffix, the automaton).
func BenchmarkMatch(b *testing.B) {
	keys := []string{
		"src/haul/internal/cli/cp.go",
		"data/2026/11/23/part-00017.parquet",
		"build/keep/assets/logo.png",
		"build/obj/x86_64/transfer.o",
		"logs/2026-11-23/host-17/app.log.gz",
		"home/user/.cache/some/deeper/tree/file.tmp",
		"photos/2019/summer/IMG_20190704_183012.jpg",
		"a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z.txt",
	}
	for _, bb := range []struct {
		name  string
		rules []string
	}{
		{"six rules", []string{"-*.tmp", "-build/", "+build/keep/**", "-logs/**/*.gz", "-.git/", "+*.go"}},
		{"base name", []string{"-*.tmp"}},
		{"dir name", []string{"-build/"}},
		{"dir class", []string{"-[0-9]*/"}},
		{"anchored", []string{"-logs/**/*.gz"}},
		{"automaton", []string{"-**/x*/**/*[0-9].t?p"}},
	} {
		f := mustNew(b, rules(bb.rules...))
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				f.Match(keys[i%len(keys)])
			}
		})
	}
}
