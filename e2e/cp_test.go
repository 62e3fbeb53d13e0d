package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

func TestDirectoryRoundTrip(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		src := filepath.Join(t.TempDir(), "logs")
		randomFile(t, filepath.Join(src, "a.log"), 1000)
		randomFile(t, filepath.Join(src, "nested", "deeper", "b.log"), 70_000)
		big := randomFile(t, filepath.Join(src, "dump.bin"), 21<<20+7) // multipart: 5 parts
		if err := os.MkdirAll(filepath.Join(src, "empty"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("a.log", filepath.Join(src, "link.log")); err != nil {
			t.Fatal(err)
		}
		r := must(t, srv, "cp", "-r", src, "s3://"+bucket+"/2026-11-23/", "--acl", "private",
			"--metadata", "stored=2026-11-23", "--part-size", "5MiB", "--multipart-threshold", "8MiB", "--concurrency", "8")
		for _, want := range []string{"upload: ", "2026-11-23/nested/deeper/b.log", "21.0 MiB"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
			}
		}
		got := strings.Join(keys(t, srv, bucket, ""), ",")
		want := "2026-11-23/a.log,2026-11-23/dump.bin,2026-11-23/link.log,2026-11-23/nested/deeper/b.log"
		if got != want {
			t.Fatalf("keys %s, want %s", got, want)
		}
		head, err := srv.Client(t).HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: ptr("2026-11-23/dump.bin")})
		if err != nil {
			t.Fatal(err)
		}
		if head.Metadata["stored"] != "2026-11-23" || !strings.Contains(*head.ETag, "-5") {
			t.Fatalf("metadata %v, ETag %s (want 5 parts)", head.Metadata, *head.ETag)
		}
		out := filepath.Join(t.TempDir(), "restore")
		must(t, srv, "cp", "-r", "s3://"+bucket+"/2026-11-23/", out, "--part-size", "5MiB", "--multipart-threshold", "8MiB")
		sameTree(t, src, out)
		if b, _ := os.ReadFile(filepath.Join(out, "dump.bin")); !bytes.Equal(b, big) {
			t.Fatal("dump.bin differs")
		}
		if len(srv.IncompleteUploads(t, bucket, "")) > 0 {
			t.Fatal("incomplete multipart uploads left after a successful upload")
		}
	})
}

func ptr(s string) *string { return &s }

func TestSingleFileForms(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		data := randomFile(t, filepath.Join(dir, "report.csv"), 5000)
		must(t, srv, "cp", filepath.Join(dir, "report.csv"), "s3://"+bucket+"/exact-key")
		must(t, srv, "cp", filepath.Join(dir, "report.csv"), "s3://"+bucket+"/prefix/")
		if got := strings.Join(keys(t, srv, bucket, ""), ","); got != "exact-key,prefix/report.csv" {
			t.Fatalf("keys %s", got)
		}
		head, err := srv.Client(t).HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: ptr("prefix/report.csv")})
		if err != nil || !strings.HasPrefix(*head.ContentType, "text/csv") {
			t.Fatalf("content type %v (%v), want text/csv from the extension", head.ContentType, err)
		}
		into := filepath.Join(t.TempDir(), "into") + "/"
		must(t, srv, "cp", "s3://"+bucket+"/prefix/report.csv", into)
		if got, _ := os.ReadFile(filepath.Join(into, "report.csv")); !bytes.Equal(got, data) {
			t.Fatal("download into DIR/ differs")
		}
		r := must(t, srv, "cp", "s3://"+bucket+"/exact-key", "-")
		if r.stdout != string(data) {
			t.Fatalf("stdout has %d bytes, want the object's %d", len(r.stdout), len(data))
		}
	})
}

func TestStdinOfUnknownSize(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		data := randomFile(t, filepath.Join(t.TempDir(), "x"), 13<<20+11)
		r := haul(t, srv, bytes.NewReader(data), "cp", "-", "s3://"+bucket+"/from-stdin", "--part-size", "5MiB")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		out := filepath.Join(t.TempDir(), "back")
		must(t, srv, "cp", "s3://"+bucket+"/from-stdin", out)
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Fatal("object uploaded from stdin differs")
		}
		head, err := srv.Client(t).HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: ptr("from-stdin")})
		if err != nil || !strings.HasSuffix(strings.Trim(*head.ETag, `"`), "-3") {
			t.Fatalf("ETag %v (%v): want a 3-part upload", head.ETag, err)
		}
	})
}

func TestPrefixPagination(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		for _, n := range []int{100, 1500} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				bucket := srv.NewBucket(t)
				src := t.TempDir()
				for i := range n {
					name := filepath.Join(src, fmt.Sprintf("d%02d", i%17), fmt.Sprintf("f%05d.txt", i))
					if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(name, []byte(name), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				must(t, srv, "-q", "cp", "-r", src, "s3://"+bucket+"/many/", "--concurrency", "32")
				ls := must(t, srv, "ls", "-r", "s3://"+bucket+"/many/")
				if got := strings.Count(ls.stdout, "\n"); got != n {
					t.Fatalf("ls -r listed %d keys, want %d", got, n)
				}
				out := t.TempDir()
				r := must(t, srv, "--json", "cp", "-r", "s3://"+bucket+"/many", out, "--concurrency", "32")
				sameTree(t, src, out)
				var last struct {
					Event  string `json:"event"`
					Done   int    `json:"done"`
					Failed int    `json:"failed"`
				}
				lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
				if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Event != "summary" || last.Done != n {
					t.Fatalf("last JSON line %q (%v): want a summary with %d done", lines[len(lines)-1], err, n)
				}
				must(t, srv, "-q", "rm", "-r", "s3://"+bucket+"/many/")
				if left := keys(t, srv, bucket, ""); len(left) != 0 {
					t.Fatalf("rm -r left %d keys", len(left))
				}
			})
		}
	})
}

func TestCreateBucketAndMakeBucket(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		name := "haul-created-" + strings.ToLower(srv.Kind)
		f := filepath.Join(t.TempDir(), "f")
		randomFile(t, f, 10)
		r := haul(t, srv, nil, "cp", f, "s3://"+name+"/k")
		if r.code != 2 || !strings.Contains(r.stderr, "does not exist") || !strings.Contains(r.stderr, "--create-bucket") {
			t.Fatalf("upload to a missing bucket: exit %d, stderr %q; want exit 2 naming the missing bucket and --create-bucket", r.code, r.stderr)
		}
		must(t, srv, "cp", f, "s3://"+name+"/k", "--create-bucket")
		must(t, srv, "rm", "s3://"+name+"/k")
		if _, err := srv.Client(t).DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: &name}); err != nil {
			t.Fatal(err)
		}
		must(t, srv, "mb", "s3://"+name)
		ls := must(t, srv, "ls")
		if !strings.Contains(ls.stdout, "s3://"+name+"\n") {
			t.Fatalf("ls does not show the new bucket: %s", ls.stdout)
		}
		if _, err := srv.Client(t).DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: &name}); err != nil {
			t.Fatal(err)
		}
	})
}
