// Package e2e runs the built haul binary against real S3 servers (versitygw, MinIO,
// moto_server) started on loopback by internal/s3test. HAUL_TEST_SERVERS picks a subset.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/internal/s3test"
)

var haulBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(0)
	}
	defaultParallel()
	dir, err := os.MkdirTemp("", "haul-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	haulBin = filepath.Join(dir, "haul")
	build := exec.Command("go", "build", "-o", haulBin, "github.com/haul-s3/haul/cmd/haul")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building haul:", err)
		os.Exit(1)
	}
	code := s3test.RunMain(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// e2eParallel is how many parallel subtests run at once unless -parallel says otherwise:
// three, so that the three servers' subtests of forEachServer run side by side. go test's
// default, GOMAXPROCS (two on the machines here), ran the third server's subtest only after
// one of the others had ended, and these subtests spend much of their time waiting on a haul
// process, a server or a delaying proxy rather than on this process's CPU.
const e2eParallel = 3

// defaultParallel sets -test.parallel to e2eParallel when the command line did not set it,
// and not below GOMAXPROCS.
func defaultParallel() {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set && runtime.GOMAXPROCS(0) < e2eParallel {
		_ = flag.Set("test.parallel", strconv.Itoa(e2eParallel))
	}
}

// result is what one haul run printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// haul runs the binary against srv with args and returns its output and exit code.
func haul(t *testing.T, srv *s3test.Server, stdin io.Reader, args ...string) result {
	t.Helper()
	cmd := haulCmd(t, srv, args...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running haul %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func haulCmd(t *testing.T, srv *s3test.Server, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, haulBin, args...)
	cmd.Env = append(os.Environ(), "AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt")
	if srv != nil {
		cmd.Env = append(cmd.Env, srv.Env()...)
	}
	return cmd
}

// jsonLines decodes each line of a --json run's stdout into a T; a line that is not JSON
// fails the test.
func jsonLines[T any](t *testing.T, stdout string) []T {
	t.Helper()
	var out []T
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if line == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("--json printed a line that is not JSON: %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

// must runs haul and fails the test unless it exits 0.
func must(t *testing.T, srv *s3test.Server, args ...string) result {
	t.Helper()
	r := haul(t, srv, nil, args...)
	if r.code != 0 {
		t.Fatalf("haul %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// forEachServer runs fn as a subtest for every server kind, in parallel.
func forEachServer(t *testing.T, fn func(t *testing.T, srv *s3test.Server)) {
	for _, kind := range s3test.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, s3test.Shared(t, kind))
		})
	}
}

// forServers runs fn as a parallel subtest for each server kind of kinds that
// HAUL_TEST_SERVERS starts, and says the test was skipped when it starts none of them. It
// is for tests of what haul does with what a fault-injecting proxy makes of a server's
// answers, which need thousands of keys on the server: versitygw and MinIO, not moto, whose
// Python server takes some 20 s to store 2,000 objects here.
func forServers(t *testing.T, kinds []string, fn func(t *testing.T, srv *s3test.Server)) {
	ran := 0
	for _, kind := range s3test.Kinds() {
		if !slices.Contains(kinds, kind) {
			continue
		}
		ran++
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, s3test.Shared(t, kind))
		})
	}
	if ran == 0 {
		t.Skipf("runs on %v; HAUL_TEST_SERVERS picks %v", kinds, s3test.Kinds())
	}
}

// forEachServerPair runs fn, in parallel subtests, with each pair of servers a copy between
// servers is tested on (versitygw to MinIO, MinIO to moto) that HAUL_TEST_SERVERS starts,
// and says the test was skipped when it starts neither pair.
func forEachServerPair(t *testing.T, fn func(t *testing.T, from, to *s3test.Server)) {
	kinds := s3test.Kinds()
	ran := 0
	for _, pair := range [][2]string{{"versitygw", "minio"}, {"minio", "moto"}} {
		if !slices.Contains(kinds, pair[0]) || !slices.Contains(kinds, pair[1]) {
			continue
		}
		ran++
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			t.Parallel()
			fn(t, s3test.Shared(t, pair[0]), s3test.Shared(t, pair[1]))
		})
	}
	if ran == 0 {
		t.Skipf("needs versitygw and MinIO, or MinIO and moto; HAUL_TEST_SERVERS picks %v", kinds)
	}
}

func randomFile(t *testing.T, path string, size int) []byte {
	t.Helper()
	data := make([]byte, size)
	_, _ = rand.Read(data)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

// keys lists every key in the bucket under prefix, with the SDK.
func keys(t *testing.T, srv *s3test.Server, bucket, prefix string) []string {
	t.Helper()
	p := s3.NewListObjectsV2Paginator(srv.Client(t), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String(prefix)})
	var ks []string
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			ks = append(ks, aws.ToString(o.Key))
		}
	}
	return ks
}

// sameTree fails unless the regular files under a and b have the same names and bytes.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	fa, fb := treeFiles(t, a), treeFiles(t, b)
	if len(fa) != len(fb) {
		t.Fatalf("%s has %d files, %s has %d", a, len(fa), b, len(fb))
	}
	for rel, data := range fa {
		if !bytes.Equal(data, fb[rel]) {
			t.Fatalf("%s differs", rel)
		}
	}
}

func treeFiles(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func putInput(bucket, key string) *s3.PutObjectInput {
	return &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(key)}
}

func abortInput(bucket string, u types.MultipartUpload) *s3.AbortMultipartUploadInput {
	return &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: u.Key, UploadId: u.UploadId}
}
