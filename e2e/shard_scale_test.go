package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/internal/s3test"
)

// The shards of a job at the scale of a Kubernetes Indexed Job: N haul processes at once,
// each given its index as Kubernetes gives it (JOB_COMPLETION_INDEX), counted by a
// recording proxy in front of the server. MinIO only, to keep make test short.

// minioOnly returns the shared MinIO, or skips the test when HAUL_TEST_SERVERS leaves
// MinIO out.
func minioOnly(t *testing.T) *s3test.Server {
	t.Helper()
	if !slices.Contains(s3test.Kinds(), "minio") {
		t.Skipf("runs on MinIO only, and HAUL_TEST_SERVERS picks %v", s3test.Kinds())
	}
	return s3test.Shared(t, "minio")
}

// indexedJob runs shards 0..n-1 of haul args at once, as the pods of an Indexed Job: each
// a process with JOB_COMPLETION_INDEX set and --shard '$JOB_COMPLETION_INDEX/n' added. It
// returns their results by index.
func indexedJob(t *testing.T, srv *s3test.Server, n int, args ...string) []result {
	t.Helper()
	out := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			env := []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(i)}
			out[i] = haulEnv(t, srv, env, append(slices.Clone(args), "--shard", fmt.Sprintf("$JOB_COMPLETION_INDEX/%d", n))...)
		})
	}
	wg.Wait()
	return out
}

// objectRequests returns how many successful requests of method (PUT: PutObject, GET:
// GetObject, HEAD: HeadObject) rec saw on each key of bucket: not parts, listings or
// requests of the bucket itself.
func objectRequests(rec *s3test.Recorder, method, bucket string) map[string]int {
	n := map[string]int{}
	for _, q := range rec.Requests(func(q s3test.Request) bool {
		return q.Method == method && q.Status/100 == 2 && !q.Query.Has("uploadId") && !q.Query.Has("uploads") &&
			!q.Query.Has("list-type") && q.Header.Get("X-Amz-Copy-Source") == ""
	}) {
		if key, ok := strings.CutPrefix(q.Path, "/"+bucket+"/"); ok && key != "" {
			n[key]++
		}
	}
	return n
}

// opCounts returns the successful requests rec saw, by method, for a test log.
func opCounts(rec *s3test.Recorder) string {
	n := map[string]int{}
	failed := 0
	for _, q := range rec.Requests(nil) {
		if q.Status/100 != 2 {
			failed++
			continue
		}
		op := q.Method
		if q.Query.Has("list-type") {
			op = "LIST"
		}
		n[op]++
	}
	var out []string
	for _, op := range []string{http.MethodPut, http.MethodGet, "LIST", http.MethodHead, http.MethodPost, http.MethodDelete} {
		if n[op] > 0 {
			out = append(out, fmt.Sprintf("%s %d", op, n[op]))
		}
	}
	return strings.Join(out, ", ") + fmt.Sprintf("; %d not 2xx", failed)
}

// exactlyOnce fails unless got holds each of want (with prefix) once and nothing else.
func exactlyOnce(t *testing.T, what string, got map[string]int, prefix string, want []string) {
	t.Helper()
	total := 0
	for _, c := range got {
		total += c
	}
	bad := 0
	for _, rel := range want {
		if c := got[prefix+rel]; c != 1 {
			if bad++; bad <= 5 {
				t.Errorf("%s of %s%s: %d times, want once", what, prefix, rel, c)
			}
		}
	}
	if total != len(want) || bad > 0 {
		t.Fatalf("%d %s requests on %d keys (%d keys not once), want exactly one for each of the %d keys", total, what, len(got), bad, len(want))
	}
}

// shardReceipts returns the receipt files of the n shards of a job given --receipt file.
func shardReceipts(file string, n int) []string {
	ext := filepath.Ext(file)
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s.shard-%d-of-%d%s", strings.TrimSuffix(file, ext), i, n, ext))
	}
	return out
}

// 4,000 files up and down in 4 and in 8 shards run at once: the union is exactly the tree,
// no key is sent (or fetched) twice, as a recording proxy counts them, and haul verify of
// the receipts of all the shards, --against the source, passes. (It was 10,000 files, a
// tenth of the e2e package's time on its own; 4,000 still gives each of 8 shards some 500
// files, from every one of the 50 directories.)
func TestShardAtScale(t *testing.T) {
	srv := minioOnly(t)
	const files = 4000
	src := t.TempDir()
	rels := make([]string, files)
	for i := range rels {
		rels[i] = fmt.Sprintf("d%02d/f%05d.txt", i%50, i)
	}
	makeFiles(t, src, 256, rels...)
	slices.Sort(rels)

	for _, n := range []int{4, 8} {
		t.Run(fmt.Sprintf("%d-shards", n), func(t *testing.T) {
			bucket := srv.NewBucket(t)
			rec, log := srv.Record(t)
			receipts := t.TempDir()
			dst := "s3://" + bucket + "/p/"

			start := time.Now()
			for i, r := range indexedJob(t, rec, n, "cp", "-r", src, dst, "--receipt", filepath.Join(receipts, "up.jsonl")) {
				if r.code != 0 {
					t.Fatalf("up, shard %d/%d: exit %d\n%s", i, n, r.code, r.stderr)
				}
			}
			t.Logf("up in %d shards: %s; requests: %s", n, time.Since(start).Round(time.Millisecond), opCounts(log))
			exactlyOnce(t, "PutObject", objectRequests(log, http.MethodPut, bucket), "p/", rels)
			got := keys(t, srv, bucket, "p/")
			if !slices.Equal(got, numberedWith("p/", rels)) {
				t.Fatalf("after %d shards the prefix holds %d keys, want exactly the %d files", n, len(got), files)
			}
			up := shardReceipts(filepath.Join(receipts, "up.jsonl"), n)
			if r := haul(t, srv, nil, append(append([]string{"verify"}, up...), "--against", src)...); r.code != 0 {
				t.Fatalf("haul verify of the %d shards' receipts --against %s: exit %d\n%s%s", n, src, r.code, r.stdout, r.stderr)
			}

			log.Reset()
			out := t.TempDir()
			start = time.Now()
			for i, r := range indexedJob(t, rec, n, "cp", "-r", dst, out, "--receipt", filepath.Join(receipts, "down.jsonl")) {
				if r.code != 0 {
					t.Fatalf("down, shard %d/%d: exit %d\n%s", i, n, r.code, r.stderr)
				}
			}
			t.Logf("down in %d shards: %s; requests: %s", n, time.Since(start).Round(time.Millisecond), opCounts(log))
			exactlyOnce(t, "GetObject", objectRequests(log, http.MethodGet, bucket), "p/", rels)
			sameTree(t, src, out)
			down := shardReceipts(filepath.Join(receipts, "down.jsonl"), n)
			if r := haul(t, srv, nil, append(append([]string{"verify"}, down...), "--against", dst)...); r.code != 0 {
				t.Fatalf("haul verify of the %d shards' download receipts --against %s: exit %d\n%s%s", n, dst, r.code, r.stdout, r.stderr)
			}
		})
	}
}

