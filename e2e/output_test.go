package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

// events parses a --json run's stdout as the README's Output section promises: every line
// is a JSON object with a string "event", and the last line, and only it, is the summary.
// It returns the events and the summary.
func events(t *testing.T, args []string, r result) ([]map[string]any, map[string]any) {
	t.Helper()
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("haul %s: a line that is not a JSON object: %q: %v\nstdout:\n%s", strings.Join(args, " "), line, err, r.stdout)
		}
		if name, ok := ev["event"].(string); !ok || name == "" {
			t.Fatalf("haul %s: a line without an event: %q", strings.Join(args, " "), line)
		}
		evs = append(evs, ev)
	}
	for i, ev := range evs {
		if (ev["event"] == "summary") != (i == len(evs)-1) {
			t.Fatalf("haul %s: the summary must be the last line, and only it:\n%s", strings.Join(args, " "), r.stdout)
		}
	}
	return evs, evs[len(evs)-1]
}

// jsonRun runs haul --json with args, checks its exit code and output, and returns its events
// other than the summary, by kind, and the summary.
func jsonRun(t *testing.T, srv *s3test.Server, code int, args ...string) (map[string][]map[string]any, map[string]any) {
	t.Helper()
	args = append([]string{"--json"}, args...)
	r := haul(t, srv, nil, args...)
	if r.code != code {
		t.Fatalf("haul %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	evs, sum := events(t, args, r)
	byKind := map[string][]map[string]any{}
	for _, ev := range evs[:len(evs)-1] {
		byKind[ev["event"].(string)] = append(byKind[ev["event"].(string)], ev)
	}
	return byKind, sum
}

// counts fails unless the summary holds exactly these counts and no other, and the error
// (empty: none).
func counts(t *testing.T, what string, sum map[string]any, want map[string]float64, wantErr string) {
	t.Helper()
	got := map[string]float64{}
	for k, v := range sum {
		if n, ok := v.(float64); ok && k != "seconds" {
			got[k] = n
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: summary counts %v, want %v", what, got, want)
	}
	if e, _ := sum["error"].(string); !strings.Contains(e, wantErr) || (wantErr == "") != (e == "") {
		t.Errorf("%s: summary error %q, want %q", what, e, wantErr)
	}
}

// kinds returns how many events of each kind there are.
func kinds(byKind map[string][]map[string]any) map[string]int {
	n := map[string]int{}
	for k, evs := range byKind {
		n[k] = len(evs)
	}
	return n
}

func sameKinds(t *testing.T, what string, byKind map[string][]map[string]any, want map[string]int) {
	t.Helper()
	if got := kinds(byKind); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: events %v, want %v", what, got, want)
	}
}

// TestJSONOutput runs every command with --json and checks that each prints events, one JSON
// object per line, ending with a summary that counts what it did.
func TestJSONOutput(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		for n, size := range map[string]int{"a": 100, "b": 200, "sub/c": 300} {
			randomFile(t, filepath.Join(dir, n), size)
		}
		must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/p/")
		p := "s3://" + bucket + "/p/"

		evs, sum := jsonRun(t, srv, 0, "ls", p)
		sameKinds(t, "ls", evs, map[string]int{"object": 2, "prefix": 1})
		counts(t, "ls", sum, map[string]float64{"objects": 2, "prefixes": 1, "bytes": 300}, "")
		for _, o := range evs["object"] {
			if o["key"] == nil || o["size"] == nil || o["etag"] == nil || o["last_modified"] == nil {
				t.Errorf("ls: an object event without key, size, etag and last_modified: %v", o)
			}
		}
		if evs["prefix"][0]["key"] != "p/sub/" {
			t.Errorf("ls: prefix event %v, want key p/sub/", evs["prefix"][0])
		}
		evs, sum = jsonRun(t, srv, 0, "ls", "-r", p)
		sameKinds(t, "ls -r", evs, map[string]int{"object": 3})
		counts(t, "ls -r", sum, map[string]float64{"objects": 3, "prefixes": 0, "bytes": 600}, "")

		evs, sum = jsonRun(t, srv, 0, "ls")
		if !slices.ContainsFunc(evs["bucket"], func(ev map[string]any) bool { return ev["bucket"] == bucket }) ||
			sum["buckets"] != float64(len(evs["bucket"])) {
			t.Errorf("ls of buckets: %v buckets, summary %v; want %s among them, counted", evs["bucket"], sum, bucket)
		}

		made := bucket + "-mb"
		evs, sum = jsonRun(t, srv, 0, "mb", "s3://"+made)
		sameKinds(t, "mb", evs, map[string]int{"created": 1})
		counts(t, "mb", sum, map[string]float64{"created": 1}, "")
		if _, err := srv.Client(t).DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: &made}); err != nil {
			t.Fatalf("the bucket mb made is not there: %v", err)
		}

		ids := incomplete(t, srv, bucket, "up/x", 2)
		uploadParts(t, srv, bucket, "up/x", ids[0], []int{1000})
		evs, sum = jsonRun(t, srv, 0, "uploads", "ls", "s3://"+bucket+"/up/")
		sameKinds(t, "uploads ls", evs, map[string]int{"upload": 2})
		counts(t, "uploads ls", sum, map[string]float64{"uploads": 2, "bytes": 1000, "size_unknown": 0}, "")
		evs, sum = jsonRun(t, srv, 0, "uploads", "abort", "--dry-run", "s3://"+bucket+"/up/")
		sameKinds(t, "uploads abort --dry-run", evs, map[string]int{"would_abort": 2})
		counts(t, "uploads abort --dry-run", sum, map[string]float64{"would_abort": 2, "failed": 0, "bytes": 1000, "size_unknown": 0}, "")
		evs, sum = jsonRun(t, srv, 0, "uploads", "abort", "--no-parts", "s3://"+bucket+"/up/")
		sameKinds(t, "uploads abort", evs, map[string]int{"aborted": 2})
		counts(t, "uploads abort", sum, map[string]float64{"aborted": 2, "failed": 0, "bytes": 0, "size_unknown": 2}, "")
		for _, ev := range evs["aborted"] {
			if ev["dst"] != "s3://"+bucket+"/up/x" || !slices.Contains(ids, ev["upload_id"].(string)) {
				t.Errorf("uploads abort: event %v, want dst s3://%s/up/x and one of the upload IDs", ev, bucket)
			}
		}
		_, sum = jsonRun(t, srv, 1, "uploads", "abort", "--upload-id", "gone", "s3://"+bucket+"/up/")
		counts(t, "uploads abort of an upload that is not there", sum, map[string]float64{"aborted": 0, "failed": 0, "bytes": 0, "size_unknown": 0}, "no incomplete multipart upload with ID gone")

		lifecycleJSON(t, srv, bucket)

		evs, sum = jsonRun(t, srv, 0, "rm", "s3://"+bucket+"/p/a")
		sameKinds(t, "rm", evs, map[string]int{"deleted": 1})
		counts(t, "rm", sum, map[string]float64{"deleted": 1, "failed": 0}, "")
		evs, sum = jsonRun(t, srv, 0, "rm", "-r", p)
		sameKinds(t, "rm -r", evs, map[string]int{"deleted": 2})
		counts(t, "rm -r", sum, map[string]float64{"deleted": 2, "failed": 0}, "")
		if d := evs["deleted"]; d[0]["dst"] != p+"b" || d[1]["dst"] != p+"sub/c" {
			t.Errorf("rm -r: deleted %v, want %sb and %ssub/c", d, p, p)
		}
		evs, sum = jsonRun(t, srv, 0, "rm", "-r", p)
		sameKinds(t, "rm -r of nothing", evs, map[string]int{"note": 1})
		counts(t, "rm -r of nothing", sum, map[string]float64{"deleted": 0, "failed": 0}, "")

		_, sum = jsonRun(t, srv, 1, "ls", "s3://"+bucket+"-gone/")
		counts(t, "ls of a missing bucket", sum, map[string]float64{"objects": 0, "prefixes": 0, "bytes": 0}, "NoSuchBucket")
	})
}

