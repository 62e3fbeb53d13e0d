package transfer

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/minio/crc64nvme"
	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/object"
)

// ChecksumMetadata is the user-metadata key (x-amz-meta-haul-checksum) under which haul
// records the checksum of the whole file it uploaded, as "ALGORITHM:BASE64", for example
// "CRC32C:yZRlqg==". A download reads it back and checks the file against it: the one check
// that covers a multipart object, whose ETag is not an MD5, fetched in ranges.
const ChecksumMetadata = "haul-checksum"

// crcSpec is a reflected CRC whose initial value and final XOR are all ones (CRC-32,
// CRC-32C, CRC-64/NVME). Such CRCs of two pieces combine into the CRC of both, so the
// CRC of a whole file comes from its parts' CRCs without reading it again.
type crcSpec struct {
	poly  uint64     // the polynomial, reflected
	width uint       // bits
	x2n   [67]uint64 // x2n[k] = x^(2^k) mod poly
}

func newCRCSpec(poly uint64, width uint) *crcSpec {
	s := &crcSpec{poly: poly, width: width}
	p := uint64(1) << (width - 2) // x^1: reflected, the top bit is x^0
	for k := range s.x2n {
		s.x2n[k] = p
		p = s.mul(p, p)
	}
	return s
}

// mul returns a(x)·b(x) mod poly in the reflected representation.
func (s *crcSpec) mul(a, b uint64) uint64 {
	var p uint64
	for m := uint64(1) << (s.width - 1); m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ s.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// combine returns the CRC of A followed by B, given the CRCs of each and B's length.
func (s *crcSpec) combine(crcA, crcB uint64, lenB int64) uint64 {
	p := uint64(1) << (s.width - 1) // x^0; below, times x^(8·lenB)
	for k, n := 3, uint64(lenB); n != 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			p = s.mul(s.x2n[k], p)
		}
	}
	return s.mul(p, crcA) ^ crcB
}

var crcSpecs = map[string]*crcSpec{
	object.ChecksumCRC32C:    newCRCSpec(uint64(crc32.Castagnoli), 32),
	object.ChecksumCRC32:     newCRCSpec(uint64(crc32.IEEE), 32),
	object.ChecksumCRC64NVME: newCRCSpec(crc64nvme.NVME, 64), // the polynomial object.NewHash hashes with
}

// wholeAlgorithm is the algorithm of the whole-file checksum recorded for uploads whose
// parts carry alg: alg itself when it is a CRC, CRC32C for the others (SHA and MD5 values
// of parts cannot be combined, and a second full read to hash the file in order would cost
// more than the check is worth), none for none.
func wholeAlgorithm(alg string) string {
	if alg == "" || crcSpecs[alg] != nil {
		return alg
	}
	return object.ChecksumCRC32C
}

