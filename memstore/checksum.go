package memstore

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"

	"github.com/haul-s3/haul/object"
)

// verify checks data against the checksum sent with it, as S3 does: an unknown algorithm is
// InvalidRequest, a value that is not the base64 of a digest of the right length is
// InvalidDigest, and a value that does not match is BadDigest.
func verify(want object.Checksum, data []byte) *Error {
	if want.Algorithm == "" && want.Value == "" {
		return nil
	}
	h, err := object.NewHash(want.Algorithm)
	if err != nil {
		return &Error{Code: CodeInvalidRequest, Message: "unknown checksum algorithm " + want.Algorithm}
	}
	raw, err := base64.StdEncoding.DecodeString(want.Value)
	if err != nil || len(raw) != h.Size() {
		return &Error{Code: CodeInvalidDigest, Message: "the " + want.Algorithm + " checksum given is not a base64 digest"}
	}
	if object.Sum(want.Algorithm, data) != want {
		return &Error{Code: CodeBadDigest, Message: "the " + want.Algorithm + " checksum given does not match the body"}
	}
	return nil
}

// md5Hex returns the hex MD5 of data: a single-part ETag.
func md5Hex(data []byte) string {
	sum := md5.Sum(data) //nolint:gosec // S3's ETag is defined with MD5
	return hex.EncodeToString(sum[:])
}
