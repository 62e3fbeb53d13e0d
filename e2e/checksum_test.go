package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/internal/s3test"
)

// verifiesRequestChecksums records, per server, whether it checks the checksum sent with a
// request body and refuses a body that does not match. moto stores whatever arrives: on
// moto haul cannot catch a body corrupted in transit, and this test says so.
var verifiesRequestChecksums = map[string]bool{"versitygw": true, "minio": true, "moto": false}

// TestCorruptedRequestBodyIsRetried flips one byte in the first bodies of a single PUT and
// of a multipart upload. With a checksum the server must refuse those requests, haul must
// send them again from the file, and the objects must end up exactly the files.
func TestCorruptedRequestBodyIsRetried(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		verifies, known := verifiesRequestChecksums[srv.Kind]
		if !known {
			t.Fatalf("no expectation recorded for %s", srv.Kind)
		}
		for _, sum := range []string{"crc32c", "crc32", "crc64nvme", "sha256", "sha1", "md5"} {
			t.Run(sum, func(t *testing.T) {
				bucket := srv.NewBucket(t)
				dir := t.TempDir()
				small := randomFile(t, filepath.Join(dir, "small.bin"), 100_000)
				big := randomFile(t, filepath.Join(dir, "big.bin"), 12<<20)
				bad, corrupted := srv.CorruptRequests(t, 2, s3test.IsPut)
				r := haul(t, bad, nil, "--json", "cp", "-r", "--checksum", sum, dir, "s3://"+bucket+"/", "--part-size", "5MiB", "--multipart-threshold", "5MiB", "--concurrency", "1")
				if corrupted() != 2 {
					t.Fatalf("the proxy corrupted %d bodies, want 2", corrupted())
				}
				if !verifies {
					if r.code != 0 || strings.Contains(r.stdout, `"event":"retry"`) {
						t.Fatalf("%s was recorded as not verifying checksums, but haul retried or failed: exit %d\n%s", srv.Kind, r.code, r.stdout)
					}
					t.Logf("%s stored corrupted bodies without checking their %s checksum (as recorded)", srv.Kind, sum)
					// The whole-file checksum haul put in the metadata still catches it when
					// the object is read back. (--retries 0: each try reads the same stored
					// bytes, and the default five retries' backoff cost seconds a download.)
					caught := 0
					for _, name := range []string{"small.bin", "big.bin"} {
						back := haul(t, srv, nil, "cp", "--retries", "0", "s3://"+bucket+"/"+name, filepath.Join(t.TempDir(), name))
						if back.code == 1 && strings.Contains(back.stderr, "corrupted in transit") {
							caught++
						}
					}
					if caught == 0 {
						t.Fatal("the objects stored corrupted were downloaded without an error")
					}
					return
				}
				if r.code != 0 || strings.Count(r.stdout, `"event":"retry"`) < 2 {
					t.Fatalf("exit %d, want 0 after retrying both corrupted requests:\n%s\n%s", r.code, r.stdout, r.stderr)
				}
				for name, want := range map[string][]byte{"small.bin": small, "big.bin": big} {
					back := filepath.Join(t.TempDir(), name)
					must(t, srv, "-q", "cp", "s3://"+bucket+"/"+name, back)
					if got, _ := os.ReadFile(back); !bytes.Equal(got, want) {
						t.Fatalf("%s: the stored object differs from the file", name)
					}
				}
			})
		}
	})
}