// crcValue reads a CRC hash's current value as a number.
func crcValue(h hash.Hash) uint64 {
	b := h.Sum(nil)
	if len(b) == 4 {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

// crcChecksum encodes a CRC value of algorithm alg as S3 headers carry it.
func crcChecksum(alg string, v uint64) object.Checksum {
	b := binary.BigEndian.AppendUint64(nil, v)
	if crcSpecs[alg].width == 32 {
		b = b[4:]
	}
	return object.Checksum{Algorithm: alg, Value: base64.StdEncoding.EncodeToString(b)}
}

// pieceCRC is the CRC of one piece of a file, to be combined in order with the others.
type pieceCRC struct {
	value  uint64
	length int64
}

// combinePieces returns the CRC (of algorithm alg) of the pieces one after the other.
func combinePieces(alg string, pieces []pieceCRC) object.Checksum {
	s := crcSpecs[alg]
	var v uint64
	for i, p := range pieces {
		if i == 0 {
			v = p.value
		} else {
			v = s.combine(v, p.value, p.length)
		}
	}
	return crcChecksum(alg, v)
}

// fileSums are the checksums of a file's parts, with the algorithm the parts are sent
// with, and of the whole file, with wholeAlgorithm of it.
type fileSums struct {
	parts []object.Checksum
	whole object.Checksum
}

// sumFile reads f once, its parts in parallel on every core, and returns the checksums of
// each part and of the whole file. The whole file's must be known before the upload starts,
// because metadata is given with CreateMultipartUpload; the parts' sums come from the same
// read, so a part is read once more only to be sent.
func sumFile(ctx context.Context, alg string, f *os.File, size, partSize int64) (fileSums, error) {
	walg := wholeAlgorithm(alg)
	if alg == "" {
		return fileSums{}, nil
	}
	n := max(PartCount(size, partSize), 1)
	sums := fileSums{parts: make([]object.Checksum, n)}
	pieces := make([]pieceCRC, n)
	sumPart := func(i int) (err error) {
		off := int64(i) * partSize
		length := min(partSize, size-off)
		sums.parts[i], pieces[i], err = sumPiece(alg, walg, length, func(w io.Writer) error {
			return readSection(f, off, length, w)
		})
		return err
	}
	if n == 1 { // a single PutObject: no goroutine for a small file
		if err := sumPart(0); err != nil {
			return fileSums{}, err
		}
	} else {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(runtime.GOMAXPROCS(0))
		for i := range n {
			if gctx.Err() != nil {
				break
			}
			g.Go(func() error { return sumPart(i) })
		}
		if err := g.Wait(); err != nil {
			return fileSums{}, err
		}
		if err := ctx.Err(); err != nil {
			return fileSums{}, err
		}
	}
	sums.whole = combinePieces(walg, pieces)
	return sums, nil
}

// sumBytes returns the checksums of a file of one part held in memory, as sumFile does of
// one read from the file.
func sumBytes(alg string, b []byte) fileSums {
	if alg == "" {
		return fileSums{}
	}
	walg := wholeAlgorithm(alg)
	part, piece, _ := sumPiece(alg, walg, int64(len(b)), func(w io.Writer) error {
		_, err := w.Write(b) // a hash's Write never fails
		return err
	})
	return fileSums{parts: []object.Checksum{part}, whole: combinePieces(walg, []pieceCRC{piece})}
}

// sumPiece returns the checksum with alg of the length bytes that feed writes, and their
// CRC with walg (the whole file's algorithm) as a piece to combine.
func sumPiece(alg, walg string, length int64, feed func(io.Writer) error) (object.Checksum, pieceCRC, error) {
	h, _ := object.NewHash(alg)
	c := h
	var w io.Writer = h
	if walg != alg {
		c, _ = object.NewHash(walg)
		w = io.MultiWriter(h, c)
	}
	if err := feed(w); err != nil {
		return object.Checksum{}, pieceCRC{}, err
	}
	return object.Checksum{Algorithm: alg, Value: base64.StdEncoding.EncodeToString(h.Sum(nil))},
		pieceCRC{value: crcValue(c), length: length}, nil
}

// withChecksumMetadata returns o with the whole-file checksum added to its metadata (o is
// not changed; its metadata map is copied).
func withChecksumMetadata(o *object.Options, whole object.Checksum) *object.Options {
	if whole.Algorithm == "" {
		return o
	}
	return withMetadata(o, ChecksumMetadata, whole.Algorithm+":"+whole.Value)
}

// StoredChecksum returns the whole-file checksum recorded in an object's metadata, if there
// is one haul can check (a CRC; the value the right length).
func StoredChecksum(meta map[string]string) (object.Checksum, bool) {
	for k, v := range meta {
		if !strings.EqualFold(k, ChecksumMetadata) {
			continue
		}
		alg, val, ok := strings.Cut(v, ":")
		alg = strings.ToUpper(alg)
		spec := crcSpecs[alg]
		if !ok || spec == nil {
			return object.Checksum{}, false
		}
		b, err := base64.StdEncoding.DecodeString(val)
		if err != nil || len(b) != int(spec.width/8) {
			return object.Checksum{}, false
		}
		return object.Checksum{Algorithm: alg, Value: val}, true
	}
	return object.Checksum{}, false
}

// FileChecksum reads the file at path once, its parts in parallel, and returns the
// whole-file checksum an upload with checksum algorithm alg records in its metadata (see
// ChecksumMetadata and WithChecksum): alg when it is a CRC, else CRC32C; zero for no alg.
func FileChecksum(ctx context.Context, path, alg string) (object.Checksum, error) {
	f, err := os.Open(path)
	if err != nil {
		return object.Checksum{}, &SourceError{Path: path, Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return object.Checksum{}, &SourceError{Path: path, Err: err}
	}
	partSize, err := PartSize(fi.Size(), 0)
	if err != nil {
		return object.Checksum{}, err
	}
	sums, err := sumFile(ctx, wholeAlgorithm(alg), f, fi.Size(), partSize)
	if err != nil {
		return object.Checksum{}, err
	}
	return sums.whole, checkUnchanged(f, fi.Size(), fi.ModTime())
}

// WithChecksum returns o with whole recorded in its metadata as haul records a file's
// checksum (ChecksumMetadata); o is not changed.
func WithChecksum(o *object.Options, whole object.Checksum) *object.Options {
	return withChecksumMetadata(o, whole)
}
