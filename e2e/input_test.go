package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

// checkOneLine fails unless stderr is a single line of at most 400 characters without a
// stack trace.
func checkOneLine(t *testing.T, stderr string) {
	t.Helper()
	if strings.Count(strings.TrimSpace(stderr), "\n") > 0 || len(stderr) > 400 ||
		strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Errorf("want one short line without a stack trace, got:\n%s", stderr)
	}
}

// TestBadInput needs no server: every case is refused before a request is sent.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	randomFile(t, file, 10)
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"missing source", []string{"cp", filepath.Join(dir, "nope"), "s3://bucket/k"}, "no such file"},
		{"directory without -r", []string{"cp", dir, "s3://bucket/k"}, "use -r"},
		{"no S3 side", []string{"cp", file, filepath.Join(dir, "x")}, "one side must be"},
		{"empty URL", []string{"cp", file, "s3://"}, "no bucket"},
		{"no bucket", []string{"cp", file, "s3:///key"}, "no bucket"},
		{"bad bucket", []string{"cp", file, "s3://Bad_Bucket/k"}, "lowercase"},
		{"dotdot key", []string{"cp", file, "s3://bucket/../x"}, `".." segment`},
		{"long key", []string{"cp", file, "s3://bucket/" + strings.Repeat("k", 1025)}, "at most 1024"},
		{"bad size", []string{"cp", file, "s3://bucket/k", "--part-size", "12XB"}, "not a size"},
		{"negative size", []string{"cp", file, "s3://bucket/k", "--multipart-threshold", "-5"}, "not a size"},
		{"tiny part", []string{"cp", file, "s3://bucket/k", "--part-size", "1MiB"}, "5MiB to 5GiB"},
		{"huge part", []string{"cp", file, "s3://bucket/k", "--part-size", "6GiB"}, "5MiB to 5GiB"},
		{"zero concurrency", []string{"cp", file, "s3://bucket/k", "--concurrency", "0"}, "at least 1"},
		{"overflowing concurrency", []string{"cp", file, "s3://bucket/k", "--concurrency", "99999999999999999999"}, "concurrency"},
		{"bad metadata", []string{"cp", file, "s3://bucket/k", "--metadata", "novalue"}, "key=value"},
		{"unknown ACL", []string{"cp", file, "s3://bucket/k", "--acl", "everyone"}, "not a canned ACL"},
		{"bad SSE", []string{"cp", file, "s3://bucket/k", "--sse", "rot13"}, "AES256"},
		{"unknown flag", []string{"cp", file, "s3://bucket/k", "--fast"}, "unknown flag"},
		{"unknown command", []string{"copy", file, "s3://bucket/k"}, "unknown command"},
		{"one argument", []string{"cp", file}, "accepts 2 arg"},
		{"prefix without -r", []string{"cp", "s3://bucket/dir/", dir}, "use -r"},
		{"stdin to a prefix", []string{"cp", "-", "s3://bucket/dir/"}, "give a key"},
		{"bad endpoint", []string{"--endpoint-url", "localhost:9000", "ls", "s3://bucket"}, "http://"},
		{"bad addressing", []string{"--addressing", "sideways", "ls", "s3://bucket"}, "path or virtual"},
		{"special file", []string{"cp", fifo, "s3://bucket/k"}, "not a regular file"},
		{"device", []string{"cp", "/dev/null", "s3://bucket/k"}, "not a regular file"},
		{"invalid UTF-8 key", []string{"cp", file, "s3://bucket/\xff\xfe"}, "not valid UTF-8"},
		{"Windows-style URL", []string{"cp", file, `s3:\\bucket\key`}, "one side must be"},
		{"backslash in bucket", []string{"cp", file, `s3://bucket\key`}, "bucket name"},
		{"Windows-style source", []string{"cp", `C:\data\f.txt`, "s3://bucket/k"}, "no such file"},
		{"zero part size", []string{"cp", file, "s3://bucket/k", "--part-size", "0"}, "at least one byte"},
		{"overflowing part size", []string{"cp", file, "s3://bucket/k", "--part-size", "99999999999999999999"}, "too large"},
		{"zero memory", []string{"cp", file, "s3://bucket/k", "--memory", "0"}, "at least one byte"},
		{"negative retries", []string{"cp", file, "s3://bucket/k", "--retries", "-1"}, "0 or more"},
		{"negative stall timeout", []string{"cp", file, "s3://bucket/k", "--stall-timeout", "-1s"}, "positive duration"},
		{"unknown provider", []string{"--provider", "wasabi", "ls", "s3://bucket"}, "use one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := haul(t, nil, nil, tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.want)
			}
			checkOneLine(t, r.stderr)
		})
	}
}

