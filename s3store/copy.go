package s3store

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/object"
)

// This file holds the server-side copy: CopyObject for an object in one request, and
// UploadPartCopy for a part of a multipart upload whose bytes are a range of another object.
// Neither sends or receives the object's bytes: the server reads the source itself, so the
// source must be on the same server and readable with the same credentials.

// CopyObject copies src to dst in one request (S3 allows up to 5 GiB) and returns the new
// object's ETag (quotes removed). The source is pinned to src.ETag when it is set: a source
// that changed fails with PreconditionFailed. With src.ReplaceMetadata the copy gets o's
// metadata, content type and cache control (directive REPLACE); without it the server
// copies the source's (directive COPY, which also keeps headers haul has no option for,
// such as Content-Encoding). o's ACL (or grants), storage class and encryption apply
// either way; o.Tags, when not nil, replace the source's tags (tagging directive REPLACE),
// which the server copies otherwise (COPY, S3's default); and
// o.Checksum, when set, is the algorithm of the checksum the server computes for the copy.
// o may be nil.
func (s *Store) CopyObject(ctx context.Context, dst object.Ref, src object.CopySource, o *object.Options) (object.Written, error) {
	in := &s3.CopyObjectInput{Bucket: &dst.Bucket, Key: &dst.Key, CopySource: aws.String(copySource(src.Ref)),
		MetadataDirective: types.MetadataDirectiveCopy}
	if src.ETag != "" {
		in.CopySourceIfMatch = aws.String(`"` + src.ETag + `"`)
	}
	if src.ReplaceMetadata {
		in.MetadataDirective = types.MetadataDirectiveReplace
		optionFields{&in.ACL, &in.Metadata, &in.ServerSideEncryption, &in.SSEKMSKeyId, &in.StorageClass, &in.ContentType, &in.CacheControl}.set(o)
	} else if o != nil {
		in.ACL, in.StorageClass = types.ObjectCannedACL(o.ACL), types.StorageClass(o.StorageClass)
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryption(o.SSE), optional(o.SSEKMSKeyID)
	}
	grantFields{&in.GrantFullControl, &in.GrantRead, &in.GrantReadACP, &in.GrantWriteACP}.set(o)
	if o != nil {
		in.ChecksumAlgorithm = algorithm(o.Checksum)
		if o.Tags != nil {
			in.TaggingDirective, in.Tagging = types.TaggingDirectiveReplace, optional(encodeTags(o.Tags))
		}
	}
	var w object.Written
	err := sseHint(s.observe(ctx, "CopyObject", dst.Bucket, dst.Key, 0, "", func(ctx context.Context) error {
		out, err := s.client.CopyObject(ctx, in)
		if err == nil {
			w.VersionID = aws.ToString(out.VersionId)
		}
		if err == nil && out.CopyObjectResult != nil {
			w.ETag = trimETag(out.CopyObjectResult.ETag)
		}
		return err
	}), o)
	return w, copyFailure(err, src.Ref)
}

// UploadPartCopy makes part num of the upload from src.Length bytes of src from src.Offset
// (the whole source when Length is 0), pinned to src.ETag when it is set. It returns the
// part with its ETag, size and, when the upload was created with a checksum algorithm and
// the server gives one, the part's checksum, which CompleteMultipartUpload must be given.
func (s *Store) UploadPartCopy(ctx context.Context, dst object.Ref, uploadID string, num int32, src object.CopySource) (object.Part, error) {
	in := &s3.UploadPartCopyInput{Bucket: &dst.Bucket, Key: &dst.Key, UploadId: &uploadID, PartNumber: aws.Int32(num),
		CopySource: aws.String(copySource(src.Ref))}
	if src.ETag != "" {
		in.CopySourceIfMatch = aws.String(`"` + src.ETag + `"`)
	}
	if src.Length > 0 {
		in.CopySourceRange = aws.String(fmt.Sprintf("bytes=%d-%d", src.Offset, src.Offset+src.Length-1))
	}
	p := object.Part{Number: num, Size: src.Length}
	err := s.observe(ctx, "UploadPartCopy", dst.Bucket, dst.Key, num, uploadID, func(ctx context.Context) error {
		out, err := s.client.UploadPartCopy(ctx, in)
		if err == nil && out.CopyPartResult != nil {
			r := out.CopyPartResult
			p.ETag = trimETag(r.ETag)
			p.Checksum = listedChecksum(types.Part{ChecksumCRC32C: r.ChecksumCRC32C, ChecksumCRC32: r.ChecksumCRC32,
				ChecksumCRC64NVME: r.ChecksumCRC64NVME, ChecksumSHA256: r.ChecksumSHA256, ChecksumSHA1: r.ChecksumSHA1})
		}
		if err == nil && p.ETag == "" {
			err = fmt.Errorf("the server returned no ETag for the part")
		}
		return err
	})
	return p, copyFailure(err, src.Ref)
}

// DescribeObject is HeadObject (checksum mode on, a missing bucket named as such) with the properties an upload gives an
// object: content type, cache control, storage class, encryption and its KMS key ID, and
// user metadata, as an object.Options to create a copy with, and the number of its tags in
// Info.TagCount. The ACL and the tags are not in a HEAD answer (ObjectGrants and ObjectTags
// ask for them): ACL, Grants, Tags and Checksum stay empty.
func (s *Store) DescribeObject(ctx context.Context, ref object.Ref) (object.Info, object.Options, error) {
	out, err := s.head(ctx, ref)
	if err != nil {
		return object.Info{}, object.Options{}, err
	}
	o := object.Options{Metadata: out.Metadata, ContentType: aws.ToString(out.ContentType), CacheControl: aws.ToString(out.CacheControl),
		StorageClass: string(out.StorageClass), SSE: string(out.ServerSideEncryption), SSEKMSKeyID: aws.ToString(out.SSEKMSKeyId)}
	return infoOf(ref.Key, out), o, nil
}

// copyFailure names the source in the error of a copy, whose Bucket and Key are the
// destination's: a missing or changed source is the source's fault.
func copyFailure(err error, src object.Ref) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("copy from %s: %w", src, err)
}

// copySource is the x-amz-copy-source header's value: bucket/key, the key percent-encoded
// except for its slashes and the characters RFC 3986 leaves unreserved.
func copySource(src object.Ref) string {
	var b strings.Builder
	b.WriteString(src.Bucket)
	b.WriteByte('/')
	for i := 0; i < len(src.Key); i++ {
		c := src.Key[i]
		if c == '/' || c == '-' || c == '_' || c == '.' || c == '~' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
