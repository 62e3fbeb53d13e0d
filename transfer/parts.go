package transfer

import (
	"fmt"
)

// S3's multipart limits.
const (
	MinPartSize   int64 = 5 << 20
	MaxPartSize   int64 = 5 << 30
	MaxParts            = 10000
	MaxObjectSize int64 = 5 << 40
	// firstPartSize is the smallest part size chosen by default, and the first part size of a
	// stream of unknown length.
	firstPartSize int64 = 8 << 20
	// partsPerStep is how many parts are sent at one size before a stream's part size doubles.
	partsPerStep = 1000
)

// PartSize returns the part size for an object of size bytes. forced > 0 is used as given
// (within 5 MiB..5 GiB) if no more than 10,000 parts are needed. Otherwise the size starts
// at 8 MiB and doubles until the object fits in 1,000 parts, which keeps requests few for
// large objects and stays far from the 10,000-part limit.
func PartSize(size, forced int64) (int64, error) {
	if size > MaxObjectSize {
		return 0, fmt.Errorf("%d bytes is larger than the largest object S3 stores (5 TiB)", size)
	}
	if forced > 0 {
		if forced < MinPartSize || forced > MaxPartSize {
			return 0, fmt.Errorf("part size %d is outside S3's limits of 5 MiB to 5 GiB", forced)
		}
		if n := PartCount(size, forced); n > MaxParts {
			return 0, &TooManyPartsError{Size: size, PartSize: forced, Parts: n}
		}
		return forced, nil
	}
	p := firstPartSize
	for p*partsPerStep < size && p < MaxPartSize {
		p *= 2
	}
	return min(p, MaxPartSize), nil
}

// TooManyPartsError is an object that needs more parts than S3 allows (MaxParts) at the part
// size in use: a larger part size is the remedy. Size is -1 for a stream that ran past the
// limit.
type TooManyPartsError struct {
	Size, PartSize int64
	Parts          int
}

func (e *TooManyPartsError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("the stream is longer than %d parts can hold; a larger part size is needed", MaxParts)
	}
	return fmt.Sprintf("a %d-byte object needs %d parts of %d bytes; S3 allows at most %d: a larger part size is needed", e.Size, e.Parts, e.PartSize, MaxParts)
}

// PartCount returns how many parts of partSize hold size bytes (at least one).
func PartCount(size, partSize int64) int {
	if size <= 0 {
		return 1
	}
	return int((size + partSize - 1) / partSize)
}

// streamPartSize returns the size of part number n (from 1) of a stream of unknown length:
// base for the first 1,000 parts, then doubling every 1,000 parts up to 5 GiB, so that
// 10,000 parts reach well past S3's 5 TiB object limit.
func streamPartSize(base int64, n int) int64 {
	p := base << ((n - 1) / partsPerStep)
	if p > MaxPartSize || p <= 0 {
		return MaxPartSize
	}
	return p
}
