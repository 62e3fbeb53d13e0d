package s3store

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/haul-s3/haul/object"
)

// HeadObjectPart describes one part of a multipart object (HeadObject with partNumber and
// checksum mode): the number of parts, the part's offset and length, its own checksum when
// the server gives one (MinIO and AWS do; versitygw and moto do not), and the object's
// metadata.
func (s *Store) HeadObjectPart(ctx context.Context, ref object.Ref, part int32) (object.PartInfo, error) {
	var info object.PartInfo
	err := s.observe(ctx, "HeadObject", ref.Bucket, ref.Key, part, "", func(ctx context.Context) error {
		out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &ref.Bucket, Key: &ref.Key,
			PartNumber: aws.Int32(part), ChecksumMode: types.ChecksumModeEnabled})
		if err == nil {
			info = partInfo(part, partAnswer{count: out.PartsCount, length: out.ContentLength, contentRange: out.ContentRange,
				etag: out.ETag, typ: out.ChecksumType, meta: out.Metadata, sse: out.ServerSideEncryption, ssec: out.SSECustomerAlgorithm,
				sums: types.Part{ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC32: out.ChecksumCRC32, ChecksumCRC64NVME: out.ChecksumCRC64NVME,
					ChecksumSHA256: out.ChecksumSHA256, ChecksumSHA1: out.ChecksumSHA1}})
		}
		return err
	})
	return info, err
}

// GetObjectPart returns the bytes of one part of a multipart object (GetObject with
// partNumber and checksum mode) and what the answer said of the part. The SDK's own check
// of the body against x-amz-checksum-* is taken off: the engine checks it, once.
func (s *Store) GetObjectPart(ctx context.Context, ref object.Ref, part int32, ifMatch string) (io.ReadCloser, object.PartInfo, error) {
	in := &s3.GetObjectInput{Bucket: &ref.Bucket, Key: &ref.Key, PartNumber: aws.Int32(part), ChecksumMode: types.ChecksumModeEnabled}
	if ifMatch != "" {
		in.IfMatch = aws.String(`"` + ifMatch + `"`)
	}
	var out *s3.GetObjectOutput
	err := s.observe(ctx, "GetObject", ref.Bucket, ref.Key, part, "", func(ctx context.Context) error {
		var err error
		out, err = s.client.GetObject(ctx, in, withoutResponseValidation)
		return err
	})
	if err != nil {
		return nil, object.PartInfo{}, err
	}
	info := partInfo(part, partAnswer{count: out.PartsCount, length: out.ContentLength, contentRange: out.ContentRange,
		etag: out.ETag, typ: out.ChecksumType, meta: out.Metadata, sse: out.ServerSideEncryption, ssec: out.SSECustomerAlgorithm,
		sums: types.Part{ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC32: out.ChecksumCRC32, ChecksumCRC64NVME: out.ChecksumCRC64NVME,
			ChecksumSHA256: out.ChecksumSHA256, ChecksumSHA1: out.ChecksumSHA1}})
	body := &bodyReader{ReadCloser: out.Body, ctx: ctx, ref: ref, md5ETag: !info.ETagNotMD5, meta: out.Metadata}
	return body, info, nil
}

// withoutResponseValidation takes the SDK's check of a GET body against its checksum
// header off the request's stack (the caller checks the body itself).
func withoutResponseValidation(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		_, _ = st.Deserialize.Remove("AWSChecksum:ValidateOutputPayloadChecksum")
		return nil
	})
}

// partAnswer is the fields of a HEAD or GET answer that describe a part.
type partAnswer struct {
	count        *int32
	length       *int64
	contentRange *string
	etag         *string
	typ          types.ChecksumType
	meta         map[string]string
	sse          types.ServerSideEncryption
	ssec         *string
	sums         types.Part
}

func partInfo(part int32, a partAnswer) object.PartInfo {
	info := object.PartInfo{Number: part, Count: aws.ToInt32(a.count), Offset: -1, Length: aws.ToInt64(a.length),
		ETag: trimETag(a.etag), Metadata: a.meta,
		ETagNotMD5: strings.HasPrefix(string(a.sse), "aws:kms") || aws.ToString(a.ssec) != ""}
	if off, ok := rangeStart(aws.ToString(a.contentRange)); ok {
		info.Offset = off
	}
	// A part's own checksum: not a composite of parts ("-N", which a server that ignores
	// partNumber sends) and not the whole object's (type FULL_OBJECT).
	if c := listedChecksum(a.sums); a.typ != types.ChecksumTypeFullObject && !strings.Contains(c.Value, "-") {
		info.Checksum = c
	}
	return info
}

// rangeStart reads the first byte's offset from a Content-Range ("bytes 0-99/1000").
func rangeStart(cr string) (int64, bool) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(first, 10, 64)
	return n, err == nil
}
