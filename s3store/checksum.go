package s3store

import (
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"strings"

	"github.com/haul-s3/haul/object"
)

// The S3 API has one field per checksum algorithm in each input; these functions put a
// checksum in the field its algorithm names. MD5 goes in Content-MD5, which every server
// knows, and is not declared as a flexible-checksum algorithm.

// algorithm returns the flexible-checksum algorithm to declare for an upload, if any.
func algorithm(name string) types.ChecksumAlgorithm {
	if name == "" || name == object.ChecksumMD5 {
		return ""
	}
	return types.ChecksumAlgorithm(name)
}

// checksumFields points to the per-algorithm fields of one input.
type checksumFields struct {
	crc32c, crc32, crc64, sha256, sha1, md5 **string
}

func (f checksumFields) set(sum object.Checksum) {
	if sum.Value == "" {
		return
	}
	v := sum.Value
	switch sum.Algorithm {
	case object.ChecksumCRC32C:
		*f.crc32c = &v
	case object.ChecksumCRC32:
		*f.crc32 = &v
	case object.ChecksumCRC64NVME:
		*f.crc64 = &v
	case object.ChecksumSHA256:
		*f.sha256 = &v
	case object.ChecksumSHA1:
		*f.sha1 = &v
	case object.ChecksumMD5:
		if f.md5 != nil {
			*f.md5 = &v
		}
	}
}

func putChecksum(in *s3.PutObjectInput, sum object.Checksum) {
	in.ChecksumAlgorithm = algorithm(sum.Algorithm)
	checksumFields{&in.ChecksumCRC32C, &in.ChecksumCRC32, &in.ChecksumCRC64NVME, &in.ChecksumSHA256, &in.ChecksumSHA1, &in.ContentMD5}.set(sum)
}

func partChecksum(in *s3.UploadPartInput, sum object.Checksum) {
	in.ChecksumAlgorithm = algorithm(sum.Algorithm)
	checksumFields{&in.ChecksumCRC32C, &in.ChecksumCRC32, &in.ChecksumCRC64NVME, &in.ChecksumSHA256, &in.ChecksumSHA1, &in.ContentMD5}.set(sum)
}

func completedChecksum(cp *types.CompletedPart, sum object.Checksum) {
	checksumFields{&cp.ChecksumCRC32C, &cp.ChecksumCRC32, &cp.ChecksumCRC64NVME, &cp.ChecksumSHA256, &cp.ChecksumSHA1, nil}.set(sum)
}

// listedChecksum returns the checksum ListParts reports for a part.
func listedChecksum(p types.Part) object.Checksum {
	for _, c := range []struct {
		alg string
		v   *string
	}{
		{object.ChecksumCRC32C, p.ChecksumCRC32C}, {object.ChecksumCRC32, p.ChecksumCRC32},
		{object.ChecksumCRC64NVME, p.ChecksumCRC64NVME}, {object.ChecksumSHA256, p.ChecksumSHA256}, {object.ChecksumSHA1, p.ChecksumSHA1},
	} {
		if c.v != nil && *c.v != "" {
			return object.Checksum{Algorithm: c.alg, Value: *c.v}
		}
	}
	return object.Checksum{}
}

// fullObjectChecksum returns the checksum a HEAD reported for the whole object, or zero
// when it reported none or a composite one (a checksum of the parts' checksums, written
// with a "-N" suffix), which says nothing about the bytes in order.
//
// A multipart object's checksum is a whole-object one only when the server says so
// (FULL_OBJECT): moto reports a checksum of a multipart object with no type and no "-N"
// suffix that is not the checksum of its bytes, so without the type it is not trusted.
func fullObjectChecksum(t types.ChecksumType, sums types.Part, etag string) object.Checksum {
	c := listedChecksum(sums)
	multipart := strings.Contains(strings.Trim(etag, `"`), "-")
	if t == types.ChecksumTypeComposite || strings.Contains(c.Value, "-") || (multipart && t != types.ChecksumTypeFullObject) {
		return object.Checksum{}
	}
	return c
}
