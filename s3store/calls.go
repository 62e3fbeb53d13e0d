package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/object"
)

// unsignedPayload sends request bodies as UNSIGNED-PAYLOAD, so the SDK does not read every
// body a second time to hash it before sending. What protects the bytes is the subject of
// the README's integrity section.
func unsignedPayload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
}

// PutObject stores body (exactly size bytes) as one object.
func (s *Store) PutObject(ctx context.Context, ref object.Ref, body io.ReadSeeker, size int64, o *object.Options, sum object.Checksum) (object.Written, error) {
	in := &s3.PutObjectInput{Bucket: &ref.Bucket, Key: &ref.Key, Body: body, ContentLength: aws.Int64(size)}
	optionFields{&in.ACL, &in.Metadata, &in.ServerSideEncryption, &in.SSEKMSKeyId, &in.StorageClass, &in.ContentType, &in.CacheControl}.set(o)
	grantFields{&in.GrantFullControl, &in.GrantRead, &in.GrantReadACP, &in.GrantWriteACP}.set(o)
	in.Tagging = tagging(o)
	putChecksum(in, sum)
	var w object.Written
	err := sseHint(s.observe(ctx, "PutObject", ref.Bucket, ref.Key, 0, "", func(ctx context.Context) error {
		out, err := s.client.PutObject(withMemoryBody(ctx, body), in, unsignedPayload)
		if err == nil {
			w = object.Written{ETag: trimETag(out.ETag), VersionID: aws.ToString(out.VersionId)}
		}
		return err
	}), o)
	return w, err
}

// sseHint names server-side encryption as the cause of a server's NotImplemented answer to
// a request that asked for it: MinIO, for one, answers so when no KMS is configured.
func sseHint(err error, o *object.Options) error {
	var e *Error
	if o != nil && o.SSE != "" && errors.As(err, &e) && (e.Code == "NotImplemented" || e.Status == 501) {
		e.Option, e.Value = "sse", o.SSE
		e.Advice = "the server does not support server-side encryption " + o.SSE + " (MinIO, for one, needs a KMS configured for any); send without it, or set encryption up on the server"
	}
	return tagsHint(err, o)
}

// tagsHint names the tags as the cause of a server's NotImplemented answer to a request
// that sent some (x-amz-tagging), when nothing else was named: a server that keeps no
// object tags.
func tagsHint(err error, o *object.Options) error {
	var e *Error
	if o != nil && len(o.Tags) > 0 && errors.As(err, &e) && e.Option == "" && (e.Code == "NotImplemented" || e.Status == 501) {
		e.Option, e.Value = "tags", encodeTags(o.Tags)
		e.Advice = "the server does not keep object tags; send without them"
	}
	return err
}

// CreateMultipartUpload starts a multipart upload and returns its upload ID.
func (s *Store) CreateMultipartUpload(ctx context.Context, ref object.Ref, o *object.Options) (string, error) {
	in := &s3.CreateMultipartUploadInput{Bucket: &ref.Bucket, Key: &ref.Key}
	optionFields{&in.ACL, &in.Metadata, &in.ServerSideEncryption, &in.SSEKMSKeyId, &in.StorageClass, &in.ContentType, &in.CacheControl}.set(o)
	grantFields{&in.GrantFullControl, &in.GrantRead, &in.GrantReadACP, &in.GrantWriteACP}.set(o)
	in.Tagging = tagging(o)
	if o != nil {
		in.ChecksumAlgorithm = algorithm(o.Checksum)
		if o.FullObject && in.ChecksumAlgorithm != "" {
			in.ChecksumType = types.ChecksumTypeFullObject
		}
	}
	var id string
	err := s.observe(ctx, "CreateMultipartUpload", ref.Bucket, ref.Key, 0, "", func(ctx context.Context) error {
		out, err := s.client.CreateMultipartUpload(ctx, in)
		if err == nil {
			id = aws.ToString(out.UploadId)
			if id == "" {
				err = errors.New("the server returned no upload ID")
			}
		}
		return err
	})
	return id, sseHint(err, o)
}

