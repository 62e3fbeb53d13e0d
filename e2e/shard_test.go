package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/haul-s3/haul/filter"
	"github.com/haul-s3/haul/internal/s3test"
)

// The tests of --shard I/N: N runs of the built binary stand in for the N pods of a
// Kubernetes Indexed Job, each given its index the ways a job can give it.

// shardArgs returns the arguments and environment of shard i of n, given its index one of
// the three ways by i: --shard i/n, HAUL_SHARD=i/n, or --shard '$JOB_COMPLETION_INDEX/n'
// with JOB_COMPLETION_INDEX=i as Kubernetes sets it.
func shardArgs(form, i, n int) (args, env []string) {
	switch form % 3 {
	case 0:
		return []string{"--shard", fmt.Sprintf("%d/%d", i, n)}, nil
	case 1:
		return nil, []string{fmt.Sprintf("HAUL_SHARD=%d/%d", i, n)}
	}
	return []string{"--shard", fmt.Sprintf("$JOB_COMPLETION_INDEX/%d", n)}, []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(i)}
}

// opKeys returns the keys of the op requests in a --debug run's stderr, in order.
func opKeys(t *testing.T, stderr, op string) []string {
	t.Helper()
	var ks []string
	for _, line := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(line, "debug: "+op+" ")
		if !ok {
			continue
		}
		_, q, ok := strings.Cut(rest, " key=")
		if !ok {
			t.Fatalf("a %s debug line names no key: %q", op, line)
		}
		k, err := strconv.QuotedPrefix(q)
		if err != nil {
			t.Fatalf("%s debug line %q: %v", op, line, err)
		}
		k, _ = strconv.Unquote(k)
		ks = append(ks, k)
	}
	return ks
}

// shardFiles writes n small files in a few directories and returns their relative paths,
// sorted, and which shard of shards each is in.
func shardFiles(t *testing.T, dir string, n, shards int) ([]string, map[string]int) {
	t.Helper()
	rels := make([]string, n)
	of := map[string]int{}
	for i := range rels {
		rels[i] = fmt.Sprintf("d%d/f%04d.txt", i%7, i)
		of[rels[i]] = filter.Of(rels[i], shards)
	}
	makeFiles(t, dir, 64, rels...)
	slices.Sort(rels)
	return rels, of
}

// checkShardRun checks that a shard's run sent exactly the keys of its shard, each once,
// and that its summary counts them, and adds them to seen (failing on a key seen before).
func checkShardRun(t *testing.T, r result, op string, shard int, want []string, strip string, seen map[string]int) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("shard %d: exit %d\n%s", shard, r.code, r.stderr)
	}
	got := opKeys(t, r.stderr, op)
	for i := range got {
		got[i] = strings.TrimPrefix(got[i], strip)
		if prev, ok := seen[got[i]]; ok {
			t.Errorf("%s of %s by shard %d, and before by shard %d", op, got[i], shard, prev)
		}
		seen[got[i]] = shard
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("shard %d sent %d %s, want exactly the %d keys of its shard", shard, len(got), op, len(want))
	}
	var sum struct{ Done int }
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if strings.Contains(line, `"event":"summary"`) {
			sum = jsonLines[struct{ Done int }](t, line)[0]
		}
	}
	if sum.Done != len(want) {
		t.Errorf("shard %d: its summary counts %d done, want %d", shard, sum.Done, len(want))
	}
}

