package memstore

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/haul-s3/haul/object"
)

// upload is an incomplete multipart upload.
type upload struct {
	ref       object.Ref
	id        string
	seq       uint64 // creation order, for listing
	initiated time.Time
	opts      object.Options  // as the object will keep them
	algorithm string          // the checksum algorithm declared at creation ("" or MD5: none)
	parts     map[int32]*part // by part number
}

// part is one uploaded part. Like an entry, it is replaced, never changed.
type part struct {
	data     []byte
	etag     string // unquoted
	checksum object.Checksum
}

// CreateMultipartUpload starts a multipart upload of ref and returns its upload ID. o (which
// may be nil) gives the object's metadata and options, and in Checksum the algorithm of the
// checksums its parts will carry.
func (s *Store) CreateMultipartUpload(ctx context.Context, ref object.Ref, o *object.Options) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	opts := storedOptions(o)
	alg := opts.Checksum
	if alg == object.ChecksumMD5 {
		alg = ""
	}
	if _, err := object.NewHash(alg); alg != "" && err != nil {
		return "", &Error{Op: "CreateMultipartUpload", Bucket: ref.Bucket, Key: ref.Key, Code: CodeInvalidRequest,
			Message: "unknown checksum algorithm " + alg}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.bucket("CreateMultipartUpload", ref); err != nil {
		return "", err
	}
	s.seq++
	var random [8]byte
	_, _ = rand.Read(random[:])
	id := fmt.Sprintf("%s-%d", hex.EncodeToString(random[:]), s.seq)
	s.uploads[id] = &upload{ref: ref, id: id, seq: s.seq, initiated: s.clock(), opts: opts, algorithm: alg, parts: map[int32]*part{}}
	return id, nil
}

// upload returns the upload with this ID of ref, or NoSuchBucket or NoSuchUpload; s.mu must
// be held. An upload ID of another key is NoSuchUpload, as in S3.
func (s *Store) upload(op string, ref object.Ref, id string, num int32) (*upload, error) {
	if _, err := s.bucket(op, ref); err != nil {
		return nil, err
	}
	u, ok := s.uploads[id]
	if !ok || u.ref != ref {
		return nil, &Error{Op: op, Bucket: ref.Bucket, Key: ref.Key, UploadID: id, Part: num, Code: CodeNoSuchUpload}
	}
	return u, nil
}

