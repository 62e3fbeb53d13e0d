package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/internal/s3test"
)

// incomplete starts n multipart uploads of key, 16 at a time, and returns their IDs.
func incomplete(t *testing.T, srv *s3test.Server, bucket, key string, n int) []string {
	t.Helper()
	client := srv.Client(t)
	ids := make([]string, n)
	var g errgroup.Group
	g.SetLimit(16)
	for i := range ids {
		g.Go(func() error {
			out, err := client.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
			if err != nil {
				return fmt.Errorf("starting an upload of %s: %w", key, err)
			}
			ids[i] = aws.ToString(out.UploadId)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// uploadParts uploads parts 1..len(sizes) of sizes[i] bytes each to an upload, 16 at a time.
func uploadParts(t *testing.T, srv *s3test.Server, bucket, key, id string, sizes []int) {
	t.Helper()
	client := srv.Client(t)
	var g errgroup.Group
	g.SetLimit(16)
	for i, size := range sizes {
		g.Go(func() error {
			_, err := client.UploadPart(t.Context(), &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: &id,
				PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(make([]byte, size)), ContentLength: aws.Int64(int64(size))})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("uploading parts of %s: %v", key, err)
	}
}

// uploadIDs returns the IDs of the incomplete uploads of these keys, sorted. It lists each
// key as a prefix (which MinIO matches, being a whole key) and expects one page per key:
// s3test's IncompleteUploads lists the whole bucket and loses uploads on versitygw when a
// page ends inside one key's uploads, as it does here.
func uploadIDs(t *testing.T, srv *s3test.Server, bucket string, keys ...string) []string {
	t.Helper()
	var ids []string
	for _, key := range keys {
		out, err := srv.Client(t).ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: &key})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToBool(out.IsTruncated) {
			t.Fatalf("%s has more uploads than one page", key)
		}
		for _, u := range out.Uploads {
			if aws.ToString(u.Key) == key {
				ids = append(ids, aws.ToString(u.UploadId))
			}
		}
	}
	slices.Sort(ids)
	return ids
}

type lsLine struct {
	Event    string `json:"event"`
	Key      string `json:"key"`
	UploadID string `json:"upload_id"`
	Parts    *int   `json:"parts"`
	Bytes    *int64 `json:"bytes"`
}

// lsJSON runs `haul --debug --json uploads ls` with args and returns its lines by upload ID,
// and the HTTP status of each request it made, by operation.
func lsJSON(t *testing.T, srv *s3test.Server, args ...string) (map[string]lsLine, map[string][]string) {
	t.Helper()
	r := must(t, srv, append([]string{"--debug", "--json", "uploads", "ls"}, args...)...)
	calls := map[string][]string{}
	for _, l := range strings.Split(r.stderr, "\n") {
		if op, rest, ok := strings.Cut(strings.TrimPrefix(l, "debug: "), " "); ok && op != l {
			_, status, _ := strings.Cut(rest, "status=")
			calls[op] = append(calls[op], strings.Fields(status)[0])
		}
	}
	lines := map[string]lsLine{}
	for _, s := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if s == "" {
			continue
		}
		var l lsLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("not JSON: %q: %v", s, err)
		}
		if l.Event == "upload" {
			lines[l.UploadID] = l
		}
	}
	return lines, calls
}

func sameIDs(t *testing.T, what string, got map[string]lsLine, want []string) {
	t.Helper()
	ids := make([]string, 0, len(got))
	for id := range got {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, want) {
		t.Fatalf("%s: listed %d uploads, want %d", what, len(ids), len(want))
	}
}

// realInitiated says whether each server reports when an upload started. moto 5.x reports
// 2010-11-10T20:48:33Z for every upload, so --older-than matches all of them there.
var realInitiated = map[string]bool{"versitygw": true, "minio": true, "moto": false}

// listPages is the HTTP status of each ListMultipartUploads request that listing the whole
// bucket takes: versitygw answers 1,000 uploads, rejects its own markers (400
// InvalidArgument), and answers the rest when asked with the previous key as key marker.
var listPages = map[string][]string{"versitygw": {"200", "400", "200"}, "minio": {"200"}, "moto": {"200"}}

// partsPages is how many ListParts pages 1,001 parts take: MinIO answers up to 10,000 parts
// in one page.
var partsPages = map[string]int{"versitygw": 2, "minio": 1, "moto": 2}

// TestUploadsListAndAbort creates more incomplete uploads than one ListMultipartUploads page
// (1,000; fewer on moto) and lists and aborts them by prefix, age and upload ID. versitygw pages at 1,000
// and its first page here ends inside one key's uploads, where versitygw v1.8.0 rejects its
// own upload-ID marker; MinIO and moto return every upload in one page (moto in creation
// order, not key order).
func TestUploadsListAndAbort(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		realTimes, ok := realInitiated[srv.Kind]
		if !ok {
			t.Fatalf("no expectation for %s", srv.Kind)
		}
		// 1,101 uploads; moto takes about 20s to create them (two cores) and always answers
		// in one page, so it gets 111.
		scale := 10
		if srv.Kind == "moto" {
			scale = 1
		}
		total, inLogs := 110*scale+1, 80*scale+1
		bucket := srv.NewBucket(t)
		start := time.Now()
		a := incomplete(t, srv, bucket, "logs/a.bin", 40*scale)
		b := incomplete(t, srv, bucket, "logs/b.bin", 40*scale)
		many := incomplete(t, srv, bucket, "logs/many.bin", 1)[0]
		c := incomplete(t, srv, bucket, "logsX/c.bin", 15*scale) // shares "logs" but not "logs/"
		d := incomplete(t, srv, bucket, "tmp/d.bin", 15*scale)
		uploadParts(t, srv, bucket, "logs/a.bin", a[7], []int{5 << 20})
		uploadParts(t, srv, bucket, "tmp/d.bin", d[3], []int{5 << 20})
		uploadParts(t, srv, bucket, "logs/many.bin", many, slices.Repeat([]int{1}, 1001)) // more than one ListParts page
		t.Logf("%s: created %d incomplete uploads in %v", srv.Kind, total, time.Since(start).Round(time.Millisecond))
		logs := []string{"logs/a.bin", "logs/b.bin", "logs/many.bin"}
		every := append(slices.Clone(logs), "logsX/c.bin", "tmp/d.bin")
		underLogs := slices.Sorted(slices.Values(slices.Concat(a, b, []string{many})))
		if got := uploadIDs(t, srv, bucket, logs...); !slices.Equal(got, underLogs) {
			t.Fatalf("the server lists %d uploads under logs/, want %d", len(got), len(underLogs))
		}

		start = time.Now()
		ls, _ := lsJSON(t, srv, "s3://"+bucket+"/logs/")
		t.Logf("%s: uploads ls with the parts of %d uploads in %v", srv.Kind, inLogs, time.Since(start).Round(time.Millisecond))
		sameIDs(t, "uploads ls logs/", ls, underLogs)
		for id, l := range ls {
			wantParts, wantBytes := 0, int64(0)
			switch id {
			case a[7]:
				wantParts, wantBytes = 1, 5<<20
			case many:
				wantParts, wantBytes = 1001, 1001
			}
			if l.Parts == nil || *l.Parts != wantParts || *l.Bytes != wantBytes {
				t.Fatalf("%s upload %s: parts %v bytes %v, want %d and %d", l.Key, id, l.Parts, l.Bytes, wantParts, wantBytes)
			}
		}
		all, calls := lsJSON(t, srv, "--no-parts", "s3://"+bucket)
		sameIDs(t, "uploads ls of the bucket", all, uploadIDs(t, srv, bucket, every...))
		if want := listPages[srv.Kind]; !slices.Equal(calls["ListMultipartUploads"], want) {
			t.Fatalf("ListMultipartUploads answered %v, want %v", calls["ListMultipartUploads"], want)
		}
		if _, calls := lsJSON(t, srv, "s3://"+bucket+"/logs/many.bin"); len(calls["ListParts"]) != partsPages[srv.Kind] {
			t.Fatalf("listing 1,001 parts took %d ListParts requests, want %d", len(calls["ListParts"]), partsPages[srv.Kind])
		}
		old := must(t, srv, "uploads", "ls", "--no-parts", "--older-than", "1h", "s3://"+bucket)
		if n := strings.Count(old.stdout, "\n"); realTimes && n != 0 || !realTimes && n != total {
			t.Fatalf("uploads ls --older-than 1h listed %d uploads started just now (real start times: %v)", n, realTimes)
		}

		r := must(t, srv, "uploads", "abort", "--dry-run", "s3://"+bucket+"/logs/")
		if n := strings.Count(r.stdout, "would abort: s3://"+bucket+"/logs/"); n != inLogs ||
			!strings.Contains(r.stderr, fmt.Sprintf("%d would be aborted", inLogs)) {
			t.Fatalf("abort --dry-run named %d uploads, want %d; stderr: %s", n, inLogs, r.stderr)
		}
		if n := len(uploadIDs(t, srv, bucket, every...)); n != total {
			t.Fatalf("abort --dry-run left %d uploads, want all %d", n, total)
		}

		r = must(t, srv, "uploads", "abort", "--upload-id", d[3], "s3://"+bucket+"/tmp/")
		if !strings.Contains(r.stderr, "1 aborted, holding 5.0 MiB; 0 failed") {
			t.Fatalf("abort --upload-id: stderr %q", r.stderr)
		}
		if slices.Contains(uploadIDs(t, srv, bucket, "tmp/d.bin"), d[3]) {
			t.Fatal("abort --upload-id left the upload")
		}

		start = time.Now()
		r = must(t, srv, "uploads", "abort", "s3://"+bucket+"/logs/")
		t.Logf("%s: aborted %d uploads in %v", srv.Kind, inLogs, time.Since(start).Round(time.Millisecond))
		if want := fmt.Sprintf("%d aborted, holding 5.0 MiB; 0 failed", inLogs); !strings.Contains(r.stderr, want) {
			t.Fatalf("abort logs/: stderr %q, want %q", r.stderr, want)
		}
		rest := slices.Sorted(slices.Values(slices.Concat(c, slices.Delete(slices.Clone(d), 3, 4))))
		if got := uploadIDs(t, srv, bucket, every...); !slices.Equal(got, rest) {
			t.Fatalf("after aborting logs/, %d uploads are left, want the %d outside it", len(got), len(rest))
		}

		if realTimes {
			r = must(t, srv, "uploads", "abort", "--older-than", "7d", "s3://"+bucket)
			if !strings.Contains(r.stderr, "nothing to abort") || len(uploadIDs(t, srv, bucket, every...)) != len(rest) {
				t.Fatalf("abort --older-than 7d aborted uploads started just now; stderr: %s", r.stderr)
			}
		}
		must(t, srv, "uploads", "abort", "--no-parts", "s3://"+bucket)
		if got := uploadIDs(t, srv, bucket, every...); len(got) != 0 {
			t.Fatalf("%d uploads left after aborting them all", len(got))
		}
		if r := must(t, srv, "uploads", "ls", "s3://"+bucket); r.stdout != "" {
			t.Fatalf("uploads ls after aborting all: %q", r.stdout)
		}
	})
}

