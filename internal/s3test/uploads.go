package s3test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// IncompleteUploads lists the incomplete multipart uploads in bucket whose
// key starts with prefix. It lists without a server-side prefix and filters
// here, because MinIO only matches a prefix that is a whole key.
func (s *Server) IncompleteUploads(t testing.TB, bucket, prefix string) []types.MultipartUpload {
	t.Helper()
	all, err := listUploads(t.Context(), s.newClient(), bucket, 0)
	if err != nil {
		t.Fatalf("s3test: listing multipart uploads in %s on %s: %v", bucket, s.Kind, err)
	}
	var matched []types.MultipartUpload
	for _, u := range all {
		if strings.HasPrefix(aws.ToString(u.Key), prefix) {
			matched = append(matched, u)
		}
	}
	return matched
}

// listUploads returns every incomplete multipart upload in bucket, following
// the key-marker/upload-id-marker pages. pageSize 0 means the server default
// (1000; MinIO and moto ignore it and return everything in one page).
func listUploads(ctx context.Context, client *s3.Client, bucket string, pageSize int32) ([]types.MultipartUpload, error) {
	var uploads []types.MultipartUpload
	in := &s3.ListMultipartUploadsInput{Bucket: &bucket}
	if pageSize > 0 {
		in.MaxUploads = &pageSize
	}
	for {
		out, err := listUploadsPage(ctx, client, in)
		if err != nil {
			return nil, fmt.Errorf("listing multipart uploads: %w", err)
		}
		uploads = append(uploads, out.Uploads...)
		if !aws.ToBool(out.IsTruncated) {
			return uploads, nil
		}
		if aws.ToString(out.NextKeyMarker) == aws.ToString(in.KeyMarker) &&
			aws.ToString(out.NextUploadIdMarker) == aws.ToString(in.UploadIdMarker) {
			return nil, errors.New("listing multipart uploads: truncated page did not advance the markers")
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// listUploadsPage fetches one page. VersityGW v1.8.0 rejects the
// upload-id-marker it returned itself (InvalidArgument: it expects an upload
// of the key after key-marker), so on that error the page is retried with
// key-marker alone. That skips further uploads of the marker key, which can
// only matter when one key has uploads on both sides of a page boundary.
func listUploadsPage(ctx context.Context, client *s3.Client, in *s3.ListMultipartUploadsInput) (*s3.ListMultipartUploadsOutput, error) {
	out, err := client.ListMultipartUploads(ctx, in)
	var apiErr smithy.APIError
	if err != nil && in.UploadIdMarker != nil &&
		errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidArgument" {
		retry := *in
		retry.UploadIdMarker = nil
		return client.ListMultipartUploads(ctx, &retry)
	}
	return out, err
}