// lifecycleJSON checks lifecycle show and abort-incomplete with --json as far as the server
// supports lifecycle rules (see lifecycleSupport).
func lifecycleJSON(t *testing.T, srv *s3test.Server, bucket string) {
	t.Helper()
	b := "s3://" + bucket
	switch lifecycleSupport[srv.Kind] {
	case "no lifecycle":
		_, sum := jsonRun(t, srv, 1, "lifecycle", "show", b)
		counts(t, "lifecycle show", sum, map[string]float64{"rules": 0}, "does not support lifecycle rules")
		_, sum = jsonRun(t, srv, 1, "lifecycle", "abort-incomplete", "--days", "2", b)
		counts(t, "lifecycle abort-incomplete", sum, map[string]float64{"installed": 0, "replaced": 0}, "does not support lifecycle rules")
		return
	case "no abort rule":
		_, sum := jsonRun(t, srv, 1, "lifecycle", "abort-incomplete", "--days", "2", b)
		counts(t, "lifecycle abort-incomplete", sum, map[string]float64{"installed": 0, "replaced": 0}, "does not accept a lifecycle rule")
		evs, sum := jsonRun(t, srv, 0, "lifecycle", "show", b)
		sameKinds(t, "lifecycle show", evs, map[string]int{"note": 1})
		counts(t, "lifecycle show", sum, map[string]float64{"rules": 0}, "")
		return
	}
	evs, sum := jsonRun(t, srv, 0, "lifecycle", "abort-incomplete", "--days", "2", b)
	sameKinds(t, "lifecycle abort-incomplete", evs, map[string]int{"installed": 1})
	counts(t, "lifecycle abort-incomplete", sum, map[string]float64{"installed": 1, "replaced": 0}, "")
	if ev := evs["installed"][0]; ev["id"] != "haul-abort-incomplete-multipart" || ev["abort_incomplete_days"] != float64(2) || ev["bucket"] != bucket {
		t.Errorf("lifecycle abort-incomplete: %v", ev)
	}
	evs, sum = jsonRun(t, srv, 0, "lifecycle", "abort-incomplete", "--days", "3", b)
	sameKinds(t, "lifecycle abort-incomplete again", evs, map[string]int{"replaced": 1})
	counts(t, "lifecycle abort-incomplete again", sum, map[string]float64{"installed": 0, "replaced": 1}, "")
	evs, sum = jsonRun(t, srv, 0, "lifecycle", "show", b)
	sameKinds(t, "lifecycle show", evs, map[string]int{"rule": 1})
	counts(t, "lifecycle show", sum, map[string]float64{"rules": 1}, "")
	if ev := evs["rule"][0]; ev["status"] != "Enabled" || ev["prefix"] != "" || ev["abort_incomplete_days"] != float64(3) {
		t.Errorf("lifecycle show: %v", ev)
	}
}

