package e2e

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/internal/s3test"
)

// These tests run haul sync against the real servers for the acceptance cases of
// ../shared/SYNC.md section 4 (the numbers in the comments are that list's). Request counts
// come from the summary's "calls" (every S3 request haul sent, by operation). Each test
// gives haul its own XDG_STATE_HOME, so the state files of one test never meet another's.
//
// The state file trusts a record only when the file's mtime is older than when haul saw it
// (git's racy-clean rule), so the trees are given mtimes in the past before they are synced:
// a file written a moment ago is checked again on every run, by design.

// oldMtime is the mtime the trees get before their first sync.
var oldMtime = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// syncEvent is one line of haul sync --json: a per-item event, a note, a plan line or the
// summary.
type syncEvent struct {
	Event      string         `json:"event"`
	Op         string         `json:"op"`
	Src        string         `json:"src"`
	Dst        string         `json:"dst"`
	Reason     string         `json:"reason"`
	Error      string         `json:"error"`
	Message    string         `json:"message"`
	Bytes      *int64         `json:"bytes"`
	Items      *int           `json:"items"`
	Uploaded   *int           `json:"uploaded"`
	Downloaded *int           `json:"downloaded"`
	Copied     *int           `json:"copied"`
	Deleted    *int           `json:"deleted"`
	Unchanged  *int           `json:"unchanged"`
	Protected  *int           `json:"protected"`
	Failed     *int           `json:"failed"`
	Calls      map[string]int `json:"calls"`
	Requests   map[string]int `json:"requests"`
}

// syncOut is what one haul sync --json run printed and returned.
type syncOut struct {
	result
	events []syncEvent
	sum    syncEvent // the summary
}

// n is a count of the summary, 0 when absent.
func num(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// num64 is a byte count of the summary, 0 when absent.
func num64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// puts counts the requests that create an object: PutObject and CreateMultipartUpload.
func (o syncOut) puts() int { return o.sum.Calls["PutObject"] + o.sum.Calls["CreateMultipartUpload"] }

// of returns the events of kind ev (and op, if op is not "").
func (o syncOut) of(ev, op string) []syncEvent {
	var out []syncEvent
	for _, e := range o.events {
		if e.Event == ev && (op == "" || e.Op == op) {
			out = append(out, e)
		}
	}
	return out
}

func (o syncOut) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
}

// syncer runs haul against one server with its own state directory.
type syncer struct {
	srv   *s3test.Server
	state string // XDG_STATE_HOME
}

func newSyncer(t *testing.T, srv *s3test.Server) syncer {
	return syncer{srv: srv, state: t.TempDir()}
}

// run runs haul with args and returns what it printed and its exit code.
func (s syncer) run(t *testing.T, args ...string) result {
	t.Helper()
	return haulEnv(t, s.srv, []string{"XDG_STATE_HOME=" + s.state}, args...)
}

// json runs "haul --json sync args..." and decodes its events.
func (s syncer) json(t *testing.T, args ...string) syncOut {
	t.Helper()
	r := s.run(t, append([]string{"--json", "sync"}, args...)...)
	o := syncOut{result: r, events: jsonLines[syncEvent](t, r.stdout)}
	for _, e := range o.events {
		if e.Event == "summary" {
			o.sum = e
		}
	}
	if o.sum.Event == "" {
		t.Fatalf("haul sync %s printed no summary:\n%s", strings.Join(args, " "), o)
	}
	return o
}

// want runs "haul --json sync args..." and fails the test unless it exits with code.
func (s syncer) want(t *testing.T, code int, args ...string) syncOut {
	t.Helper()
	o := s.json(t, args...)
	if o.code != code {
		t.Fatalf("haul sync %s: want exit %d\n%s", strings.Join(args, " "), code, o)
	}
	return o
}

