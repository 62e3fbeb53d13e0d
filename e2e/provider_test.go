package e2e

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

// TestProviderIsDetectedAndDecidesTheChecksum checks that haul recognises each server by
// its answers and sends the checksum its profile says: crc32c where the suite showed the
// server verifies it, Content-MD5 (which every server verifies) for a server it does not
// know; and that a checksum a provider does not accept is refused before anything is sent.
func TestProviderIsDetectedAndDecidesTheChecksum(t *testing.T) {
	want := map[string]struct{ provider, header string }{
		"versitygw": {"versitygw", "X-Amz-Checksum-Crc32c"},
		"minio":     {"minio", "X-Amz-Checksum-Crc32c"},
		"moto":      {"other", "Content-Md5"},
	}
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		w, ok := want[srv.Kind]
		if !ok {
			t.Fatalf("no expectation recorded for %s", srv.Kind)
		}
		bucket := srv.NewBucket(t)
		src := filepath.Join(t.TempDir(), "f.bin")
		randomFile(t, src, 1000)
		rec, log := srv.Record(t)
		r := must(t, rec, "--debug", "cp", src, "s3://"+bucket+"/f.bin")
		if !strings.Contains(r.stderr, "debug: provider "+w.provider+" ") {
			t.Fatalf("want provider %s detected:\n%s", w.provider, r.stderr)
		}
		puts := log.Requests(func(q s3test.Request) bool { return q.Method == http.MethodPut })
		if len(puts) != 1 || puts[0].Header.Get(w.header) == "" {
			t.Fatalf("%d PUTs; want one carrying %s, got headers %v", len(puts), w.header, puts)
		}

		// Told the server is GCS, haul refuses a checksum GCS does not take, sending nothing.
		log.Reset()
		bad := haul(t, rec, nil, "--provider", "gcs", "--addressing", "path", "cp", "--checksum", "crc32c", src, "s3://"+bucket+"/g.bin")
		if bad.code != 2 || !strings.Contains(bad.stderr, "gcs servers do not accept it") {
			t.Fatalf("--provider gcs --checksum crc32c: exit %d, want 2 with a reason:\n%s", bad.code, bad.stderr)
		}
		if n := len(log.Requests(func(q s3test.Request) bool { return q.Method == http.MethodPut })); n != 0 {
			t.Fatalf("%d PUTs sent after a refused checksum", n)
		}
		// And an explicit provider is used as given: no detection request.
		log.Reset()
		r = must(t, rec, "--debug", "--provider", "other", "cp", src, "s3://"+bucket+"/o.bin")
		if !strings.Contains(r.stderr, "debug: provider other (from --provider)") || strings.Contains(r.stderr, "HeadBucket") {
			t.Fatalf("--provider other: want it used without asking:\n%s", r.stderr)
		}
	})
}

func TestUnknownProviderIsAUsageError(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	r := haul(t, srv, nil, "--provider", "wasabi", "ls", "s3://some-bucket")
	if r.code != 2 || !strings.Contains(r.stderr, "use one of") {
		t.Fatalf("exit %d, want 2 listing the providers:\n%s", r.code, r.stderr)
	}
}

// TestServerDifferences records, as expectations, what each server does with object
// options and bucket regions that not all of them support, and that each refusal reaches
// the user as a sentence that says what to do. The README's compatibility table is filled
// from this test.
func TestServerDifferences(t *testing.T) {
	type outcome struct {
		ok   bool   // exit 0
		says string // when refused: a phrase the message must contain
	}
	cases := []struct {
		name string
		args func(src, bucket string) []string
		want map[string]outcome
	}{
		{"sse AES256", func(src, b string) []string { return []string{"cp", "--sse", "AES256", src, "s3://" + b + "/a"} },
			map[string]outcome{"versitygw": {ok: true}, "minio": {says: "does not support --sse AES256"}, "moto": {ok: true}}},
		{"sse aws:kms", func(src, b string) []string { return []string{"cp", "--sse", "aws:kms", src, "s3://" + b + "/b"} },
			map[string]outcome{"versitygw": {ok: true}, "minio": {says: "does not support --sse aws:kms"}, "moto": {ok: true}}},
		{"storage class STANDARD_IA", func(src, b string) []string {
			return []string{"cp", "--storage-class", "STANDARD_IA", src, "s3://" + b + "/c"}
		},
			map[string]outcome{"versitygw": {ok: true}, "minio": {says: "check --storage-class"}, "moto": {ok: true}}},
		{"acl public-read", func(src, b string) []string { return []string{"cp", "--acl", "public-read", src, "s3://" + b + "/d"} },
			map[string]outcome{"versitygw": {ok: true}, "minio": {ok: true}, "moto": {ok: true}}},
		{"bucket in another region", func(_, b string) []string { return []string{"--region", "eu-west-1", "mb", "s3://" + b + "-eu"} },
			map[string]outcome{"versitygw": {says: "cannot create the bucket in the region asked for"}, "minio": {says: "its region is us-east-1"}, "moto": {ok: true}}},
	}
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		src := filepath.Join(t.TempDir(), "f.bin")
		randomFile(t, src, 1000)
		for _, c := range cases {
			w, ok := c.want[srv.Kind]
			if !ok {
				t.Fatalf("%s: no expectation recorded for %s", c.name, srv.Kind)
			}
			r := haul(t, srv, nil, c.args(src, bucket)...)
			switch {
			case w.ok && r.code != 0:
				t.Errorf("%s: recorded as accepted by %s, but exit %d:\n%s", c.name, srv.Kind, r.code, r.stderr)
			case !w.ok && (r.code != 1 || !strings.Contains(r.stderr, w.says)):
				t.Errorf("%s: recorded as refused by %s with %q, but exit %d:\n%s", c.name, srv.Kind, w.says, r.code, r.stderr)
			}
		}
	})
}
