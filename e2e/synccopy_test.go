package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haul-s3/haul/internal/s3test"
)

// haul sync between two S3 prefixes: on one server (the server copies) and between two
// (the bytes pass through haul), with the decisions, --delete and its guards, and --dry-run
// of every sync. Helpers are in sync_test.go and sync_delete_test.go.

// copiedKeys returns the keys, relative to prefix, of the done copies of a --json run.
func (o syncOut) copiedKeys(prefix string) []string {
	var ks []string
	for _, e := range o.of("done", "copy") {
		_, k, _ := strings.Cut(e.Dst, "/"+prefix)
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// callsOf is what a run's summary says of its requests and unchanged keys, for the log.
func callsOf(o syncOut) string {
	for _, l := range strings.Split(o.stderr+o.stdout, "\n") {
		if strings.Contains(l, `"summary"`) {
			return l
		}
	}
	return ""
}

// sameObjects fails unless every key under prefix a/p holds what the same key under b/q
// holds, and they hold the same keys.
func sameObjects(t *testing.T, from *s3test.Server, a, p string, to *s3test.Server, b, q string) {
	t.Helper()
	src, dst := keys(t, from, a, p), keys(t, to, b, q)
	rel := func(ks []string, prefix string) []string {
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = strings.TrimPrefix(k, prefix)
		}
		return out
	}
	if !slices.Equal(rel(src, p), rel(dst, q)) {
		t.Fatalf("s3://%s/%s holds %v, s3://%s/%s %v", a, p, rel(src, p), b, q, rel(dst, q))
	}
	for _, k := range src {
		if !bytes.Equal(objectBytes(t, from, a, k), objectBytes(t, to, b, q+strings.TrimPrefix(k, p))) {
			t.Errorf("%s differs from its source", k)
		}
	}
}

// New, changed and unchanged keys, a second run that copies nothing, --delete that keeps a
// sibling prefix, and a dry run that changes nothing.
func TestSyncS3ToS3(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		a, b := srv.NewBucket(t), srv.NewBucket(t)
		s := newSyncer(t, srv)
		src, dst := "s3://"+a+"/p", "s3://"+b+"/q"
		putObjects(t, srv, a, 100, "p/a.txt", "p/c.txt", "p/sub/b.txt")
		dir := t.TempDir()
		makeFiles(t, dir, 200, "d.txt", "sub/e.txt")
		must(t, srv, "cp", "-r", dir, src+"/") // objects with haul's metadata too

		o := s.want(t, 0, src, dst)
		if got := o.copiedKeys("q/"); !slices.Equal(got, []string{"a.txt", "c.txt", "d.txt", "sub/b.txt", "sub/e.txt"}) || num(o.sum.Copied) != 5 {
			t.Fatalf("first run copied %v (summary %d); want the five keys\n%s", got, num(o.sum.Copied), o)
		}
		if o.sum.Calls["CopyObject"] != 5 || o.sum.Calls["GetObject"]+o.sum.Calls["PutObject"] != 0 {
			t.Errorf("first run: requests %v; want 5 CopyObject and no byte through haul", o.sum.Calls)
		}
		for _, e := range o.of("done", "copy") {
			if e.Reason != "new" {
				t.Errorf("%s copied because %q, want new", e.Dst, e.Reason)
			}
		}
		sameObjects(t, srv, a, "p/", srv, b, "q/")

		o = s.want(t, 0, src, dst)
		if num(o.sum.Copied) != 0 || num(o.sum.Unchanged) != 5 {
			t.Fatalf("second run: %d copied, %d unchanged; want 0 and 5\n%s", num(o.sum.Copied), num(o.sum.Unchanged), o)
		}
		for op, c := range o.sum.Calls {
			if op != "ListObjectsV2" && op != "HeadBucket" && op != "HeadObject" {
				t.Errorf("second run sent %d %s: want listings (and HEADs) only (%v)", c, op, o.sum.Calls)
			}
		}
		t.Logf("second run: %s", callsOf(o))
		if o.sum.Calls["HeadObject"] != 0 {
			// Every server keeps the source's ETag on a CopyObject: equal ETags decide.
			t.Errorf("second run: %d HEAD, want none (equal ETags)", o.sum.Calls["HeadObject"])
		}

		// Changes at the source: one key of the same size with other bytes (a checksum both
		// sides have tells), one of another size, one new; one key the destination alone
		// holds, and a sibling prefix.
		time.Sleep(1100 * time.Millisecond) // LastModified has whole seconds
		putObjects(t, srv, a, 100, "p/a.txt", "p/new.txt")
		putObjects(t, srv, a, 150, "p/c.txt")
		putObjects(t, srv, b, 10, "q/old.txt", "q2/kept.txt", "q/sub/old2.txt")
		before := objectBytes(t, srv, b, "q/a.txt")

		dry := s.want(t, 0, "--dry-run", "--delete", src, dst)
		noBodies(t, dry.sum.Calls)
		if dry.sum.Calls["CopyObject"] != 0 {
			t.Errorf("the dry run copied: %v", dry.sum.Calls)
		}
		plan := map[string]string{}
		for _, e := range dry.events {
			if e.Event == "plan" {
				_, k, _ := strings.Cut(e.Dst, "/q/")
				plan[e.Op+" "+k] = e.Reason
			}
		}
		if len(plan) != 5 || !strings.HasSuffix(plan["copy a.txt"], " differs") || plan["copy c.txt"] != "size 100 B -> 150 B" || plan["copy new.txt"] != "new" ||
			plan["delete old.txt"] == "" || plan["delete sub/old2.txt"] == "" {
			t.Fatalf("plan %v; want a.txt, c.txt and new.txt copied, old.txt and sub/old2.txt deleted\n%s", plan, dry)
		}
		t.Logf("plan: %v", plan)
		if !bytes.Equal(objectBytes(t, srv, b, "q/a.txt"), before) || len(keys(t, srv, b, "q/")) != 7 {
			t.Fatal("the dry run changed the destination")
		}

		o = s.want(t, 0, "--delete", src, dst)
		if got := o.copiedKeys("q/"); !slices.Equal(got, []string{"a.txt", "c.txt", "new.txt"}) || num(o.sum.Deleted) != 2 {
			t.Fatalf("copied %v, deleted %d; want a.txt, c.txt, new.txt and 2 deleted\n%s", got, num(o.sum.Deleted), o)
		}
		if num(o.sum.Unchanged) != 3 || o.sum.Calls["DeleteObjects"] != 1 {
			t.Errorf("%d unchanged, requests %v; want 3 unchanged and one DeleteObjects", num(o.sum.Unchanged), o.sum.Calls)
		}
		sameObjects(t, srv, a, "p/", srv, b, "q/")
		if ks := keys(t, srv, b, "q2/"); !slices.Equal(ks, []string{"q2/kept.txt"}) {
			t.Errorf("the sibling prefix q2/ holds %v, want q2/kept.txt untouched", ks)
		}

		o = s.want(t, 0, "--delete", src, dst)
		t.Logf("third run: %s", callsOf(o))
		if num(o.sum.Copied)+num(o.sum.Deleted) != 0 || num(o.sum.Unchanged) != 6 {
			t.Fatalf("third run: %d copied, %d deleted, %d unchanged; want 0, 0, 6\n%s", num(o.sum.Copied), num(o.sum.Deleted), num(o.sum.Unchanged), o)
		}
		o = s.want(t, 0, "--checksum", src, dst) // equal ETags are a content comparison
		if num(o.sum.Copied) != 0 || num(o.sum.Unchanged) != 6 {
			t.Fatalf("--checksum on synced prefixes: %d copied, %d unchanged; want 0 and 6\n%s", num(o.sum.Copied), num(o.sum.Unchanged), o)
		}
		if r := s.run(t, "sync", "--dry-run", "--detailed-exitcode", "--delete", src, dst); r.code != 0 {
			t.Errorf("--detailed-exitcode on synced prefixes: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// The guards of --delete refuse between two S3 prefixes as they do for local syncs: an
// empty source, --max-delete, --max-delete-size, the default percentage; the dry run says
// the same.
func TestSyncS3ToS3Guards(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		a, b := srv.NewBucket(t), srv.NewBucket(t)
		s := newSyncer(t, srv)
		src, dst := "s3://"+a+"/p/", "s3://"+b+"/q/"
		putObjects(t, srv, b, 10, "q/x1", "q/x2", "q/x3", "q/x4", "q/x5")

		o := s.want(t, 3, "--delete", src, dst)
		if num(o.sum.Deleted) != 0 || len(keys(t, srv, b, "q/")) != 5 || !o.hasNote("source is empty", "--allow-empty-source") {
			t.Fatalf("empty source: want nothing deleted and a note\n%s", o)
		}
		o = s.want(t, 0, "--delete", "--allow-empty-source", src, dst)
		if num(o.sum.Deleted) != 5 || len(keys(t, srv, b, "q/")) != 0 {
			t.Fatalf("--allow-empty-source: %d deleted, want 5\n%s", num(o.sum.Deleted), o)
		}

		putObjects(t, srv, a, 10, "p/n1", "p/n2", "p/n3")
		putObjects(t, srv, b, 100, numbered("q/old/x", 10)...)
		args := []string{"--delete", "--max-delete", "5", src, dst}
		dry := s.want(t, 3, append([]string{"--dry-run"}, args...)...)
		noBodies(t, dry.sum.Calls)
		if len(dry.of("plan", "copy")) != 3 || len(dry.of("plan", "delete")) != 0 || !dry.hasNote("10 deletions", "--max-delete 5") {
			t.Errorf("dry run: %d copies and %d deletes planned, want 3 and none (the guard's note instead)\n%s", len(dry.of("plan", "copy")), len(dry.of("plan", "delete")), dry)
		}
		text := s.run(t, append([]string{"sync", "--dry-run"}, args...)...)
		if strings.Count(text.stdout, "copy: s3://"+a+"/p/n") != 3 || !strings.Contains(text.stdout+text.stderr, "3 copy 30 B, 0 delete") || text.code != 3 {
			t.Errorf("text plan: want 3 copy lines and the total \"3 copy 30 B, 0 delete\", exit 3; exit %d\n%s%s", text.code, text.stdout, text.stderr)
		}
		o = s.want(t, 3, args...)
		if num(o.sum.Copied) != 3 || num(o.sum.Deleted) != 0 || len(keys(t, srv, b, "q/")) != 13 || !o.hasNote("10 deletions", "--max-delete 5") {
			t.Fatalf("--max-delete 5 with 10 to delete: want 3 copied, nothing deleted, a note\n%s", o)
		}
		o = s.want(t, 3, "--delete", "--max-delete-size", "999B", src, dst)
		if num(o.sum.Deleted) != 0 || !o.hasNote("--max-delete-size") {
			t.Fatalf("--max-delete-size 999B with 1,000 B to delete: want nothing deleted\n%s", o)
		}
		o = s.want(t, 0, "--delete", "--max-delete", "10", src, dst)
		if num(o.sum.Deleted) != 10 || len(keys(t, srv, b, "q/")) != 3 {
			t.Fatalf("--max-delete 10 with 10 to delete: %d deleted, want 10\n%s", num(o.sum.Deleted), o)
		}

		// The percentage: 100 destination keys, the source holds 40 of them.
		putObjects(t, srv, b, 1, numbered("q/many/m", 97)...)
		putObjects(t, srv, a, 1, numbered("p/many/m", 40)...)
		o = s.want(t, 3, "--delete", src, dst)
		if num(o.sum.Deleted) != 0 || !o.hasNote("--max-delete-percent") {
			t.Fatalf("57 of 100 keys to delete: want the percentage guard\n%s", o)
		}
		o = s.want(t, 0, "--delete", "--max-delete-percent", "100", src, dst)
		if num(o.sum.Deleted) != 57 {
			t.Fatalf("--max-delete-percent 100: %d deleted, want 57\n%s", num(o.sum.Deleted), o)
		}
		sameObjects(t, srv, a, "p/", srv, b, "q/")
	})
}

// Usage: an S3 to S3 sync keeps no state file, refuses prefixes of one server that share
// keys, and the source flags go with two S3 URLs only.
func TestSyncS3ToS3Usage(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	a := srv.NewBucket(t)
	s := newSyncer(t, srv)
	for _, args := range [][]string{
		{"s3://" + a + "/p", "s3://" + a + "/p/q"},
		{"s3://" + a + "/p/q", "s3://" + a + "/p"},
		{"s3://" + a + "/p", "s3://" + a + "/p/"},
		{"s3://" + a, "s3://" + a + "/x"},
		{"--state", filepath.Join(t.TempDir(), "s"), "s3://" + a + "/p", "s3://" + a + "/q"},
		{"--source-profile", "x", t.TempDir(), "s3://" + a + "/q"},
	} {
		if r := s.run(t, append([]string{"sync"}, args...)...); r.code != 2 {
			t.Errorf("haul sync %s: exit %d, want 2\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if r := s.run(t, "sync", "s3://"+a+"/p", "s3://"+a+"/p2"); r.code != 0 {
		t.Errorf("p and p2 are apart: exit %d\n%s", r.code, r.stderr)
	}
}

// A sync between two servers: the bytes pass through haul (ranged GETs into parts), are
// checked against the source's checksum, and a second run copies nothing.
func TestSyncBetweenServers(t *testing.T) {
	forEachServerPair(t, func(t *testing.T, from, to *s3test.Server) {
		a, b := from.NewBucket(t), to.NewBucket(t)
		dir := t.TempDir()
		randomFile(t, filepath.Join(dir, "small"), 1000)
		randomFile(t, filepath.Join(dir, "sub", "big"), 12<<20+7)
		must(t, from, append([]string{"cp", "-r", dir, "s3://" + a + "/p/"}, copyFlags...)...)
		putObjects(t, from, a, 300, "p/foreign")
		putObjects(t, to, b, 10, "q/old", "q2/kept")

		config := filepath.Join(t.TempDir(), "config")
		err := os.WriteFile(config, []byte("[profile src]\naws_access_key_id = "+from.AccessKey+"\naws_secret_access_key = "+from.SecretKey+
			"\nregion = "+from.Region+"\n"), 0o600)
		if err != nil {
			t.Fatal(err)
		}
		s := newSyncer(t, to)
		args := append([]string{"--delete", "s3://" + a + "/p", "s3://" + b + "/q",
			"--source-endpoint-url", from.Endpoint, "--source-profile", "src", "--memory", "16MiB"}, copyFlags...)
		run := func(code int) syncOut {
			t.Helper()
			r := haulEnv(t, to, []string{"XDG_STATE_HOME=" + s.state, "AWS_CONFIG_FILE=" + config}, append([]string{"--json", "sync"}, args...)...)
			o := syncOut{result: r, events: jsonLines[syncEvent](t, r.stdout)}
			for _, e := range o.events {
				if e.Event == "summary" {
					o.sum = e
				}
			}
			if r.code != code {
				t.Fatalf("exit %d, want %d\n%s", r.code, code, o)
			}
			return o
		}
		o := run(0)
		if got := o.copiedKeys("q/"); !slices.Equal(got, []string{"foreign", "small", "sub/big"}) || num(o.sum.Deleted) != 1 {
			t.Fatalf("copied %v, deleted %d; want the three keys and q/old\n%s", got, num(o.sum.Deleted), o)
		}
		if o.sum.Calls["CopyObject"]+o.sum.Calls["UploadPartCopy"] != 0 || o.sum.Calls["UploadPart"] != 3 {
			t.Errorf("requests %v; want the bytes through haul (3 UploadPart for the big one), no server-side copy", o.sum.Calls)
		}
		sameObjects(t, from, a, "p/", to, b, "q/")
		if ks := keys(t, to, b, "q2/"); !slices.Equal(ks, []string{"q2/kept"}) {
			t.Errorf("the sibling prefix holds %v", ks)
		}

		o = run(0)
		t.Logf("second run: %s", callsOf(o))
		// The copies were made in parts of the source's part size: their ETags are the
		// source's, and no HEAD is needed.
		if num(o.sum.Copied)+num(o.sum.Deleted) != 0 || num(o.sum.Unchanged) != 3 || o.sum.Calls["HeadObject"] != 0 {
			t.Fatalf("second run: %d copied, %d deleted, %d unchanged; want 0, 0, 3\n%s", num(o.sum.Copied), num(o.sum.Deleted), num(o.sum.Unchanged), o)
		}
		if ups := to.IncompleteUploads(t, b, ""); len(ups) != 0 {
			t.Fatalf("incomplete uploads left: %v", ups)
		}
	})
}
