package transfer

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/haul-s3/haul/object"
)

// relayParts copies an object larger than the multipart threshold between stores, through
// the client: each part is a ranged GET of the source, pinned to its ETag, into a buffer of
// the memory budget (so memory stays within it however large the object), sent as an
// UploadPart of one session with its checksum for the destination to verify. The CRC of
// the whole object, combined from the parts', must match the source's checksum before the
// upload is completed; a source with none is copied unverified end to end (each part is
// still checked by the destination as it arrives), and the Done event says so.
func (t *task) relayParts(ctx context.Context, from Store, info object.Info, o *object.Options) (err error) {
	size := info.Size
	partSize, err := PartSize(size, t.e.opts.PartSize)
	if err != nil {
		return fmt.Errorf("copy %s: %w", t.it.Source, err)
	}
	want, verify := sourceChecksum(info)
	walg := want.Algorithm
	if !verify {
		walg = wholeAlgorithm(o.Checksum)
	}
	s, err := t.newSession(ctx, t.it.Object, o, "", false)
	if err != nil {
		return err
	}
	defer func() { s.end(ctx, err) }()
	n := PartCount(size, partSize)
	parts := make([]object.Part, n)
	pieces := make([]pieceCRC, n)
	for i := range n {
		off := int64(i) * partSize
		length := min(partSize, size-off)
		buf, err := t.e.getBuf(s.gctx, length)
		if err != nil {
			break // the session is failing or ctx ended: wait says which
		}
		rp := &relayedPart{num: int32(i + 1), off: off, buf: buf, piece: &pieces[i]}
		if !s.start(rp.num, t.e.opts.StallTimeout, t.relayPart(from, s, info, o.Checksum, walg, rp),
			func(p object.Part, _ error) { parts[i] = p; buf.release() }) {
			buf.release()
			break
		}
	}
	if err := s.wait(ctx); err != nil {
		return err
	}
	if walg != "" {
		got := combinePieces(walg, pieces)
		if verify && got != want {
			return &CopyVerifyError{Src: t.it.Source, Dst: t.it.Object, Want: want, Got: got}
		}
		if verify {
			t.verified = strings.ToLower(walg)
		}
	}
	if !verify {
		t.unverified = "the source object has no whole-object checksum to check the copy against (each part was checked by the destination)"
		t.verified = "none"
	}
	return s.complete(ctx, parts, t.whole)
}

// relayedPart is one part of a copy through the client: its number, its offset in the
// source, the buffer that holds its bytes, and where the CRC of its bytes goes.
type relayedPart struct {
	num   int32
	off   int64
	buf   *streamBuf
	piece *pieceCRC
}

// relayPart returns the attempt that makes part p of a relayed copy: the source's bytes
// are read into p's buffer once (again only after a failed read), summed for the part
// (alg) and the whole object (walg, into p.piece), then sent from the buffer as often as
// it takes.
func (t *task) relayPart(from Store, s *session, info object.Info, alg, walg string, p *relayedPart) func(context.Context) (object.Part, error) {
	filled := false
	var sum object.Checksum
	num := p.num
	return func(ctx context.Context) (object.Part, error) {
		data := p.buf.data
		if !filled {
			if _, err := t.readRange(ctx, from, t.it.Source, info.ETag, p.off, data); err != nil {
				return object.Part{}, err
			}
			sum = object.Sum(alg, data)
			if walg != "" {
				h, _ := object.NewHash(walg)
				h.Write(data)
				*p.piece = pieceCRC{value: crcValue(h), length: int64(len(data))}
			}
			filled = true
		}
		body := &countingReader{Reader: bytes.NewReader(data), progress: t.moved(ctx)}
		etag, err := t.e.store.UploadPart(ctx, s.dst, s.id, num, t.upBody(ctx, body), int64(len(data)), sum)
		if err != nil {
			body.undo()
			return object.Part{}, err
		}
		return object.Part{Number: num, ETag: etag, Size: int64(len(data)), Checksum: sum}, nil
	}
}

// CopyVerifyError is a copy between stores whose bytes, as read from the source, do not
// match the source's checksum: the source's bytes or its checksum are not what they should
// be, or the bytes were corrupted on the way in. The copy is not completed.
type CopyVerifyError struct {
	Src, Dst  object.Ref
	Want, Got object.Checksum
}

func (e *CopyVerifyError) Error() string {
	return fmt.Sprintf("copy %s to %s: the %s of the bytes read is %s, the source's is %s: the copy was not completed",
		e.Src, e.Dst, e.Want.Algorithm, e.Got.Value, e.Want.Value)
}
