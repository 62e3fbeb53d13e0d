package filter

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"time"
)

// The shard of a path is part of haul's format: these values must never change. They were
// computed independently of this code (a few lines of Python: FNV-1a 64 over the UTF-8 of
// unicodedata.normalize("NFC", key), then fmix64, then mod N).
func TestShardVectors(t *testing.T) {
	for _, tc := range []struct {
		rel  string
		hash uint64
		of   [5]int // shard among 2, 3, 4, 8 and 1000
	}{
		{"", 0xefd01f60ba992926, [5]int{0, 2, 2, 6, 342}},
		{"a", 0x82a2a958a9bece5b, [5]int{1, 2, 3, 3, 315}},
		{"a/b.txt", 0x587feb171fa0ba7d, [5]int{1, 0, 1, 5, 45}},
		{"logs/2026-11-23/app.log", 0xf8e474c2528481aa, [5]int{0, 0, 2, 2, 794}},
		{"file-00000", 0x962fa755e46dd198, [5]int{0, 1, 0, 0, 312}},
		{"file-00001", 0xf34b9641f1957f7e, [5]int{0, 0, 2, 6, 846}},
		{"caf\u00e9.txt", 0x70cda451abcf3bc0, [5]int{0, 0, 0, 0, 736}},  // NFC
		{"cafe\u0301.txt", 0x70cda451abcf3bc0, [5]int{0, 0, 0, 0, 736}}, // NFD: the same name, the same shard
		{"dir with space/x+y%20z#?&=.bin", 0x373cca19041b92c6, [5]int{0, 0, 2, 6, 902}},
		{"\U0001F600.txt", 0x1614da04d01a085a, [5]int{0, 2, 2, 2, 66}},
	} {
		if got := ShardHash(tc.rel); got != tc.hash {
			t.Errorf("ShardHash(%q) = %#x, want %#x", tc.rel, got, tc.hash)
		}
		for i, n := range []int{2, 3, 4, 8, 1000} {
			if got := Of(tc.rel, n); got != tc.of[i] {
				t.Errorf("Of(%q, %d) = %d, want %d", tc.rel, n, got, tc.of[i])
			}
		}
		if got := Of(tc.rel, 1); got != 0 {
			t.Errorf("Of(%q, 1) = %d, want 0", tc.rel, got)
		}
	}
}

// The FNV-1a 64 under the shard hash is the standard one (published test vectors).
func TestShardFNVIsStandard(t *testing.T) {
	for in, want := range map[string]uint64{"": 0xcbf29ce484222325, "a": 0xaf63dc4c8601ec8c, "foobar": 0x85944171f73967e8} {
		h := fnv.New64a()
		h.Write([]byte(in))
		if got := h.Sum64(); got != want {
			t.Errorf("fnv64a(%q) = %#x, want %#x", in, got, want)
		}
		if got, want := ShardHash(in), fmix64(want); got != want {
			t.Errorf("ShardHash(%q) = %#x, want fmix64(fnv64a) = %#x", in, got, want)
		}
	}
}

// 10,000 keys into 8 shards: each key in exactly one shard, no shard empty or far from an
// eighth.
func TestShardDistribution(t *testing.T) {
	const keys, n = 10000, 8
	var count [n]int
	for i := range keys {
		rel := fmt.Sprintf("dir%02d/file-%05d.dat", i%37, i)
		in := 0
		for s := range n {
			if (Shard{Index: s, Count: n}).Match(rel) {
				in++
				count[s]++
			}
		}
		if in != 1 {
			t.Fatalf("%q is in %d of %d shards, want exactly 1", rel, in, n)
		}
	}
	total := 0
	for s, c := range count {
		total += c
		// An eighth is 1,250; a fair split of 10,000 keys is within 1,250 +/- 5 sigma (165).
		if c < 1250-165 || c > 1250+165 {
			t.Errorf("shard %d/%d holds %d of %d keys, want about 1250 (all: %v)", s, n, c, keys, count)
		}
	}
	if total != keys {
		t.Errorf("the shards hold %d keys, want %d", total, keys)
	}
}

// Keys that repeat their varying part ("2020-01-01/2020-01-01.log") all have the same FNV-1a
// parity, so FNV-1a mod 2 alone puts every one of them in one shard; fmix64 spreads them.
func TestShardRepeatedParts(t *testing.T) {
	var count [2]int
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		d := day.AddDate(0, 0, i).Format(time.DateOnly)
		count[Of(d+"/"+d+".log", 2)]++
	}
	if count[0] < 400 || count[1] < 400 {
		t.Errorf("1,000 dated keys in 2 shards: %v, want both near 500", count)
	}
}