// UploadPart sends part number num (exactly size bytes of body) and returns its ETag.
func (s *Store) UploadPart(ctx context.Context, ref object.Ref, uploadID string, num int32, body io.ReadSeeker, size int64, sum object.Checksum) (string, error) {
	in := &s3.UploadPartInput{Bucket: &ref.Bucket, Key: &ref.Key, UploadId: &uploadID,
		PartNumber: aws.Int32(num), Body: body, ContentLength: aws.Int64(size)}
	partChecksum(in, sum)
	var etag string
	err := s.observe(ctx, "UploadPart", ref.Bucket, ref.Key, num, uploadID, func(ctx context.Context) error {
		out, err := s.client.UploadPart(withFileBody(ctx, body), in, unsignedPayload)
		if err == nil {
			etag = aws.ToString(out.ETag)
		}
		return err
	})
	return etag, err
}

// CompleteMultipartUpload assembles the parts, which must be in ascending order.
func (s *Store) CompleteMultipartUpload(ctx context.Context, ref object.Ref, uploadID string, parts []object.Part) (object.Written, error) {
	return s.complete(ctx, completeInput(ref, uploadID, parts))
}

// CompleteFullObject assembles the parts of an upload created with a full-object checksum
// (object.Options.FullObject), giving the whole object's checksum whole and its size for
// the server to check: a mismatch is an error (BadDigest on versitygw,
// XAmzContentChecksumMismatch on MinIO), and the upload is left as it was.
func (s *Store) CompleteFullObject(ctx context.Context, ref object.Ref, uploadID string, parts []object.Part, whole object.Checksum, size int64) (object.Written, error) {
	in := completeInput(ref, uploadID, parts)
	in.ChecksumType = types.ChecksumTypeFullObject
	in.MpuObjectSize = aws.Int64(size)
	checksumFields{&in.ChecksumCRC32C, &in.ChecksumCRC32, &in.ChecksumCRC64NVME, &in.ChecksumSHA256, &in.ChecksumSHA1, nil}.set(whole)
	return s.complete(ctx, in)
}

func completeInput(ref object.Ref, uploadID string, parts []object.Part) *s3.CompleteMultipartUploadInput {
	cp := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		cp[i] = types.CompletedPart{PartNumber: aws.Int32(p.Number), ETag: aws.String(p.ETag)}
		completedChecksum(&cp[i], p.Checksum)
	}
	return &s3.CompleteMultipartUploadInput{Bucket: &ref.Bucket, Key: &ref.Key, UploadId: &uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: cp}}
}

func (s *Store) complete(ctx context.Context, in *s3.CompleteMultipartUploadInput) (object.Written, error) {
	var w object.Written
	err := s.observe(ctx, "CompleteMultipartUpload", aws.ToString(in.Bucket), aws.ToString(in.Key), 0, aws.ToString(in.UploadId), func(ctx context.Context) error {
		out, err := s.client.CompleteMultipartUpload(ctx, in)
		if err == nil {
			w = object.Written{ETag: trimETag(out.ETag), VersionID: aws.ToString(out.VersionId)}
		}
		return err
	})
	return w, err
}

// AbortMultipartUpload aborts an upload and frees its parts. An upload that no longer
// exists counts as aborted.
func (s *Store) AbortMultipartUpload(ctx context.Context, ref object.Ref, uploadID string) error {
	err := s.observe(ctx, "AbortMultipartUpload", ref.Bucket, ref.Key, 0, uploadID, func(ctx context.Context) error {
		_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &ref.Bucket, Key: &ref.Key, UploadId: &uploadID})
		return err
	})
	var e *Error
	if errors.As(err, &e) && e.Code == "NoSuchUpload" {
		return nil
	}
	return err
}

// HeadObject returns the object's size, ETag, time and content type. A HEAD answer has no
// body to name its error, so when it says 404 the bucket is asked after: a missing bucket
// is reported as NoSuchBucket, not as a missing key.
func (s *Store) HeadObject(ctx context.Context, ref object.Ref) (object.Info, error) {
	out, err := s.head(ctx, ref)
	if err != nil {
		return object.Info{}, err
	}
	return infoOf(ref.Key, out), nil
}

