package e2e

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

// The sync tests of --delete: its guards, what a failed listing or an unreadable entry
// keeps, when deletions run, and a key the server refuses to delete. Helpers are in
// sync_test.go.

// hasNote reports whether o holds a note whose message contains each of words.
func (o syncOut) hasNote(words ...string) bool {
	for _, e := range o.of("note", "") {
		all := true
		for _, w := range words {
			all = all && strings.Contains(e.Message, w)
		}
		if all {
			return true
		}
	}
	return false
}

// countFiles is the number of regular files under root.
func countFiles(t *testing.T, root string) int {
	t.Helper()
	return len(treeFiles(t, root))
}

// Case 7: an empty source deletes nothing unless --allow-empty-source, both ways; a
// missing local source is a usage error.
func TestSyncEmptySourceGuard(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dst := "s3://" + bucket + "/p"
		putObjects(t, srv, bucket, 10, "p/a", "p/b", "p/c/d", "p/e", "p/f")
		empty := t.TempDir()

		o := s.want(t, 3, "--delete", empty, dst)
		if num(o.sum.Deleted) != 0 || o.sum.Calls["DeleteObjects"] != 0 || len(keys(t, srv, bucket, "p/")) != 5 {
			t.Fatalf("empty source: deleted %d (calls %v); want nothing deleted", num(o.sum.Deleted), o.sum.Calls)
		}
		if !o.hasNote("source is empty", "--allow-empty-source") {
			t.Errorf("no note naming the empty source and --allow-empty-source:\n%s", o)
		}
		r := s.run(t, "sync", "--delete", empty, dst)
		if r.code != 3 || !strings.Contains(r.stderr, "note: nothing deleted: the source is empty") || !strings.Contains(r.stderr, "--allow-empty-source") {
			t.Errorf("text output of the refusal: exit %d\n%s", r.code, r.stderr)
		}

		o = s.want(t, 0, "--delete", "--allow-empty-source", empty, dst)
		if num(o.sum.Deleted) != 5 || len(keys(t, srv, bucket, "p/")) != 0 {
			t.Fatalf("--allow-empty-source: deleted %d, %d keys left; want 5 and 0", num(o.sum.Deleted), len(keys(t, srv, bucket, "p/")))
		}

		// S3 -> local from a prefix with no keys.
		local := t.TempDir()
		makeFiles(t, local, 10, "a", "b", "c/d", "e", "f")
		o = s.want(t, 3, "--delete", "s3://"+bucket+"/none/", local)
		if num(o.sum.Deleted) != 0 || countFiles(t, local) != 5 || !o.hasNote("--allow-empty-source") {
			t.Fatalf("empty S3 source: deleted %d, %d files left; want 0 and 5\n%s", num(o.sum.Deleted), countFiles(t, local), o)
		}
		o = s.want(t, 0, "--delete", "--allow-empty-source", "s3://"+bucket+"/none/", local)
		if num(o.sum.Deleted) != 5 || countFiles(t, local) != 0 {
			t.Fatalf("empty S3 source with --allow-empty-source: deleted %d, %d files left; want 5 and 0", num(o.sum.Deleted), countFiles(t, local))
		}

		if r := s.run(t, "sync", "--delete", filepath.Join(empty, "missing"), dst); r.code != 2 {
			t.Fatalf("missing source directory: exit %d, want 2\n%s", r.code, r.stderr)
		}
	})
}

// noBodies fails if the calls hold a request that sends or fetches an object's bytes, or
// deletes.
func noBodies(t *testing.T, calls map[string]int) {
	t.Helper()
	for _, op := range []string{"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "GetObject", "DeleteObjects", "DeleteObject"} {
		if calls[op] != 0 {
			t.Errorf("a dry run sent %d %s (%v)", calls[op], op, calls)
		}
	}
}

