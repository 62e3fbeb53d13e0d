package transfer

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/object"
)

// This file verifies a multipart object that carries no whole-object checksum haul can
// check (one written by aws-cli, rclone, s5cmd...): its parts are the ranges it is fetched
// in, and each part is checked against the server's checksum of that part, or all of them
// against the multipart ETag, the MD5 of the parts' MD5s followed by "-N".
//
// The layout comes from HEADs with partNumber: part 1 tells the number of parts and the
// first part's length (and, where the server keeps them, its checksum and so whether parts
// have checksums); the last part's length then gives every boundary when the parts but the
// last are all of one size, as every common tool makes them; otherwise every part is asked
// after. Parts with checksums are fetched with GetObject partNumber, whose answer carries
// the part's checksum: a bad part fails alone and is fetched again like any failed request.
// Parts without are fetched with ranged GETs on the part boundaries (moto ignores partNumber
// on GET), and their MD5s are checked as a whole at the end: which part went bad is not
// known then, so the parts are fetched again, and a part whose MD5 came out the same from
// two fetches (and more often than any other) is kept, until the ETag matches or the
// retries run out; the ETag, not the vote, decides whether the file is right. Better still,
// once the fetches of each part have brought its right MD5 among others, the one choice of
// MD5s that makes the ETag says which each part must be, and from then on a part is checked
// as it arrives, as one with a checksum is.

// partLayout is where a multipart object's parts lie and how they are checked.
type partLayout struct {
	offsets   []int64 // the offset of each part, then the object's size
	byNumber  bool    // fetch by part number: the server gives each part's checksum
	algorithm string  // of the parts' checksums, when byNumber
	// uniform is the size of every part but the last when they are all alike (and the last
	// no larger), which is what the journal records a resumable download with; else 0.
	uniform int64
}

func (l *partLayout) count() int                { return len(l.offsets) - 1 }
func (l *partLayout) part(i int) (int64, int64) { return l.offsets[i], l.offsets[i+1] - l.offsets[i] }

// multipartCount returns N of a multipart ETag ("<hex>-N"), or 0 for any other ETag.
func multipartCount(etag string) int32 {
	sum, n, ok := strings.Cut(etag, "-")
	if !ok || len(sum) != 32 {
		return 0
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return 0
	}
	c, err := strconv.ParseInt(n, 10, 32)
	if err != nil || c < 1 || c > 10000 {
		return 0
	}
	return int32(c)
}

// needsParts reports whether a download must be verified part by part: verification is on,
// the object was uploaded in parts, and it has neither haul's whole-file checksum nor a
// whole-object CRC from the server.
func (t *task) needsParts(info object.Info) bool {
	if t.e.opts.SkipVerify || multipartCount(info.ETag) == 0 || crcSpecs[info.Checksum.Algorithm] != nil {
		return false
	}
	_, ok := StoredChecksum(info.Metadata)
	return !ok
}

// learnParts finds the part layout of a multipart object. It returns nil when the object
// turns out to have haul's checksum (info then has its metadata) or when no layout can be
// learnt, in which case t.unverified says why.
func (t *task) learnParts(ctx context.Context, src object.Ref, info object.Info) (*partLayout, object.Info, error) {
	n := multipartCount(info.ETag)
	pg, ok := t.e.store.(PartGetter)
	if !ok {
		t.unverified = "the store cannot read an object by part number"
		return nil, info, nil
	}
	first, err := t.headPart(ctx, pg, src, 1)
	if err != nil {
		return nil, info, t.partHeadFailed(err)
	}
	if info.Metadata == nil {
		info.Metadata = first.Metadata
	}
	if _, ok := StoredChecksum(info.Metadata); ok {
		return nil, info, nil // haul's own checksum covers it
	}
	if first.Count != n {
		t.unverified = fmt.Sprintf("the server does not tell the parts of a multipart object (part 1 of an object of %d parts came with a part count of %d)", n, first.Count)
		return nil, info, nil
	}
	lay := &partLayout{byNumber: first.Checksum.Algorithm != "" && validChecksum(first.Checksum), algorithm: first.Checksum.Algorithm}
	if !lay.byNumber && first.ETagNotMD5 {
		t.unverified = "the object is encrypted with SSE-KMS or SSE-C, so its ETag is not made of MD5s, and the server gives no checksums of its parts"
		return nil, info, nil
	}
	lens := make([]int64, n)
	lens[0] = first.Length
	if n > 1 {
		last, err := t.headPart(ctx, pg, src, n)
		if err != nil {
			return nil, info, t.partHeadFailed(err)
		}
		lens[n-1] = last.Length
		if int64(n-1)*first.Length+last.Length == info.Size && last.Length > 0 && last.Length <= first.Length {
			lay.uniform = first.Length
			for i := 1; i < int(n)-1; i++ {
				lens[i] = first.Length
			}
		} else {
			for i := int32(2); i < n; i++ {
				p, err := t.headPart(ctx, pg, src, i)
				if err != nil {
					return nil, info, t.partHeadFailed(err)
				}
				lens[i-1] = p.Length
			}
		}
	} else if first.Length == info.Size {
		lay.uniform = first.Length
	}
	lay.offsets = make([]int64, n+1)
	for i, l := range lens {
		if l <= 0 {
			t.unverified = fmt.Sprintf("the server gave part %d of the object no length", i+1)
			return nil, info, nil
		}
		lay.offsets[i+1] = lay.offsets[i] + l
	}
	if lay.offsets[n] != info.Size {
		t.unverified = fmt.Sprintf("the sizes the server gave the object's %d parts add up to %d bytes, not its %d", n, lay.offsets[n], info.Size)
		return nil, info, nil
	}
	return lay, info, nil
}

