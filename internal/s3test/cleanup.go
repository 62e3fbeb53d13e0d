package s3test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// abortUploads aborts every incomplete multipart upload in bucket.
func abortUploads(ctx context.Context, client *s3.Client, bucket string) error {
	uploads, err := listUploads(ctx, client, bucket, 0)
	if err != nil {
		return err
	}
	for _, u := range uploads {
		_, err := client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: &bucket, Key: u.Key, UploadId: u.UploadId,
		})
		if err != nil {
			return fmt.Errorf("aborting upload %s of %s: %w",
				aws.ToString(u.UploadId), aws.ToString(u.Key), err)
		}
	}
	return nil
}

// deleteObjects deletes every (current) object in bucket.
func deleteObjects(ctx context.Context, client *s3.Client, bucket string) error {
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing objects: %w", err)
		}
		ids := make([]types.ObjectIdentifier, 0, len(page.Contents))
		for _, obj := range page.Contents {
			ids = append(ids, types.ObjectIdentifier{Key: obj.Key})
		}
		if err := deleteBatch(ctx, client, bucket, ids); err != nil {
			return err
		}
	}
	return nil
}

// deleteVersions deletes every object version and delete marker in bucket.
func deleteVersions(ctx context.Context, client *s3.Client, bucket string) error {
	pages := s3.NewListObjectVersionsPaginator(client, &s3.ListObjectVersionsInput{Bucket: &bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing object versions: %w", err)
		}
		var ids []types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if err := deleteBatch(ctx, client, bucket, ids); err != nil {
			return err
		}
	}
	return nil
}

// deleteBatch deletes up to 1000 objects with one DeleteObjects call.
func deleteBatch(ctx context.Context, client *s3.Client, bucket string, ids []types.ObjectIdentifier) error {
	if len(ids) == 0 {
		return nil
	}
	out, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: &bucket,
		Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("deleting objects: %w", err)
	}
	if len(out.Errors) > 0 {
		e := out.Errors[0]
		return fmt.Errorf("deleting %d objects failed, first %s: %s",
			len(out.Errors), aws.ToString(e.Key), aws.ToString(e.Message))
	}
	return nil
}
