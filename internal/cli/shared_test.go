package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/haul-s3/haul/filter"
)

// sync --shard-parts-over splits the big files of a local directory sent to S3, and the big
// objects of a sync between S3 locations; a download (which cp -r splits, a sync does not), and a sync without --shard, a dry
// run or a list of names, is a usage error that says what is supported. (A sync between S3
// locations with --shard-parts-over is accepted: e2e TestSyncShardPartsOverCopy.)
func TestSyncShardPartsOverUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"download", []string{"--shard", "0/3", "s3://b/p/", dir}, "downloads do not split objects among shards"},
		{"no shard", []string{dir, "s3://b/p/"}, "give --shard I/N"},
		{"dry run", []string{"--shard", "0/3", "--dry-run", dir, "s3://b/p/"}, "--dry-run do not apply"},
		{"files from", []string{"--shard", "0/3", "--files-from", "-", dir, "s3://b/p/"}, "--files-from and --dry-run do not apply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"sync", "--no-state", "--shard-parts-over", "16MiB"}, tc.args...)
			code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			if code != ExitUsage || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("haul %q: exit %d, stderr %q; want %d and %q", args, code, stderr.String(), ExitUsage, tc.want)
			}
		})
	}
}

// checkSplit accepts cp -r from S3 to a directory with --shard-parts-over (the shards
// fetch each big object together into a directory they all see) and refuses a sync's
// download, which keeps each object whole on one shard, and a cp download of one object.
func TestCheckSplitDownloads(t *testing.T) {
	for _, tc := range []struct {
		name      string
		recursive bool
		command   string
		want      string // "" for accepted
	}{
		{"cp -r download", true, "cp -r", ""},
		{"cp download of one object", false, "cp -r", "downloads do not split"},
		{"sync download", true, "sync", "sync's downloads do not split objects among shards"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := cpFlags{recursive: tc.recursive, splitOver: 16 << 20}
			f.shard.shard = filter.Shard{Index: 1, Count: 3}
			err := f.checkSplit(true, false, tc.command)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("checkSplit = %v; want it accepted", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("checkSplit = %v; want a usage error saying %q", err, tc.want)
			}
		})
	}
}