// UploadPart stores exactly size bytes of body as part num (1 to 10,000) of the upload,
// replacing any part with that number, and returns its ETag in quotes, as S3 sends it. sum,
// when set, is checked against the bytes; when it is not and the upload declared a checksum
// algorithm, the part's checksum is computed, as S3 does.
func (s *Store) UploadPart(ctx context.Context, ref object.Ref, uploadID string, num int32, body io.ReadSeeker, size int64, sum object.Checksum) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if num < 1 || num > 10000 {
		return "", &Error{Op: "UploadPart", Bucket: ref.Bucket, Key: ref.Key, UploadID: uploadID, Part: num, Code: CodeInvalidArgument,
			Message: "part numbers are 1 to 10,000"}
	}
	s.mu.Lock()
	u, err := s.upload("UploadPart", ref, uploadID, num)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	data, rerr := readBody(body, size)
	if rerr != nil {
		return "", rerr.with("UploadPart", ref, uploadID, num)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if verr := verify(sum, data); verr != nil {
		return "", verr.with("UploadPart", ref, uploadID, num)
	}
	p := &part{data: data, etag: md5Hex(data)}
	switch {
	case sum.Algorithm == object.ChecksumMD5 || sum.Algorithm == "":
		if u.algorithm != "" {
			p.checksum = object.Sum(u.algorithm, data)
		}
	case u.algorithm == "" || sum.Algorithm == u.algorithm:
		p.checksum = sum
	default:
		return "", &Error{Op: "UploadPart", Bucket: ref.Bucket, Key: ref.Key, UploadID: uploadID, Part: num, Code: CodeInvalidRequest,
			Message: fmt.Sprintf("the upload was created for %s checksums, the part has a %s checksum", orNone(u.algorithm), sum.Algorithm)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, err = s.upload("UploadPart", ref, uploadID, num); err != nil {
		return "", err // aborted or completed while the body was read
	}
	u.parts[num] = p
	return `"` + p.etag + `"`, nil
}

func orNone(alg string) string {
	if alg == "" {
		return "no"
	}
	return alg
}

// CompleteMultipartUpload makes the object of the listed parts, which must be in ascending
// order of part number, each with the ETag (quoted or not) UploadPart returned and, when
// given, the checksum it was stored with (an MD5 is not compared: S3 has no field for it). Parts not listed are dropped. See the package
// documentation for the errors; after one the upload remains. After success the upload is
// gone and the object's ETag is the multipart one ("<md5 of the parts' md5s>-<parts>").
func (s *Store) CompleteMultipartUpload(ctx context.Context, ref object.Ref, uploadID string, parts []object.Part) (object.Written, error) {
	if err := ctx.Err(); err != nil {
		return object.Written{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.upload("CompleteMultipartUpload", ref, uploadID, 0)
	if err != nil {
		return object.Written{}, err
	}
	refuse := func(code string, num int32, msg string) error {
		return &Error{Op: "CompleteMultipartUpload", Bucket: ref.Bucket, Key: ref.Key, UploadID: uploadID, Part: num, Code: code, Message: msg}
	}
	if len(parts) == 0 {
		return object.Written{}, refuse(CodeMalformedXML, 0, "no parts listed")
	}
	var size int64
	held := make([]*part, len(parts))
	for i, p := range parts {
		if i > 0 && p.Number <= parts[i-1].Number {
			return object.Written{}, refuse(CodeInvalidPartOrder, p.Number, "parts must be listed in ascending order")
		}
		h, ok := u.parts[p.Number]
		if !ok {
			return object.Written{}, refuse(CodeInvalidPart, p.Number, "no such part")
		}
		if strings.Trim(p.ETag, `"`) != h.etag {
			return object.Written{}, refuse(CodeInvalidPart, p.Number, "the part's ETag is "+h.etag+", not "+p.ETag)
		}
		if p.Checksum.Value != "" && p.Checksum.Algorithm != object.ChecksumMD5 && p.Checksum != h.checksum {
			return object.Written{}, refuse(CodeInvalidPart, p.Number, "the part's checksum is not the one given")
		}
		held[i] = h
		size += int64(len(h.data))
	}
	for i, h := range held[:len(held)-1] {
		if int64(len(h.data)) < s.minPartSize {
			return object.Written{}, refuse(CodeEntityTooSmall, parts[i].Number, fmt.Sprintf("the part has %d bytes; every part but the last needs at least %d", len(h.data), s.minPartSize))
		}
	}
	b, err := s.bucket("CompleteMultipartUpload", ref)
	if err != nil {
		return object.Written{}, err
	}
	data := make([]byte, 0, size)
	etags := md5.New() //nolint:gosec // S3's multipart ETag is defined with MD5
	for _, h := range held {
		data = append(data, h.data...)
		raw, _ := hex.DecodeString(h.etag)
		etags.Write(raw)
	}
	e := &entry{data: data, etag: fmt.Sprintf("%x-%d", etags.Sum(nil), len(held)), modified: s.clock(), opts: u.opts, parts: len(held)}
	for _, h := range held {
		e.partLens = append(e.partLens, int64(len(h.data)))
		e.partSums = append(e.partSums, h.checksum)
	}
	b.objects[ref.Key] = e
	delete(s.uploads, uploadID)
	return object.Written{ETag: e.etag}, nil
}

// AbortMultipartUpload ends the upload and drops its parts. An upload that does not exist
// (never did, or was aborted or completed) counts as aborted; a missing bucket is
// NoSuchBucket.
func (s *Store) AbortMultipartUpload(ctx context.Context, ref object.Ref, uploadID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.upload("AbortMultipartUpload", ref, uploadID, 0)
	var e *Error
	if errors.As(err, &e) && e.Code == CodeNoSuchUpload {
		return nil
	}
	if err != nil {
		return err
	}
	delete(s.uploads, u.id)
	return nil
}

// ListParts returns the parts of an incomplete upload in part number order, with ETags
// without quotes and each part's checksum (zero when the upload has no checksum algorithm).
// An upload that does not exist is NoSuchUpload.
func (s *Store) ListParts(ctx context.Context, ref object.Ref, uploadID string) ([]object.Part, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.upload("ListParts", ref, uploadID, 0)
	if err != nil {
		return nil, err
	}
	parts := make([]object.Part, 0, len(u.parts))
	for n, p := range u.parts {
		parts = append(parts, object.Part{Number: n, ETag: p.etag, Size: int64(len(p.data)), Checksum: p.checksum})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	return parts, nil
}

// ListUploads calls fn for every incomplete multipart upload in bucket whose key starts with
// prefix, in key order and then in the order they were created. It lists the uploads as they
// were when it was called; fn runs with no lock held and may call the store. An error from
// fn stops the listing and is returned.
func (s *Store) ListUploads(ctx context.Context, bucket, prefix string, fn func(object.Upload) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if _, err := s.bucket("ListMultipartUploads", object.Ref{Bucket: bucket, Key: prefix}); err != nil {
		s.mu.Unlock()
		return err
	}
	var ups []*upload
	for _, u := range s.uploads {
		if u.ref.Bucket == bucket && strings.HasPrefix(u.ref.Key, prefix) {
			ups = append(ups, u)
		}
	}
	s.mu.Unlock()
	sort.Slice(ups, func(i, j int) bool {
		if ups[i].ref.Key != ups[j].ref.Key {
			return ups[i].ref.Key < ups[j].ref.Key
		}
		return ups[i].seq < ups[j].seq
	})
	for _, u := range ups {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(object.Upload{Key: u.ref.Key, UploadID: u.id, Initiated: u.initiated}); err != nil {
			return err
		}
	}
	return nil
}