// 1,000 files up and down in 4 shards, each run given its index another way: the union is
// exactly the tree, no key is sent twice, and each run sends exactly its shard.
func TestShardCopy(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		const files, n = 1000, 4
		bucket := srv.NewBucket(t)
		src := t.TempDir()
		rels, of := shardFiles(t, src, files, n)
		want := make([][]string, n)
		for _, rel := range rels {
			want[of[rel]] = append(want[of[rel]], rel)
		}
		dst := "s3://" + bucket + "/p/"

		// The plan of one shard lists its files alone.
		args, env := shardArgs(2, 1, n)
		r := haulEnv(t, srv, env, append([]string{"cp", "-r", "--dry-run", src, dst}, args...)...)
		if r.code != 0 || strings.Count(r.stdout, "plan: upload:") != len(want[1]) || !strings.Contains(r.stderr, fmt.Sprintf("dry run: %d items", len(want[1]))) {
			t.Fatalf("dry run of shard 1/%d: exit %d, %d plan lines, want %d\n%s", n, r.code, strings.Count(r.stdout, "plan: upload:"), len(want[1]), r.stderr)
		}
		if ks := keys(t, srv, bucket, "p/"); len(ks) != 0 {
			t.Fatalf("a dry run stored %d keys", len(ks))
		}

		seen := map[string]int{}
		for i := range n {
			args, env := shardArgs(i, i, n)
			r := haulEnv(t, srv, env, append([]string{"--json", "--debug", "cp", "-r", src, dst}, args...)...)
			checkShardRun(t, r, "PutObject", i, want[i], "p/", seen)
		}
		got := keys(t, srv, bucket, "p/")
		for i := range got {
			got[i] = strings.TrimPrefix(got[i], "p/")
		}
		if !slices.Equal(got, rels) {
			t.Fatalf("after %d shards the prefix holds %d keys, want exactly the %d files", n, len(got), len(rels))
		}

		// Down, into one directory, the forms given to other indexes.
		out := t.TempDir()
		seen = map[string]int{}
		for i := range n {
			args, env := shardArgs(i+1, i, n)
			r := haulEnv(t, srv, env, append([]string{"--json", "--debug", "cp", "-r", dst, out}, args...)...)
			checkShardRun(t, r, "GetObject", i, want[i], "p/", seen)
		}
		sameTree(t, src, out)
	})
}

// A shard given badly is a usage error that says what is wrong, before anything is sent.
func TestShardUsage(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	bucket := srv.NewBucket(t)
	dir := t.TempDir()
	makeFiles(t, dir, 10, "a", "b")
	for _, tc := range []struct {
		args []string
		env  []string
		says string
	}{
		{[]string{"cp", "-r", dir, "s3://" + bucket + "/p/", "--shard", "4/4"}, nil, `--shard "4/4": the index must be from 0 to 3 for 4 shards, not 4`},
		{[]string{"cp", "-r", dir, "s3://" + bucket + "/p/", "--shard", "1/0"}, nil, "at least 1"},
		{[]string{"cp", "-r", dir, "s3://" + bucket + "/p/", "--shard", "$JOB_COMPLETION_INDEX/8"}, []string{"JOB_COMPLETION_INDEX="}, `JOB_COMPLETION_INDEX="", which gives the shard index, is not a whole number`},
		{[]string{"sync", dir, "s3://" + bucket + "/p/", "--shard", "$HAUL_TEST_NO_SUCH_VAR/8"}, nil, "HAUL_TEST_NO_SUCH_VAR, which gives the shard index, is not set"},
		{[]string{"sync", dir, "s3://" + bucket + "/p/"}, []string{"HAUL_SHARD=1"}, `HAUL_SHARD "1": write it as I/N`},
		{[]string{"cp", filepath.Join(dir, "a"), "s3://" + bucket + "/p/a", "--shard", "0/2"}, nil, "add -r"},
	} {
		r := haulEnv(t, srv, tc.env, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("haul %s (%v): exit %d, want 2 and %q\n%s", strings.Join(tc.args, " "), tc.env, r.code, tc.says, r.stderr)
		}
	}
	if ks := keys(t, srv, bucket, ""); len(ks) != 0 {
		t.Errorf("refused runs stored %v", ks)
	}
	// HAUL_SHARD does not split a copy of one file: it is sent.
	r := haulEnv(t, srv, []string{"HAUL_SHARD=1/2"}, "cp", filepath.Join(dir, "a"), "s3://"+bucket+"/one")
	if r.code != 0 || len(keys(t, srv, bucket, "one")) != 1 {
		t.Errorf("cp of one file with HAUL_SHARD set: exit %d\n%s", r.code, r.stderr)
	}
}

// inShard returns the names of names that are in shard i of n (or not, for in false).
func inShard(names []string, strip string, i, n int, in bool) []string {
	var out []string
	for _, k := range names {
		if (filter.Of(strings.TrimPrefix(k, strip), n) == i) == in {
			out = append(out, k)
		}
	}
	return out
}

