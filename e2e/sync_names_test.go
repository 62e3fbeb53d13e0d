package e2e

import (
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

// The sync tests of names and layout: filters, prefix forms, directory markers, empty
// files, names that encodings bend, and keys no local file can be. Helpers are in
// sync_test.go.

// keySet is the keys under prefix, without it, as a sorted comma-separated list.
func keySet(t *testing.T, srv *s3test.Server, bucket, prefix string) string {
	t.Helper()
	var rel []string
	for _, k := range keys(t, srv, bucket, prefix) {
		rel = append(rel, strings.TrimPrefix(k, prefix))
	}
	slices.Sort(rel)
	return strings.Join(rel, ",")
}

// fileSet is the regular files under root as a sorted comma-separated list.
func fileSet(t *testing.T, root string) string {
	t.Helper()
	var names []string
	for name := range treeFiles(t, root) {
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// sorted sorts names and joins them with commas.
func sorted(names ...string) string {
	names = slices.Clone(names)
	slices.Sort(names)
	return strings.Join(names, ",")
}

// Case 22: --include and --exclude choose the keys on both sides alike; an excluded key is
// never deleted unless --delete-excluded.
func TestSyncFilters(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dir := t.TempDir()
		all := []string{"a.txt", "b.log", "a/b/c.tmp", "a/d.tmp", "a/e.txt", "logs/x.log", "logs/y.txt"}
		makeFiles(t, dir, 10, all...)
		url := func(p string) string { return "s3://" + bucket + "/" + p }
		for _, c := range []struct {
			prefix  string
			filters []string
			want    string
		}{
			{"f1/", []string{"--exclude", "*", "--include", "*.txt"}, sorted("a.txt", "a/e.txt", "logs/y.txt")},
			{"f2/", []string{"--exclude", "*.tmp"}, sorted("a.txt", "b.log", "a/e.txt", "logs/x.log", "logs/y.txt")},
			{"f3/", []string{"--exclude", "a/*.tmp"}, sorted("a.txt", "b.log", "a/b/c.tmp", "a/e.txt", "logs/x.log", "logs/y.txt")},
		} {
			s.want(t, 0, append(c.filters, dir, url(c.prefix))...)
			if got := keySet(t, srv, bucket, c.prefix); got != c.want {
				t.Errorf("%v: uploaded %s, want %s", c.filters, got, c.want)
			}
		}

		s.want(t, 0, dir, url("f4"))
		putObjects(t, srv, bucket, 10, "f4/logs/old", "f4/old")
		o := s.want(t, 0, "--delete", "--exclude", "logs/", dir, url("f4"))
		if got, want := keySet(t, srv, bucket, "f4/"), sorted(append(slices.Clone(all), "logs/old")...); got != want || num(o.sum.Deleted) != 1 {
			t.Fatalf("--exclude logs/ --delete: %d deleted, keys %s; want only old deleted, logs/ untouched (%s)", num(o.sum.Deleted), got, want)
		}
		o = s.want(t, 0, "--delete", "--delete-excluded", "--exclude", "logs/", dir, url("f4"))
		if got, want := keySet(t, srv, bucket, "f4/"), sorted("a.txt", "b.log", "a/b/c.tmp", "a/d.tmp", "a/e.txt"); got != want || num(o.sum.Deleted) != 3 {
			t.Fatalf("--delete-excluded: %d deleted, keys %s; want logs/ deleted (%s)", num(o.sum.Deleted), got, want)
		}

		// Downloading, the same filters choose the same files, and spare excluded ones.
		out := t.TempDir()
		makeFiles(t, out, 10, "keep.tmp")
		s.want(t, 0, "--delete", "--exclude", "*.tmp", url("f4"), out)
		if got, want := fileSet(t, out), sorted("a.txt", "b.log", "a/e.txt", "keep.tmp"); got != want {
			t.Fatalf("download with --exclude '*.tmp' --delete: files %s, want %s", got, want)
		}
	})
}

// Case 23: "dir", "dir/", "s3://b/p" and "s3://b/p/" name the same things; the prefix p is
// p/, so p2/ is never touched, also by --delete; "s3://b" is the bucket's root.
func TestSyncPrefixForms(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dir := t.TempDir()
		makeFiles(t, dir, 10, "x.txt", "d/y.txt")
		putObjects(t, srv, bucket, 10, "p2/x", "p2/x.txt", "pz", "p/stale")
		o := s.want(t, 0, "--delete", dir, "s3://"+bucket+"/p")
		if got := keySet(t, srv, bucket, ""); got != sorted("p/x.txt", "p/d/y.txt", "p2/x", "p2/x.txt", "pz") || num(o.sum.Deleted) != 1 {
			t.Fatalf("sync dir s3://b/p --delete: keys %s, %d deleted; want p/<rel>, p/stale deleted, p2/ and pz untouched", got, num(o.sum.Deleted))
		}
		o = s.want(t, 0, "--delete", dir+"/", "s3://"+bucket+"/p/")
		if o.puts() != 0 || o.sum.Calls["HeadObject"] != 0 || num(o.sum.Deleted) != 0 || num(o.sum.Unchanged) != 2 {
			t.Fatalf("sync dir/ s3://b/p/: calls %v, %d deleted; want the same keys, found unchanged by the same state", o.sum.Calls, num(o.sum.Deleted))
		}

		for i, src := range []string{"s3://" + bucket + "/p", "s3://" + bucket + "/p/"} {
			out := filepath.Join(t.TempDir(), "out")
			s.want(t, 0, src, out+strings.Repeat("/", i))
			if got := fileSet(t, out); got != sorted("x.txt", "d/y.txt") {
				t.Fatalf("sync %s: downloaded %s, want x.txt and d/y.txt only", src, got)
			}
		}

		root := srv.NewBucket(t)
		s.want(t, 0, dir, "s3://"+root)
		if got := keySet(t, srv, root, ""); got != sorted("x.txt", "d/y.txt") {
			t.Fatalf("sync dir s3://b: keys %s, want x.txt and d/y.txt at the root", got)
		}
		if o := s.want(t, 0, dir, "s3://"+root+"/"); o.puts() != 0 {
			t.Fatalf("sync dir s3://b/ after s3://b: %d PUT, want 0", o.puts())
		}
	})
}

