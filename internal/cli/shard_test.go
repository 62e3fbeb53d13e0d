package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/haul-s3/haul/filter"
	"github.com/haul-s3/haul/transfer/journal"
)

func TestShardFlag(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spec      string
		env       map[string]string
		recursive bool
		want      filter.Shard
		errHas    string // "" for success
	}{
		{name: "none", recursive: true},
		{name: "given", spec: "1/4", recursive: true, want: filter.Shard{Index: 1, Count: 4}},
		{name: "index from a variable", spec: "$JOB_COMPLETION_INDEX/8", env: map[string]string{"JOB_COMPLETION_INDEX": "7"}, recursive: true, want: filter.Shard{Index: 7, Count: 8}},
		{name: "HAUL_SHARD", env: map[string]string{"HAUL_SHARD": "2/3"}, recursive: true, want: filter.Shard{Index: 2, Count: 3}},
		{name: "HAUL_SHARD with a variable", env: map[string]string{"HAUL_SHARD": "$I/3", "I": "0"}, recursive: true, want: filter.Shard{Index: 0, Count: 3}},
		{name: "the flag before HAUL_SHARD", spec: "0/2", env: map[string]string{"HAUL_SHARD": "bad"}, recursive: true, want: filter.Shard{Index: 0, Count: 2}},
		{name: "HAUL_SHARD empty", env: map[string]string{"HAUL_SHARD": " "}, recursive: true},
		{name: "HAUL_SHARD ignored without -r", env: map[string]string{"HAUL_SHARD": "1/2"}},
		{name: "the flag without -r", spec: "1/2", errHas: "--shard splits the files of a directory or the keys of a prefix among runs (add -r), or the parts of one file's upload"},
		{name: "out of range", spec: "4/4", recursive: true, errHas: `--shard "4/4": the index must be from 0 to 3 for 4 shards, not 4`},
		{name: "unset variable", spec: "$JOB_COMPLETION_INDEX/8", recursive: true, errHas: `--shard "$JOB_COMPLETION_INDEX/8": the environment variable JOB_COMPLETION_INDEX, which gives the shard index, is not set`},
		{name: "variable not a number", spec: "$JOB_COMPLETION_INDEX/8", env: map[string]string{"JOB_COMPLETION_INDEX": "x"}, recursive: true, errHas: `JOB_COMPLETION_INDEX="x", which gives the shard index, is not a whole number`},
		{name: "bad HAUL_SHARD", env: map[string]string{"HAUL_SHARD": "3"}, recursive: true, errHas: `HAUL_SHARD "3": write it as I/N`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			s := shardFlags{spec: tc.spec}
			err := s.check(tc.recursive, lookup)
			if tc.errHas == "" {
				if err != nil || s.shard != tc.want {
					t.Fatalf("check = %v, shard %v; want nil, %v", err, s.shard, tc.want)
				}
				return
			}
			if !errors.As(err, new(*usageError)) || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("check = %v; want a usage error saying %q", err, tc.errHas)
			}
		})
	}
}

func TestShardFile(t *testing.T) {
	s := shardFlags{}
	if got := s.file("/x/ab.state"); got != "/x/ab.state" {
		t.Errorf("not sharded: %q", got)
	}
	s.shard = filter.Shard{Index: 1, Count: 4}
	if got := s.file("/x/ab.state"); got != "/x/ab.shard-1-of-4.state" {
		t.Errorf("sharded: %q", got)
	}
}

// A sharded run's journal is its own, and records the shard literally: haul resume
// continues the same shard even where HAUL_SHARD or JOB_COMPLETION_INDEX is not set.
func TestShardJournal(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	a := &app{args: []string{"cp", "-r", "--resume", "--shard", "$JOB_COMPLETION_INDEX/4", "d", "s3://b/p/"}}
	f := &cpFlags{recursive: true}
	f.shard.shard = filter.Shard{Index: 1, Count: 4}
	j, err := a.openJournal(f, "d", "s3://b/p/")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Remove()
	if !strings.HasSuffix(j.Path(), ".shard-1-of-4.journal") {
		t.Errorf("journal %s: want a file of shard 1 of 4", j.Path())
	}
	h, err := journal.Inspect(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(h.Args, " "); !strings.HasSuffix(got, " --shard 1/4") {
		t.Errorf("the journal records %q; want it to end with --shard 1/4", got)
	}
}
