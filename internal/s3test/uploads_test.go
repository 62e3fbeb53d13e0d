package s3test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestListUploadsPaging checks listUploads follows the markers across pages
// (only VersityGW honours max-uploads; MinIO and moto return one page).
func TestListUploadsPaging(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real S3 servers; not in -short")
	}
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srv := Shared(t, kind)
			client := srv.Client(t)
			bucket := srv.NewBucket(t)
			for i := range 5 {
				_, err := client.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{
					Bucket: &bucket, Key: aws.String(fmt.Sprintf("k/%d", i)),
				})
				if err != nil {
					t.Fatalf("CreateMultipartUpload: %v", err)
				}
			}
			got, err := listUploads(t.Context(), client, bucket, 2)
			if err != nil || len(got) != 5 {
				t.Fatalf("listUploads with page size 2 = %d uploads, %v; want 5", len(got), err)
			}
		})
	}
}

// TestListUploadsPagingWithinOneKey has one key's uploads span page boundaries, which
// versitygw's marker handling makes hard; none may be missed.
func TestListUploadsPagingWithinOneKey(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real S3 servers; not in -short")
	}
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srv := Shared(t, kind)
			client := srv.Client(t)
			bucket := srv.NewBucket(t)
			for i := range 7 {
				key := "same"
				if i == 6 {
					key = "zz-other"
				}
				if _, err := client.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String(key)}); err != nil {
					t.Fatalf("CreateMultipartUpload: %v", err)
				}
			}
			got, err := listUploads(t.Context(), client, bucket, 2)
			if err != nil || len(got) != 7 {
				t.Fatalf("listUploads with page size 2 = %d uploads, %v; want 7", len(got), err)
			}
		})
	}
}
