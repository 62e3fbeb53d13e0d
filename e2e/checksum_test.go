package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
// object again and writes the right bytes, saying what it verified with. Always: haul fails
// loudly (exit 1) and writes no file.
func TestCorruptedDownloadIsCaught(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		src := filepath.Join(t.TempDir(), "report.bin")
		data := randomFile(t, src, 200_000)
		must(t, srv, "-q", "cp", src, "s3://"+bucket+"/report.bin")

		once, _ := srv.CorruptResponses(t, 1)
		dir := t.TempDir()
		r := haul(t, once, nil, "--json", "cp", "s3://"+bucket+"/report.bin", filepath.Join(dir, "report.bin"))
		if r.code != 0 || !strings.Contains(r.stdout, `"verified":"md5"`) || !strings.Contains(r.stdout, `"event":"retry"`) {
			t.Fatalf("one corrupted GET: exit %d, want 0 with a retry and verified md5:\n%s%s", r.code, r.stdout, r.stderr)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "report.bin")); !bytes.Equal(got, data) {
			t.Fatal("the downloaded file differs")
		}

		always, _ := srv.CorruptResponses(t, -1)
		dir = t.TempDir()
		r = haul(t, always, nil, "--retries", "2", "cp", "s3://"+bucket+"/report.bin", filepath.Join(dir, "report.bin"))
		if r.code != 1 || !strings.Contains(r.stderr, "corrupted in transit") {
			t.Fatalf("every GET corrupted: exit %d, want 1 saying so:\n%s", r.code, r.stderr)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("a corrupted download left %v", entries)
		}
	})
}