// Cases 8 and 31: --max-delete and --max-delete-size refuse all deletions or none, after the
// transfers; the dry run of the same command says the same, with the same numbers, and
// sends no body.
func TestSyncDeleteLimits(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dst := "s3://" + bucket + "/p/"
		dir := t.TempDir()
		makeFiles(t, dir, 300, "new1", "new2", "sub/new3")
		putObjects(t, srv, bucket, 100, numbered("p/old/x", 10)...)

		for _, limit := range []string{"5", "10"} {
			args := []string{"--delete", "--max-delete", limit, dir, dst}
			dry := s.json(t, append([]string{"--dry-run"}, args...)...)
			noBodies(t, dry.sum.Calls)
			text := s.run(t, append([]string{"sync", "--dry-run"}, args...)...)
			real := s.json(t, args...)
			if dry.code != real.code {
				t.Errorf("--max-delete %s: dry run exit %d, real run %d", limit, dry.code, real.code)
			}
			ups, dels := len(dry.of("plan", "upload")), len(dry.of("plan", "delete"))
			if ups != num(real.sum.Uploaded) || dels != num(real.sum.Deleted) || num(dry.sum.Items) != ups+dels || num(dry.sum.Deleted) != dels {
				t.Errorf("--max-delete %s: the plan has %d uploads and %d deletes (summary: %d items, %d deleted), the run did %d and %d",
					limit, ups, dels, num(dry.sum.Items), num(dry.sum.Deleted), num(real.sum.Uploaded), num(real.sum.Deleted))
			}
			if num64(dry.sum.Bytes) != num64(real.sum.Bytes) {
				t.Errorf("--max-delete %s: the plan says %d bytes, the run moved %d", limit, num64(dry.sum.Bytes), num64(real.sum.Bytes))
			}
			if dry.sum.Requests["put_object"] != real.sum.Calls["PutObject"] {
				t.Errorf("--max-delete %s: the plan says %d PutObject, the run sent %d", limit, dry.sum.Requests["put_object"], real.sum.Calls["PutObject"])
			}
			if lines := strings.Count(text.stdout, "upload: ") + strings.Count(text.stdout, "delete: "); lines != ups+dels || text.code != dry.code {
				t.Errorf("--max-delete %s: the text plan has %d lines, exit %d; the JSON one %d items, exit %d:\n%s", limit, lines, text.code, ups+dels, dry.code, text.stdout)
			}
			switch limit {
			case "5":
				if real.code != 3 || real.puts() != 3 || num(real.sum.Deleted) != 0 || real.sum.Calls["DeleteObjects"] != 0 || len(keys(t, srv, bucket, "p/")) != 13 {
					t.Fatalf("--max-delete 5 with 10 to delete: want exit 3, 3 PUT, nothing deleted\n%v\n%s", real.sum.Calls, real)
				}
				if !real.hasNote("10 deletions", "--max-delete 5") {
					t.Errorf("no note with the numbers:\n%s", real)
				}
			case "10":
				if real.code != 0 || real.puts() != 0 || num(real.sum.Deleted) != 10 || real.sum.Calls["DeleteObjects"] != 1 || len(keys(t, srv, bucket, "p/")) != 3 {
					t.Fatalf("--max-delete 10 with 10 to delete: want exit 0, 0 PUT, 10 deleted in one DeleteObjects\n%v\n%s", real.sum.Calls, real)
				}
			}
		}

		// --detailed-exitcode: 0 on the synced tree, 4 once a file changed.
		if r := s.run(t, "sync", "--dry-run", "--detailed-exitcode", "--delete", dir, dst); r.code != 0 {
			t.Fatalf("--detailed-exitcode on a synced tree: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
		}
		randomFile(t, filepath.Join(dir, "new1"), 301)
		if r := s.run(t, "sync", "--dry-run", "--detailed-exitcode", "--delete", dir, dst); r.code != 4 {
			t.Fatalf("--detailed-exitcode with one file changed: exit %d, want 4\n%s%s", r.code, r.stdout, r.stderr)
		}
		s.want(t, 0, dir, dst)

		putObjects(t, srv, bucket, 1024, "p/big1", "p/big2")
		o := s.want(t, 3, "--delete", "--max-delete-size", "1KiB", dir, dst)
		if num(o.sum.Deleted) != 0 || len(keys(t, srv, bucket, "p/")) != 5 || !o.hasNote("--max-delete-size") {
			t.Fatalf("--max-delete-size 1KiB with 2 KiB to delete: want nothing deleted and a note\n%s", o)
		}
		o = s.want(t, 0, "--delete", "--max-delete-size", "2KiB", dir, dst)
		if num(o.sum.Deleted) != 2 || len(keys(t, srv, bucket, "p/")) != 3 {
			t.Fatalf("--max-delete-size 2KiB with 2 KiB to delete: want both deleted\n%s", o)
		}
	})
}

