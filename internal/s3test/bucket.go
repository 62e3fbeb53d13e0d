package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const cleanupTimeout = time.Minute

// NewBucket creates a bucket with a unique valid name derived from the test
// name ("t-<short test name>-<random>") and returns the name. When the test
// finishes the bucket is emptied (objects, versions and incomplete multipart
// uploads) and deleted, best-effort: failures are only logged.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := bucketName(t.Name())
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if s.Region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(s.Region),
		}
	}
	if _, err := s.newClient().CreateBucket(t.Context(), in); err != nil {
		t.Fatalf("s3test: creating bucket %s on %s: %v", name, s.Kind, err)
	}
	t.Cleanup(func() {
		if err := s.removeBucket(name); err != nil {
			t.Logf("s3test: cleaning up bucket %s on %s: %v", name, s.Kind, err)
		}
	})
	return name
}

// bucketName turns a test name into a unique, valid bucket name: lowercase
// letters, digits and single hyphens, at most 55 characters.
func bucketName(testName string) string {
	const maxShort = 40
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimPrefix(testName, "Test")) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	short := b.String()
	if len(short) > maxShort {
		short = short[:maxShort]
	}
	if short = strings.Trim(short, "-"); short == "" {
		short = "test"
	}
	return "t-" + short + "-" + randomHex(6)
}

func randomHex(n int) string {
	buf := make([]byte, n)
	rand.Read(buf) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(buf)
}

// removeBucket aborts incomplete uploads, deletes all objects (and, if
// needed, all versions) and then the bucket itself.
func (s *Server) removeBucket(bucket string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	client := s.newClient()
	if err := abortUploads(ctx, client, bucket); err != nil {
		return err
	}
	if err := deleteObjects(ctx, client, bucket); err != nil {
		return err
	}
	_, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket})
	if err == nil {
		return nil
	}
	// A versioned bucket still holds versions and delete markers.
	if verr := deleteVersions(ctx, client, bucket); verr != nil {
		return fmt.Errorf("deleting bucket: %w (then deleting versions: %w)", err, verr)
	}
	if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
		return fmt.Errorf("deleting bucket: %w", err)
	}
	return nil
}
