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
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer/journal"
)

// download fetches one object into a temporary file and renames it onto path. With a
// journal, a large object's temporary file and the ranges written are recorded, kept when
// the run fails or is cancelled, and continued by the next run if the object is unchanged.
func (t *task) download(ctx context.Context, src object.Ref, info object.Info, path string) (err error) {
	j := t.e.opts.Journal
	if j != nil && j.Downloaded(path, info.Size) {
		if fi, serr := os.Stat(path); serr == nil && fi.Size() == info.Size {
			return errAlreadyDone
		}
	}
	var lay *partLayout
	if t.needsParts(info) {
		if lay, info, err = t.learnParts(ctx, src, info); err != nil {
			return err
		}
	}
	ranged := info.Size > t.e.opts.MultipartThreshold || lay != nil
	partSize, err := PartSize(info.Size, t.e.opts.PartSize)
	if err != nil {
		return err
	}
	if lay != nil {
		partSize = lay.uniform // 0: parts of several sizes, which the journal cannot record
	}
	keepTemp := ranged && j != nil && partSize > 0 // a journalled large download keeps its partial file
	f, written, err := t.openTemp(src, info, path, partSize, keepTemp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			var ue *UnverifiedError
			if !keepTemp || errors.As(err, &ue) {
				os.Remove(f.Name())
			}
		}
	}()
	switch {
	case lay != nil:
		err = t.getPartsVerified(ctx, src, info, f, lay, written, path)
	case ranged:
		err = t.getParts(ctx, src, info, f, partSize, written, path)
		var ve *VerifyError
		if errors.As(err, &ve) && t.e.opts.Retries > 0 {
			// Which range went bad is not known: fetch them all once more.
			t.emit(Event{Kind: Retrying, Item: t.it, Err: err, Attempt: 1})
			t.progress(-info.Size)
			err = t.getParts(ctx, src, info, f, partSize, nil, path)
		}
	default:
		err = t.call(ctx, false, func(ctx context.Context) error {
			_, err := t.getRange(ctx, src, info.ETag, f, 0, info.Size, true, info.Checksum)
			return err
		})
	}
	if err == nil {
		err = t.unverifiedDownload(src)
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("no room to write %s (disk full, quota, or file size limit): free space or choose another destination: %w", path, err)
	}
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	mtime := info.LastModified
	if m, ok := StoredMtime(info.Metadata); ok {
		mtime = m
	} else if m, ok := StoredMtime(t.meta.meta); ok {
		mtime = m
	}
	if !mtime.IsZero() {
		_ = os.Chtimes(f.Name(), mtime, mtime)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}

	if j != nil {
		return j.DownloadDone(path, info.Size)
	}
	return nil
}

// unverifiedDownload records a download that nothing verified as Verified "none", with
// the reason, and fails it when verification is required.
func (t *task) unverifiedDownload(src object.Ref) error {
	if t.e.opts.SkipVerify || t.verified != "" {
		return nil
	}
	if t.unverified == "" {
		t.unverified = "the object has no checksum haul can check and its ETag is not an MD5 (it may be encrypted with SSE-KMS or SSE-C)"
	}
	t.verified = "none"
	if t.e.opts.VerifyRequired {
		return &UnverifiedError{Ref: src, Reason: t.unverified}
	}
	return nil
}

// openTemp returns the temporary file to download into and the ranges already in it. When
// the download is journalled it continues a recorded temporary file of the same object
// version, or starts a new one and records it.
func (t *task) openTemp(src object.Ref, info object.Info, path string, partSize int64, journalled bool) (*os.File, map[int64]int64, error) {
	j := t.e.opts.Journal
	if journalled {
		if d, ok := j.Download(path); ok {
			switch {
			case d.ETag != info.ETag || d.Size != info.Size:
				t.notice("the object changed since the interrupted run: starting it over")
			case d.PartSize != partSize:
				t.notice("the part size differs from the interrupted run: starting it over")
			default:
				f, err := os.OpenFile(d.Temp, os.O_RDWR, 0)
				if err == nil {
					return f, d.Ranges, nil
				}
				t.notice("the partial file of the interrupted run is gone: starting it over")
			}
			os.Remove(d.Temp)
		}
	}
	f, err := localfs.CreateTemp(path)
	if err != nil {
		return nil, nil, err
	}
	if journalled {
		d := journal.Download{Bucket: src.Bucket, Key: src.Key, ETag: info.ETag, Size: info.Size, Temp: f.Name(), PartSize: partSize}
		if err := j.StartDownload(path, d); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, nil, err
		}
	}
	return f, nil, nil
}