// Case 9: the default percentage guard, once the destination holds 100 keys.
func TestSyncDeletePercentGuard(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dst := "s3://" + bucket + "/p"
		dir := t.TempDir()
		names := numbered("f", 200)
		makeFiles(t, dir, 10, names...)
		s.want(t, 0, "--concurrency", "32", dir, dst)
		for _, name := range names[90:] {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		o := s.want(t, 3, "--delete", dir, dst)
		if num(o.sum.Deleted) != 0 || len(keys(t, srv, bucket, "p/")) != 200 || !o.hasNote("--max-delete-percent") {
			t.Fatalf("110 of 200 to delete: want nothing deleted, exit 3 and a note naming --max-delete-percent\n%s", o)
		}
		o = s.want(t, 0, "--delete", "--max-delete-percent", "100", dir, dst)
		if num(o.sum.Deleted) != 110 || len(keys(t, srv, bucket, "p/")) != 90 {
			t.Fatalf("--max-delete-percent 100: deleted %d, want 110\n%s", num(o.sum.Deleted), o)
		}
	})
}

// Case 10: a local entry that cannot be read protects its key (and, for a directory, its
// prefix) from deletion; other deletions go on; the run exits 1. The tests run as root
// here, which reads a chmod 000 directory anyway, so the unreadable entry is a broken
// symbolic link named s (and, when not root, also a chmod 000 directory u).
func TestSyncUnreadableProtects(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dst := "s3://" + bucket + "/p"
		dir := t.TempDir()
		makeFiles(t, dir, 10, "a.txt")
		if err := os.Symlink("/nonexistent/haul-e2e", filepath.Join(dir, "s")); err != nil {
			t.Fatal(err)
		}
		putObjects(t, srv, bucket, 10, "p/s/x", "p/old")
		protected := []string{"p/s/x"}
		if os.Geteuid() != 0 {
			makeFiles(t, dir, 10, "u/y")
			putObjects(t, srv, bucket, 10, "p/u/y", "p/u/z")
			protected = append(protected, "p/u/y", "p/u/z")
			if err := os.Chmod(filepath.Join(dir, "u"), 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "u"), 0o755) })
		}
		o := s.want(t, 1, "--delete", dir, dst)
		left := strings.Join(keys(t, srv, bucket, "p/"), ",")
		if want := strings.Join(append([]string{"p/a.txt"}, protected...), ","); !sameSet(left, want) {
			t.Fatalf("keys left %s, want %s\n%s", left, want, o)
		}
		if num(o.sum.Deleted) != 1 || num(o.sum.Protected) != len(protected) || num(o.sum.Failed) == 0 {
			t.Fatalf("deleted %d, protected %d, failed %d; want 1, %d, at least 1\n%s", num(o.sum.Deleted), num(o.sum.Protected), num(o.sum.Failed), len(protected), o)
		}
		if len(o.of("protect", "")) != len(protected) {
			t.Errorf("want %d protect events\n%s", len(protected), o)
		}
	})
}

// sameSet reports whether the comma-separated lists a and b hold the same elements.
func sameSet(a, b string) bool {
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}

