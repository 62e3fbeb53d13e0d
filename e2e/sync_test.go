package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// past is the mtime the trees get before their first sync.
var past = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

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
func n(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// moved is what the summary says was uploaded or downloaded.
func (o syncOut) moved() int { return n(o.sum.Uploaded) + n(o.sum.Downloaded) }

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
// mtime past.
func makeFiles(t *testing.T, root string, size int, names ...string) {
	t.Helper()
	for _, name := range names {
		p := filepath.Join(root, filepath.FromSlash(name))
		randomFile(t, p, size)
		setMtime(t, p, past)
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
		if o.puts() != 50 || n(o.sum.Uploaded) != 50 {
			t.Fatalf("first run: %d PUT, %d uploaded; want 50 and 50\n%v", o.puts(), n(o.sum.Uploaded), o.sum.Calls)
		}
		if got := len(keys(t, srv, bucket, "p/")); got != 50 {
			t.Fatalf("%d keys under p/, want 50", got)
		}
		state := s.stateFiles(t)
		if len(state) != 1 {
			t.Fatalf("state files %v, want one", state)
		}

		o = s.want(t, 0, dir, dst)
		if o.puts() != 0 || o.sum.Calls["HeadObject"] != 0 || o.sum.Calls["GetObject"] != 0 || n(o.sum.Unchanged) != 50 {
			t.Fatalf("second run: calls %v, %d unchanged; want listings only and 50 unchanged", o.sum.Calls, n(o.sum.Unchanged))
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
		if o.puts() != 0 || o.sum.Calls["HeadObject"] > 50 || o.sum.Calls["GetObject"] != 0 || n(o.sum.Unchanged) != 50 {
			t.Fatalf("run without the state file: calls %v, %d unchanged; want 0 PUT, at most 50 HEAD, 50 unchanged", o.sum.Calls, n(o.sum.Unchanged))
		}
		if len(s.stateFiles(t)) != 1 {
			t.Fatal("the state file was not written again")
		}

		o = s.want(t, 0, dir, dst)
		if o.puts() != 0 || o.sum.Calls["HeadObject"] != 0 || n(o.sum.Unchanged) != 50 {
			t.Fatalf("fourth run: calls %v; want 0 PUT and 0 HEAD", o.sum.Calls)
		}
	})
}