// validChecksum reports whether haul can compute c's algorithm and c's value is a digest
// of that algorithm's size.
func validChecksum(c object.Checksum) bool {
	h, err := object.NewHash(c.Algorithm)
	if err != nil {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(c.Value)
	return err == nil && len(b) == h.Size()
}

// partHeadFailed passes on a failure that ends the download (the object is gone or
// changed, the run is cancelled or stopped); any other failure of a HEAD with partNumber,
// once retried, means the server does not answer part numbers: the download goes on
// unverified and says so.
func (t *task) partHeadFailed(err error) error {
	var nf interface{ NotFound() bool }
	var pf interface{ PreconditionFailed() bool }
	switch {
	case errors.As(err, &nf) && nf.NotFound(), errors.As(err, &pf) && pf.PreconditionFailed(), stopsRun(err, false), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	t.unverified = "the server does not answer HeadObject with a part number: " + err.Error()
	return nil
}

// headPart asks for one part's description, retrying like any request.
func (t *task) headPart(ctx context.Context, pg PartGetter, src object.Ref, num int32) (object.PartInfo, error) {
	var p object.PartInfo
	err := t.call(ctx, false, func(ctx context.Context) error {
		var err error
		p, err = pg.HeadObjectPart(ctx, src, num)
		return err
	})
	return p, err
}

// partSums are the MD5s of the parts of a multipart object fetched by range, and the MD5s
// each fetch of each part came out with, to tell a good fetch from a corrupted one.
type partSums struct {
	md5s [][]byte           // of the bytes in the file, by part
	seen []map[[16]byte]int // how many fetches of a part gave each MD5
	// want, once solve has found it, is the MD5 each part must have: a fetch of a part
	// that does not is refused at once, as a part with a checksum is.
	want [][16]byte
}

// maxCombinations bounds the choices of MD5s solve tries against the ETag.
const maxCombinations = 4096

// solve looks for the one choice of an MD5 per part, among those the fetches of each part
// have come out with, that makes the ETag; when there is exactly one, it is what each part
// must be (want). A part fetched twice with a corrupted answer once has two to choose from.
func (s *partSums) solve(etag string) bool {
	cands := make([][][16]byte, len(s.seen))
	total := 1
	for i, seen := range s.seen {
		for m := range seen {
			cands[i] = append(cands[i], m)
		}
		if total *= len(cands[i]); total > maxCombinations || total == 0 {
			return false
		}
	}
	pick := make([]int, len(cands))
	var found [][16]byte
	for {
		h := md5.New() //nolint:gosec // S3's multipart ETag is defined with MD5
		for i, c := range cands {
			h.Write(c[pick[i]][:])
		}
		if hex.EncodeToString(h.Sum(nil))+"-"+strconv.Itoa(len(cands)) == etag {
			if found != nil {
				return false // two choices make it: the ETag cannot tell
			}
			found = make([][16]byte, len(cands))
			for i, c := range cands {
				found[i] = c[pick[i]]
			}
		}
		i := 0
		for ; i < len(pick); i++ {
			if pick[i]++; pick[i] < len(cands[i]) {
				break
			}
			pick[i] = 0
		}
		if i == len(pick) {
			break
		}
	}
	s.want = found
	return found != nil
}

// wrong returns the parts whose bytes in the file are not the ones solve found.
func (s *partSums) wrong() []int {
	var parts []int
	for i, m := range s.md5s {
		if [16]byte(m) != s.want[i] {
			parts = append(parts, i)
		}
	}
	return parts
}

// etag returns the multipart ETag the parts in the file make.
func (s *partSums) etag() string {
	h := md5.New() //nolint:gosec // S3's multipart ETag is defined with MD5
	for _, m := range s.md5s {
		h.Write(m)
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(s.md5s))
}

// record notes the MD5 of a fetch of part i, the bytes now in the file.
func (s *partSums) record(i int, sum []byte) {
	s.md5s[i] = sum
	s.seen[i][[16]byte(sum)]++
}

// doubtful returns the parts whose bytes in the file are not yet confirmed: confirmed is a
// part whose MD5 came from at least two fetches and from more fetches than any other.
func (s *partSums) doubtful() []int {
	var parts []int
	for i, m := range s.md5s {
		n := s.seen[i][[16]byte(m)]
		ok := n >= 2
		for k, c := range s.seen[i] {
			if k != [16]byte(m) && c >= n {
				ok = false
			}
		}
		if !ok {
			parts = append(parts, i)
		}
	}
	return parts
}

// disputed returns the parts that have come out of their fetches in more than one way, or
// every part when none has.
func (s *partSums) disputed() []int {
	var parts, all []int
	for i := range s.md5s {
		all = append(all, i)
		if len(s.seen[i]) > 1 {
			parts = append(parts, i)
		}
	}
	if len(parts) == 0 {
		return all
	}
	return parts
}

// getPartsVerified fetches a multipart object part by part in parallel into f, skipping
// the ranges in written (a resumed download's, read back from the file), and verifies it
// (see the top of this file). With a journal each part is synced and recorded once written.
func (t *task) getPartsVerified(ctx context.Context, src object.Ref, info object.Info, f *os.File, lay *partLayout, written map[int64]int64, target string) error {
	if err := f.Truncate(info.Size); err != nil {
		return err
	}
	n := lay.count()
	sums := &partSums{md5s: make([][]byte, n), seen: make([]map[[16]byte]int, n)}
	var todo []int
	for i := range n {
		sums.seen[i] = map[[16]byte]int{}
		off, length := lay.part(i)
		if written[off] != length {
			todo = append(todo, i)
			continue
		}
		ok, err := t.checkWrittenPart(ctx, src, f, lay, i, sums)
		if err != nil {
			return err
		}
		if !ok {
			todo = append(todo, i)
			continue
		}
		t.progress(length)
	}
	for round := 1; ; round++ {
		if err := t.fetchParts(ctx, src, info, f, lay, todo, sums, target); err != nil {
			return err
		}
		if lay.byNumber {
			t.verified = strings.ToLower(lay.algorithm) + "-parts" // each part was checked as it arrived
			return nil
		}
		if err := t.check(src, object.Checksum{Algorithm: "md5-parts", Value: info.ETag}, sums.etag()); err == nil {
			return nil
		} else if round > t.e.opts.Retries {
			return err
		} else {
			if sums.want != nil || sums.solve(info.ETag) {
				todo = sums.wrong()
			} else if todo = sums.doubtful(); len(todo) == 0 {
				// Every part agreed with an earlier fetch, yet the ETag does not match:
				// some part came out the same wrong way twice.
				todo = sums.disputed()
			}
			t.emit(Event{Kind: Retrying, Item: t.it, Err: err, Attempt: round})
			for _, i := range todo {
				_, length := lay.part(i)
				t.progress(-length)
			}
		}
	}
}

// checkWrittenPart checks part i, written to f by an interrupted run: against the part's
// checksum from the server, or it records its MD5 for the ETag's check.
func (t *task) checkWrittenPart(ctx context.Context, src object.Ref, f *os.File, lay *partLayout, i int, sums *partSums) (bool, error) {
	off, length := lay.part(i)
	if !lay.byNumber {
		h := md5.New() //nolint:gosec // S3's multipart ETag is defined with MD5
		if err := readSection(f, off, length, h); err != nil {
			return false, err
		}
		sums.md5s[i] = h.Sum(nil)
		return true, nil
	}
	p, err := t.headPart(ctx, t.e.store.(PartGetter), src, int32(i+1))
	if err != nil || !validChecksum(p.Checksum) {
		return false, err
	}
	h, _ := object.NewHash(p.Checksum.Algorithm)
	if err := readSection(f, off, length, h); err != nil {
		return false, err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) == p.Checksum.Value, nil
}

// fetchParts fetches the parts todo in parallel, each under the request limit and retried
// on its own, and records what verifies them.
func (t *task) fetchParts(ctx context.Context, src object.Ref, info object.Info, f *os.File, lay *partLayout, todo []int, sums *partSums, target string) error {
	j := t.e.opts.Journal
	g, gctx := errgroup.WithContext(ctx)
	for _, i := range todo {
		if gctx.Err() != nil || t.e.acquirePart(gctx) != nil {
			break
		}
		g.Go(func() error {
			defer t.e.releasePart()
			err := t.call(gctx, true, func(ctx context.Context) error {
				return t.getPart(ctx, src, info, f, lay, i, sums)
			})
			if err == nil && j != nil && lay.uniform > 0 {
				off, length := lay.part(i)
				if err = f.Sync(); err == nil {
					err = j.RangeDone(target, off, length)
				}
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// getPart fetches part i into f at its offset with one GET pinned to the object's ETag: by
// part number, checked against the checksum the answer carries, or by range, its MD5
// recorded in sums. It fails unless exactly the part's bytes arrive; progress is taken
// back on failure.
func (t *task) getPart(ctx context.Context, src object.Ref, info object.Info, f io.WriterAt, lay *partLayout, i int, sums *partSums) error {
	off, length := lay.part(i)
	var body io.ReadCloser
	var h hash.Hash
	var want object.Checksum
	if lay.byNumber {
		b, p, err := t.e.store.(PartGetter).GetObjectPart(ctx, src, int32(i+1), info.ETag)
		if err != nil {
			return err
		}
		body = b
		if p.Count != int32(lay.count()) || p.Length != length || (p.Offset >= 0 && p.Offset != off) || !validChecksum(p.Checksum) {
			body.Close()
			return &PartLayoutError{Ref: src, Part: int32(i + 1), Count: p.Count, Offset: p.Offset, Length: p.Length, Checksum: p.Checksum.Algorithm != "",
				WantCount: int32(lay.count()), WantOffset: off, WantLength: length}
		}
		want = p.Checksum
		h, _ = object.NewHash(want.Algorithm)
	} else {
		b, err := t.e.store.GetObject(ctx, src, off, length, info.ETag)
		if err != nil {
			return err
		}
		body = b
		h = md5.New() //nolint:gosec // S3's multipart ETag is defined with MD5
	}
	defer body.Close()
	t.meta.see(metadataOf(body)) // haul-mtime, when the HEAD of a part did not bring it (moto)
	if err := t.receive(ctx, src, body, f, off, length, h); err != nil {
		return err
	}
	if !lay.byNumber {
		sum := h.Sum(nil)
		sums.record(i, sum)
		if sums.want != nil && [16]byte(sum) != sums.want[i] {
			t.progress(-length)
			return &VerifyError{Ref: src, Part: int32(i + 1), Algorithm: "md5", Want: hex.EncodeToString(sums.want[i][:]), Got: hex.EncodeToString(sum)}
		}
		return nil
	}
	got := base64.StdEncoding.EncodeToString(h.Sum(nil))
	if got != want.Value {
		t.progress(-length)
		return &VerifyError{Ref: src, Part: int32(i + 1), Algorithm: strings.ToLower(want.Algorithm), Want: want.Value, Got: got}
	}
	return nil
}

// receive copies exactly length bytes of body to f at off, through h, reporting progress;
// on failure the progress is taken back.
func (t *task) receive(ctx context.Context, src object.Ref, body io.Reader, f io.WriterAt, off, length int64, h hash.Hash) error {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	w := &progressWriter{w: io.NewOffsetWriter(f, off), progress: t.moved(ctx)}
	n, err := io.CopyBuffer(io.MultiWriter(w, h), io.LimitReader(t.downBody(ctx, body), length+1), *bp)
	if err == nil && n != length {
		err = &lengthError{ref: src, want: length, got: n}
	}
	if err != nil {
		t.progress(-w.n)
	}
	return err
}

// PartLayoutError is a GET of a part by number whose answer is not the part the layout
// learnt from the server's HEADs says it is (a server that ignores partNumber answers with
// the whole object), or that carries no checksum of the part. It is not retried.
type PartLayoutError struct {
	Ref                    object.Ref
	Part, Count, WantCount int32
	Offset, Length         int64
	WantOffset, WantLength int64
	Checksum               bool
}

func (e *PartLayoutError) Error() string {
	return fmt.Sprintf("GetObject %s part %d: the server answered with %d bytes at offset %d of %d parts (checksum: %v); the part is %d bytes at %d of %d parts",
		e.Ref, e.Part, e.Length, e.Offset, e.Count, e.Checksum, e.WantLength, e.WantOffset, e.WantCount)
}

// UnverifiedError is a download that could not be verified when verification was required
// (Options.VerifyRequired): nothing haul can check was found for the object. Reason says
// why. The file was not written.
type UnverifiedError struct {
	Ref    object.Ref
	Reason string
}

func (e *UnverifiedError) Error() string {
	return fmt.Sprintf("GetObject %s: the download could not be verified (%s), and verification is required: the file was not written", e.Ref, e.Reason)
}
