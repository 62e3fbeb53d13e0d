package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haul-s3/haul/internal/s3test"
)

// bodyRequest says whether a recorded request carried or fetched an object's bytes: a PUT
// or POST with a body, or a GET of an object (a GET of the bucket is a listing).
func bodyRequest(q s3test.Request) bool {
	switch q.Method {
	case http.MethodPut, http.MethodPost:
		return true
	case http.MethodGet:
		return strings.Count(strings.Trim(q.Path, "/"), "/") > 0 // /bucket/key, not /bucket
	}
	return false
}

type planLine struct {
	Event    string         `json:"event"`
	Op       string         `json:"op"`
	Src      string         `json:"src"`
	Dst      string         `json:"dst"`
	Bytes    *int64         `json:"bytes"`
	Items    *int           `json:"items"`
	Requests map[string]int `json:"requests"`
}

func planOf(t *testing.T, stdout string) (items []planLine, summary planLine) {
	t.Helper()
	for _, l := range jsonLines[planLine](t, stdout) {
		switch l.Event {
		case "plan":
			items = append(items, l)
		case "summary":
			summary = l
		}
	}
	return items, summary
}

// cp --dry-run prints the plan in both directions, with the requests each item takes, and
// sends nothing that carries or fetches object bytes; --include/--exclude choose the items.
func TestDryRunPrintsThePlanAndSendsNoBodies(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		randomFile(t, filepath.Join(dir, "a", "x.log"), 10)
		randomFile(t, filepath.Join(dir, "a", "b", "y.txt"), 20)
		randomFile(t, filepath.Join(dir, "build", "keep", "k.o"), 30)
		randomFile(t, filepath.Join(dir, "build", "other", "o.o"), 40)
		randomFile(t, filepath.Join(dir, "big.bin"), 20<<20)
		rec, recorder := srv.Record(t)

		r := must(t, rec, "--json", "cp", "-r", dir, "s3://"+bucket+"/p/", "--dry-run", "--multipart-threshold", "8MiB", "--part-size", "5MiB",
			"--exclude", "build/", "--include", "build/keep/**", "--exclude", "*.log")
		items, sum := planOf(t, r.stdout)
		var dsts []string
		for _, it := range items {
			dsts = append(dsts, strings.TrimPrefix(it.Dst, "s3://"+bucket+"/p/"))
		}
		slices.Sort(dsts)
		if want := []string{"a/b/y.txt", "big.bin", "build/keep/k.o"}; !slices.Equal(dsts, want) {
			t.Fatalf("planned %v, want %v", dsts, want)
		}
		if sum.Items == nil || *sum.Items != 3 || sum.Requests["put_object"] != 2 || sum.Requests["create_multipart_upload"] != 1 ||
			sum.Requests["upload_part"] != 4 || sum.Requests["complete_multipart_upload"] != 1 {
			t.Fatalf("summary %+v: want 3 items, 2 PUTs and one upload of 4 parts", sum)
		}
		if bad := recorder.Requests(bodyRequest); len(bad) != 0 {
			t.Fatalf("a dry run sent %d body requests, first %s %s", len(bad), bad[0].Method, bad[0].Path)
		}
		if ks := keys(t, srv, bucket, ""); len(ks) != 0 {
			t.Fatalf("a dry run stored %v", ks)
		}

		must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/p/", "--multipart-threshold", "8MiB")
		recorder.Reset()
		out := filepath.Join(t.TempDir(), "out")
		r = must(t, rec, "cp", "-r", "s3://"+bucket+"/p/", out, "--dry-run", "--exclude", "*", "--include", "*.txt", "--include", "big.bin", "--exclude", "a/**")
		if strings.Count(r.stdout, "plan: download:") != 1 || !strings.Contains(r.stdout, "big.bin") || !strings.Contains(r.stderr, "dry run: 1 item") {
			t.Fatalf("download plan:\n%s\n%s", r.stdout, r.stderr)
		}
		if bad := recorder.Requests(bodyRequest); len(bad) != 0 {
			t.Fatalf("a download dry run sent %d body requests, first %s %s", len(bad), bad[0].Method, bad[0].Path)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("a dry run made the destination directory (%v)", err)
		}

		// Bad input ends a dry run as it ends the real one.
		if r := haul(t, srv, nil, "cp", filepath.Join(dir, "nope"), "s3://"+bucket+"/k", "--dry-run"); r.code != 2 {
			t.Fatalf("missing source: exit %d, want 2", r.code)
		}
		if r := haul(t, srv, nil, "cp", filepath.Join(dir, "big.bin"), "s3://haul-no-such-bucket-dry/k", "--dry-run"); r.code != 2 || !strings.Contains(r.stderr, "does not exist") {
			t.Fatalf("missing bucket: exit %d, want 2 naming the bucket: %s", r.code, r.stderr)
		}
		if r := haul(t, srv, nil, "cp", filepath.Join(dir, "big.bin"), "s3://"+bucket+"/k", "--dry-run", "--exclude", "*"); r.code != 2 {
			t.Fatalf("--exclude without -r: exit %d, want 2", r.code)
		}
	})
}