// failing returns a view of srv behind a proxy that answers the requests that fail matches
// with that S3 error instead of passing them on.
func failing(t *testing.T, srv *s3test.Server, fail func(*http.Request) (status int, code string)) *s3test.Server {
	t.Helper()
	target, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, code := fail(r); status != 0 {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, "<Error><Code>%s</Code><Message>injected by the test</Message></Error>", code)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	view := *srv
	view.Endpoint = ts.URL
	return &view
}

// TestUploadsAbortFailures checks that a failed ListParts shows as "?", that a failed abort
// is reported with exit 1 while the others are aborted, and that an upload that is already
// gone (NoSuchUpload) counts as aborted.
func TestUploadsAbortFailures(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		gone := incomplete(t, srv, bucket, "f/gone", 1)[0]
		noParts := incomplete(t, srv, bucket, "f/no-parts", 1)[0]
		stuck := incomplete(t, srv, bucket, "f/stuck", 1)[0]
		keys := []string{"f/gone", "f/no-parts", "f/stuck"}
		view := failing(t, srv, func(r *http.Request) (int, string) {
			id := r.URL.Query().Get("uploadId")
			switch {
			case r.Method == http.MethodGet && id == noParts:
				return http.StatusForbidden, "AccessDenied"
			case r.Method == http.MethodDelete && id == stuck:
				return http.StatusForbidden, "AccessDenied"
			case r.Method == http.MethodDelete && id == gone:
				return http.StatusNotFound, "NoSuchUpload"
			}
			return 0, ""
		})

		r := must(t, view, "uploads", "ls", "s3://"+bucket+"/f/")
		var line string
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.Contains(l, noParts) {
				line = l
			}
		}
		if !strings.Contains(line, "?") || !strings.Contains(r.stderr, "could not be listed") {
			t.Fatalf("a failed ListParts is not shown as ?:\n%s\nstderr: %s", r.stdout, r.stderr)
		}

		r = haul(t, view, nil, "uploads", "abort", "s3://"+bucket+"/f/")
		if r.code != 1 || !strings.Contains(r.stderr, "failed: AbortMultipartUpload s3://"+bucket+"/f/stuck") ||
			!strings.Contains(r.stderr, "2 aborted, holding 0 B and 1 of unknown size; 1 failed") {
			t.Fatalf("abort with one failure: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		if got, want := uploadIDs(t, srv, bucket, keys...), slices.Sorted(slices.Values([]string{gone, stuck})); !slices.Equal(got, want) {
			t.Fatalf("left %v, want the failed one and the one the proxy called gone", got)
		}
		must(t, srv, "uploads", "abort", "s3://"+bucket+"/f/")
		if got := uploadIDs(t, srv, bucket, keys...); len(got) != 0 {
			t.Fatalf("%d uploads left", len(got))
		}
	})
}

