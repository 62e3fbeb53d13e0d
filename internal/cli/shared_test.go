package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// sync --shard-parts-over splits the big files of a local directory sent to S3, and the big
// objects of a sync between S3 locations; a download, and a sync without --shard, a dry
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