// getParts fetches an object as parallel ranged GETs, each written at its offset, skipping
// the ranges in written, and checks the whole file against the checksum in the object's
// metadata. With a journal each range is synced and recorded once written.
func (t *task) getParts(ctx context.Context, src object.Ref, info object.Info, f *os.File, partSize int64, written map[int64]int64, target string) error {
	if err := f.Truncate(info.Size); err != nil {
		return err
	}
	j := t.e.opts.Journal
	sums := make([]rangeSum, PartCount(info.Size, partSize))
	g, gctx := errgroup.WithContext(ctx)
	for i := range sums {
		off := int64(i) * partSize
		length := min(partSize, info.Size-off)
		if written[off] == length {
			t.progress(length)
			continue
		}
		if gctx.Err() != nil || t.e.acquirePart(gctx) != nil {
			break
		}
		g.Go(func() error {
			defer t.e.releasePart()
			err := t.call(gctx, true, func(ctx context.Context) error {
				var err error
				sums[i], err = t.getRange(ctx, src, info.ETag, f, off, length, false, info.Checksum)
				return err
			})
			if err == nil && j != nil {
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
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.checkWhole(src, info, f, partSize, sums)
}

// rangeSum is what one GET learnt for the check of the whole file: the checksum recorded in
// the object's metadata, and the CRC (of that algorithm) of the bytes received.
type rangeSum struct {
	stored object.Checksum
	crc    uint64
	notMD5 bool // the GET said the object's ETag is not its MD5 (SSE-KMS, SSE-C)
}

// checkWhole checks a file downloaded in ranges against the whole-file checksum haul
// recorded in the object's metadata at upload, by combining the CRCs of the ranges as they
// arrived; a range fetched by an interrupted earlier run is read back from the file. An
// object without one is checked by its byte count alone.
func (t *task) checkWhole(src object.Ref, info object.Info, f *os.File, partSize int64, sums []rangeSum) error {
	if t.e.opts.SkipVerify {
		return nil
	}
	stored, ok := StoredChecksum(info.Metadata)
	if !ok && crcSpecs[info.Checksum.Algorithm] != nil {
		stored, ok = info.Checksum, true // the server's own CRC of the whole object
	}
	for _, s := range sums {
		if s.stored.Algorithm != "" {
			stored, ok = s.stored, true
			break
		}
	}
	if !ok {
		return t.checkMD5(src, info, f, sums)
	}
	pieces := make([]pieceCRC, len(sums))
	for i, s := range sums {
		off := int64(i) * partSize
		pieces[i] = pieceCRC{value: s.crc, length: min(partSize, info.Size-off)}
		if s.stored != stored {
			h, _ := object.NewHash(stored.Algorithm)
			if err := readSection(f, off, pieces[i].length, h); err != nil {
				return err
			}
			pieces[i].value = crcValue(h)
		}
	}
	return t.check(src, stored, combinePieces(stored.Algorithm, pieces).Value)
}

// checkMD5 checks a single-part object downloaded in ranges against its MD5 ETag by reading
// the file back: an MD5 cannot be put together from the ranges' own. An object whose ETag
// is not an MD5 is left to unverifiedDownload.
func (t *task) checkMD5(src object.Ref, info object.Info, f *os.File, sums []rangeSum) error {
	if !IsMD5ETag(info.ETag) {
		return nil
	}
	for _, s := range sums {
		if s.notMD5 {
			return nil
		}
	}
	h := md5.New() //nolint:gosec // S3's ETag of a single-part object is its MD5
	if err := readSection(f, 0, info.Size, h); err != nil {
		return err
	}
	return t.check(src, object.Checksum{Algorithm: object.ChecksumMD5, Value: info.ETag}, hex.EncodeToString(h.Sum(nil)))
}

// check compares what the bytes received hash to (got) with what the object says they must
// (want), and records the algorithm as what the item was verified with when they agree.
func (t *task) check(src object.Ref, want object.Checksum, got string) error {
	alg := strings.ToLower(want.Algorithm)
	if got != want.Value {
		return &VerifyError{Ref: src, Algorithm: alg, Want: want.Value, Got: got}
	}
	t.verified = alg
	if _, err := object.NewHash(want.Algorithm); t.it.Op == Download && err == nil && want.Algorithm != object.ChecksumMD5 {
		t.whole = want // a whole-object checksum (an MD5 checked is the ETag, which the item carries)
	}
	return nil
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// getRange fetches length bytes from off (the whole object, without a Range header, when
// whole is set) with one GET pinned to etag and writes them to f at off. It fails unless
// exactly length bytes arrive; progress is taken back on failure. A whole object is checked
// against the checksum in its metadata, else the server's checksum of the whole object
// (server, from a HEAD; zero if none), else its MD5 ETag; of a range it returns the CRC for
// checkWhole.
func (t *task) getRange(ctx context.Context, src object.Ref, etag string, f io.WriterAt, off, length int64, whole bool, server object.Checksum) (rangeSum, error) {
	var rs rangeSum
	rangeLen := length
	if whole {
		rangeLen = -1
	}
	body, err := t.e.store.GetObject(ctx, src, off, rangeLen, etag)
	if err != nil {
		return rs, err
	}
	defer body.Close()
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	w := &progressWriter{w: io.NewOffsetWriter(f, off), progress: t.moved(ctx)}
	var sum hash.Hash
	verify := !t.e.opts.SkipVerify
	meta := metadataOf(body)
	t.meta.see(meta)
	rs.notMD5 = !etagMayBeMD5(body)
	if stored, ok := StoredChecksum(meta); verify && ok {
		rs.stored = stored
	} else if verify && server.Algorithm != "" && (whole || crcSpecs[server.Algorithm] != nil) {
		rs.stored = server
	}
	if rs.stored.Algorithm != "" {
		sum, _ = object.NewHash(rs.stored.Algorithm)
	} else if whole && verify && IsMD5ETag(etag) && etagMayBeMD5(body) {
		sum = md5.New() //nolint:gosec // S3's ETag of a single-part object is its MD5
	}
	var dst io.Writer = w
	if sum != nil {
		dst = io.MultiWriter(w, sum)
	}
	n, err := io.CopyBuffer(dst, io.LimitReader(t.downBody(ctx, body), length+1), *bp)
	if err == nil && n != length {
		err = &lengthError{ref: src, want: length, got: n}
	}
	switch {
	case err != nil || sum == nil:
	case !whole:
		rs.crc = crcValue(sum)
	case rs.stored.Algorithm != "":
		err = t.check(src, rs.stored, base64.StdEncoding.EncodeToString(sum.Sum(nil)))
	default:
		err = t.check(src, object.Checksum{Algorithm: object.ChecksumMD5, Value: etag}, hex.EncodeToString(sum.Sum(nil)))
	}
	if err != nil {
		t.progress(-w.n)
	}
	return rs, err
}

// metadataOf returns the object's user metadata from a GET body that can tell it (an
// optional capability of the store).
func metadataOf(body io.Reader) map[string]string {
	if m, ok := body.(interface{ Metadata() map[string]string }); ok {
		return m.Metadata()
	}
	return nil
}

// etagMayBeMD5 asks the body (an optional capability of the store) whether the object's ETag
// can be its MD5; a body that cannot say is taken to be plain S3.
func etagMayBeMD5(body io.Reader) bool {
	m, ok := body.(interface{ ETagMayBeMD5() bool })
	return !ok || m.ETagMayBeMD5()
}

// IsMD5ETag reports whether an ETag can be the MD5 of the object: 32 hex digits, as S3 gives a
// single-part upload without SSE-KMS or SSE-C. Multipart ETags ("...-N") are not.
func IsMD5ETag(etag string) bool {
	if len(etag) != 32 {
		return false
	}
	_, err := hex.DecodeString(etag)
	return err == nil
}

// VerifyError is a download whose bytes do not match the object's checksum: corrupted on the
// way. It is retried; when retries run out the file fails and is not renamed into place.
type VerifyError struct {
	Ref       object.Ref
	Part      int32 // the part whose bytes were wrong, when one was checked alone
	Algorithm string
	Want, Got string
}

func (e *VerifyError) Error() string {
	what := "the bytes received"
	if e.Part > 0 {
		what = fmt.Sprintf("part %d received", e.Part)
	}
	return fmt.Sprintf("GetObject %s: the %s of %s is %s, the object's is %s: corrupted in transit, the file was not written", e.Ref, e.Algorithm, what, e.Got, e.Want)
}

// Retryable reports true: the next GET may arrive intact.
func (e *VerifyError) Retryable() bool { return true }

// lengthError is a body that was shorter or longer than asked for: worth another try.
type lengthError struct {
	ref       object.Ref
	want, got int64
}

func (e *lengthError) Error() string {
	return fmt.Sprintf("GetObject %s: expected %d bytes, received %d", e.ref, e.want, e.got)
}

// Retryable reports true: a truncated body is a transient failure.
func (e *lengthError) Retryable() bool { return true }

type progressWriter struct {
	w        io.Writer
	n        int64
	progress func(int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	p.progress(int64(n))
	return n, err
}

// downloadStream writes the object src to w in order (see DownloadStream).
func (t *task) downloadStream(ctx context.Context, src object.Ref, w io.Writer) (_ int64, err error) {
	info, err := t.head(ctx, src)
	if err != nil {
		return 0, err
	}
	t.it.ETag = info.ETag // the Done event's: the object read
	var sc *streamCheck
	notMD5 := false // a GET said the ETag is not the object's MD5 (SSE-KMS, SSE-C)
	if !t.e.opts.SkipVerify {
		if sc, err = t.planStreamCheck(ctx, src, info); err != nil {
			return 0, err
		}
		if sc == nil && t.e.opts.VerifyRequired { // before a byte is written
			return 0, &UnverifiedError{Ref: src, Reason: t.unverified}
		}
		if sc != nil {
			w = io.MultiWriter(w, sc)
		}
		defer func() {
			switch {
			case err != nil:
			case sc != nil:
				err = t.finishStreamCheck(sc, src, info, notMD5)
				if err == nil && t.verified == "" {
					err = t.unverifiedDownload(src)
				}
			default:
				err = t.unverifiedDownload(src)
			}
		}()
	}
	var written int64
	err = t.call(ctx, false, func(ctx context.Context) error {
		if written == info.Size {
			return nil
		}
		body, err := t.e.store.GetObject(ctx, src, written, -1, info.ETag)
		if err != nil {
			return err
		}
		defer body.Close()
		notMD5 = notMD5 || !etagMayBeMD5(body)
		pw := &progressWriter{w: w, progress: t.moved(ctx)}
		_, err = io.Copy(pw, io.LimitReader(t.downBody(ctx, body), info.Size-written))
		written += pw.n // a failed write to w is not retryable: it ends the loop
		if err == nil && written != info.Size {
			err = &lengthError{ref: src, want: info.Size, got: written}
		}
		return err
	})
	return written, err
}

// head asks for an object's size and ETag, retrying like any request.
func (t *task) head(ctx context.Context, src object.Ref) (object.Info, error) {
	var info object.Info
	err := t.call(ctx, false, func(ctx context.Context) error {
		var err error
		info, err = t.e.store.HeadObject(ctx, src)
		return err
	})
	return info, err
}
