package e2e

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

// TestThrottlingLowersConcurrencyAndSaysSo answers the first part uploads 503 SlowDown:
// haul must halve its requests in flight, say so, and still upload the file exactly.
func TestThrottlingLowersConcurrencyAndSaysSo(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		src := filepath.Join(t.TempDir(), "big")
		data := randomFile(t, src, 40<<20)
		view, faults := srv.Faults(t)
		faults.Add(4, s3test.IsUploadPart, s3test.Fault{Kind: s3test.SlowDown})
		r := haulWithin(t, view, faultRunLimit, "cp", src, "s3://"+bucket+"/big", "--part-size", "5MiB", "--concurrency", "8")
		if r.code != 0 || !strings.Contains(r.stderr, "note: the server is throttling") || !strings.Contains(r.stderr, "requests in flight lowered to 4") {
			t.Fatalf("exit %d, want 0 with a note that haul slowed down:\n%s", r.code, r.stderr)
		}
		if got, _ := object(t, srv, bucket, "big"); !bytes.Equal(got, data) {
			t.Fatal("the object differs from the file")
		}
		noUploadsLeft(t, srv, bucket)
	})
}
