package transfer

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/object"
)

// digestPlan says which digests digestParts takes of each part.
type digestPlan struct {
	alg   string // the parts' checksum algorithm ("": none)
	md5   bool   // also the part's MD5 (to compare with an ETag)
	whole string // the CRC algorithm of a piece to combine into the whole file's ("": none)
}

// partDigest is what digestParts found of one part.
type partDigest struct {
	sum   object.Checksum // with plan.alg; zero without one
	md5   string          // hex, with plan.md5 (or when plan.alg is MD5)
	piece pieceCRC        // with plan.whole
}

// digestParts reads parts first..end-1 of f (laid out as lay) once, several at a time on
// every core, and returns the digests plan asks for, indexed from first.
func digestParts(ctx context.Context, f *os.File, lay Layout, first, end int32, plan digestPlan) ([]partDigest, error) {
	out := make([]partDigest, end-first)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for num := first; num < end; num++ {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			d, err := digestPart(f, lay, num, plan)
			out[num-first] = d
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// digestPart reads part num of f once through every hash plan asks for.
func digestPart(f *os.File, lay Layout, num int32, plan digestPlan) (partDigest, error) {
	var ws []io.Writer
	var h, m, c hash.Hash
	if plan.alg != "" {
		var err error
		if h, err = object.NewHash(plan.alg); err != nil {
			return partDigest{}, err
		}
		ws = append(ws, h)
	}
	if plan.md5 && plan.alg != object.ChecksumMD5 {
		m = md5.New() //nolint:gosec // compared with S3's MD5 ETags, not a security use
		ws = append(ws, m)
	}
	if plan.whole != "" {
		if plan.whole == plan.alg {
			c = h
		} else {
			var err error
			if c, err = object.NewHash(plan.whole); err != nil {
				return partDigest{}, err
			}
			ws = append(ws, c)
		}
	}
	off, length := lay.Part(num)
	if err := readSection(f, off, length, io.MultiWriter(ws...)); err != nil {
		return partDigest{}, err
	}
	var d partDigest
	if h != nil {
		b := h.Sum(nil)
		d.sum = object.Checksum{Algorithm: plan.alg, Value: base64.StdEncoding.EncodeToString(b)}
		if plan.alg == object.ChecksumMD5 {
			d.md5 = hex.EncodeToString(b)
		}
	}
	if m != nil {
		d.md5 = hex.EncodeToString(m.Sum(nil))
	}
	if c != nil {
		d.piece = pieceCRC{value: crcValue(c), length: length}
	}
	return d, nil
}

// holds reports whether the part the server lists is the one d describes, as far as the
// listing can tell: the same checksum where the server gives one in d's algorithm, else the
// same MD5 where the ETag is one (and d has it), else the size alone (which the caller
// checked).
func (d partDigest) holds(listed object.Part) bool {
	if listed.Checksum.Value != "" && listed.Checksum.Algorithm == d.sum.Algorithm {
		return listed.Checksum.Value == d.sum.Value
	}
	if d.md5 != "" && isMD5Hex(listed.ETag) {
		return sameETag(listed.ETag, d.md5)
	}
	return true
}

// isMD5Hex reports whether an ETag (quoted or not) looks like the hex MD5 of a body.
func isMD5Hex(etag string) bool {
	b, err := hex.DecodeString(trimQuotes(etag))
	return err == nil && len(b) == md5.Size
}

func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
