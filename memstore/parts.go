package memstore

import (
	"bytes"
	"context"
	"io"
	"strings"

	"github.com/haul-s3/haul/object"
)

// HeadObjectPart describes part number part of the object at ref (see the package
// documentation for what is S3-like).
func (s *Store) HeadObjectPart(ctx context.Context, ref object.Ref, part int32) (object.PartInfo, error) {
	if err := ctx.Err(); err != nil {
		return object.PartInfo{}, err
	}
	e, err := s.object("HeadObject", ref)
	if err != nil {
		return object.PartInfo{}, err
	}
	info, _, perr := e.part(part)
	if perr != nil {
		return object.PartInfo{}, perr.with("HeadObject", ref, "", part)
	}
	return info, nil
}

// GetObjectPart returns the bytes of part number part of the object at ref and what S3
// says of the part. With ifMatch set (quoted or not), it fails with PreconditionFailed
// unless the object's ETag is ifMatch. The caller closes the body.
func (s *Store) GetObjectPart(ctx context.Context, ref object.Ref, part int32, ifMatch string) (io.ReadCloser, object.PartInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, object.PartInfo{}, err
	}
	e, err := s.object("GetObject", ref)
	if err != nil {
		return nil, object.PartInfo{}, err
	}
	if ifMatch != "" && strings.Trim(ifMatch, `"`) != e.etag {
		return nil, object.PartInfo{}, &Error{Op: "GetObject", Bucket: ref.Bucket, Key: ref.Key, Part: part, Code: CodePreconditionFailed,
			Message: "the object's ETag is " + e.etag + ", not " + ifMatch}
	}
	info, data, perr := e.part(part)
	if perr != nil {
		return nil, object.PartInfo{}, perr.with("GetObject", ref, "", part)
	}
	return &getBody{Reader: bytes.NewReader(data), meta: copyMeta(e.opts.Metadata)}, info, nil
}

// part returns what S3 says of part number num of the entry, and its bytes.
func (e *entry) part(num int32) (object.PartInfo, []byte, *Error) {
	info := object.PartInfo{Number: num, ETag: e.etag, Metadata: copyMeta(e.opts.Metadata), Offset: 0}
	if e.parts == 0 {
		if num != 1 {
			return info, nil, &Error{Code: CodeInvalidPartNumber, Message: "the object has no parts"}
		}
		info.Length = int64(len(e.data))
		return info, e.data, nil
	}
	if num < 1 || int(num) > e.parts {
		return info, nil, &Error{Code: CodeInvalidPartNumber, Message: "no such part"}
	}
	for _, n := range e.partLens[:num-1] {
		info.Offset += n
	}
	info.Count = int32(e.parts)
	info.Length = e.partLens[num-1]
	info.Checksum = e.partSums[num-1]
	return info, e.data[info.Offset : info.Offset+info.Length], nil
}