// stateFiles lists the sync state files under the syncer's state directory.
func (s syncer) stateFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(s.state, "haul", "sync", "*.state"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// haulEnv is haul with extra environment variables.
func haulEnv(t *testing.T, srv *s3test.Server, env []string, args ...string) result {
	t.Helper()
	cmd := haulCmd(t, srv, args...)
	cmd.Env = append(cmd.Env, env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(interface{ ExitCode() int })
		if !ok {
			t.Fatalf("running haul %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return result{out.String(), errb.String(), code}
}

// makeFiles writes files of size random bytes at the relative paths names under root, with
// mtime oldMtime (in the past).
func makeFiles(t *testing.T, root string, size int, names ...string) {
	t.Helper()
	for _, name := range names {
		p := filepath.Join(root, filepath.FromSlash(name))
		randomFile(t, p, size)
		setMtime(t, p, oldMtime)
	}
}

// numbered returns n names "prefix0000.txt" ...
func numbered(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%04d.txt", prefix, i)
	}
	return names
}

func setMtime(t *testing.T, path string, mtime time.Time) {
	t.Helper()
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// Cases 1 and 2: a second run over an unchanged tree sends nothing but listings; without
// its state file, at most one HEAD per object and still no PUT; the state is then rebuilt.
func TestSyncSecondRunSendsNothing(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		makeFiles(t, dir, 100, numbered("sub/f", 25)...)
		makeFiles(t, dir, 100, numbered("g", 25)...)
		s := newSyncer(t, srv)
		dst := "s3://" + bucket + "/p"

		o := s.want(t, 0, dir, dst)
		if o.puts() != 50 || num(o.sum.Uploaded) != 50 {
			t.Fatalf("first run: %d PUT, %d uploaded; want 50 and 50\n%v", o.puts(), num(o.sum.Uploaded), o.sum.Calls)
		}
		if got := len(keys(t, srv, bucket, "p/")); got != 50 {
			t.Fatalf("%d keys under p/, want 50", got)
		}
		state := s.stateFiles(t)
		if len(state) != 1 {
			t.Fatalf("state files %v, want one", state)
		}

		o = s.want(t, 0, dir, dst)
		if o.puts() != 0 || o.sum.Calls["HeadObject"] != 0 || o.sum.Calls["GetObject"] != 0 || num(o.sum.Unchanged) != 50 {
			t.Fatalf("second run: calls %v, %d unchanged; want listings only and 50 unchanged", o.sum.Calls, num(o.sum.Unchanged))
		}
		for op, c := range o.sum.Calls {
			// One HeadBucket per run (haul asks how the bucket is configured) is not a
			// request about the tree.
			if op != "ListObjectsV2" && (op != "HeadBucket" || c > 1) {
				t.Errorf("second run sent %d %s: want listings only (%v)", c, op, o.sum.Calls)
			}
		}

		if err := os.Remove(state[0]); err != nil {
			t.Fatal(err)
		}
		o = s.want(t, 0, dir, dst)
		if o.puts() != 0 || o.sum.Calls["HeadObject"] > 50 || o.sum.Calls["GetObject"] != 0 || num(o.sum.Unchanged) != 50 {
			t.Fatalf("run without the state file: calls %v, %d unchanged; want 0 PUT, at most 50 HEAD, 50 unchanged", o.sum.Calls, num(o.sum.Unchanged))
		}
		if len(s.stateFiles(t)) != 1 {
			t.Fatal("the state file was not written again")
		}

		o = s.want(t, 0, dir, dst)
		if o.puts() != 0 || o.sum.Calls["HeadObject"] != 0 || num(o.sum.Unchanged) != 50 {
			t.Fatalf("fourth run: calls %v; want 0 PUT and 0 HEAD", o.sum.Calls)
		}
	})
}

// putObjects writes each key with size random bytes, with the SDK (objects from another
// tool: no haul metadata). Distinct keys are written 8 at a time, in no particular order
// (a thousand PUTs one after another took moto seconds); a list that names a key twice is
// written in its order, one at a time, so that the last write of a key is the last listed.
func putObjects(t *testing.T, srv *s3test.Server, bucket string, size int, ks ...string) {
	t.Helper()
	c := srv.Client(t)
	put := func(k string) error {
		data := make([]byte, size)
		_, _ = rand.Read(data)
		if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: bytes.NewReader(data)}); err != nil {
			return fmt.Errorf("putting %s: %w", k, err)
		}
		return nil
	}
	var g errgroup.Group
	g.SetLimit(8)
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(ks)))) == len(ks); !distinct {
		g.SetLimit(1)
	}
	for _, k := range ks {
		g.Go(func() error { return put(k) })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// objectBytes reads an object with the SDK.
func objectBytes(t *testing.T, srv *s3test.Server, bucket, key string) []byte {
	t.Helper()
	out, err := srv.Client(t).GetObject(t.Context(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("getting %s: %v", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// rewrite gives the file at path new random bytes of the same size and sets its mtime to
// mtime: the same size and time, other content.
func rewrite(t *testing.T, path string, mtime time.Time) []byte {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	data := randomFile(t, path, int(fi.Size()))
	setMtime(t, path, mtime)
	return data
}

// Cases 12 and 13: a file rewritten with the same size. With its mtime put back, the
// state file's ctime (or inode) gives it away (1 PUT); without the state file nothing does
// (a documented limit: 0 PUT); --checksum sends it either way. With an mtime older than the
// one stored with the object (an old version restored), it is sent.
func TestSyncSameSizeRewrite(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dst := "s3://" + bucket + "/p"
		dir := t.TempDir()
		f := filepath.Join(dir, "f.bin")
		makeFiles(t, dir, 1000, "f.bin", "g.bin")
		s.want(t, 0, dir, dst)
		sent := func(what string, o syncOut, puts int, data []byte) {
			t.Helper()
			if o.puts() != puts {
				t.Fatalf("%s: %d PUT, want %d\n%v\n%s", what, o.puts(), puts, o.sum.Calls, o)
			}
			if puts > 0 && !bytes.Equal(objectBytes(t, srv, bucket, "p/f.bin"), data) {
				t.Fatalf("%s: the object does not hold the new bytes", what)
			}
		}

		t.Run("state present", func(t *testing.T) {
			data := rewrite(t, f, oldMtime)
			sent("rewritten, mtime put back, state present", s.want(t, 0, dir, dst), 1, data)
		})

		data := rewrite(t, f, oldMtime)
		sent("rewritten, mtime put back, state present, --checksum", s.want(t, 0, "--checksum", dir, dst), 1, data)

		rewrite(t, f, oldMtime)
		for _, st := range s.stateFiles(t) {
			if err := os.Remove(st); err != nil {
				t.Fatal(err)
			}
		}
		// The documented limit: same size, same mtime as stored, no state to say otherwise.
		sent("rewritten, mtime put back, no state", s.want(t, 0, dir, dst), 0, nil)

		t.Run("then --checksum", func(t *testing.T) {
			data, _ := os.ReadFile(f)
			sent("the same, then --checksum", s.want(t, 0, "--checksum", dir, dst), 1, data)
		})

		data = rewrite(t, f, oldMtime)
		for _, st := range s.stateFiles(t) {
			if err := os.Remove(st); err != nil {
				t.Fatal(err)
			}
		}
		sent("rewritten, mtime put back, no state, --checksum", s.want(t, 0, "--checksum", dir, dst), 1, data)

		// Case 13: older than what the object holds.
		data = rewrite(t, f, oldMtime.Add(-24*time.Hour))
		sent("same size, older mtime", s.want(t, 0, dir, dst), 1, data)
		sent("then again", s.want(t, 0, dir, dst), 0, nil)
	})
}

// Case 14: every file touched (new mtimes, same bytes), as a CI rebuild does: nothing is
// sent, the files are found the same by checksum, and the next run needs no HEAD.
func TestSyncTouchedTreeSendsNothing(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dst := "s3://" + bucket + "/p"
		dir := t.TempDir()
		names := numbered("d/f", 10)
		makeFiles(t, dir, 500, names...)
		s.want(t, 0, dir, dst)
		touched := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
		for _, name := range names {
			setMtime(t, filepath.Join(dir, name), touched)
		}
		r := s.run(t, "sync", dir, dst)
		if r.code != 0 || strings.Contains(r.stderr, "PutObject") || !strings.Contains(r.stderr, "10 unchanged (10 same checksum)") {
			t.Fatalf("touched tree: want no PutObject and 10 unchanged by the same checksum\nexit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		o := s.want(t, 0, dir, dst)
		if o.puts() != 0 || o.sum.Calls["HeadObject"] != 0 || num(o.sum.Unchanged) != 10 {
			t.Fatalf("the run after: calls %v; want 0 PUT and 0 HEAD", o.sum.Calls)
		}
	})
}

// Case 16: an object replaced in S3 by another writer with one of the same size, after it
// was downloaded, is downloaded again: whether haul had uploaded it or another tool.
func TestSyncObjectReplacedDownloads(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dir, out := t.TempDir(), t.TempDir()
		makeFiles(t, dir, 1000, "a", "b")
		s.want(t, 0, dir, "s3://"+bucket+"/p")
		putObjects(t, srv, bucket, 1000, "p/foreign")
		src := "s3://" + bucket + "/p/"
		o := s.want(t, 0, src, out)
		if num(o.sum.Downloaded) != 3 {
			t.Fatalf("first download: %d downloaded, want 3", num(o.sum.Downloaded))
		}
		// A LastModified a second later at least: a download keeps LastModified to the
		// second, and a file with the same second as the object is taken as the object.
		time.Sleep(1100 * time.Millisecond)
		for _, key := range []string{"p/a", "p/foreign"} {
			putObjects(t, srv, bucket, 1000, key)
			o = s.want(t, 0, src, out)
			got, _ := os.ReadFile(filepath.Join(out, strings.TrimPrefix(key, "p/")))
			if o.sum.Calls["GetObject"] != 1 || num(o.sum.Downloaded) != 1 || !bytes.Equal(got, objectBytes(t, srv, bucket, key)) {
				t.Fatalf("%s replaced with the same size: %d GET, %d downloaded, want 1 and the new bytes\n%v\n%s", key, o.sum.Calls["GetObject"], num(o.sum.Downloaded), o.sum.Calls, o)
			}
		}
		if o := s.want(t, 0, src, out); o.sum.Calls["GetObject"] != 0 {
			t.Fatalf("the run after: %d GET, want 0", o.sum.Calls["GetObject"])
		}

		// Replaced within the second of its LastModified: the downloaded file's mtime (the
		// old object's LastModified, to the second) equals the new object's to the second.
		// The state file holds the ETag the file was downloaded from, which the listing no
		// longer shows. Each try starts just after a second begins; a try that crossed into
		// the next second is made again.
		t.Run("same second", func(t *testing.T) {
			race := filepath.Join(out, "race")
			for try := 1; ; try++ {
				time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
				putObjects(t, srv, bucket, 1000, "p/race")
				s.want(t, 0, src, out)
				putObjects(t, srv, bucket, 1000, "p/race")
				head, err := srv.Client(t).HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("p/race")})
				fi, ferr := os.Stat(race)
				if err != nil || ferr != nil {
					t.Fatal(err, ferr)
				}
				if fi.ModTime().Unix() == aws.ToTime(head.LastModified).Unix() {
					break
				}
				if try == 3 {
					t.Skip("could not replace the object within the second of its download in 3 tries")
				}
			}
			o := s.want(t, 0, src, out)
			got, _ := os.ReadFile(race)
			if o.sum.Calls["GetObject"] != 1 || !bytes.Equal(got, objectBytes(t, srv, bucket, "p/race")) {
				t.Fatalf("replaced in the same second: %d GET, want 1 and the new bytes\n%v\n%s", o.sum.Calls["GetObject"], o.sum.Calls, o)
			}
		})
	})
}