// TestCorruptedDownloadIsCaught flips a byte in GET response bodies. Once: haul fetches the
// object (or, for a ranged download, every range) again and writes the right bytes, saying
// what it verified with. Always: haul fails loudly (exit 1) and writes no file. Objects
// haul uploaded carry their whole-file crc32c in metadata, which covers a multipart object
// fetched in ranges; an object put by another tool is checked against its MD5 ETag.
func TestCorruptedDownloadIsCaught(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		small := randomFile(t, filepath.Join(dir, "small.bin"), 200_000)
		big := randomFile(t, filepath.Join(dir, "big.bin"), 22<<20)
		must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/", "--part-size", "5MiB", "--multipart-threshold", "5MiB")
		putWithSDK(t, srv, bucket, "other.bin", small)
		for _, c := range []struct {
			key, verified string
			data          []byte
		}{
			{"small.bin", "crc32c", small},
			{"big.bin", "crc32c", big},
			{"other.bin", foreignVerified[srv.Kind], small},
		} {
			t.Run(c.key, func(t *testing.T) {
				args := []string{"cp", "s3://" + bucket + "/" + c.key, "--part-size", "5MiB", "--multipart-threshold", "5MiB"}
				once, _ := srv.CorruptResponses(t, 1)
				out := filepath.Join(t.TempDir(), c.key)
				r := haul(t, once, nil, append([]string{"--json"}, append(args, out)...)...)
				if r.code != 0 || !strings.Contains(r.stdout, `"verified":"`+c.verified+`"`) || !strings.Contains(r.stdout, `"event":"retry"`) {
					t.Fatalf("one corrupted GET: exit %d, want 0 with a retry and verified %s:\n%s%s", r.code, c.verified, r.stdout, r.stderr)
				}
				if got, _ := os.ReadFile(out); !bytes.Equal(got, c.data) {
					t.Fatal("the downloaded file differs")
				}

				always, _ := srv.CorruptResponses(t, -1)
				out = filepath.Join(t.TempDir(), c.key)
				r = haul(t, always, nil, append([]string{"--retries", "2"}, append(args, out)...)...)
				if r.code != 1 || !strings.Contains(r.stderr, "corrupted in transit") {
					t.Fatalf("every GET corrupted: exit %d, want 1 saying so:\n%s", r.code, r.stderr)
				}
				if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
					t.Fatalf("a corrupted download left %v", entries)
				}
			})
		}
	})
}

// foreignVerified records what verifies an object put without haul and without a checksum:
// versitygw, like S3 since 2025, keeps a CRC64NVME of every object and reports it; the others
// keep none, and the MD5 ETag is what is left.
var foreignVerified = map[string]string{"versitygw": "crc64nvme", "minio": "md5", "moto": "md5"}

// putWithSDK stores data at key without haul, so the object has no haul metadata.
func putWithSDK(t *testing.T, srv *s3test.Server, bucket, key string, data []byte) {
	t.Helper()
	_, err := srv.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
}

// serverKeepsWholeChecksum records, per server, whether a HEAD with checksum mode reports
// the CRC32 a single PUT was sent with: haul then verifies an object it did not upload.
var serverKeepsWholeChecksum = map[string]bool{"versitygw": true, "minio": true, "moto": true}

// TestForeignObjectVerifiedByServerChecksum downloads objects put by another client with a
// CRC32 and no MD5-looking trait haul relies on: the server's own checksum is what verifies
// them, one GET or in ranges.
func TestForeignObjectVerifiedByServerChecksum(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		keeps, known := serverKeepsWholeChecksum[srv.Kind]
		if !known {
			t.Fatalf("no expectation recorded for %s", srv.Kind)
		}
		bucket := srv.NewBucket(t)
		data := randomFile(t, filepath.Join(t.TempDir(), "f"), 12<<20)
		key := "foreign.bin"
		_, err := srv.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key,
			Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatal(err)
		}
		for _, threshold := range []string{"64MiB", "5MiB"} {
			out := filepath.Join(t.TempDir(), key)
			r := must(t, srv, "--json", "cp", "s3://"+bucket+"/"+key, out, "--multipart-threshold", threshold, "--part-size", "5MiB")
			got := strings.Contains(r.stdout, `"verified":"crc32"`)
			if got != keeps {
				t.Fatalf("threshold %s: verified with the server's crc32: %v, recorded %v\n%s", threshold, got, keeps, r.stdout)
			}
		}
	})
}