// The same filters on a real copy, both ways.
func TestIncludeExcludeCopy(t *testing.T) {
	srv := s3test.Shared(t, "versitygw")
	bucket := srv.NewBucket(t)
	dir := t.TempDir()
	for _, p := range []string{"keep.txt", "drop.tmp", "sub/keep2.txt", "sub/drop2.tmp", "build/x.o", "build/keep/y.o", "build/other/z.o"} {
		randomFile(t, filepath.Join(dir, p), 5)
	}
	// A special file in an excluded directory fails nothing: the walk does not enter the
	// directory (build/other is pruned; build/ itself is entered for build/keep).
	if err := mkfifo(filepath.Join(dir, "build", "other", "pipe")); err != nil {
		t.Fatal(err)
	}
	randomFile(t, filepath.Join(dir, "build", "other", "x.o"), 5)
	must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/f/", "--exclude", "*.tmp", "--exclude", "build/", "--include", "build/keep/**")
	got := keys(t, srv, bucket, "f/")
	slices.Sort(got)
	if want := []string{"f/build/keep/y.o", "f/keep.txt", "f/sub/keep2.txt"}; !slices.Equal(got, want) {
		t.Fatalf("uploaded %v, want %v", got, want)
	}
	out := t.TempDir()
	must(t, srv, "-q", "cp", "-r", "s3://"+bucket+"/f/", out, "--exclude", "*", "--include", "sub/*.txt")
	files := treeFiles(t, out)
	if len(files) != 1 || files["sub/keep2.txt"] == nil {
		t.Fatalf("downloaded %v, want only sub/keep2.txt", files)
	}
}

// A file keeps its modification time through an upload and a download, to the nanosecond
// (x-amz-meta-haul-mtime), on every server, ranged downloads included.
func TestModificationTimeRoundTrip(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		mtime := time.Date(2025, 6, 1, 12, 30, 45, 123456789, time.UTC)
		for name, size := range map[string]int{"small": 100, "big": 12 << 20} {
			p := filepath.Join(dir, name)
			randomFile(t, p, size)
			if err := os.Chtimes(p, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
		must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/m/", "--multipart-threshold", "5MiB", "--part-size", "5MiB")
		out := t.TempDir()
		must(t, srv, "-q", "cp", "-r", "s3://"+bucket+"/m/", out, "--multipart-threshold", "5MiB", "--part-size", "5MiB")
		for _, name := range []string{"small", "big"} {
			fi, err := os.Stat(filepath.Join(out, name))
			if err != nil || !fi.ModTime().Equal(mtime) {
				t.Errorf("%s: mtime %v, %v; want %v", name, fi.ModTime(), err, mtime)
			}
		}
	})
}
