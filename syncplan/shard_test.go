package syncplan

import (
	"errors"
	"maps"
	"slices"
	"strings"
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

// With SplitOver, a big file of another shard is decided here too (new, changed or
// unchanged, as its own shard decides it), while small files stay with their shards; a
// destination key of another shard is never a deletion candidate, big or not, and an
// unchanged big file of another shard is told to Options.Unchanged by its own shard alone.
func TestShardSplitOverDecidesBigFilesEverywhere(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat("x", 64)
	f.file("a", "small", tOld) // mine, new
	f.file("b", "small", tOld) // another shard's, new
	f.file("big1", big, tNew)  // another shard's, changed
	f.haulObject("big1", big[:40], tOld, base)
	f.file("big2", big, tOld) // another shard's, unchanged
	f.haulObject("big2", big, tOld, base)
	f.file("big3", big, tOld) // another shard's, new
	f.file("big4", big, tOld) // mine, unchanged
	f.haulObject("big4", big, tOld, base)
	f.haulObject("gone-big-mine", big, tOld, base)
	f.haulObject("gone-big-other", big, tOld, base)
	f.haulObject("gone-small-other", "s", tOld, base)
	mine := shardOf{"a": true, "big4": true, "gone-big-mine": true}
	var told []string
	r := f.up(func(o *Options) {
		o.Shard, o.SplitOver, o.Delete, o.DryRun = mine, 32, true, true
		o.Unchanged = func(s Same) { told = append(told, s.Item.Object.Key) }
	})
	if r.runErr != nil || r.delErr != nil {
		t.Fatalf("run: %v, deletes: %v", r.runErr, r.delErr)
	}
	got := slices.Sorted(maps.Keys(r.items))
	if want := []string{"a", "big1", "big3"}; !slices.Equal(got, want) {
		t.Fatalf("items %v; want %v (a of this shard, the big files new or changed)", got, want)
	}
	if want := []string{"gone-big-mine"}; !slices.Equal(r.deleted, want) {
		t.Fatalf("deleted %v; want %v: only this shard's keys", r.deleted, want)
	}
	if want := []string{"p/big4"}; !slices.Equal(told, want) {
		t.Fatalf("told unchanged %v; want %v (big2 is its own shard's to tell)", told, want)
	}
	if c := r.counts; c.Source != 2 || c.OtherSource != 4 || c.Dest != 2 {
		t.Fatalf("counts %+v; want Source 2, OtherSource 4, Dest 2", c)
	}
}