// A sharded sync --delete deletes the stale keys of its own shard and no other; the shards
// together leave the destination exactly like the source.
func TestShardSyncDelete(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		const n = 4
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dir := t.TempDir()
		rels := numbered("f", 200)
		makeFiles(t, dir, 32, rels...)
		dst := "s3://" + bucket + "/p/"
		s.want(t, 0, dir, dst)
		// 40 files go from the source, and 20 keys no file had are added to the
		// destination: 60 stale keys, spread over the shards.
		for _, rel := range rels[:40] {
			if err := os.Remove(filepath.Join(dir, rel)); err != nil {
				t.Fatal(err)
			}
		}
		extra := numbered("p/extra", 20)
		putObjects(t, srv, bucket, 8, extra...)
		stale := append(numberedWith("p/", rels[:40]), extra...)
		slices.Sort(stale) // in key order, as listed

		left := keys(t, srv, bucket, "p/")
		for i := range n {
			args, env := shardArgs(i, i, n)
			mine := inShard(stale, "p/", i, n, true)
			// The plan of the shard first: its deletions alone, and nothing done.
			r := haulEnv(t, srv, append(env, "XDG_STATE_HOME="+s.state), append([]string{"--json", "sync", "--dry-run", "--delete", dir, dst}, args...)...)
			o := syncOut{result: r, events: jsonLines[syncEvent](t, r.stdout)}
			var planned []string
			for _, e := range o.of("plan", "delete") {
				planned = append(planned, strings.TrimPrefix(e.Dst, "s3://"+bucket+"/"))
			}
			slices.Sort(planned)
			if r.code != 0 || !slices.Equal(planned, mine) || len(o.of("plan", "upload")) != 0 {
				t.Fatalf("dry run of shard %d/%d: exit %d, deletes %v, want exactly %v\n%s", i, n, r.code, planned, mine, o)
			}
			if now := keys(t, srv, bucket, "p/"); !slices.Equal(now, left) {
				t.Fatalf("the dry run of shard %d deleted keys", i)
			}

			r = haulEnv(t, srv, append(env, "XDG_STATE_HOME="+s.state), append([]string{"--json", "sync", "--delete", dir, dst}, args...)...)
			o = syncOut{result: r, events: jsonLines[syncEvent](t, r.stdout)}
			for _, e := range o.events {
				if e.Event == "summary" {
					o.sum = e
				}
			}
			if r.code != 0 || num(o.sum.Deleted) != len(mine) || o.puts() != 0 {
				t.Fatalf("shard %d/%d: exit %d, deleted %d, %d PUT; want 0, %d, 0\n%s", i, n, r.code, num(o.sum.Deleted), o.puts(), len(mine), o)
			}
			now := keys(t, srv, bucket, "p/")
			var gone []string
			for _, k := range left {
				if !slices.Contains(now, k) {
					gone = append(gone, k)
				}
			}
			if !slices.Equal(gone, mine) {
				t.Fatalf("shard %d/%d deleted %v, want exactly its stale keys %v", i, n, gone, mine)
			}
			left = now
		}
		if want := numberedWith("p/", rels[40:]); !slices.Equal(left, want) {
			t.Fatalf("after every shard the destination holds %d keys, want the source's %d", len(left), len(want))
		}
		if files := s.stateFiles(t); len(files) != n+1 {
			t.Errorf("state files %v: want one of the whole run and one per shard", files)
		}
	})
}

func numberedWith(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// The delete guards of a sharded sync: a shard that is empty in a non-empty source deletes
// its stale keys; a source empty as a whole refuses in every shard; the percentage guard
// applies once the whole destination holds 100 keys, to the shard's own share.
func TestShardSyncGuards(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		const n = 4
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)

		// 120 keys at the destination; the source holds every one but shard 0's: shard 0
		// would delete all of its own keys, ~30, under 100 of its own but 100% of its share.
		all := numbered("g", 120)
		putObjects(t, srv, bucket, 8, numberedWith("q/", all)...)
		dir := t.TempDir()
		others := inShard(all, "", 0, n, false)
		makeFiles(t, dir, 8, others...)
		zero := inShard(all, "", 0, n, true)
		o := s.want(t, 3, "--delete", "--shard", "0/4", dir, "s3://"+bucket+"/q/")
		if num(o.sum.Deleted) != 0 || !o.hasNote("max-delete-percent") || len(keys(t, srv, bucket, "q/")) != 120 {
			t.Fatalf("shard 0 deleting its whole share: want the percentage guard, nothing deleted\n%s", o)
		}
		o = s.want(t, 0, "--delete", "--shard", "0/4", "--max-delete-percent", "100", dir, "s3://"+bucket+"/q/")
		if num(o.sum.Deleted) != len(zero) || len(keys(t, srv, bucket, "q/")) != 120-len(zero) {
			t.Fatalf("--max-delete-percent 100: deleted %d, want shard 0's %d\n%s", num(o.sum.Deleted), len(zero), o)
		}

		// A source of one file in 4 shards: three shards have no source file. A shard
		// with nothing at the source deletes its stale keys all the same.
		one := t.TempDir()
		makeFiles(t, one, 8, "only.txt")
		home := filter.Of("only.txt", n)
		empty := (home + 1) % n
		stale := []string{"r/a1", "r/a2", "r/a3", "r/a4", "r/a5", "r/a6", "r/a7", "r/a8"}
		putObjects(t, srv, bucket, 8, stale...)
		mine := inShard(stale, "r/", empty, n, true)
		if len(mine) == 0 {
			t.Fatalf("none of %v is in shard %d: pick other names", stale, empty)
		}
		o = s.want(t, 0, "--delete", "--shard", fmt.Sprintf("%d/%d", empty, n), one, "s3://"+bucket+"/r/")
		if num(o.sum.Deleted) != len(mine) {
			t.Fatalf("an empty shard of a non-empty source: deleted %d, want its %d stale keys\n%s", num(o.sum.Deleted), len(mine), o)
		}

		// An empty source refuses in a shard that has something to delete.
		left := inShard(stale, "r/", empty, n, false)
		var victim int
		for i := range n {
			if i != empty && len(inShard(left, "r/", i, n, true)) > 0 {
				victim = i
			}
		}
		o = s.want(t, 3, "--delete", "--shard", fmt.Sprintf("%d/%d", victim, n), t.TempDir(), "s3://"+bucket+"/r/")
		if num(o.sum.Deleted) != 0 || !o.hasNote("source is empty", "--allow-empty-source") {
			t.Fatalf("an empty source in shard %d: want exit 3 and nothing deleted\n%s", victim, o)
		}
	})
}

