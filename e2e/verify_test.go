package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/internal/s3test"
)

// uploadPartsWithSDK stores parts as one multipart object with the SDK, as another tool would:
// aws-cli sends a checksum with every part (alg CRC32, a COMPOSITE checksum of the object),
// rclone and s5cmd send none (alg ""), and neither records haul's metadata.
func uploadPartsWithSDK(t *testing.T, srv *s3test.Server, bucket, key string, alg types.ChecksumAlgorithm, parts [][]byte) {
	t.Helper()
	ctx := context.Background()
	c := srv.Client(t)
	created, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ChecksumAlgorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	done := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: created.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		done[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32}
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
}

// randomParts returns n parts of size bytes and a last one of last bytes.
func randomParts(n, size, last int) [][]byte {
	parts := make([][]byte, n)
	for i := range parts {
		l := size
		if i == n-1 {
			l = last
		}
		parts[i] = make([]byte, l)
		_, _ = rand.Read(parts[i])
	}
	return parts
}

// corruptEveryNth returns a view of srv behind a proxy that flips one byte in the body of
// every nth answer to a GET of each object, from the first (listings pass untouched), a different byte each
// time, and a count of the bodies it corrupted. n 1 corrupts every one.
func corruptEveryNth(t *testing.T, srv *s3test.Server, n int) (*s3test.Server, func() int) {
	t.Helper()
	target, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	var mu sync.Mutex
	seen, flipped := map[string]int{}, 0 // bodies served, by object
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxy := &http.Server{ReadHeaderTimeout: time.Minute, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		object := r.Method == http.MethodGet && strings.Contains(strings.Trim(r.URL.Path, "/"), "/") && !r.URL.Query().Has("list-type") && !r.URL.Query().Has("uploadId")
		at := -1
		if object {
			mu.Lock()
			// The 1st body of each object, the (n+1)th, ...: counted by object, not over all
			// of them, so that one object's retries cannot fall in step with the bodies of
			// others (the scheduler's steady rhythm made one object's five attempts all
			// land on a corrupted turn).
			if seen[r.URL.Path]++; (seen[r.URL.Path]-1)%n == 0 {
				flipped++
				at = 100 + 13*seen[r.URL.Path]
			}
			mu.Unlock()
		}
		if at >= 0 {
			w = &flipAt{ResponseWriter: w, at: at}
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = proxy.Serve(ln) }()
	t.Cleanup(func() { _ = proxy.Close() })
	view := *srv
	view.Endpoint = "http://" + ln.Addr().String()
	return &view, func() int {
		mu.Lock()
		defer mu.Unlock()
		return flipped
	}
}

// flipAt flips the byte at offset at of the body written through it.
type flipAt struct {
	http.ResponseWriter
	at, pos int
}

func (f *flipAt) Write(p []byte) (int, error) {
	if f.at >= f.pos && f.at < f.pos+len(p) {
		p = bytes.Clone(p)
		p[f.at-f.pos] ^= 0x10
	}
	f.pos += len(p)
	return f.ResponseWriter.Write(p)
}

// partsVerified records, per server, what verifies a download of an object written in parts
// by another tool: with part checksums (aws-cli) and without (rclone, s5cmd), fetched alone
// (cp, which HEADs the object first) or found by a listing (cp -r). MinIO gives each part's
// checksum with partNumber; versitygw and moto give none, and the multipart ETag (the MD5 of
// the parts' MD5s) is what is left. versitygw keeps a whole-object CRC64NVME of an object
// uploaded in parts without checksums and reports it to a HEAD; a listing does not tell it.
var partsVerified = map[string]map[string]string{
	"minio":     {"awscli.bin": "crc32-parts", "rclone.bin": "md5-parts", "-r awscli.bin": "crc32-parts", "-r rclone.bin": "md5-parts"},
	"versitygw": {"awscli.bin": "md5-parts", "rclone.bin": "crc64nvme", "-r awscli.bin": "md5-parts", "-r rclone.bin": "md5-parts"},
	"moto":      {"awscli.bin": "md5-parts", "rclone.bin": "md5-parts", "-r awscli.bin": "md5-parts", "-r rclone.bin": "md5-parts"},
}

// doneEvents returns the verified field of each --json done event, by destination file name.
func doneEvents(t *testing.T, stdout string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev struct{ Event, Dst, Verified, Unverified string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if ev.Event == "done" {
			got[filepath.Base(ev.Dst)] = ev.Verified
		}
	}
	return got
}

// TestVerifyForeignMultipart downloads objects written in parts by other tools (an aws-cli
// like upload of 13 parts with CRC32 checksums, an rclone or s5cmd like one without) through
// a proxy that corrupts every third GET body: haul must fetch the bad parts again and end
// with byte-identical files, with cp, cp -r and sync, saying what verified them. Through a
// proxy that corrupts every body it must fail and leave no file.
func TestVerifyForeignMultipart(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		want, known := partsVerified[srv.Kind]
		if !known {
			t.Fatalf("no expectation recorded for %s", srv.Kind)
		}
		bucket := srv.NewBucket(t)
		const mib = 1 << 20
		objects := map[string][][]byte{
			"awscli.bin": randomParts(13, 5*mib, 3*mib/2),
			"rclone.bin": randomParts(4, 5*mib, mib),
		}
		uploadPartsWithSDK(t, srv, bucket, "d/awscli.bin", types.ChecksumAlgorithmCrc32, objects["awscli.bin"])
		uploadPartsWithSDK(t, srv, bucket, "d/rclone.bin", "", objects["rclone.bin"])
		check := func(t *testing.T, dir string) {
			t.Helper()
			for name, parts := range objects {
				if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, bytes.Join(parts, nil)) {
					t.Fatalf("%s: the downloaded file differs from the object (%v)", name, err)
				}
			}
		}

		t.Run("cp", func(t *testing.T) {
			for name := range objects {
				bad, flipped := corruptEveryNth(t, srv, 3)
				dir := t.TempDir()
				r := haul(t, bad, nil, "--json", "cp", "s3://"+bucket+"/d/"+name, filepath.Join(dir, name))
				got := doneEvents(t, r.stdout)
				if r.code != 0 || got[name] != want[name] || !strings.Contains(r.stdout, `"event":"retry"`) {
					t.Fatalf("%s: exit %d, verified %q; want 0 after retries, verified %s (%d bodies corrupted)\n%s%s", name, r.code, got[name], want[name], flipped(), r.stdout, r.stderr)
				}
				if got, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(got, bytes.Join(objects[name], nil)) {
					t.Fatalf("%s: exit 0 with a corrupt file", name)
				}
				t.Logf("%s: verified %s; %d bodies corrupted", name, got[name], flipped())
			}
		})
		t.Run("cp -r", func(t *testing.T) {
			bad, flipped := corruptEveryNth(t, srv, 3)
			dir := t.TempDir()
			r := haul(t, bad, nil, "--json", "cp", "-r", "s3://"+bucket+"/d/", dir)
			got := doneEvents(t, r.stdout)
			if r.code != 0 || got["awscli.bin"] != want["-r awscli.bin"] || got["rclone.bin"] != want["-r rclone.bin"] {
				t.Fatalf("exit %d, verified %v; want 0 and %v (%d bodies corrupted)\n%s%s", r.code, got, want, flipped(), r.stdout, r.stderr)
			}
			check(t, dir)
		})
		t.Run("sync", func(t *testing.T) {
			bad, flipped := corruptEveryNth(t, srv, 3)
			dir := t.TempDir()
			r := haul(t, bad, nil, "--json", "sync", "s3://"+bucket+"/d/", dir)
			got := doneEvents(t, r.stdout)
			if r.code != 0 || got["awscli.bin"] != want["-r awscli.bin"] || got["rclone.bin"] != want["-r rclone.bin"] {
				t.Fatalf("exit %d, verified %v; want 0 and %v (%d bodies corrupted)\n%s%s", r.code, got, want, flipped(), r.stdout, r.stderr)
			}
			check(t, dir)
		})
		t.Run("to stdout", func(t *testing.T) {
			// Bytes written to a stream cannot be taken back: a clean stream is checked
			// (md5-parts, or haul's own or the server's whole-object checksum where a HEAD
			// shows one), a corrupted one fails the run afterwards.
			for name, parts := range objects {
				r := haul(t, srv, nil, "cp", "s3://"+bucket+"/d/"+name, "-")
				if r.code != 0 || r.stdout != string(bytes.Join(parts, nil)) {
					t.Fatalf("%s to stdout: exit %d, %d bytes; want 0 and the object\n%s", name, r.code, len(r.stdout), r.stderr)
				}
				if strings.Contains(r.stderr, "could not be verified") {
					t.Fatalf("%s to stdout was not verified:\n%s", name, r.stderr)
				}
				bad, _ := corruptEveryNth(t, srv, 1)
				r = haul(t, bad, nil, "cp", "s3://"+bucket+"/d/"+name, "-")
				if r.code != 1 || !strings.Contains(r.stderr, "corrupted in transit") {
					t.Fatalf("%s to stdout, corrupted: exit %d, want 1 saying so:\n%s", name, r.code, r.stderr)
				}
			}
		})
		t.Run("always corrupted", func(t *testing.T) {
			bad, _ := corruptEveryNth(t, srv, 1)
			dir := t.TempDir()
			r := haul(t, bad, nil, "--retries", "2", "cp", "-r", "s3://"+bucket+"/d/", dir)
			if r.code != 1 || strings.Count(r.stderr, "corrupted in transit") != 2 {
				t.Fatalf("every GET corrupted: exit %d, want 1 with both files failed:\n%s", r.code, r.stderr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("corrupted downloads left %v", entries)
			}
		})
	})
}