// TestRmFailuresInJSON answers one key of a DeleteObjects with AccessDenied: rm -r --json
// prints a failed event for it among the deleted ones, counts it and exits 1.
func TestRmFailuresInJSON(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		for _, n := range []string{"a", "b", "c"} {
			randomFile(t, filepath.Join(dir, n), 10)
		}
		must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/p/")
		view := deniesKey(t, srv, "p/b")

		evs, sum := jsonRun(t, view, 1, "rm", "-r", "s3://"+bucket+"/p/")
		sameKinds(t, "rm -r", evs, map[string]int{"deleted": 2, "failed": 1})
		counts(t, "rm -r", sum, map[string]float64{"deleted": 2, "failed": 1}, "")
		if f := evs["failed"][0]; f["op"] != "delete" || f["dst"] != "s3://"+bucket+"/p/b" || !strings.Contains(f["error"].(string), "AccessDenied") {
			t.Errorf("rm -r: failed event %v", f)
		}

		r := haul(t, view, nil, "-q", "rm", "-r", "s3://"+bucket+"/p/")
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "failed: DeleteObjects s3://"+bucket+"/p/b") ||
			!strings.Contains(r.stderr, "summary: 2 deleted, 1 failed") || strings.Count(r.stderr, "\n") != 2 {
			t.Errorf("-q rm -r with a failure: exit %d, want 1 with only the failure and the summary on stderr\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})
}

// deniesKey returns a view of srv behind a proxy that answers every DeleteObjects itself,
// saying that key was AccessDenied and (by leaving them out) that the others were deleted.
// Nothing is deleted.
func deniesKey(t *testing.T, srv *s3test.Server, key string) *s3test.Server {
	t.Helper()
	target, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Query().Has("delete") {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`+
				`<Error><Key>%s</Key><Code>AccessDenied</Code><Message>denied by the test</Message></Error></DeleteResult>`, key)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	view := *srv
	view.Endpoint = ts.URL
	return &view
}

// TestEmptyPrefix lists prefixes with no objects: a note says so (an event with --json), and
// --fail-if-empty makes that exit 1, with the note printed even with --quiet.
func TestEmptyPrefix(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		randomFile(t, filepath.Join(dir, "deep", "x", "y"), 10)
		must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/")
		none := "s3://" + bucket + "/nothing/"
		note := "note: no objects under " + none + "\n"

		for _, tc := range []struct {
			args           []string
			code           int
			stdout, stderr string // "": must be empty
		}{
			{[]string{"ls", none}, 0, "", note + "summary: 0 objects, 0 B, 0 prefixes\n"},
			{[]string{"ls", "-r", none}, 0, "", note + "summary: 0 objects, 0 B\n"},
			{[]string{"-q", "ls", none}, 0, "", ""},
			{[]string{"ls", "--fail-if-empty", none}, 1, "", note},
			{[]string{"-q", "ls", "-r", "--fail-if-empty", none}, 1, "", note},
			{[]string{"ls", "--fail-if-empty", "s3://" + bucket + "/deep/"}, 0, "PRE  deep/x/\n", "summary: 0 objects, 0 B, 1 prefix\n"},
			{[]string{"-q", "ls", "-r", "--fail-if-empty", "s3://" + bucket + "/deep/"}, 0, "deep/x/y\n", ""},
		} {
			r := haul(t, srv, nil, tc.args...)
			if r.code != tc.code || r.stderr != tc.stderr || (tc.stdout == "") != (r.stdout == "") || !strings.HasSuffix(r.stdout, tc.stdout) {
				t.Errorf("haul %s: exit %d, want %d\nstdout: %q, want it to end with %q\nstderr: %q, want %q",
					strings.Join(tc.args, " "), r.code, tc.code, r.stdout, tc.stdout, r.stderr, tc.stderr)
			}
		}

		evs, sum := jsonRun(t, srv, 0, "ls", none)
		sameKinds(t, "ls of nothing", evs, map[string]int{"note": 1})
		counts(t, "ls of nothing", sum, map[string]float64{"objects": 0, "prefixes": 0, "bytes": 0}, "")
		if n := evs["note"][0]; n["src"] != none || n["message"] != "no objects under "+none {
			t.Errorf("ls of nothing: note %v", n)
		}
		_, sum = jsonRun(t, srv, 1, "ls", "-r", "--fail-if-empty", none)
		counts(t, "ls --fail-if-empty of nothing", sum, map[string]float64{"objects": 0, "prefixes": 0, "bytes": 0}, "no objects under "+none)
		if r := haul(t, srv, nil, "ls", "--fail-if-empty"); r.code != 2 {
			t.Errorf("ls --fail-if-empty of the buckets: exit %d, want 2 (usage)", r.code)
		}
	})
}

// TestTextOutput checks the text conventions: what is listed or done on stdout, summaries on
// stderr, and --quiet leaving only a listing's lines and failures.
func TestTextOutput(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		for _, n := range []string{"a", "b"} {
			randomFile(t, filepath.Join(dir, n), 1024)
		}
		p := "s3://" + bucket + "/p/"
		must(t, srv, "-q", "cp", "-r", dir, p)
		incomplete(t, srv, bucket, "p/up", 1)

		for _, tc := range []struct {
			args           []string
			stdout, stderr []string // lines each must contain, in order
		}{
			{[]string{"ls", p}, []string{"1024  p/a", "1024  p/b"}, []string{"summary: 2 objects, 2.0 KiB, 0 prefixes"}},
			{[]string{"-q", "ls", p}, []string{"p/a", "p/b"}, nil},
			{[]string{"uploads", "ls", p}, []string{"p/up"}, []string{"summary: 1 upload, holding 0 B"}},
			{[]string{"-q", "uploads", "ls", p}, []string{"p/up"}, nil},
			{[]string{"uploads", "abort", "--dry-run", p}, []string{"would abort: s3://" + bucket + "/p/up"}, []string{"summary: 1 would be aborted"}},
			{[]string{"-q", "uploads", "abort", p}, nil, nil},
			{[]string{"-q", "mb", "s3://" + bucket + "-q"}, nil, nil},
			{[]string{"rm", "-r", "s3://" + bucket + "-q"}, nil, []string{"note: no objects under s3://" + bucket + "-q/", "summary: 0 deleted, 0 failed"}},
			{[]string{"rm", "s3://" + bucket + "/p/a"}, []string{"delete: s3://" + bucket + "/p/a"}, nil},
			{[]string{"rm", "-r", p}, []string{"delete: s3://" + bucket + "/p/b"}, []string{"summary: 1 deleted, 0 failed"}},
			{[]string{"-q", "rm", "-r", p}, nil, nil},
		} {
			r := must(t, srv, tc.args...)
			for _, s := range []struct {
				name, got string
				want      []string
			}{{"stdout", r.stdout, tc.stdout}, {"stderr", r.stderr, tc.stderr}} {
				lines := strings.Split(strings.TrimSuffix(s.got, "\n"), "\n")
				if s.got == "" {
					lines = nil
				}
				ok := len(lines) == len(s.want)
				for i := 0; ok && i < len(lines); i++ {
					ok = strings.Contains(lines[i], s.want[i])
				}
				if !ok {
					t.Errorf("haul %s: %s %q, want lines containing %q", strings.Join(tc.args, " "), s.name, s.got, s.want)
				}
			}
		}
		gone := bucket + "-q"
		if _, err := srv.Client(t).DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: &gone}); err != nil {
			t.Fatalf("the bucket mb -q made is not there: %v", err)
		}
	})
}