// Case 32: deletions start only after every upload has answered (the --debug log has one
// line per request, written when it answers).
func TestSyncDeletesAfterTransfers(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dir := t.TempDir()
		makeFiles(t, dir, 1000, numbered("f", 30)...)
		makeFiles(t, dir, 6<<20, "big.bin")
		putObjects(t, srv, bucket, 10, numbered("p/old", 20)...)
		r := s.run(t, "--debug", "sync", "--delete", "--multipart-threshold", "5MiB", "--part-size", "5MiB", dir, "s3://"+bucket+"/p/")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		lastPut, firstDelete, deletes := -1, -1, 0
		for i, line := range strings.Split(r.stderr, "\n") {
			switch {
			case strings.HasPrefix(line, "debug: PutObject "), strings.HasPrefix(line, "debug: CompleteMultipartUpload "):
				lastPut = i
			case strings.HasPrefix(line, "debug: DeleteObjects "):
				deletes++
				if firstDelete < 0 {
					firstDelete = i
				}
			}
		}
		if lastPut < 0 || firstDelete < 0 || deletes != 1 {
			t.Fatalf("want PutObject and one DeleteObjects in the --debug log:\n%s", r.stderr)
		}
		if firstDelete < lastPut {
			t.Fatalf("a DeleteObjects (line %d) answered before the last upload (line %d):\n%s", firstDelete, lastPut, r.stderr)
		}
		if got := len(keys(t, srv, bucket, "p/")); got != 31 {
			t.Fatalf("%d keys, want 31", got)
		}
	})
}

// Cases 4, 5 and 6: a source listing that fails on its second page (for every retry), whose
// second page is out of key order, or that says it is truncated but gives no token to go
// on with, ends the run with exit 1, and nothing is deleted, though --delete was given and
// the local destination holds files the source lacks. The source holds 2,100 keys: three
// pages of at most 1,000. The cases run one after the other into the same directory, with
// the same state file (--state: each case has its own proxy, at its own endpoint, which
// names a default state file of its own), so that each downloads only what the one
// before did not. The faults are the proxy's, so versitygw and MinIO suffice (see
// forServers).
func TestSyncListingFaults(t *testing.T) {
	forServers(t, []string{"versitygw", "minio"}, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		src := t.TempDir()
		names := numbered("k", 2100)
		makeFiles(t, src, 10, names...)
		must(t, srv, "-q", "cp", "-r", "--concurrency", "64", src, "s3://"+bucket+"/src/")
		extras := append(numbered("extra", 50), numbered("zz/extra", 50)...)
		dst := t.TempDir()
		makeFiles(t, dst, 10, extras...)
		state := filepath.Join(t.TempDir(), "listing.state")
		for _, c := range []struct {
			name  string
			fault s3test.Kind
			words []string // in the error
			pages int      // the pages whose keys are then in dst
		}{
			{"page fails", s3test.InternalError, []string{"ListObjectsV2", "InternalError"}, 1},
			{"out of order", s3test.ReverseListing, []string{"order"}, 1},
			{"truncated without a token", s3test.DropContinuationToken, []string{"continuation token"}, 2},
		} {
			t.Run(c.name, func(t *testing.T) {
				view, faults := srv.Faults(t)
				faults.Add(-1, s3test.IsListPage("src/", 2), s3test.Fault{Kind: c.fault})
				s := newSyncer(t, view)
				// --max-delete-percent 100: no guard stands between the listing and the deletes.
				o := s.json(t, "--retries", "1", "--state", state, "--delete", "--max-delete-percent", "100", "s3://"+bucket+"/src", dst)
				t.Logf("proxy: %s; haul: exit %d, %d downloaded, %d deleted, calls %v: %s", faults.Stats(), o.code, num(o.sum.Downloaded), num(o.sum.Deleted), o.sum.Calls, o.sum.Error)
				if faults.Stats().Total() == 0 {
					t.Fatal("the proxy injected no fault: the case tests nothing")
				}
				if o.code != 1 || num(o.sum.Deleted) != 0 || len(o.of("done", "delete")) != 0 {
					t.Fatalf("want exit 1 and nothing deleted\n%s", o)
				}
				files := treeFiles(t, dst)
				for _, e := range extras {
					if files[e] == nil {
						t.Fatalf("%s was deleted", e)
					}
				}
				msg := o.sum.Error
				for _, f := range o.of("failed", "") {
					msg += "\n" + f.Error
				}
				for _, w := range c.words {
					if !strings.Contains(msg, w) {
						t.Errorf("the error does not say %q:\n%s", w, msg)
					}
				}
				for _, name := range names[:1000*c.pages] {
					if files[name] == nil {
						t.Fatalf("%s, on a page listed before the fault, was not downloaded", name)
					}
				}
				if o.sum.Calls["HeadObject"] != 0 {
					t.Errorf("%d HEAD: the keys downloaded before are in the state", o.sum.Calls["HeadObject"])
				}
				if len(files) != len(extras)+1000*c.pages {
					t.Fatalf("%d files downloaded, want the %d of the pages before the fault", len(files)-len(extras), 1000*c.pages)
				}
			})
		}
	})
}

