package e2e

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

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
