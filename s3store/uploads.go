package s3store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/object"
)

// ListUploads calls fn, in the server's order (key, then initiation time), for every
// incomplete multipart upload in bucket whose key starts with prefix, paging through
// ListMultipartUploads for as many pages as there are. fn is called from the calling
// goroutine; an error from it stops the listing and is returned.
//
// The prefix is matched here, not sent: MinIO matches a listing prefix only when it is a
// whole key. Some servers page wrongly; see uploadsPage for what is done about it.
func (s *Store) ListUploads(ctx context.Context, bucket, prefix string, fn func(object.Upload) error) error {
	var p uploadPager
	for {
		out, err := s.uploadsPage(ctx, bucket, &p)
		if err != nil {
			return err
		}
		for _, u := range out.Uploads {
			key := aws.ToString(u.Key)
			p.saw(key)
			if !strings.HasPrefix(key, prefix) {
				continue
			}
			up := object.Upload{Key: key, UploadID: aws.ToString(u.UploadId), Initiated: aws.ToTime(u.Initiated)}
			if err := fn(up); err != nil {
				return err
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return p.skipped
		}
		key, id := aws.ToString(out.NextKeyMarker), aws.ToString(out.NextUploadIdMarker)
		if key == "" && len(out.Uploads) > 0 { // a server that leaves the markers out
			last := out.Uploads[len(out.Uploads)-1]
			key, id = aws.ToString(last.Key), aws.ToString(last.UploadId)
		}
		if key == p.keyMarker && id == p.idMarker {
			return &Error{Op: "ListMultipartUploads", Bucket: bucket, Key: prefix,
				Err: errors.New("the server returned a truncated page that does not advance the listing")}
		}
		p.keyMarker, p.idMarker = key, id
	}
}

// uploadPager is where a ListMultipartUploads listing has got to.
type uploadPager struct {
	keyMarker, idMarker string
	// cur is the key of the last upload seen and prev the distinct key before it.
	cur, prev string
	// skipped records uploads that could not be listed, returned once the listing ends.
	skipped error
}

func (p *uploadPager) saw(key string) {
	if key != p.cur {
		p.prev, p.cur = p.cur, key
	}
}

// uploadsPage fetches the page after p's markers.
//
// versitygw v1.8.0 takes the upload-ID marker to name an upload of the first key AFTER the
// key marker, so it rejects the markers it returned itself (400 InvalidArgument, "Invalid
// uploadId marker") whenever a page ends inside one key's uploads. On that error the page
// is asked for again with the previous key as key marker, which makes the marker key the
// first key after it and continues right after the marker upload. When there is no previous
// key (one key's uploads fill the whole first page), the page is asked for with the key
// marker alone; that skips the rest of that key's uploads, and the listing ends with an
// error that says so.
func (s *Store) uploadsPage(ctx context.Context, bucket string, p *uploadPager) (*s3.ListMultipartUploadsOutput, error) {
	in := &s3.ListMultipartUploadsInput{Bucket: &bucket, KeyMarker: optional(p.keyMarker), UploadIdMarker: optional(p.idMarker)}
	out, err := s.listUploads(ctx, in)
	var e *Error
	if err == nil || p.idMarker == "" || !errors.As(err, &e) || e.Code != "InvalidArgument" {
		return out, err
	}
	if p.cur == p.keyMarker && p.prev != "" {
		retry := *in
		retry.KeyMarker = &p.prev
		if out, err := s.listUploads(ctx, &retry); err == nil && markerContinues(out, p) {
			return out, nil
		}
	}
	retry := *in
	retry.UploadIdMarker = nil
	p.skipped = &Error{Op: "ListMultipartUploads", Bucket: bucket, Key: p.keyMarker, UploadID: p.idMarker,
		Err: errors.New("the server cannot list further uploads of this key (it rejects its own upload-ID marker); abort the ones listed and run again")}
	return s.listUploads(ctx, &retry)
}

// markerContinues reports whether a page asked for with the previous key as key marker
// really continued after the marker: it must start with the marker key (or be empty) and not
// repeat the marker upload.
func markerContinues(out *s3.ListMultipartUploadsOutput, p *uploadPager) bool {
	if len(out.Uploads) == 0 {
		return true
	}
	first := out.Uploads[0]
	return aws.ToString(first.Key) >= p.keyMarker && aws.ToString(first.UploadId) != p.idMarker
}

func (s *Store) listUploads(ctx context.Context, in *s3.ListMultipartUploadsInput) (*s3.ListMultipartUploadsOutput, error) {
	var out *s3.ListMultipartUploadsOutput
	err := s.observe(ctx, "ListMultipartUploads", aws.ToString(in.Bucket), aws.ToString(in.KeyMarker), 0, aws.ToString(in.UploadIdMarker), func(ctx context.Context) error {
		var err error
		out, err = s.client.ListMultipartUploads(ctx, in)
		return err
	})
	return out, err
}

// ListParts returns every part uploaded so far to an incomplete multipart upload, in part
// number order, paging through ListParts with the part-number marker. ETags have their
// quotes removed. An upload that no longer exists is an *Error whose NotFound is true.
func (s *Store) ListParts(ctx context.Context, ref object.Ref, uploadID string) ([]object.Part, error) {
	l, err := s.ListUploadParts(ctx, ref, uploadID)
	return l.Parts, err
}

// ListUploadParts is ListParts with what the answer says of the upload itself: the checksum
// algorithm and type it was created with, where the server tells them.
func (s *Store) ListUploadParts(ctx context.Context, ref object.Ref, uploadID string) (object.PartList, error) {
	var l object.PartList
	in := &s3.ListPartsInput{Bucket: &ref.Bucket, Key: &ref.Key, UploadId: &uploadID}
	for {
		var out *s3.ListPartsOutput
		err := s.observe(ctx, "ListParts", ref.Bucket, ref.Key, 0, uploadID, func(ctx context.Context) error {
			var err error
			out, err = s.client.ListParts(ctx, in)
			return err
		})
		if err != nil {
			return object.PartList{}, err
		}
		// Only an algorithm haul sends: versitygw lists an upload created without one as
		// using another word.
		if alg := strings.ToUpper(string(out.ChecksumAlgorithm)); alg != object.ChecksumMD5 && knownAlgorithm(alg) {
			l.Checksum = alg
			l.FullObject = out.ChecksumType == types.ChecksumTypeFullObject
		}
		for _, p := range out.Parts {
			l.Parts = append(l.Parts, object.Part{Number: aws.ToInt32(p.PartNumber), ETag: trimETag(p.ETag), Size: aws.ToInt64(p.Size), Checksum: listedChecksum(p)})
		}
		if !aws.ToBool(out.IsTruncated) {
			return l, nil
		}
		next := aws.ToString(out.NextPartNumberMarker)
		if next == "" && len(out.Parts) > 0 { // a server that leaves the marker out
			next = strconv.Itoa(int(aws.ToInt32(out.Parts[len(out.Parts)-1].PartNumber)))
		}
		if next == aws.ToString(in.PartNumberMarker) {
			return object.PartList{}, &Error{Op: "ListParts", Bucket: ref.Bucket, Key: ref.Key, UploadID: uploadID,
				Err: fmt.Errorf("the server returned a truncated page that does not advance past part %s", next)}
		}
		in.PartNumberMarker = &next
	}
}

// knownAlgorithm reports whether alg is a checksum algorithm haul computes.
func knownAlgorithm(alg string) bool {
	_, err := object.NewHash(alg)
	return err == nil
}
