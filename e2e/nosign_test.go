package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

// publicReadPolicy lets anyone list the bucket and read its objects.
func publicReadPolicy(bucket string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Principal":"*","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::%[1]s"]},`+
		`{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%[1]s/*"]}]}`, bucket)
}

// noCreds empties the credentials srv.Env gives, so that none can be found (the config and
// credentials files it names are empty, and the instance metadata service is off).
var noCreds = []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN="}

// --no-sign-request reads a bucket made public by a bucket policy, with no credentials
// anywhere, and with wrong ones in the environment (which it must not send).
//
// versitygw and MinIO both enforce bucket policies for anonymous requests: the public bucket
// answers, a private one and writes to the public one are refused. moto answers every
// request, signed or not, whatever the policy says (it checks no credentials at all), so on
// moto only the reads run: the refusals cannot be shown there.
func TestNoSignRequestReadsAPublicBucket(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket, private := srv.NewBucket(t), srv.NewBucket(t)
		src := t.TempDir()
		big := randomFile(t, filepath.Join(src, "big.bin"), 12<<20)
		randomFile(t, filepath.Join(src, "dir", "a.txt"), 1<<10)
		randomFile(t, filepath.Join(src, "dir", "sub", "b.txt"), 2<<10)
		must(t, srv, "-q", "cp", "-r", src, "s3://"+bucket+"/pub/", "--part-size", "5MiB", "--multipart-threshold", "5MiB")
		must(t, srv, "-q", "cp", filepath.Join(src, "big.bin"), "s3://"+private+"/big.bin")
		_, err := srv.Client(t).PutBucketPolicy(t.Context(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(publicReadPolicy(bucket))})
		if err != nil {
			t.Fatalf("PutBucketPolicy: %v", err)
		}
		pub := "s3://" + bucket + "/pub/"
		anon := func(env []string, args ...string) result {
			t.Helper()
			return haulEnv(t, srv, append(append([]string{}, noCreds...), env...), args...)
		}
		mustAnon := func(env []string, args ...string) result {
			t.Helper()
			r := anon(env, args...)
			if r.code != 0 {
				t.Fatalf("haul %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
			return r
		}

		// Without the flag, no credentials is a configuration error before any request.
		if r := anon(nil, "ls", pub); r.code == 0 || !strings.Contains(r.stderr, "no usable AWS credentials") {
			t.Errorf("ls with no credentials and no --no-sign-request: exit %d\n%s", r.code, r.stderr)
		}

		r := mustAnon(nil, "--no-sign-request", "ls", "-r", pub)
		for _, key := range []string{"pub/big.bin", "pub/dir/a.txt", "pub/dir/sub/b.txt"} {
			if !strings.Contains(r.stdout, key) {
				t.Errorf("ls -r --no-sign-request does not list %s:\n%s", key, r.stdout)
			}
		}
		mustAnon(nil, "--no-sign-request", "--json", "ls", pub)

		// A ranged, parallel download of a multipart object, with and without wrong keys in
		// the environment: with --no-sign-request they are not used, so they cannot fail it.
		for _, env := range [][]string{nil, {"AWS_ACCESS_KEY_ID=AKIAWRONGNOSIGN", "AWS_SECRET_ACCESS_KEY=" + wrongSecret}} {
			dst := filepath.Join(t.TempDir(), "big.bin")
			mustAnon(env, "--no-sign-request", "cp", pub+"big.bin", dst, "--part-size", "5MiB", "--multipart-threshold", "5MiB")
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, big) {
				t.Fatalf("the anonymous download (env %v) differs from what was uploaded", env)
			}
		}
		back := filepath.Join(t.TempDir(), "back")
		mustAnon(nil, "--no-sign-request", "cp", "-r", pub, back)
		sameTree(t, src, back)
		synced := filepath.Join(t.TempDir(), "synced")
		mustAnon(nil, "--no-sign-request", "sync", pub, synced)
		sameTree(t, src, synced)

		if srv.Kind == "moto" {
			return // moto enforces no policy: see the comment above
		}
		if r := anon(nil, "--no-sign-request", "ls", "s3://"+private+"/"); r.code == 0 || !strings.Contains(r.stderr, "AccessDenied") {
			t.Errorf("anonymous ls of a private bucket: exit %d, want AccessDenied\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := anon(nil, "--no-sign-request", "cp", filepath.Join(src, "dir", "a.txt"), pub+"written.txt"); r.code == 0 || !strings.Contains(r.stderr, "AccessDenied") {
			t.Errorf("anonymous write to a public-read bucket: exit %d, want AccessDenied\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}
