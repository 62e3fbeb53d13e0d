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
	seen := map[string]bool{}
	add := func(us []types.MultipartUpload) {
		for _, u := range us {
			if id := aws.ToString(u.UploadId); !seen[id] {
				seen[id] = true
				uploads = append(uploads, u)
			}
		}
	}
	in := &s3.ListMultipartUploadsInput{Bucket: &bucket}
	if pageSize > 0 {
		in.MaxUploads = &pageSize
	}
	for {
		out, err := client.ListMultipartUploads(ctx, in)
		var apiErr smithy.APIError
		if err != nil && in.UploadIdMarker != nil && errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidArgument" {
			// VersityGW v1.8.0 rejects the upload-id-marker it returned itself (it expects an
			// upload of the key after key-marker). Continue after the whole marker key, and
			// fetch that key's own uploads with a prefix listing, so none is skipped.
			rest, perr := keyUploads(ctx, client, bucket, aws.ToString(in.KeyMarker))
			if perr != nil {
				return nil, perr
			}
			add(rest)
			retry := *in
			retry.UploadIdMarker = nil
			out, err = client.ListMultipartUploads(ctx, &retry)
		}
		if err != nil {
			return nil, fmt.Errorf("listing multipart uploads: %w", err)
		}
		add(out.Uploads)
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

// keyUploads lists the uploads of exactly key, with a prefix listing (used only on servers
// that match prefixes properly, see listUploads).
func keyUploads(ctx context.Context, client *s3.Client, bucket, key string) ([]types.MultipartUpload, error) {
	out, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: &key})
	if err != nil {
		return nil, fmt.Errorf("listing multipart uploads of %s: %w", key, err)
	}
	if aws.ToBool(out.IsTruncated) {
		return nil, fmt.Errorf("listing multipart uploads of %s: more than one page for one key", key)
	}
	var exact []types.MultipartUpload
	for _, u := range out.Uploads {
		if aws.ToString(u.Key) == key {
			exact = append(exact, u)
		}
	}
	return exact, nil
}