// head is the one HeadObject request (checksum mode on) behind HeadObject, DescribeObject
// and Stat. Its 404 names no cause, so the bucket is asked after: a missing bucket is a
// NoSuchBucket *Error, a missing object in a bucket that is there a NoSuchKey one.
func (s *Store) head(ctx context.Context, ref object.Ref) (*s3.HeadObjectOutput, error) {
	var out *s3.HeadObjectOutput
	err := s.observe(ctx, "HeadObject", ref.Bucket, ref.Key, 0, "", func(ctx context.Context) error {
		var err error
		out, err = s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &ref.Bucket, Key: &ref.Key, ChecksumMode: types.ChecksumModeEnabled})
		return err
	})
	var e *Error
	if errors.As(err, &e) && e.Code == "NoSuchKey" {
		if ok, berr := s.BucketExists(ctx, ref.Bucket); berr == nil && !ok {
			e.Code = "NoSuchBucket"
		}
	}
	return out, err
}

// infoOf is what a HEAD answer says of the object an engine works with.
func infoOf(key string, out *s3.HeadObjectOutput) object.Info {
	return object.Info{Key: key, Size: aws.ToInt64(out.ContentLength), ETag: trimETag(out.ETag),
		LastModified: aws.ToTime(out.LastModified), ContentType: aws.ToString(out.ContentType), Metadata: out.Metadata,
		Checksum: fullObjectChecksum(out.ChecksumType, types.Part{ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC32: out.ChecksumCRC32,
			ChecksumCRC64NVME: out.ChecksumCRC64NVME, ChecksumSHA256: out.ChecksumSHA256, ChecksumSHA1: out.ChecksumSHA1}, aws.ToString(out.ETag)),
		TagCount: int(aws.ToInt32(out.TagCount))}
}

// GetObject returns a reader of length bytes of the object from offset (length < 0: to the
// end). With ifMatch set, the request fails with a PreconditionFailed *Error if the object's
// ETag is no longer ifMatch. Errors while reading the body are *Errors too, retryable unless
// ctx was cancelled. The caller closes the body.
func (s *Store) GetObject(ctx context.Context, ref object.Ref, offset, length int64, ifMatch string) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: &ref.Bucket, Key: &ref.Key}
	if offset > 0 || length >= 0 {
		r := fmt.Sprintf("bytes=%d-", offset)
		if length >= 0 {
			r += fmt.Sprint(offset + length - 1)
		}
		in.Range = &r
	}
	if ifMatch != "" {
		in.IfMatch = aws.String(`"` + ifMatch + `"`)
	}
	var out *s3.GetObjectOutput
	err := s.observeCall(ctx, Call{Op: "GetObject", Bucket: ref.Bucket, Key: ref.Key, Range: aws.ToString(in.Range)}, "", func(ctx context.Context) error {
		var err error
		out, err = s.client.GetObject(ctx, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	sse := string(out.ServerSideEncryption)
	md5ETag := !strings.HasPrefix(sse, "aws:kms") && aws.ToString(out.SSECustomerAlgorithm) == ""
	return &bodyReader{ReadCloser: out.Body, ctx: ctx, ref: ref, md5ETag: md5ETag, meta: out.Metadata}, nil
}

type bodyReader struct {
	io.ReadCloser
	ctx     context.Context //nolint:containedctx // only to tell a cancelled read from a failed one
	ref     object.Ref
	md5ETag bool
	meta    map[string]string
}

// Metadata returns the object's user metadata (x-amz-meta-*), as the response carried it.
func (b *bodyReader) Metadata() map[string]string { return b.meta }

// ETagMayBeMD5 reports whether the object's ETag can be the MD5 of its bytes: not when it
// is encrypted with SSE-KMS or SSE-C, whose single-part ETags are not MD5s on AWS.
func (b *bodyReader) ETagMayBeMD5() bool { return b.md5ETag }

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		if b.ctx.Err() != nil {
			return n, b.ctx.Err()
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return n, &Error{Op: "GetObject", Bucket: b.ref.Bucket, Key: b.ref.Key, Err: fmt.Errorf("reading body: %w", err), retryable: true}
	}
	return n, err
}

// ListBuckets returns the names of the buckets the credentials can see.
func (s *Store) ListBuckets(ctx context.Context) ([]string, error) {
	var names []string
	err := s.observe(ctx, "ListBuckets", "", "", 0, "", func(ctx context.Context) error {
		out, err := s.client.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err == nil {
			for _, b := range out.Buckets {
				names = append(names, aws.ToString(b.Name))
			}
		}
		return err
	})
	return names, err
}

// DeleteObject deletes one object.
func (s *Store) DeleteObject(ctx context.Context, ref object.Ref) error {
	return s.observe(ctx, "DeleteObject", ref.Bucket, ref.Key, 0, "", func(ctx context.Context) error {
		_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &ref.Bucket, Key: &ref.Key})
		return err
	})
}