// TestUploadsAndLifecycleUsage checks that mistakes on the command line exit 2 before any
// request, and that good ages parse (the command then fails to connect: exit 1).
func TestUploadsAndLifecycleUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"uploads", "ls"}, 2},
		{[]string{"uploads", "frob", "s3://bucket"}, 2},
		{[]string{"uploads", "ls", "--older-than", "3x", "s3://bucket"}, 2},
		{[]string{"uploads", "ls", "--older-than", "-1d", "s3://bucket"}, 2},
		{[]string{"uploads", "abort", "s3://Bad_Bucket"}, 2},
		{[]string{"lifecycle", "abort-incomplete", "s3://bucket"}, 2},
		{[]string{"lifecycle", "abort-incomplete", "s3://bucket", "--days", "0"}, 2},
		{[]string{"lifecycle", "show", "s3://bucket/key"}, 2},
		{[]string{"uploads", "ls", "--older-than", "1d12h", "s3://bucket"}, 1},
		{[]string{"uploads", "abort", "--older-than", "1.5d", "s3://bucket"}, 1},
		{[]string{"uploads", "abort", "--older-than", "90m", "s3://bucket"}, 1},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := haulCmd(t, nil, append([]string{"--endpoint-url", "http://127.0.0.1:1"}, tc.args...)...)
			cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
				"AWS_REGION=us-east-1", "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true")
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("%v, want exit %d; output: %s", err, tc.code, out)
			}
		})
	}
}
