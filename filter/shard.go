package filter

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Shard is one part of a job split over N processes or machines (--shard I/N): the paths
// whose shard number is Index, of Count. Every path belongs to exactly one shard, decided by
// the path alone, so N processes that each list the whole source agree on who takes what
// whatever the order of their listings, their page boundaries or the machine they run on.
//
// The shard number of a path is part of haul's format and never changes between versions,
// so a job split over machines that run different haul versions still agrees:
//
//	h = FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3)
//	    over the bytes of the path's Unicode NFC form
//	h = the MurmurHash3 finalizer fmix64 of h:
//	    h ^= h >> 33; h *= 0xff51afd7ed558ccd; h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53; h ^= h >> 33
//	shard = h mod N
//
// The path is the key relative to the job's root: the file's path relative to the source
// directory, with "/" separators, or the key relative to the source prefix, the same string
// that --include and --exclude match. So "a/b.txt" is in the same shard uploading,
// downloading or copying, whatever the prefixes. A path already in NFC (every ASCII path
// among them) is hashed as its bytes; one that is not is hashed as its NFC form, so that
// the two Unicode forms of one name ("é" and "e" + U+0301), which sync pairs as one entry,
// are always in the same shard. Bytes that are not UTF-8 are hashed as they are.
//
// fmix64 is there because FNV-1a alone mixes badly into its low bits: the low k bits of
// FNV-1a depend only on the low k bits of each byte, so "h mod 8" of names that differ in
// one letter by a multiple of 8 is always the same.
//
// The zero Shard (Count 0) and every Shard with Count 1 hold every path.
type Shard struct {
	Index, Count int
}

// Of returns the shard number of rel among n shards (n >= 1), as Shard documents.
func Of(rel string, n int) int {
	if n <= 1 {
		return 0
	}
	return int(ShardHash(rel) % uint64(n))
}

// ShardHash returns the 64-bit hash that Of reduces modulo the number of shards.
func ShardHash(rel string) uint64 {
	if !norm.NFC.IsNormalString(rel) {
		rel = norm.NFC.String(rel)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(rel)) // a hash.Hash never fails to write
	return fmix64(h.Sum64())
}

// fmix64 is MurmurHash3's 64-bit finalizer: every bit of the result depends on every bit of h.
func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// Match reports whether rel belongs to this shard. It is safe to call from many goroutines.
func (s Shard) Match(rel string) bool {
	return s.Count <= 1 || Of(rel, s.Count) == s.Index
}

// Sharded reports whether s splits the job at all (Count > 1).
func (s Shard) Sharded() bool { return s.Count > 1 }

// String returns "I/N".
func (s Shard) String() string { return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count) }

// ShardError is a --shard value (or HAUL_SHARD) that ParseShard refuses.
type ShardError struct {
	Value  string // as given, before expansion
	Var    string // the environment variable at fault, if one is
	Reason string // what is wrong, a sentence fragment
}

func (e *ShardError) Error() string {
	return fmt.Sprintf("shard %q: %s", e.Value, e.Reason)
}

// ParseShard parses "I/N": shard I of N, 0 <= I < N. Either number may instead name an
// environment variable, "$NAME" or "${NAME}", whose value lookup gives (os.LookupEnv): so
// "$JOB_COMPLETION_INDEX/8" takes the index a Kubernetes Indexed Job gives each pod. A
// variable that is unset or does not hold a number is a *ShardError naming it, as is any
// other value that is not I/N with 0 <= I < N.
func ParseShard(value string, lookup func(string) (string, bool)) (Shard, error) {
	bad := func(name, format string, args ...any) (Shard, error) {
		return Shard{}, &ShardError{Value: value, Var: name, Reason: fmt.Sprintf(format, args...)}
	}
	is, ns, ok := strings.Cut(value, "/")
	if !ok {
		return bad("", "write it as I/N, shard I of N, counted from 0 (for example 0/4), or $VAR/N to take I from an environment variable")
	}
	var nums [2]int
	for i, part := range []string{is, ns} {
		what := [2]string{"index", "count"}[i]
		name, isVar, err := varName(part)
		if err != nil {
			return bad("", "the %s %q: %v", what, part, err)
		}
		if isVar {
			v, set := lookup(name)
			if !set {
				return bad(name, "the environment variable %s, which gives the shard %s, is not set", name, what)
			}
			part = strings.TrimSpace(v)
		}
		n, err := strconv.Atoi(part)
		switch {
		case err != nil && isVar:
			return bad(name, "the environment variable %s=%q, which gives the shard %s, is not a whole number", name, part, what)
		case err != nil:
			return bad("", "the %s %q is not a whole number; write I/N, for example 0/4", what, part)
		}
		nums[i] = n
	}
	s := Shard{Index: nums[0], Count: nums[1]}
	switch {
	case s.Count < 1:
		return bad("", "the number of shards must be at least 1, not %d", s.Count)
	case s.Index < 0 || s.Index >= s.Count:
		return bad("", "the index must be from 0 to %d for %d shards, not %d (shards are counted from 0)", s.Count-1, s.Count, s.Index)
	}
	return s, nil
}

// varName returns the variable a part names ("$NAME" or "${NAME}"), or false for a part that
// names none.
func varName(part string) (string, bool, error) {
	if !strings.HasPrefix(part, "$") {
		return "", false, nil
	}
	name := part[1:]
	if strings.HasPrefix(name, "{") {
		if !strings.HasSuffix(name, "}") {
			return "", false, fmt.Errorf("no closing } after ${")
		}
		name = name[1 : len(name)-1]
	}
	if name == "" {
		return "", false, fmt.Errorf("$ names no environment variable")
	}
	for i, c := range name {
		letter := c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if digit := c >= '0' && c <= '9'; !letter && (i == 0 || !digit) {
			return "", false, fmt.Errorf("%q is not an environment variable name (letters, digits and _, not starting with a digit)", name)
		}
	}
	return name, true, nil
}

// InShard is a filter of the paths that both a Filter (nil: every path) and a Shard keep:
// what cp -r applies to its items. Its Prune is the Filter's (a shard cannot prune a
// directory: the files under it are spread over every shard). It is safe to call from many
// goroutines.
type InShard struct {
	Filter *Filter
	Shard  Shard
}

// Match reports whether rel is kept by the filter and belongs to the shard.
func (f InShard) Match(rel string) bool { return f.Filter.Match(rel) && f.Shard.Match(rel) }

// Prune reports whether the filter excludes every path under dir (Filter.Prune).
func (f InShard) Prune(dir string) bool { return f.Filter.Prune(dir) }
