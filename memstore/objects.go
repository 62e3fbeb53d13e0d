package memstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sort"
	"strings"

	"github.com/haul-s3/haul/object"
)

// readBody reads exactly size bytes of body from where it stands, as a server reads
// Content-Length bytes. A body that ends early is IncompleteBody (retryable); a body whose
// Read fails is an error that wraps that failure, so that the caller's own error types
// (a failure of its source file, say) can be found in it with errors.As.
func readBody(body io.Reader, size int64) ([]byte, *Error) {
	if size < 0 {
		return nil, &Error{Code: CodeInvalidArgument, Message: "negative size"}
	}
	data := make([]byte, size)
	if body == nil {
		body = bytes.NewReader(nil)
	}
	_, err := io.ReadFull(body, data)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, &Error{Code: CodeIncompleteBody, Message: "the body is shorter than its size", Err: err}
	case err != nil:
		return nil, &Error{Code: CodeIncompleteBody, Message: "reading the body", Err: err}
	}
	return data, nil
}

// with fills in the request's names in an error from a helper.
func (e *Error) with(op string, ref object.Ref, uploadID string, part int32) *Error {
	e.Op, e.Bucket, e.Key, e.UploadID, e.Part = op, ref.Bucket, ref.Key, uploadID, part
	return e
}

// PutObject stores exactly size bytes of body as one object, replacing any object at ref.
// sum, when set, is checked against the bytes; o may be nil. The body is read before the
// store is locked, so a slow body holds up no other request.
func (s *Store) PutObject(ctx context.Context, ref object.Ref, body io.ReadSeeker, size int64, o *object.Options, sum object.Checksum) (object.Written, error) {
	if err := ctx.Err(); err != nil {
		return object.Written{}, err
	}
	if err := s.exists("PutObject", ref); err != nil {
		return object.Written{}, err
	}
	data, rerr := readBody(body, size)
	if rerr != nil {
		return object.Written{}, rerr.with("PutObject", ref, "", 0)
	}
	if err := ctx.Err(); err != nil {
		return object.Written{}, err
	}
	if verr := verify(sum, data); verr != nil {
		return object.Written{}, verr.with("PutObject", ref, "", 0)
	}
	e := &entry{data: data, etag: md5Hex(data), modified: s.clock(), opts: storedOptions(o)}
	if sum.Algorithm != object.ChecksumMD5 {
		e.checksum = sum
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket("PutObject", ref)
	if err != nil {
		return object.Written{}, err
	}
	b.objects[ref.Key] = e
	return object.Written{ETag: e.etag}, nil
}

// exists fails with NoSuchBucket unless ref's bucket exists.
func (s *Store) exists(op string, ref object.Ref) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.bucket(op, ref)
	return err
}

// object returns the object at ref, or NoSuchBucket or NoSuchKey.
func (s *Store) object(op string, ref object.Ref) (*entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[ref.Bucket]
	if !ok {
		return nil, &Error{Op: op, Bucket: ref.Bucket, Key: ref.Key, Code: CodeNoSuchBucket}
	}
	e, ok := b.objects[ref.Key]
	if !ok {
		return nil, &Error{Op: op, Bucket: ref.Bucket, Key: ref.Key, Code: CodeNoSuchKey}
	}
	return e, nil
}

// HeadObject describes the object at ref: size, ETag, time, content type, user metadata and
// the whole object's checksum where it has one.
func (s *Store) HeadObject(ctx context.Context, ref object.Ref) (object.Info, error) {
	if err := ctx.Err(); err != nil {
		return object.Info{}, err
	}
	e, err := s.object("HeadObject", ref)
	if err != nil {
		return object.Info{}, err
	}
	return e.info(ref.Key), nil
}

// GetObject returns length bytes of the object from offset (length < 0: to the end; a
// length past the end stops at the end). With ifMatch set (quoted or not), it fails with
// PreconditionFailed unless the object's ETag is ifMatch. A range (offset > 0 or length >= 0)
// that starts at or beyond the end of the object is InvalidRange. The body reads the object
// as it was when GetObject was called; it has a Metadata method, as s3store's has, that
// returns the object's user metadata. The caller closes it.
func (s *Store) GetObject(ctx context.Context, ref object.Ref, offset, length int64, ifMatch string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := s.object("GetObject", ref)
	if err != nil {
		return nil, err
	}
	if ifMatch != "" && strings.Trim(ifMatch, `"`) != e.etag {
		return nil, &Error{Op: "GetObject", Bucket: ref.Bucket, Key: ref.Key, Code: CodePreconditionFailed,
			Message: "the object's ETag is " + e.etag + ", not " + ifMatch}
	}
	size := int64(len(e.data))
	ranged := offset > 0 || length >= 0
	if offset < 0 || (ranged && offset >= size) {
		return nil, &Error{Op: "GetObject", Bucket: ref.Bucket, Key: ref.Key, Code: CodeInvalidRange,
			Message: "the range does not start inside the object"}
	}
	end := size
	if length >= 0 {
		end = min(offset+length, size)
	}
	return &getBody{Reader: bytes.NewReader(e.data[offset:end]), meta: copyMeta(e.opts.Metadata)}, nil
}

// getBody is a GetObject body. It tells the object's metadata, as s3store's does.
type getBody struct {
	*bytes.Reader
	meta map[string]string
}

// Close does nothing; the bytes are in memory.
func (b *getBody) Close() error { return nil }

// Metadata returns the object's user metadata.
func (b *getBody) Metadata() map[string]string { return b.meta }

// List calls fn for every object whose key starts with prefix, in byte order of the keys,
// with the key, size, ETag and time (no content type, metadata or checksum, as S3 lists).
// It lists the bucket as it was when List was called; fn runs with no lock held and may
// call the store. An error from fn stops the listing and is returned.
func (s *Store) List(ctx context.Context, bucket, prefix string, fn func(object.Info) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	b, err := s.bucket("ListObjectsV2", object.Ref{Bucket: bucket, Key: prefix})
	if err != nil {
		s.mu.Unlock()
		return err
	}
	var infos []object.Info
	for k, e := range b.objects {
		if strings.HasPrefix(k, prefix) {
			infos = append(infos, object.Info{Key: k, Size: int64(len(e.data)), ETag: e.etag, LastModified: e.modified})
		}
	}
	s.mu.Unlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Key < infos[j].Key })
	for _, in := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(in); err != nil {
			return err
		}
	}
	return nil
}

// DeleteObject deletes the object at ref. A key with no object is not an error, as in S3;
// a missing bucket is NoSuchBucket.
func (s *Store) DeleteObject(ctx context.Context, ref object.Ref) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket("DeleteObject", ref)
	if err != nil {
		return err
	}
	delete(b.objects, ref.Key)
	return nil
}

// DeleteObjects deletes up to 1,000 keys at once, as S3's DeleteObjects does, and returns
// the error of each key that could not be deleted: none, since keys with no object count as
// deleted. More than 1,000 keys is MalformedXML; a missing bucket NoSuchBucket.
func (s *Store) DeleteObjects(ctx context.Context, bucket string, keys []string) (map[string]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(keys) > 1000 {
		return nil, &Error{Op: "DeleteObjects", Bucket: bucket, Code: CodeMalformedXML, Message: "more than 1,000 keys"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket("DeleteObjects", object.Ref{Bucket: bucket})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		delete(b.objects, k)
	}
	return map[string]error{}, nil
}