func TestShardZeroAndOne(t *testing.T) {
	for _, s := range []Shard{{}, {Index: 0, Count: 1}} {
		if !s.Match("anything") || s.Sharded() {
			t.Errorf("%v: Match = false or Sharded = true, want every path and not sharded", s)
		}
	}
}

func TestParseShard(t *testing.T) {
	env := map[string]string{"JOB_COMPLETION_INDEX": "3", "N": " 8 ", "EMPTY": "", "WORD": "three", "NEG": "-1"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, tc := range []struct {
		in      string
		want    Shard
		varName string // the variable a failure names
		errHas  string // "" for success
	}{
		{in: "0/4", want: Shard{0, 4}},
		{in: "3/4", want: Shard{3, 4}},
		{in: "0/1", want: Shard{0, 1}},
		{in: "$JOB_COMPLETION_INDEX/8", want: Shard{3, 8}},
		{in: "${JOB_COMPLETION_INDEX}/8", want: Shard{3, 8}},
		{in: "$JOB_COMPLETION_INDEX/$N", want: Shard{3, 8}},
		{in: "1/${N}", want: Shard{1, 8}},
		{in: "4/4", errHas: "from 0 to 3 for 4 shards, not 4"},
		{in: "-1/4", errHas: "from 0 to 3 for 4 shards, not -1"},
		{in: "0/0", errHas: "at least 1, not 0"},
		{in: "1/-2", errHas: "at least 1"},
		{in: "4", errHas: "write it as I/N"},
		{in: "", errHas: "write it as I/N"},
		{in: "a/4", errHas: `the index "a" is not a whole number`},
		{in: "1/b", errHas: `the count "b" is not a whole number`},
		{in: "1/2/3", errHas: `the count "2/3" is not a whole number`},
		{in: "$UNSET/8", varName: "UNSET", errHas: "the environment variable UNSET, which gives the shard index, is not set"},
		{in: "$WORD/8", varName: "WORD", errHas: `WORD="three", which gives the shard index, is not a whole number`},
		{in: "$EMPTY/8", varName: "EMPTY", errHas: `EMPTY="", which gives the shard index, is not a whole number`},
		{in: "$NEG/8", errHas: "from 0 to 7 for 8 shards, not -1"},
		{in: "$JOB_COMPLETION_INDEX/2", errHas: "from 0 to 1 for 2 shards, not 3"},
		{in: "$/8", errHas: "names no environment variable"},
		{in: "${JOB/8", errHas: "no closing }"},
		{in: "$1X/8", errHas: "is not an environment variable name"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseShard(tc.in, lookup)
			if tc.errHas == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseShard(%q) = %v, %v; want %v, nil", tc.in, got, err, tc.want)
				}
				return
			}
			var se *ShardError
			if !errors.As(err, &se) {
				t.Fatalf("ParseShard(%q) = %v, %v; want a *ShardError", tc.in, got, err)
			}
			if !strings.Contains(err.Error(), tc.errHas) || se.Var != tc.varName || se.Value != tc.in {
				t.Errorf("ParseShard(%q) error %q (Var %q, Value %q); want it to say %q, name variable %q", tc.in, err, se.Var, se.Value, tc.errHas, tc.varName)
			}
		})
	}
}

func TestInShard(t *testing.T) {
	f, err := New([]Rule{{Pattern: "*.tmp"}, {Pattern: "skip/"}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	for _, rel := range []string{"a.txt", "b.txt", "c/d.txt", "e.tmp", "skip/x"} {
		in := 0
		for i := range n {
			if (InShard{Filter: f, Shard: Shard{Index: i, Count: n}}).Match(rel) {
				in++
			}
		}
		want := 1
		if !f.Match(rel) {
			want = 0
		}
		if in != want {
			t.Errorf("%q is in %d shards with the filter, want %d", rel, in, want)
		}
	}
	if !(InShard{Filter: f, Shard: Shard{Index: 0, Count: 4}}).Prune("skip") || (InShard{Shard: Shard{Index: 0, Count: 4}}).Prune("skip") {
		t.Error("InShard.Prune is not the filter's")
	}
}
