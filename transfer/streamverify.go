package transfer

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/haul-s3/haul/object"
)

// streamCheck is what a download to a stream (DownloadStream, cp ... -) is checked
// against, as its bytes go by in order: they cannot be taken back, so a mismatch fails the
// item after the fact. It is chosen from the object's HEAD like a file's: haul's whole-file
// checksum; the server's whole-object checksum; the MD5 ETag of a single-part object; or
// the MD5s of a multipart object's parts, against its multipart ETag (the part boundaries
// learnt by HEADs with partNumber).
type streamCheck struct {
	want    object.Checksum // a whole-stream checksum; or
	md5ETag bool            // the ETag is the stream's MD5 (single part, unless the GET says SSE)
	lay     *partLayout     // the parts whose MD5s make the ETag

	h     hash.Hash // the whole stream's, or the current part's
	off   int64     // bytes seen
	part  int       // the current part, with lay
	sums  []byte    // the finished parts' MD5s, with lay
	label string    // what Verified will say
}

// planStreamCheck chooses the check of a stream download; nil with t.unverified set when
// there is none.
func (t *task) planStreamCheck(ctx context.Context, src object.Ref, info object.Info) (*streamCheck, error) {
	if stored, ok := StoredChecksum(info.Metadata); ok {
		h, _ := object.NewHash(stored.Algorithm)
		return &streamCheck{want: stored, h: h}, nil
	}
	if validChecksum(info.Checksum) {
		h, _ := object.NewHash(info.Checksum.Algorithm)
		return &streamCheck{want: info.Checksum, h: h}, nil
	}
	if IsMD5ETag(info.ETag) {
		return &streamCheck{md5ETag: true, h: md5.New(), label: "md5"}, nil //nolint:gosec // S3's ETag
	}
	if multipartCount(info.ETag) == 0 {
		t.unverified = "the object has no checksum haul can check and its ETag is not an MD5 (it may be encrypted with SSE-KMS or SSE-C)"
		return nil, nil
	}
	lay, info, err := t.learnParts(ctx, src, info)
	switch {
	case err != nil:
		return nil, err
	case lay == nil:
		if stored, ok := StoredChecksum(info.Metadata); ok { // the part's HEAD showed haul's checksum
			h, _ := object.NewHash(stored.Algorithm)
			return &streamCheck{want: stored, h: h}, nil
		}
		return nil, nil
	}
	return &streamCheck{lay: lay, h: md5.New(), label: "md5-parts"}, nil //nolint:gosec // S3's multipart ETag
}

// Write hashes the next bytes of the stream, part by part with a layout.
func (c *streamCheck) Write(p []byte) (int, error) {
	n := len(p)
	for c.lay != nil && len(p) > 0 && c.part < c.lay.count() {
		off, length := c.lay.part(c.part)
		take := min(int64(len(p)), off+length-c.off)
		c.h.Write(p[:take])
		c.off += take
		p = p[take:]
		if c.off == off+length {
			c.sums = c.h.Sum(c.sums)
			c.h.Reset()
			c.part++
		}
	}
	if c.lay == nil {
		c.h.Write(p)
		c.off += int64(len(p))
	}
	return n, nil
}

// finish compares what went by with what the object says, and records what it was.
func (t *task) finishStreamCheck(c *streamCheck, src object.Ref, info object.Info, notMD5 bool) error {
	switch {
	case c.want.Algorithm != "":
		return t.check(src, c.want, base64.StdEncoding.EncodeToString(c.h.Sum(nil)))
	case c.md5ETag && notMD5:
		t.unverified = "the object is encrypted with SSE-KMS or SSE-C, so its ETag is not its MD5"
		return nil
	case c.md5ETag:
		if got := hex.EncodeToString(c.h.Sum(nil)); got != info.ETag {
			return &VerifyError{Ref: src, Algorithm: c.label, Want: info.ETag, Got: got}
		}
	default:
		sum := md5.Sum(c.sums) //nolint:gosec // S3's multipart ETag
		if got := fmt.Sprintf("%x-%d", sum, c.lay.count()); got != info.ETag {
			return &VerifyError{Ref: src, Algorithm: c.label, Want: info.ETag, Got: got}
		}
	}
	t.verified = c.label
	return nil
}

var _ io.Writer = (*streamCheck)(nil)
