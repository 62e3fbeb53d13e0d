package object

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"

	"github.com/minio/crc64nvme"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// NewHash returns a hash for a checksum algorithm (one of the Checksum* constants), or an
// error naming it when S3 does not know it. Every store and the engine hash with this one.
//
// CRC32C and CRC32 come from hash/crc32 and SHA-256 from crypto/sha256, which use the
// CPU's CRC and SHA instructions where it has them; CRC64NVME from minio/crc64nvme, which
// folds with carry-less multiplies (PCLMULQDQ or AVX-512 VPCLMULQDQ on amd64, PMULL on
// arm64) and falls back to slicing-by-8 tables elsewhere. hash/crc64 has tables only, and
// for a polynomial other than ISO and ECMA builds its slicing tables again on every large
// Write: several times slower.
func NewHash(algorithm string) (hash.Hash, error) {
	switch algorithm {
	case ChecksumCRC32C:
		return crc32.New(castagnoli), nil
	case ChecksumCRC32:
		return crc32.NewIEEE(), nil
	case ChecksumCRC64NVME:
		return crc64nvme.New(), nil
	case ChecksumSHA256:
		return sha256.New(), nil
	case ChecksumSHA1:
		return sha1.New(), nil //nolint:gosec // S3's own checksum choice, not a security use
	case ChecksumMD5:
		return md5.New(), nil //nolint:gosec // Content-MD5, not a security use
	}
	return nil, fmt.Errorf("unknown checksum algorithm %q", algorithm)
}

// Sum returns the checksum of b with algorithm as S3 headers carry it (base64 of the
// big-endian digest); the zero Checksum for "" or an algorithm S3 does not know.
func Sum(algorithm string, b []byte) Checksum {
	h, err := NewHash(algorithm)
	if err != nil {
		return Checksum{}
	}
	h.Write(b)
	return Checksum{Algorithm: algorithm, Value: base64.StdEncoding.EncodeToString(h.Sum(nil))}
}
