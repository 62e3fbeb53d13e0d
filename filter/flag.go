package filter

import "strings"

// Flag is a command-line flag value for --include or --exclude. Every Flag made on the same
// slice appends to it, so the rules keep their relative command-line order, which two
// separate string-slice flags would lose. It satisfies flag.Value, and pflag.Value through
// Type. Set checks the pattern, so a bad one is a usage error at parse time.
type Flag struct {
	rules   *[]Rule
	include bool
}

// IncludeFlag returns the value of an --include flag that appends to *rules.
func IncludeFlag(rules *[]Rule) *Flag { return &Flag{rules: rules, include: true} }

// ExcludeFlag returns the value of an --exclude flag that appends to *rules.
func ExcludeFlag(rules *[]Rule) *Flag { return &Flag{rules: rules} }

// Set appends the rule for pattern, or returns a *PatternError and appends nothing.
func (f *Flag) Set(pattern string) error {
	r := Rule{Include: f.include, Pattern: pattern}
	if _, err := compile(r); err != nil {
		return err
	}
	*f.rules = append(*f.rules, r)
	return nil
}

// String returns this flag's patterns so far, comma-separated ("" before any Set, so flag
// help shows no default).
func (f *Flag) String() string {
	if f == nil || f.rules == nil {
		return ""
	}
	var ps []string
	for _, r := range *f.rules {
		if r.Include == f.include {
			ps = append(ps, r.Pattern)
		}
	}
	return strings.Join(ps, ",")
}

// Type names the flag's argument in help text, for pflag.
func (f *Flag) Type() string { return "pattern" }
