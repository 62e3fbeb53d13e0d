package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

func TestMove(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		f := filepath.Join(dir, "f")
		data := randomFile(t, f, 12<<20)

		// A file to S3: the file is removed once the object is stored.
		must(t, srv, append([]string{"mv", f, "s3://" + bucket + "/a/f"}, copyFlags...)...)
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Fatalf("the moved file is still there (%v)", err)
		}
		// S3 to S3: the source is removed once the copy is checked.
		must(t, srv, readACL(srv, "mv", "s3://"+bucket+"/a/f", "s3://"+bucket+"/b/f")...)
		if got := keys(t, srv, bucket, ""); !slices.Equal(got, []string{"b/f"}) {
			t.Fatalf("keys after mv %v, want [b/f]", got)
		}
		// S3 to a file: the object is removed once the file is verified.
		must(t, srv, append([]string{"mv", "s3://" + bucket + "/b/f", f}, copyFlags...)...)
		got, err := os.ReadFile(f)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("moved back: %v", err)
		}
		if got := keys(t, srv, bucket, ""); len(got) != 0 {
			t.Fatalf("keys after mv to a file %v, want none", got)
		}

		// A copy that fails keeps its source.
		must(t, srv, append([]string{"cp", f, "s3://" + bucket + "/c/f"}, copyFlags...)...)
		view, faults := srv.Faults(t)
		faults.Add(-1, s3test.IsUploadPart, s3test.Fault{Kind: s3test.InternalError})
		r := haulWithin(t, view, faultRunLimit, readACL(srv, "mv", "s3://"+bucket+"/c/f", "s3://"+bucket+"/d/f", "--retries", "1")...)
		if r.code != 1 || !strings.Contains(r.stderr, "InternalError") {
			t.Fatalf("exit %d, want 1 with InternalError:\n%s", r.code, r.stderr)
		}
		if got := keys(t, srv, bucket, ""); !slices.Equal(got, []string{"c/f"}) {
			t.Fatalf("keys after a failed mv %v, want the source only", got)
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("incomplete uploads left: %v", ups)
		}
	})
}