// Case 18: mtimes to the nanosecond survive a round trip, so that neither a reverse sync
// nor a repeated one moves anything.
func TestSyncMtimeRoundTrip(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		mtime := time.Date(2001, 2, 3, 4, 5, 6, 123456789, time.UTC)
		dir := t.TempDir()
		names := []string{"a.txt", "b/c.txt", "b/d/e.bin"}
		makeFiles(t, dir, 2000, names...)
		for _, name := range names {
			setMtime(t, filepath.Join(dir, name), mtime)
		}
		prefix := "s3://" + bucket + "/rt/"
		s.want(t, 0, dir, prefix)
		down := filepath.Join(t.TempDir(), "down")
		if o := s.want(t, 0, prefix, down); num(o.sum.Downloaded) != 3 {
			t.Fatalf("down: %d downloaded, want 3", num(o.sum.Downloaded))
		}
		sameTree(t, dir, down)
		for _, name := range names {
			fi, err := os.Stat(filepath.Join(down, name))
			if err != nil || !fi.ModTime().Equal(mtime) {
				t.Fatalf("%s: mtime %v (%v), want %v", name, fi.ModTime().UTC(), err, mtime)
			}
		}
		if o := s.want(t, 0, down, prefix); o.puts() != 0 || num(o.sum.Unchanged) != 3 {
			t.Fatalf("reverse sync: %d PUT, %d unchanged; want 0 and 3\n%v", o.puts(), num(o.sum.Unchanged), o.sum.Calls)
		}
		if o := s.want(t, 0, prefix, down); o.sum.Calls["GetObject"] != 0 || num(o.sum.Unchanged) != 3 {
			t.Fatalf("down again: %d GET, want 0\n%v", o.sum.Calls["GetObject"], o.sum.Calls)
		}
	})
}