// Case 24: directory markers (keys ending in "/" with no bytes) are neither files when
// downloading nor deleted when uploading; a key ending in "/" that holds bytes cannot be a
// file, and fails.
func TestSyncDirectoryMarkers(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		putObjects(t, srv, bucket, 0, "p/sub/", "p/empty/")
		putObjects(t, srv, bucket, 10, "p/sub/f")
		out := t.TempDir()
		o := s.want(t, 0, "s3://"+bucket+"/p", out)
		if got := fileSet(t, out); got != "sub/f" || num(o.sum.Downloaded) != 1 {
			t.Fatalf("markers downloaded: files %s, %d downloaded; want sub/f only", got, num(o.sum.Downloaded))
		}

		// Uploading with --delete, markers the source has no directory for stay.
		putObjects(t, srv, bucket, 0, "q/sub/", "q/empty/")
		putObjects(t, srv, bucket, 10, "q/old")
		dir := t.TempDir()
		makeFiles(t, dir, 10, "f2")
		o = s.want(t, 0, "--delete", dir, "s3://"+bucket+"/q")
		if got := keySet(t, srv, bucket, "q/"); got != sorted("empty/", "f2", "sub/") || num(o.sum.Deleted) != 1 {
			t.Fatalf("upload --delete: keys %s, %d deleted; want the markers kept, old deleted", got, num(o.sum.Deleted))
		}

		t.Run("with bytes", func(t *testing.T) {
			_, err := srv.Client(t).PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("p/odd/"), Body: strings.NewReader("12345")})
			if err != nil {
				t.Skipf("%s refuses a 5-byte object named p/odd/ (a key ending in / is a directory to it): %v", srv.Kind, err)
			}
			if got := keySet(t, srv, bucket, "p/odd/"); got != "" {
				t.Skipf("%s stored the 5-byte p/odd/ as %q", srv.Kind, got)
			}
			o := s.want(t, 1, "s3://"+bucket+"/p", out)
			failed := o.of("failed", "")
			if len(failed) != 1 || !strings.Contains(failed[0].Error, "cannot be represented locally") || fileSet(t, out) != "sub/f" {
				t.Fatalf("a 5-byte key ending in /: want one failed item that cannot be represented locally\n%s", o)
			}
			// Uploading with --delete, it is reported and not deleted: no local file could be it.
			o = s.json(t, "--delete", dir, "s3://"+bucket+"/p")
			if got := keySet(t, srv, bucket, "p/"); got != sorted("empty/", "f2", "odd/", "sub/") {
				t.Fatalf("upload --delete over a 5-byte key ending in /: keys %s; want it kept\n%s", got, o)
			}
			if p := o.of("protect", ""); len(p) != 1 || !strings.HasSuffix(p[0].Dst, "/p/odd/") {
				t.Fatalf("upload --delete over a 5-byte key ending in /: want it reported as protected\n%s", o)
			}
		})
	})
}

