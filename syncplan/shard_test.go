package syncplan

import (
	"errors"
	"testing"
)

type shardOf map[string]bool

func (m shardOf) Match(rel string) bool { return m[rel] }

// A key of another shard is left out on both sides, whatever DeleteExcluded says, and is
// counted as another shard's when the filter keeps it.
func TestShardExcluded(t *testing.T) {
	mine := shardOf{"a": true, "b.tmp": true}
	s := &Sync{o: Options{Shard: mine, Filter: excludeTmp{}, DeleteExcluded: true}}
	for _, tc := range []struct {
		rel  string
		dest bool
		want bool
	}{
		{"a", false, false},
		{"a", true, false},
		{"b.tmp", false, true}, // the filter's: left out of the source
		{"b.tmp", true, false}, // and a deletion candidate with DeleteExcluded
		{"c", false, true},     // another shard's
		{"c", true, true},
		{"d.tmp", true, true}, // another shard's, even with DeleteExcluded
	} {
		if got := s.excluded(tc.rel, tc.dest); got != tc.want {
			t.Errorf("excluded(%q, dest %v) = %v, want %v", tc.rel, tc.dest, got, tc.want)
		}
	}
	if c := s.Counts(); c.OtherSource != 1 || c.OtherDest != 1 {
		t.Errorf("OtherSource %d, OtherDest %d; want 1 and 1 (c; d.tmp is the filter's)", c.OtherSource, c.OtherDest)
	}
}

type excludeTmp struct{}

func (excludeTmp) Match(rel string) bool { return len(rel) < 4 || rel[len(rel)-4:] != ".tmp" }

// The guards of a shard: the empty-source guard and the percentage floor look at the
// whole job, the rest at the shard.
func TestShardGuards(t *testing.T) {
	for _, tc := range []struct {
		name  string
		c     Counts
		guard string // "" for none
	}{
		{"an empty shard of a source that holds keys", Counts{Source: 0, OtherSource: 9, Dest: 3, Deletes: 3}, ""},
		{"a source empty as a whole", Counts{Source: 0, OtherSource: 0, Dest: 3, OtherDest: 9, Deletes: 3}, GuardEmptySource},
		{"the floor counts the whole destination", Counts{Source: 5, OtherSource: 90, Dest: 30, OtherDest: 90, Deletes: 20}, GuardPercent},
		{"the share is the shard's", Counts{Source: 25, OtherSource: 90, Dest: 30, OtherDest: 90, Deletes: 5}, ""},
		{"under the floor as a whole", Counts{Source: 0, OtherSource: 60, Dest: 30, OtherDest: 60, Deletes: 30}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Sync{o: Options{Shard: shardOf{}, Guards: DefaultGuards()}, counts: tc.c}
			err := s.guard()
			var ge *GuardError
			switch {
			case tc.guard == "" && err != nil:
				t.Fatalf("guard() = %v, want none", err)
			case tc.guard != "" && (!errors.As(err, &ge) || ge.Guard != tc.guard || !ge.Sharded):
				t.Fatalf("guard() = %v, want the %s guard of a shard", err, tc.guard)
			}
		})
	}
}