// DeleteObjects deletes up to 1,000 keys in one request and returns, per key, the error of
// each key that could not be deleted.
func (s *Store) DeleteObjects(ctx context.Context, bucket string, keys []string) (map[string]error, error) {
	ids := make([]types.ObjectIdentifier, len(keys))
	for i := range keys {
		ids[i] = types.ObjectIdentifier{Key: aws.String(keys[i])}
	}
	failed := map[string]error{}
	err := s.observe(ctx, "DeleteObjects", bucket, "", 0, "", func(ctx context.Context) error {
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err == nil {
			for _, e := range out.Errors {
				failed[aws.ToString(e.Key)] = &Error{Op: "DeleteObjects", Bucket: bucket, Key: aws.ToString(e.Key),
					Code: aws.ToString(e.Code), Message: aws.ToString(e.Message)}
			}
		}
		return err
	})
	return failed, err
}

// BucketExists reports whether the bucket exists and may be reached with these credentials.
func (s *Store) BucketExists(ctx context.Context, bucket string) (bool, error) {
	err := s.observe(ctx, "HeadBucket", bucket, "", 0, "", func(ctx context.Context) error {
		_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket})
		return err
	})
	var e *Error
	if errors.As(err, &e) && e.NotFound() {
		return false, nil
	}
	return err == nil, err
}

// CreateBucket creates a bucket in region (empty: the store's region). A bucket that the
// caller already owns counts as created.
func (s *Store) CreateBucket(ctx context.Context, bucket, region string) error {
	if region == "" {
		region = s.Region
	}
	in := &s3.CreateBucketInput{Bucket: &bucket}
	if region != "" && region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)}
	}
	err := s.observe(ctx, "CreateBucket", bucket, "", 0, "", func(ctx context.Context) error {
		_, err := s.client.CreateBucket(ctx, in)
		return err
	})
	var e *Error
	if errors.As(err, &e) && e.Code == "BucketAlreadyOwnedByYou" {
		return nil
	}
	return err
}

// optionFields points to the fields of one input (PutObject or CreateMultipartUpload) that
// carry the object options; the two inputs have the same fields but no common type.
type optionFields struct {
	acl          *types.ObjectCannedACL
	metadata     *map[string]string
	sse          *types.ServerSideEncryption
	kmsKeyID     **string
	storageClass *types.StorageClass
	contentType  **string
	cacheControl **string
}

func (f optionFields) set(o *object.Options) {
	if o == nil {
		return
	}
	*f.acl = types.ObjectCannedACL(o.ACL)
	*f.metadata = o.Metadata
	*f.sse = types.ServerSideEncryption(o.SSE)
	*f.kmsKeyID = optional(o.SSEKMSKeyID)
	*f.storageClass = types.StorageClass(o.StorageClass)
	*f.contentType = optional(o.ContentType)
	*f.cacheControl = optional(o.CacheControl)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func trimETag(p *string) string { return strings.Trim(aws.ToString(p), `"`) }