// Case 25: empty files are uploaded (a PutObject with no body, and haul's metadata), found
// unchanged, and downloaded as empty files.
func TestSyncEmptyFiles(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		rec, log := srv.Record(t)
		s := newSyncer(t, rec)
		dir := t.TempDir()
		makeFiles(t, dir, 0, "e1", "d/e2", "e3")
		o := s.want(t, 0, dir, "s3://"+bucket+"/p")
		puts := log.Requests(func(q s3test.Request) bool { return q.Method == "PUT" })
		if o.sum.Calls["PutObject"] != 3 || len(puts) != 3 {
			t.Fatalf("%d PutObject (%d PUT seen), want 3\n%v", o.sum.Calls["PutObject"], len(puts), o.sum.Calls)
		}
		for _, q := range puts {
			if q.Bytes != 0 || q.Header.Get("Content-Length") != "0" {
				t.Errorf("PUT %s with %d bytes, Content-Length %q; want 0", q.Path, q.Bytes, q.Header.Get("Content-Length"))
			}
		}
		for _, k := range []string{"p/e1", "p/d/e2", "p/e3"} {
			head, err := srv.Client(t).HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String(k)})
			if err != nil || aws.ToInt64(head.ContentLength) != 0 || head.Metadata["haul-mtime"] != fmt.Sprint(oldMtime.UnixNano()) {
				t.Fatalf("%s: %v, metadata %v; want 0 bytes and haul-mtime", k, err, head.Metadata)
			}
		}
		if o := s.want(t, 0, dir, "s3://"+bucket+"/p"); o.puts() != 0 {
			t.Fatalf("rerun: %d PUT, want 0", o.puts())
		}
		out := t.TempDir()
		s.want(t, 0, "s3://"+bucket+"/p", out)
		sameTree(t, dir, out)
	})
}

