package transfer

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"os"

	"github.com/haul-s3/haul/object"
)

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// nvme is CRC-64/NVME in the reflected form hash/crc64 takes.
	nvme = crc64.MakeTable(0x9a6c9329ac4bc9b5)
)

// NewHash returns a hash for a checksum algorithm, or an error naming the ones haul knows.
func NewHash(algorithm string) (hash.Hash, error) {
	switch algorithm {
	case object.ChecksumCRC32C:
		return crc32.New(castagnoli), nil
	case object.ChecksumCRC32:
		return crc32.NewIEEE(), nil
	case object.ChecksumCRC64NVME:
		return crc64.New(nvme), nil
	case object.ChecksumSHA256:
		return sha256.New(), nil
	case object.ChecksumSHA1:
		return sha1.New(), nil //nolint:gosec // S3's own checksum choice, not a security use
	case object.ChecksumMD5:
		return md5.New(), nil //nolint:gosec // Content-MD5, not a security use
	}
	return nil, fmt.Errorf("unknown checksum algorithm %q", algorithm)
}

// sumBytes returns the checksum of b (the zero Checksum when algorithm is "").
func sumBytes(algorithm string, b []byte) object.Checksum {
	if algorithm == "" {
		return object.Checksum{}
	}
	h, err := NewHash(algorithm)
	if err != nil {
		return object.Checksum{}
	}
	h.Write(b)
	return object.Checksum{Algorithm: algorithm, Value: base64.StdEncoding.EncodeToString(h.Sum(nil))}
}

// readSection writes length bytes of f from off to w. The bytes are read again, from the
// page cache, when they are sent: S3 needs a checksum in a header before the body
// (aws-chunked trailers would avoid the second read, but several S3-compatible servers do
// not accept them over plain HTTP).
func readSection(f *os.File, off, length int64, w io.Writer) error {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	n, err := io.CopyBuffer(w, io.NewSectionReader(f, off, length), *bp)
	if err != nil {
		return &SourceError{Path: f.Name(), Err: err}
	}
	if n != length {
		return &SourceError{Path: f.Name(), Err: fmt.Errorf("%w: it ended early", errChanged)}
	}
	return nil
}
