package e2e

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

// mv -r --shard: each shard moves its own files and removes only their sources; the shards
// together move the whole tree, local to S3, S3 to S3 and S3 to local.
func TestShardMove(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		const files, n = 120, 3
		bucket := srv.NewBucket(t)
		src := t.TempDir()
		rels, of := shardFiles(t, src, files, n)
		keep := t.TempDir()
		if err := os.CopyFS(keep, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		want := make([][]string, n)
		for _, rel := range rels {
			want[of[rel]] = append(want[of[rel]], rel)
		}
		local := func(dir string) []string {
			var got []string
			for rel := range treeFiles(t, dir) {
				got = append(got, rel)
			}
			slices.Sort(got)
			return got
		}
		stripped := func(prefix string) []string {
			ks := keys(t, srv, bucket, prefix)
			for i := range ks {
				ks[i] = strings.TrimPrefix(ks[i], prefix)
			}
			return ks
		}
		move := func(from, to, op, strip string, seen map[string]int, shards ...int) {
			t.Helper()
			for _, i := range shards {
				args, env := shardArgs(i, i, n)
				r := haulEnv(t, srv, env, append([]string{"--json", "--debug", "mv", "-r", from, to}, args...)...)
				checkShardRun(t, r, op, i, want[i], strip, seen)
			}
		}
		p, q := "s3://"+bucket+"/p/", "s3://"+bucket+"/q/"

		// Shard 1 alone moves exactly its files: they leave the tree, the others stay.
		seen := map[string]int{}
		move(src, p, "PutObject", "p/", seen, 1)
		if got, stay := local(src), inShardOf(rels, of, 1, false); !slices.Equal(got, stay) {
			t.Fatalf("after shard 1/%d the tree holds %d files, want the %d of the other shards", n, len(got), len(stay))
		}
		if got := stripped("p/"); !slices.Equal(got, want[1]) {
			t.Fatalf("after shard 1/%d the prefix holds %d keys, want its %d", n, len(got), len(want[1]))
		}
		move(src, p, "PutObject", "p/", seen, 0, 2)
		if got := local(src); len(got) != 0 {
			t.Fatalf("after every shard the tree still holds %d files: %v", len(got), got[:min(len(got), 5)])
		}
		if got := stripped("p/"); !slices.Equal(got, rels) {
			t.Fatalf("after every shard the prefix holds %d keys, want %d", len(got), len(rels))
		}

		// S3 to S3: each shard copies its keys and deletes only their sources.
		seen = map[string]int{}
		move(p, q, "CopyObject", "q/", seen, 2)
		if got, stay := stripped("p/"), inShardOf(rels, of, 2, false); !slices.Equal(got, stay) {
			t.Fatalf("after shard 2/%d's move the source holds %d keys, want the %d of the other shards", n, len(got), len(stay))
		}
		move(p, q, "CopyObject", "q/", seen, 0, 1)
		if got := stripped("p/"); len(got) != 0 {
			t.Fatalf("after every shard the source prefix still holds %d keys", len(got))
		}

		// S3 to local, into one directory.
		out := t.TempDir()
		seen = map[string]int{}
		move(q, out, "GetObject", "q/", seen, 0, 1, 2)
		if got := stripped("q/"); len(got) != 0 {
			t.Fatalf("after every shard the prefix still holds %d keys", len(got))
		}
		sameTree(t, keep, out)
	})
}

// inShardOf returns the names of rels that are in shard i (of says which each is in), or,
// for in false, that are not.
func inShardOf(rels []string, of map[string]int, i int, in bool) []string {
	var out []string
	for _, rel := range rels {
		if (of[rel] == i) == in {
			out = append(out, rel)
		}
	}
	return out
}