// Case 28: names that URL encoding, form decoding or a shell could bend, and a 1,024-byte
// key, go up and come back byte for byte; a rerun sends nothing.
func TestSyncNames(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		const prefix = "n/"
		// The longest key S3 allows: 1,024 bytes with the prefix. Path segments stay under
		// 255 bytes, which local file systems (and versitygw's posix backend) require.
		seg := strings.Repeat("s", 250)
		long := seg + "/" + seg + "/" + seg + "/" + seg + "/"
		long += strings.Repeat("x", 1024-len(prefix)-len(long)-len(".txt")) + ".txt"
		names := []string{"sp ace.txt", "plus+sign.txt", "a+b c+d.txt", "pct%20enc.txt", "pct%2Fslash.txt", "hash#tag.txt", "q?mark.txt",
			"amp&and.txt", "eq=val.txt", "emoji-😀-é.txt", "dir with space/a+b.txt", "tilde~'quote'.txt", long}
		dir := t.TempDir()
		makeFiles(t, dir, 20, names...)
		s.want(t, 0, dir, "s3://"+bucket+"/"+strings.TrimSuffix(prefix, "/"))
		if got := keySet(t, srv, bucket, prefix); got != sorted(names...) {
			t.Fatalf("keys differ from the names:\n got %q\nwant %q", got, sorted(names...))
		}
		if o := s.want(t, 0, dir, "s3://"+bucket+"/"+prefix); o.puts() != 0 || num(o.sum.Unchanged) != len(names) {
			t.Fatalf("rerun: %d PUT, %d unchanged; want 0 and %d", o.puts(), num(o.sum.Unchanged), len(names))
		}
		out := t.TempDir()
		s.want(t, 0, "s3://"+bucket+"/"+prefix, out)
		sameTree(t, dir, out)
		if got := fileSet(t, out); got != sorted(names...) {
			t.Fatalf("downloaded names differ:\n got %q\nwant %q", got, sorted(names...))
		}
	})
}

// Case 19: keys that no local file can safely be (with "..", an empty segment, a
// backslash) fail as items when downloading: nothing is written outside the destination,
// the run exits 1, and --delete removes no local file because of them; a file named a\b,
// which the key a\b could have been, stays. Each server keeps some of these keys as they
// are and normalizes or refuses others; the test uses those it kept.
func TestSyncUnsafeKeys(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		putObjects(t, srv, bucket, 10, "p/ok.txt")
		var stored []string
		for _, k := range []string{"p/../evil", "p/a/../../x", "p//abs", "p/a//b", `p/a\b`, "p/./dot"} {
			_, err := srv.Client(t).PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: strings.NewReader("unsafe")})
			switch {
			case err != nil:
				t.Logf("%s refuses the key %q: %v", srv.Kind, k, err)
			case !slices.Contains(keys(t, srv, bucket, ""), k):
				t.Logf("%s does not list the key %q as it was given: %q", srv.Kind, k, keys(t, srv, bucket, ""))
			default:
				stored = append(stored, k)
			}
		}
		if len(stored) == 0 {
			t.Skipf("%s keeps none of the unsafe keys as given", srv.Kind)
		}
		t.Logf("%s keeps %q", srv.Kind, stored)

		root := t.TempDir()
		out := filepath.Join(root, "out")
		makeFiles(t, root, 10, "evil", "x", "abs")
		makeFiles(t, out, 10, `a\b`)
		before := treeFiles(t, root)
		o := s.want(t, 1, "--delete", "s3://"+bucket+"/p", out)
		failed := map[string]bool{}
		for _, f := range o.of("failed", "") {
			failed[strings.TrimPrefix(f.Src, "s3://"+bucket+"/")] = true
		}
		for _, k := range stored {
			if !failed[k] {
				t.Errorf("the key %q did not fail as an item\n%s", k, o)
			}
		}
		// The keys under p/ that are safe (ok.txt, and on some servers the normalized forms
		// of the keys given) are downloaded.
		safe := 0
		for _, k := range keys(t, srv, bucket, "p/") {
			if !slices.Contains(stored, k) {
				safe++
				before["out/"+strings.TrimPrefix(k, "p/")] = nil
			}
		}
		if num(o.sum.Deleted) != 0 || num(o.sum.Downloaded) != safe {
			t.Errorf("%d deleted, %d downloaded; want 0 and the %d safe keys\n%s", num(o.sum.Deleted), num(o.sum.Downloaded), safe, o)
		}
		after := treeFiles(t, root)
		for name, data := range before {
			if got, ok := after[name]; !ok || data != nil && !bytes.Equal(got, data) {
				t.Errorf("%s was changed, removed or not downloaded", name)
			}
		}
		if len(after) != len(before) {
			t.Errorf("files after the sync: %v; want those before and out/ok.txt", slices.Sorted(maps.Keys(after)))
		}
	})
}