// denyDelete returns a view of srv behind a proxy that answers every DeleteObjects itself:
// it deletes each key it is asked to with the SDK, except denied, for which it answers
// AccessDenied inside a 200 response, as S3 does for a key the caller may not delete.
// Every other request passes on unchanged. (s3test's fault proxy injects faults into
// whole requests only; a per-key error inside a 200 answer needs its own.)
func denyDelete(t *testing.T, srv *s3test.Server, denied string) *s3test.Server {
	t.Helper()
	target, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	client := srv.Client(t)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !r.URL.Query().Has("delete") {
			forward.ServeHTTP(w, r)
			return
		}
		var req struct {
			Quiet   bool
			Objects []struct{ Key string } `xml:"Object"`
		}
		if err := xml.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		bucket := strings.Trim(r.URL.Path, "/")
		var out strings.Builder
		out.WriteString(`<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
		for _, o := range req.Objects {
			if o.Key == denied {
				out.WriteString("<Error><Key>")
				_ = xml.EscapeText(&out, []byte(o.Key))
				out.WriteString("</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
				continue
			}
			if _, err := client.DeleteObject(r.Context(), &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String(o.Key)}); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			if !req.Quiet {
				out.WriteString("<Deleted><Key>")
				_ = xml.EscapeText(&out, []byte(o.Key))
				out.WriteString("</Key></Deleted>")
			}
		}
		out.WriteString("</DeleteResult>")
		w.Header().Set("Content-Type", "application/xml")
		_, _ = io.WriteString(w, out.String())
	}))
	t.Cleanup(proxy.Close)
	view := *srv
	view.Endpoint = proxy.URL
	return &view
}

// Case 33: a DeleteObjects in which one key answers AccessDenied: the other keys are
// deleted, that key is a failed item, the run exits 1; the next run deletes it.
func TestSyncDeleteDeniedKey(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		makeFiles(t, dir, 10, "keep")
		s := newSyncer(t, srv)
		s.want(t, 0, dir, "s3://"+bucket+"/p")
		putObjects(t, srv, bucket, 10, "p/old1", "p/denied", "p/old2")

		s.srv = denyDelete(t, srv, "p/denied")
		o := s.want(t, 1, "--delete", dir, "s3://"+bucket+"/p")
		if got := keySet(t, srv, bucket, "p/"); got != sorted("denied", "keep") || num(o.sum.Deleted) != 2 || num(o.sum.Failed) != 1 {
			t.Fatalf("keys %s, %d deleted, %d failed; want old1 and old2 deleted, denied failed\n%s", got, num(o.sum.Deleted), num(o.sum.Failed), o)
		}
		failed := o.of("failed", "delete")
		if len(failed) != 1 || !strings.HasSuffix(failed[0].Dst, "/p/denied") || !strings.Contains(failed[0].Error, "AccessDenied") {
			t.Fatalf("want one failed delete of p/denied naming AccessDenied\n%s", o)
		}

		s.srv = srv
		if o := s.want(t, 0, "--delete", dir, "s3://"+bucket+"/p"); num(o.sum.Deleted) != 1 || keySet(t, srv, bucket, "p/") != "keep" {
			t.Fatalf("the next run: %d deleted, keys %s; want denied deleted", num(o.sum.Deleted), keySet(t, srv, bucket, "p/"))
		}
	})
}
