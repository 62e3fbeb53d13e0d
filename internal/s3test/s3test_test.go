package s3test_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

func TestMain(m *testing.M) { os.Exit(s3test.RunMain(m)) }

func TestServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real S3 servers; not in -short")
	}
	for _, kind := range s3test.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srv := s3test.Shared(t, kind)
			client := srv.Client(t)
			bucket := srv.NewBucket(t)
			checkRoundTrip(t, client, bucket)
			checkIncompleteUploads(t, srv, client, bucket)
		})
	}
}

func checkRoundTrip(t *testing.T, client *s3.Client, bucket string) {
	want := []byte("hello from s3test")
	_, err := client.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("dir/hello.txt"), Body: bytes.NewReader(want),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	out, err := client.GetObject(t.Context(), &s3.GetObjectInput{
		Bucket: &bucket, Key: aws.String("dir/hello.txt"),
	})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("GetObject body = %q, %v; want %q", got, err, want)
	}
}

func checkIncompleteUploads(t *testing.T, srv *s3test.Server, client *s3.Client, bucket string) {
	key := "uploads/sub/big.bin"
	created, err := client.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{
		Bucket: &bucket, Key: &key,
	})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	// "uploads/su" is a prefix of the key but not a whole key.
	got := srv.IncompleteUploads(t, bucket, "uploads/su")
	if len(got) != 1 || aws.ToString(got[0].UploadId) != aws.ToString(created.UploadId) {
		t.Fatalf("IncompleteUploads(uploads/su) = %d uploads, want upload %s",
			len(got), aws.ToString(created.UploadId))
	}
	if got := srv.IncompleteUploads(t, bucket, "other/"); len(got) != 0 {
		t.Fatalf("IncompleteUploads(other/) = %d uploads, want 0", len(got))
	}
	_, err = client.AbortMultipartUpload(t.Context(), &s3.AbortMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: created.UploadId,
	})
	if err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	if got := srv.IncompleteUploads(t, bucket, "uploads/"); len(got) != 0 {
		t.Fatalf("IncompleteUploads after abort = %d uploads, want 0", len(got))
	}
}

// TestEnv checks that Env is enough for the SDK's default config loading,
// which is how the haul binary finds the server.
func TestEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real S3 servers; not in -short")
	}
	for _, kind := range s3test.Kinds() {
		t.Run(kind, func(t *testing.T) {
			srv := s3test.Shared(t, kind)
			for _, kv := range srv.Env() {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatalf("LoadDefaultConfig: %v", err)
			}
			client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
			if _, err := client.ListBuckets(t.Context(), &s3.ListBucketsInput{}); err != nil {
				t.Fatalf("ListBuckets with Env(): %v", err)
			}
		})
	}
}

// TestStart checks a private server comes up and serves a bucket.
func TestStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real S3 servers; not in -short")
	}
	kind := s3test.Kinds()[0]
	srv := s3test.Start(t, kind)
	bucket := srv.NewBucket(t)
	_, err := srv.Client(t).HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("HeadBucket on private %s: %v", kind, err)
	}
}
