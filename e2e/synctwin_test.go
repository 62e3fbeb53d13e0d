package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/haul-s3/haul/internal/s3test"
)

// SYNC.md case 27: a local name in NFD (as macOS writes it) and the same name as an NFC key
// are one entry: compared, updated in place, never sent as a second object or deleted.
// Two local files whose names differ only so are two keys.
func TestSyncPairsUnicodeTwins(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dst := "s3://" + bucket + "/u"
		name := "café.txt"
		nfc, nfd := norm.NFC.String(name), norm.NFD.String(name)
		old := time.Now().Add(-time.Hour)
		write := func(dir, name, body string) {
			t.Helper()
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			_ = os.Chtimes(p, old, old)
		}
		composed, decomposed, state := t.TempDir(), t.TempDir(), t.TempDir()
		write(composed, nfc, "same")
		stateRun(t, srv, state, "sync", composed, dst)
		write(decomposed, nfd, "same")
		out := stateRun(t, srv, state, "--json", "sync", decomposed, dst, "--delete")
		if c := lastSummary(t, out).Calls; puts(c) != 0 || c["DeleteObjects"] != 0 {
			t.Fatalf("the NFD twin of an NFC key was sent or deleted: %v\n%s", c, out)
		}
		if !strings.Contains(out, `"event":"twin"`) {
			t.Errorf("no twin event:\n%s", out)
		}
		write(decomposed, nfd, "changed")
		out = stateRun(t, srv, state, "--json", "sync", decomposed, dst, "--delete")
		if c := lastSummary(t, out).Calls; puts(c) != 1 || c["DeleteObjects"] != 0 {
			t.Fatalf("a changed twin: %v, want 1 PUT and no delete\n%s", c, out)
		}
		if ks := keys(t, srv, bucket, "u/"); len(ks) != 1 || ks[0] != "u/"+nfc {
			t.Fatalf("keys %q, want the one NFC key", ks)
		}
		both := t.TempDir()
		write(both, nfc, "one")
		write(both, nfd, "two")
		stateRun(t, srv, state, "sync", both, "s3://"+bucket+"/both")
		if ks := keys(t, srv, bucket, "both/"); len(ks) != 2 {
			t.Fatalf("two local names differing in form gave keys %q, want two", ks)
		}
	})
}

// SYNC.md case 30: keys "a" and "a/b" downloaded: "a" is written, "a/b" fails as a
// conflict (exit 1), and nothing is overwritten. versitygw (posix) refuses c/a/b beside
// c/a, and MinIO takes it but lists one of them: there the case cannot arise.
func TestSyncDownloadFileDirectoryConflict(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		client := srv.Client(t)
		for _, k := range []string{"c/a", "c/a-z", "c/a/b"} {
			if _, err := client.PutObject(t.Context(), putInput(bucket, k)); err != nil {
				t.Skipf("%s cannot hold %s beside c/a (%v): the conflict cannot arise there", srv.Kind, k, err)
			}
		}
		if ks := keys(t, srv, bucket, "c/"); len(ks) != 3 {
			t.Skipf("%s took the three PUTs but lists %q: it cannot hold c/a and c/a/b at once", srv.Kind, ks)
		}
		dir := t.TempDir()
		r := haul(t, srv, nil, "--json", "sync", "s3://"+bucket+"/c", dir, "--no-state")
		if r.code != 1 || !strings.Contains(r.stdout, `conflict: \"a\" is a file, so \"a/b\" cannot be written under it`) {
			t.Fatalf("exit %d, want 1 with a conflict for a/b\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		for _, name := range []string{"a", "a-z"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("%s was not written as a file: %v", name, err)
			}
		}
	})
}
