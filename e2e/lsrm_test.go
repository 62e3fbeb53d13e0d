package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

// TestMakeBucketIsRetried answers the first CreateBucket 503 SlowDown: mb goes on.
func TestMakeBucketIsRetried(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t) + "-mb"
		view, faults := srv.Faults(t)
		faults.Add(1, func(r *http.Request) bool { return r.Method == http.MethodPut && r.URL.Path == "/"+bucket }, s3test.Fault{Kind: s3test.SlowDown})
		r := haulWithin(t, view, faultRunLimit, "mb", "s3://"+bucket)
		if r.code != 0 || faults.Stats().Injected[s3test.SlowDown] != 1 {
			t.Fatalf("mb through one SlowDown: exit %d, faults %s:\n%s", r.code, faults.Stats(), r.stderr)
		}
		must(t, srv, "rm", "-r", "s3://"+bucket) // nothing in it; checks it exists
		if _, err := srv.Client(t).DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
			t.Fatalf("the bucket mb made is not there: %v", err)
		}
	})
}

// TestListAndDeleteAreRetried puts transient faults on the requests of ls and rm, which are
// made outside a copy: they are retried like a copy's, a listing retried part way prints
// nothing twice, and rm -r still deletes everything.
func TestListAndDeleteAreRetried(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		for _, n := range []string{"a", "b", "c", "d/e"} {
			randomFile(t, filepath.Join(dir, n), 100)
		}
		must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/p/")

		view, faults := srv.Faults(t)
		faults.Add(2, s3test.IsList, s3test.Fault{Kind: s3test.SlowDown})
		r := haulWithin(t, view, faultRunLimit, "ls", "-r", "s3://"+bucket+"/p/")
		if r.code != 0 || strings.Count(r.stdout, "\n") != 4 {
			t.Fatalf("ls -r through 2 SlowDowns: exit %d, want 0 and 4 lines:\n%s%s", r.code, r.stdout, r.stderr)
		}

		isDelete := func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Query().Has("delete") }
		view, faults = srv.Faults(t)
		faults.Add(1, isDelete, s3test.Fault{Kind: s3test.SlowDown}).
			Add(1, s3test.IsList, s3test.Fault{Kind: s3test.InternalError})
		r = haulWithin(t, view, faultRunLimit, "rm", "-r", "s3://"+bucket+"/p/")
		if r.code != 0 || strings.Count(r.stdout, "delete: ") != 4 {
			t.Fatalf("rm -r through faults: exit %d, want 0 and 4 deletes:\n%s%s", r.code, r.stdout, r.stderr)
		}
		if ks := keys(t, srv, bucket, ""); len(ks) != 0 {
			t.Fatalf("left after rm -r: %v", ks)
		}
	})
}

// A listing cut short or out of order is an error for every command that lists, never a
// quietly short answer: ls -r through a proxy that takes the continuation token out of page
// 1, and cp -r down through one that reverses page 2. (rm -r is not among them: it deletes
// what it has listed, lists again, and ends with nothing left, which is what was asked.)
// The faults are the proxy's, so versitygw and MinIO suffice (see forServers).
func TestBrokenListingsFailEveryCommand(t *testing.T) {
	forServers(t, []string{"versitygw", "minio"}, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		ks := make([]string, 1100)
		for i := range ks {
			ks[i] = fmt.Sprintf("l/%05d", i)
		}
		putObjects(t, srv, bucket, 0, ks...)
		for _, tc := range []struct {
			fault s3test.Kind
			page  int
			args  []string
		}{
			{s3test.DropContinuationToken, 1, []string{"ls", "-r", "s3://" + bucket + "/l/"}},
			{s3test.ReverseListing, 2, []string{"cp", "-r", "s3://" + bucket + "/l/", t.TempDir()}},
		} {
			view, faults := srv.Faults(t)
			faults.Add(-1, s3test.IsListPage("l/", tc.page), s3test.Fault{Kind: tc.fault})
			r := haulWithin(t, view, faultRunLimit, tc.args...)
			if r.code != 1 || !strings.Contains(r.stderr, "the listing is incomplete") {
				t.Fatalf("%s with %s: exit %d, want 1 and the listing named incomplete\n%s", tc.args[0], tc.fault, r.code, tail(r.stderr, 2000))
			}
		}
	})
}

// TestRmManyKeys deletes 2,600 keys (two large common prefixes, so that the listing fans
// out, and some at the top) with rm -r --json through a DeleteObjects answered SlowDown and
// a listing page answered InternalError, each once, with 8 delete batches in flight at
// most: every key is said deleted once, the summary counts them all, and nothing is left.
func TestRmManyKeys(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		want := map[string]bool{}
		for i := range 2600 {
			name := fmt.Sprintf("f%04d", i)
			switch {
			case i < 1200:
				name = "d0/" + name
			case i < 2400:
				name = "d1/" + name
			}
			randomFile(t, filepath.Join(dir, filepath.FromSlash(name)), 1)
			want["s3://"+bucket+"/p/"+name] = true
		}
		must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/p/", "--concurrency", "32")

		isDelete := func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Query().Has("delete") }
		view, faults := srv.Faults(t)
		faults.Add(1, isDelete, s3test.Fault{Kind: s3test.SlowDown}).
			Add(1, s3test.IsList, s3test.Fault{Kind: s3test.InternalError})
		evs, sum := jsonRun(t, view, 0, "rm", "-r", "--concurrency", "8", "s3://"+bucket+"/p/")
		counts(t, "rm -r", sum, map[string]float64{"deleted": 2600, "failed": 0}, "")
		seen := map[string]bool{}
		for _, ev := range evs["deleted"] {
			dst, _ := ev["dst"].(string)
			if !want[dst] || seen[dst] {
				t.Fatalf("rm -r said %s deleted (twice: %v; of the keys: %v)", dst, seen[dst], want[dst])
			}
			seen[dst] = true
		}
		if len(seen) != len(want) {
			t.Fatalf("rm -r said %d keys deleted, want %d", len(seen), len(want))
		}
		if st := faults.Stats(); st.Injected[s3test.SlowDown] != 1 || st.Injected[s3test.InternalError] != 1 {
			t.Fatalf("faults: %s, want one SlowDown and one InternalError", st)
		}
		if ks := keys(t, srv, bucket, ""); len(ks) != 0 {
			t.Fatalf("rm -r left %d keys", len(ks))
		}
	})
}