// Sharded syncs down and between two prefixes, and a sharded cp -r between two prefixes:
// each shard moves exactly its keys, deletes exactly its stale ones, and --delete-excluded
// deletes the excluded keys of its own shard only.
func TestShardSyncDownAndCopy(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		const n = 3
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		names := numbered("k", 60)
		putObjects(t, srv, bucket, 16, numberedWith("s/", names)...)
		src := "s3://" + bucket + "/s/"

		// cp -r from S3 to S3: one CopyObject per key, over the shards.
		seen := map[string]int{}
		for i := range n {
			args, env := shardArgs(i, i, n)
			r := haulEnv(t, srv, env, append([]string{"--json", "--debug", "cp", "-r", src, "s3://" + bucket + "/c/"}, args...)...)
			checkShardRun(t, r, "CopyObject", i, inShard(names, "", i, n, true), "c/", seen)
		}
		if got := keys(t, srv, bucket, "c/"); !slices.Equal(got, numberedWith("c/", names)) {
			t.Fatalf("cp -r S3 to S3 in %d shards: the copy holds %d keys, want %d", n, len(got), len(names))
		}

		// sync down with --delete: stale local files, and excluded ones.
		local := t.TempDir()
		staleFiles := []string{"old1.txt", "old2.txt", "old3.txt", "old4.txt", "old5.txt", "old6.txt"}
		tmps := []string{"a.tmp", "b.tmp", "c.tmp", "d.tmp", "e.tmp", "f.tmp"}
		makeFiles(t, local, 4, append(slices.Clone(staleFiles), tmps...)...)
		if k := len(inShard(tmps, "", 0, n, true)); k == 0 || k == len(tmps) {
			t.Fatalf("%v all in shard 0 or none: pick other names", tmps)
		}
		// S3 to S3 sync: stale destination keys.
		putObjects(t, srv, bucket, 4, numberedWith("y/", staleFiles)...)
		for i := range n {
			args, env := shardArgs(i, i, n)
			env = append(env, "XDG_STATE_HOME="+s.state)
			want := inShard(names, "", i, n, true)
			for _, c := range []struct{ dst, op string }{{local, "downloaded"}, {"s3://" + bucket + "/y/", "copied"}} {
				r := haulEnv(t, srv, env, append([]string{"--json", "sync", "--delete", "--delete-excluded", "--exclude", "*.tmp", src, c.dst}, args...)...)
				o := syncOut{result: r, events: jsonLines[syncEvent](t, r.stdout)}
				for _, e := range o.events {
					if e.Event == "summary" {
						o.sum = e
					}
				}
				moved := o.sum.Downloaded
				wantDel := len(inShard(staleFiles, "", i, n, true))
				if c.op == "downloaded" {
					wantDel += len(inShard(tmps, "", i, n, true))
				} else {
					moved = o.sum.Copied
				}
				if r.code != 0 || num(moved) != len(want) || num(o.sum.Deleted) != wantDel {
					t.Fatalf("sync %s -> %s, shard %d/%d: exit %d, %s %d, deleted %d; want 0, %d, %d\n%s", src, c.dst, i, n, r.code, c.op, num(moved), num(o.sum.Deleted), len(want), wantDel, o)
				}
			}
			// What is left of the stale and excluded files is the later shards'.
			for _, f := range append(slices.Clone(staleFiles), tmps...) {
				_, err := os.Stat(filepath.Join(local, f))
				if gone, later := err != nil, filter.Of(f, n) > i; gone == later {
					t.Errorf("after shard %d/%d, %s: gone %v; want it gone only if its shard (%d) has run", i, n, f, gone, filter.Of(f, n))
				}
			}
		}
		if got := treeFiles(t, local); len(got) != len(names) {
			t.Errorf("after every shard the local copy holds %d files, want %d", len(got), len(names))
		}
		if got := keys(t, srv, bucket, "y/"); !slices.Equal(got, numberedWith("y/", names)) {
			t.Errorf("after every shard the S3 copy holds %v, want the source's %d keys", got, len(names))
		}
	})
}