// Case 34, small: a multipart object unchanged is not sent again, with or without the
// state file; changed in one byte at the same size, --checksum sends it as one multipart
// upload.
func TestSyncMultipartUnchanged(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		s := newSyncer(t, srv)
		dst := "s3://" + bucket + "/mp"
		dir := t.TempDir()
		makeFiles(t, dir, 6<<20+5, "big.bin")
		parts := []string{"--multipart-threshold", "5MiB", "--part-size", "5MiB"}
		args := append(parts, dir, dst)
		o := s.want(t, 0, args...)
		if o.sum.Calls["CreateMultipartUpload"] != 1 || o.sum.Calls["UploadPart"] != 2 || o.sum.Calls["CompleteMultipartUpload"] != 1 {
			t.Fatalf("first run: calls %v, want one upload of 2 parts", o.sum.Calls)
		}
		o = s.want(t, 0, args...)
		if o.puts() != 0 || o.sum.Calls["UploadPart"] != 0 || o.sum.Calls["HeadObject"] != 0 {
			t.Fatalf("rerun: calls %v, want listings only", o.sum.Calls)
		}
		for _, st := range s.stateFiles(t) {
			if err := os.Remove(st); err != nil {
				t.Fatal(err)
			}
		}
		o = s.want(t, 0, args...)
		if o.puts() != 0 || o.sum.Calls["UploadPart"] != 0 || o.sum.Calls["HeadObject"] > 1 {
			t.Fatalf("rerun without state: calls %v, want no upload and at most one HEAD", o.sum.Calls)
		}
		p := filepath.Join(dir, "big.bin")
		data, _ := os.ReadFile(p)
		data[3<<20] ^= 1
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		setMtime(t, p, oldMtime)
		o = s.want(t, 0, append([]string{"--checksum"}, args...)...)
		if o.sum.Calls["CreateMultipartUpload"] != 1 || o.sum.Calls["UploadPart"] != 2 || o.sum.Calls["PutObject"] != 0 {
			t.Fatalf("one byte changed, --checksum: calls %v, want one upload of 2 parts", o.sum.Calls)
		}
		if !bytes.Equal(objectBytes(t, srv, bucket, "mp/big.bin"), data) {
			t.Fatal("the object does not hold the changed byte")
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads left", len(ups))
		}
	})
}