func TestRemoteErrorsSayWhatToDo(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		file := filepath.Join(t.TempDir(), "f")
		randomFile(t, file, 10)
		r := haul(t, srv, nil, "cp", "s3://"+bucket+"/missing-key", filepath.Join(t.TempDir(), "x"))
		if r.code != 1 || !strings.Contains(r.stderr, "s3://"+bucket+"/missing-key") || !strings.Contains(r.stderr, "haul ls") {
			t.Errorf("missing key: exit %d, stderr %q", r.code, r.stderr)
		}
		checkOneLine(t, r.stderr)
		if srv.Kind == "moto" {
			return // moto accepts any credentials
		}
		bad := haulCmd(t, srv, "cp", file, "s3://"+bucket+"/k")
		bad.Env = append(bad.Env, "AWS_SECRET_ACCESS_KEY=wrong-secret")
		out, _ := bad.CombinedOutput()
		// Refused credentials would fail every item: the run stops at once, exit 2.
		if bad.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "SignatureDoesNotMatch") || !strings.Contains(string(out), "AWS_SECRET_ACCESS_KEY") {
			t.Errorf("wrong secret: exit %d, output %q", bad.ProcessState.ExitCode(), out)
		}
		unknown := haulCmd(t, srv, "ls", "s3://"+bucket)
		unknown.Env = append(unknown.Env, "AWS_ACCESS_KEY_ID=nobody-knows-me")
		out, _ = unknown.CombinedOutput()
		if unknown.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "access key ID is not known") {
			t.Errorf("unknown key: exit %d, output %q", unknown.ProcessState.ExitCode(), out)
		}
	})
}

func TestPathEscapingKeysAreRefused(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		client := srv.Client(t)
		if _, err := client.PutObject(t.Context(), putInput(bucket, "p/ok.txt")); err != nil {
			t.Fatal(err)
		}
		// Servers refuse or normalise some of these keys; count the hostile ones that are
		// really listed under p/.
		for _, k := range []string{"p/../escape.txt", "p//abs.txt", "p/a\\b.txt", "p/./dot.txt"} {
			_, _ = client.PutObject(t.Context(), putInput(bucket, k))
		}
		stored := 0
		for _, k := range keys(t, srv, bucket, "p/") {
			rest := strings.TrimPrefix(k, "p/")
			if strings.HasPrefix(rest, "/") || strings.Contains(rest, "\\") || strings.Contains("/"+rest+"/", "/../") || strings.Contains("/"+rest+"/", "/./") {
				stored++
			}
		}
		if stored == 0 {
			t.Skipf("%s stores none of the hostile keys, so there is nothing to refuse", srv.Kind)
		}
		root := t.TempDir()
		out := filepath.Join(root, "out")
		r := haul(t, srv, nil, "cp", "-r", "s3://"+bucket+"/p/", out)
		if r.code != 1 || strings.Count(r.stderr, "refused: key") != stored {
			t.Fatalf("exit %d (want 1), %d refusals (want %d):\n%s", r.code, strings.Count(r.stderr, "refused: key"), stored, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "ok.txt")); err != nil {
			t.Fatal("the safe key was not downloaded")
		}
		if entries, _ := os.ReadDir(root); len(entries) != 1 {
			t.Fatalf("something was written beside the destination: %v", entries)
		}
	})
}