// A local entry that cannot be read (here a broken symbolic link, which a sync treats as a
// directory it could not read) keeps every key under its name from deletion in every
// shard, since those keys are spread over all of them; the failure is reported once, by
// the shard of its own name.
func TestShardSyncUnreadableProtects(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		const n = 3
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dir := t.TempDir()
		makeFiles(t, dir, 10, "a.txt")
		if err := os.Symlink("/nonexistent/haul-e2e", filepath.Join(dir, "lnk")); err != nil {
			t.Fatal(err)
		}
		under := numberedWith("p/lnk/", numbered("x", 12))
		putObjects(t, srv, bucket, 10, under...)
		for i := range n {
			if len(inShard(under, "p/", i, n, true)) == 0 {
				t.Fatalf("no key of %v in shard %d: pick other names", under, i)
			}
		}
		failed := 0
		for i := range n {
			o := s.json(t, "--delete", "--shard", fmt.Sprintf("%d/%d", i, n), dir, "s3://"+bucket+"/p/")
			owner := filter.Of("lnk", n) == i
			if want := map[bool]int{true: 1, false: 0}[owner]; o.code != want || num(o.sum.Deleted) != 0 {
				t.Fatalf("shard %d/%d (lnk's shard: %v): exit %d, deleted %d; want exit %d, nothing deleted\n%s", i, n, owner, o.code, num(o.sum.Deleted), want, o)
			}
			failed += num(o.sum.Failed)
		}
		if failed != 1 {
			t.Errorf("the shards report %d failures of the broken link, want 1", failed)
		}
		if left := keys(t, srv, bucket, "p/lnk/"); !slices.Equal(left, under) {
			t.Errorf("keys under the unreadable name: %v left, want all %d", left, len(under))
		}
	})
}

// Sync pairs a local NFD name with the NFC key of the same name (SYNC.md case 27); the shard
// of a name is that of its NFC form, so the pair is in one shard: no shard sends the NFD
// name as a new key or deletes the NFC one.
func TestShardSyncUnicodeTwins(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		const n = 4
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		names := []string{"café.txt", "naïve.txt", "Ångström/résumé.txt", "über.txt", "señor.txt", "crème brûlée.txt"}
		nfcDir, nfdDir := t.TempDir(), t.TempDir()
		for _, name := range names {
			makeFiles(t, nfcDir, 10, norm.NFC.String(name))
		}
		s.want(t, 0, nfcDir, "s3://"+bucket+"/u/")
		for _, name := range names {
			data, err := os.ReadFile(filepath.Join(nfcDir, norm.NFC.String(name)))
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(nfdDir, norm.NFD.String(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			setMtime(t, p, oldMtime)
		}
		before := keys(t, srv, bucket, "u/")
		for i := range n {
			o := s.want(t, 0, "--delete", "--max-delete-percent", "100", "--shard", fmt.Sprintf("%d/%d", i, n), nfdDir, "s3://"+bucket+"/u/")
			if o.puts() != 0 || num(o.sum.Deleted) != 0 {
				t.Fatalf("shard %d/%d of NFD names against their NFC keys: %d PUT, %d deleted; want none\n%s", i, n, o.puts(), num(o.sum.Deleted), o)
			}
		}
		if after := keys(t, srv, bucket, "u/"); !slices.Equal(after, before) {
			t.Errorf("keys %q, want %q", after, before)
		}
	})
}