// A store that denies access stops verify at the first object, with the advice every
// command gives for it and its exit code (2: nothing could be checked), not a failure per
// object; so does a listing for --against that is denied.
// status403 finds an HTTP status 403 in a message, not the digits in a port such as 40333.
var status403 = regexp.MustCompile(`\b403\b`)

func TestVerifyAccessDenied(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := filepath.Join(t.TempDir(), "src")
		makeFiles(t, dir, 100, "a.txt", "b.txt", "c.txt", "d.txt")
		rcpt := filepath.Join(t.TempDir(), "up.receipt")
		dst := "s3://" + bucket + "/p/"
		must(t, srv, "cp", "-r", dir, dst, "--receipt", rcpt)
		for _, c := range []struct {
			name string
			deny func(*http.Request) bool
			args []string
		}{
			{"HEAD", func(r *http.Request) bool { return r.Method == http.MethodHead }, nil},
			{"listing", func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Has("list-type") }, []string{"--against", dst}},
		} {
			t.Run(c.name, func(t *testing.T) {
				view := failing(t, srv, func(r *http.Request) (int, string) {
					if c.deny(r) {
						return http.StatusForbidden, "AccessDenied"
					}
					return 0, ""
				})
				r := haul(t, view, nil, append([]string{"verify", rcpt, "--concurrency", "1"}, c.args...)...)
				want := 2
				if c.args != nil {
					want = 1 // the objects were checked; the listing was not
				}
				if r.code != want || !strings.Contains(r.stderr, "access denied to bucket") || strings.Count(r.stderr, "AccessDenied")+len(status403.FindAllString(r.stderr, -1)) > 1 ||
					strings.Contains(r.stderr, "failed:") || strings.Contains(r.stderr, "Forbidden") {
					t.Fatalf("verify through a proxy that denies the %s: exit %d, want %d, and one explained denial\nstdout: %s\nstderr: %s", c.name, r.code, want, r.stdout, r.stderr)
				}
			})
		}
	})
}
