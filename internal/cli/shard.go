package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/haul-s3/haul/filter"
	"github.com/haul-s3/haul/transfer"
)

// shardEnv is the environment variable that gives --shard when the flag is not.
const shardEnv = "HAUL_SHARD"

// shardFlags are --shard I/N: this process takes the paths of shard I of N (filter.Shard),
// for cp -r (and mv -r) and sync, in every direction.
type shardFlags struct {
	spec  string       // --shard as given: I/N, $VAR/N or ${VAR}/N
	shard filter.Shard // parsed by check; the zero Shard when the job is not split
}

func (s *shardFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.spec, "shard", "", "take only shard I of N of the files or keys (I/N, from 0; $VAR/N reads I from an environment variable, e.g. '$JOB_COMPLETION_INDEX/8'; default: "+shardEnv+"); each path's shard is a stable hash of it, so N runs share the job with no overlap")
}

// check parses --shard, or HAUL_SHARD when --shard is not given, with lookup
// (os.LookupEnv). Only a recursive job, or the upload of one file's share of an upload
// started by uploads start (cp --upload-id), is split (splits): --shard on any other is
// a usage error, and HAUL_SHARD is ignored, so that one variable set for a whole Indexed
// Job does not stop the single-file copies its script may also make.
func (s *shardFlags) check(splits bool, lookup func(string) (string, bool)) error {
	spec, from := s.spec, "--shard"
	if spec == "" {
		v, ok := lookup(shardEnv)
		if !ok || strings.TrimSpace(v) == "" || !splits {
			return nil
		}
		spec, from = strings.TrimSpace(v), shardEnv
	} else if !splits {
		return usagef("--shard splits the files of a directory or the keys of a prefix among runs (add -r), or the parts of one file's upload started with haul uploads start (add --upload-id)")
	}
	sh, err := filter.ParseShard(spec, lookup)
	var se *filter.ShardError
	if errors.As(err, &se) {
		return usagef("%s %q: %s", from, spec, se.Reason)
	}
	if err != nil {
		return &usageError{err}
	}
	s.shard = sh
	return nil
}

// sharded returns f, or when the job is split, f and the shard together, as cp's items
// are filtered.
func (s *shardFlags) sharded(f transfer.Filter) transfer.Filter {
	if !s.shard.Sharded() {
		return f
	}
	flt, _ := f.(*filter.Filter) // nil when there are no --include or --exclude
	return filter.InShard{Filter: flt, Shard: s.shard}
}

// filter returns the shard as a sync's Options.Shard: nil when the job is not split.
func (s *shardFlags) filter() transfer.Filter {
	if !s.shard.Sharded() {
		return nil
	}
	return s.shard
}

// file returns the default state or journal file of this shard: path itself when the job
// is not split, else path with ".shard-I-of-N" before its extension, so that the shards
// of one job run on one machine keep apart files.
func (s *shardFlags) file(path string) string {
	if !s.shard.Sharded() {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + fmt.Sprintf(".shard-%d-of-%d", s.shard.Index, s.shard.Count) + ext
}

// record returns the command line a journal records with the shard made literal
// ("--shard I/N" appended; the last --shard given wins), so that haul resume continues
// the same shard whatever the environment it runs in.
func (s *shardFlags) record(args []string) []string {
	if !s.shard.Sharded() {
		return args
	}
	return append(slices.Clone(args), "--shard", s.shard.String())
}
