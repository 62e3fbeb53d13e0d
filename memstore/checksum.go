package memstore

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"

	"github.com/haul-s3/haul/object"
)

// nvme is CRC-64/NVME in the reflected form hash/crc64 takes.
var nvme = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// newHash returns the hash of a checksum algorithm, or nil for one S3 does not know.
func newHash(algorithm string) hash.Hash {
	switch algorithm {
	case object.ChecksumCRC32C:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case object.ChecksumCRC32:
		return crc32.NewIEEE()
	case object.ChecksumCRC64NVME:
		return crc64.New(nvme)
	case object.ChecksumSHA256:
		return sha256.New()
	case object.ChecksumSHA1:
		return sha1.New() //nolint:gosec // S3's checksum, not a security use
	case object.ChecksumMD5:
		return md5.New() //nolint:gosec // Content-MD5, not a security use
	}
	return nil
}

// checksumOf returns the checksum of data with algorithm (one of the object.Checksum* constants),
// as S3 headers carry it; the zero Checksum for an algorithm S3 does not know.
func checksumOf(algorithm string, data []byte) object.Checksum {
	h := newHash(algorithm)
	if h == nil {
		return object.Checksum{}
	}
	h.Write(data)
	return object.Checksum{Algorithm: algorithm, Value: base64.StdEncoding.EncodeToString(h.Sum(nil))}
}

// verify checks data against the checksum sent with it, as S3 does: an unknown algorithm is
// InvalidRequest, a value that is not the base64 of a digest of the right length is
// InvalidDigest, and a value that does not match is BadDigest.
func verify(want object.Checksum, data []byte) *Error {
	if want.Algorithm == "" && want.Value == "" {
		return nil
	}
	h := newHash(want.Algorithm)
	if h == nil {
		return &Error{Code: CodeInvalidRequest, Message: "unknown checksum algorithm " + want.Algorithm}
	}
	raw, err := base64.StdEncoding.DecodeString(want.Value)
	if err != nil || len(raw) != h.Size() {
		return &Error{Code: CodeInvalidDigest, Message: "the " + want.Algorithm + " checksum given is not a base64 digest"}
	}
	if checksumOf(want.Algorithm, data) != want {
		return &Error{Code: CodeBadDigest, Message: "the " + want.Algorithm + " checksum given does not match the body"}
	}
	return nil
}

// md5Hex returns the hex MD5 of data: a single-part ETag.
func md5Hex(data []byte) string {
	sum := md5.Sum(data) //nolint:gosec // S3's ETag is defined with MD5
	return hex.EncodeToString(sum[:])
}
