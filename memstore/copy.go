package memstore

import (
	"context"
	"errors"
	"strings"

	"github.com/haul-s3/haul/object"
)

// CopyObject copies src to dst within the store, as S3's CopyObject does: the source pinned
// to src.ETag when it is set (PreconditionFailed otherwise), a missing source NoSuchKey.
// With src.ReplaceMetadata the copy takes o's metadata, content type and cache control,
// else the source's; it takes o's ACL, storage class and encryption either way (o may be
// nil). The copy's whole checksum is computed with o.Checksum when that is set, else it is
// the source's. It returns the copy's ETag, the MD5 of its bytes.
func (s *Store) CopyObject(ctx context.Context, dst object.Ref, src object.CopySource, o *object.Options) (object.Written, error) {
	if err := ctx.Err(); err != nil {
		return object.Written{}, err
	}
	e, err := s.copySource("CopyObject", dst, "", 0, src)
	if err != nil {
		return object.Written{}, err
	}
	opts := storedOptions(o)
	if !src.ReplaceMetadata {
		opts.Metadata, opts.ContentType, opts.CacheControl = copyMeta(e.opts.Metadata), e.opts.ContentType, e.opts.CacheControl
	}
	c := &entry{data: e.data, etag: md5Hex(e.data), modified: s.clock(), opts: opts, checksum: e.checksum}
	if alg := opts.Checksum; alg != "" && alg != object.ChecksumMD5 {
		c.checksum = object.Sum(alg, e.data)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket("CopyObject", dst)
	if err != nil {
		return object.Written{}, err
	}
	b.objects[dst.Key] = c
	return object.Written{ETag: c.etag}, nil
}

// UploadPartCopy makes part num of the upload from src.Length bytes of src from src.Offset
// (the whole object when Length is 0), pinned to src.ETag when it is set. A range that
// does not lie inside the source is InvalidRange. The part's checksum is computed with the
// upload's algorithm, if it has one, and returned with the part, as S3 does.
func (s *Store) UploadPartCopy(ctx context.Context, dst object.Ref, uploadID string, num int32, src object.CopySource) (object.Part, error) {
	if err := ctx.Err(); err != nil {
		return object.Part{}, err
	}
	if num < 1 || num > 10000 {
		return object.Part{}, &Error{Op: "UploadPartCopy", Bucket: dst.Bucket, Key: dst.Key, UploadID: uploadID, Part: num, Code: CodeInvalidArgument,
			Message: "part numbers are 1 to 10,000"}
	}
	e, err := s.copySource("UploadPartCopy", dst, uploadID, num, src)
	if err != nil {
		return object.Part{}, err
	}
	data := e.data
	if src.Length > 0 {
		if src.Offset < 0 || src.Offset+src.Length > int64(len(data)) {
			return object.Part{}, &Error{Op: "UploadPartCopy", Bucket: dst.Bucket, Key: dst.Key, UploadID: uploadID, Part: num, Code: CodeInvalidRange,
				Message: "the range does not lie inside the source"}
		}
		data = data[src.Offset : src.Offset+src.Length]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.upload("UploadPartCopy", dst, uploadID, num)
	if err != nil {
		return object.Part{}, err
	}
	p := &part{data: data, etag: md5Hex(data)}
	if u.algorithm != "" {
		p.checksum = object.Sum(u.algorithm, data)
	}
	u.parts[num] = p
	return object.Part{Number: num, ETag: p.etag, Size: int64(len(data)), Checksum: p.checksum}, nil
}

// copySource returns the source object of a copy, or NoSuchBucket, NoSuchKey or
// PreconditionFailed, named after the copy's request (op, dst, upload and part).
func (s *Store) copySource(op string, dst object.Ref, uploadID string, num int32, src object.CopySource) (*entry, error) {
	e, err := s.object(op, src.Ref)
	var me *Error
	if errors.As(err, &me) {
		me.UploadID, me.Part = uploadID, num
	}
	if err != nil {
		return nil, err
	}
	if src.ETag != "" && strings.Trim(src.ETag, `"`) != e.etag {
		return nil, &Error{Op: op, Bucket: dst.Bucket, Key: dst.Key, UploadID: uploadID, Part: num, Code: CodePreconditionFailed,
			Message: "the source's ETag is " + e.etag + ", not " + src.ETag}
	}
	return e, nil
}

// DescribeObject is HeadObject with the object's options as an upload gave them (ACL and
// Checksum left empty, as a HEAD answer does not tell them), as s3store's DescribeObject.
func (s *Store) DescribeObject(ctx context.Context, ref object.Ref) (object.Info, object.Options, error) {
	if err := ctx.Err(); err != nil {
		return object.Info{}, object.Options{}, err
	}
	e, err := s.object("HeadObject", ref)
	if err != nil {
		return object.Info{}, object.Options{}, err
	}
	o := e.opts
	o.ACL, o.Checksum, o.Metadata = "", "", copyMeta(e.opts.Metadata)
	return e.info(ref.Key), o, nil
}