// A sync shard killed (SIGKILL) half way through, as a node lost, and run again, as the
// Job's backoffLimitPerIndex runs it: the rerun sends exactly the files of its shard the
// killed run had not stored (counted by a recording proxy), nothing of another shard's, and
// the receipts of all the shards (the killed one's cut short) verify against the source.
func TestShardKilledAndRetried(t *testing.T) {
	srv := minioOnly(t)
	const files, n, victim = 2000, 4, 1
	src := t.TempDir()
	rels, of := shardFiles(t, src, files, n)
	bucket := srv.NewBucket(t)
	rec, log := srv.Record(t)
	dst := "s3://" + bucket + "/p/"
	receipt := filepath.Join(t.TempDir(), "sync.jsonl")
	job := []string{"sync", src, dst, "--no-state", "--receipt", receipt}
	mine := inShardOf(rels, of, victim, true)

	// The other shards run to the end; the victim is killed after half its PUTs.
	var wg sync.WaitGroup
	others := make([]result, n)
	for i := range n {
		if i == victim {
			continue
		}
		wg.Go(func() {
			env := []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(i)}
			others[i] = haulEnv(t, rec, env, append(slices.Clone(job), "--shard", fmt.Sprintf("$JOB_COMPLETION_INDEX/%d", n))...)
		})
	}
	cmd := haulCmd(t, rec, append([]string{"--debug"}, append(slices.Clone(job), "--shard", fmt.Sprintf("$JOB_COMPLETION_INDEX/%d", n), "--concurrency", "2")...)...)
	cmd.Env = append(cmd.Env, "JOB_COMPLETION_INDEX="+strconv.Itoa(victim))
	killAfter(t, cmd, "debug: PutObject", len(mine)/2)
	wg.Wait()
	for i, r := range others {
		if i != victim && r.code != 0 {
			t.Fatalf("shard %d/%d: exit %d\n%s", i, n, r.code, r.stderr)
		}
	}
	stored := map[string]bool{}
	for _, k := range keys(t, srv, bucket, "p/") {
		stored[strings.TrimPrefix(k, "p/")] = true
	}
	var missing []string
	for _, rel := range rels {
		if !stored[rel] {
			if of[rel] != victim {
				t.Fatalf("%s, of shard %d, is missing after that shard completed", rel, of[rel])
			}
			missing = append(missing, rel)
		}
	}
	if len(missing) == 0 || len(missing) == len(mine) {
		t.Fatalf("the killed shard left %d of its %d files unsent: want it killed half way", len(missing), len(mine))
	}

	// The rerun: exactly the missing files are sent, the others are found there.
	log.Reset()
	r := haulEnv(t, rec, []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(victim)}, append(slices.Clone(job), "--shard", fmt.Sprintf("$JOB_COMPLETION_INDEX/%d", n))...)
	if r.code != 0 {
		t.Fatalf("shard %d/%d run again: exit %d\n%s", victim, n, r.code, r.stderr)
	}
	t.Logf("killed shard %d/%d left %d of its %d files; its rerun: %s", victim, n, len(missing), len(mine), opCounts(log))
	exactlyOnce(t, "PutObject", objectRequests(log, http.MethodPut, bucket), "p/", missing)
	for k, c := range objectRequests(log, http.MethodHead, bucket) {
		if rel := strings.TrimPrefix(k, "p/"); of[rel] != victim || !stored[rel] || c != 1 {
			t.Errorf("the rerun sent %d HEAD of %s (shard %d, stored before: %v): want one at most, of a key of its own shard that was there", c, k, of[rel], stored[rel])
		}
	}
	if got := keys(t, srv, bucket, "p/"); !slices.Equal(got, numberedWith("p/", rels)) {
		t.Fatalf("after the rerun the prefix holds %d keys, want exactly the %d files", len(got), files)
	}
	if r := haul(t, srv, nil, append(append([]string{"verify"}, shardReceipts(receipt, n)...), "--against", src)...); r.code != 0 {
		t.Fatalf("haul verify of the receipts --against %s: exit %d\n%s%s", src, r.code, r.stdout, r.stderr)
	}
}
