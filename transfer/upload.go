package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer/journal"
)

// uploadFile sends one file in a single PutObject or, above the threshold, in parts.
func (t *task) uploadFile(ctx context.Context, path string, dst object.Ref) (int64, error) {
	if err := object.CheckKey(dst.Key); err != nil {
		return 0, fmt.Errorf("upload %s: %w", path, err)
	}
	f, err := localfs.Open(path)
	if err != nil {
		return 0, &SourceError{Path: path, Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, &SourceError{Path: path, Err: err}
	}
	if !fi.Mode().IsRegular() {
		return 0, &SourceError{Path: path, Err: fmt.Errorf("not a regular file (%s)", describeMode(fi))}
	}
	t.it.LastModified = fi.ModTime() // the Done event's: the time of the file as sent
	j := t.e.opts.Journal
	fp := journal.FingerprintOf(fi)
	if j != nil && j.Uploaded(dst.Bucket, dst.Key, fp) {
		return fi.Size(), errAlreadyDone
	}
	opts := withMtimeMetadata(t.objectOptions(ctx, path), fi.ModTime())
	if fi.Size() <= t.e.opts.MultipartThreshold {
		err = t.putFile(ctx, f, fi, dst, opts)
	} else {
		err = t.uploadParts(ctx, f, fi, dst, opts)
	}
	if err == nil && j != nil {
		err = j.UploadDone(dst.Bucket, dst.Key, fp)
	}
	return fi.Size(), err
}

func describeMode(fi os.FileInfo) string {
	if fi.IsDir() {
		return "a directory; use -r to copy a directory"
	}
	return fi.Mode().Type().String()
}

// objectOptions returns the upload options of the task's item (its own, else the call's),
// with the content type detected from the file's extension unless one was given, and the
// checksum resolved: ChecksumNone is none, "" the store's default (ChecksumDefaulter, asked
// once per bucket), else CRC32C.
func (t *task) objectOptions(ctx context.Context, path string) *object.Options {
	o := t.object
	if t.it.Options != nil {
		o = *t.it.Options
	}
	if o.ContentType == "" && path != "" {
		o.ContentType = mime.TypeByExtension(filepath.Ext(path))
	}
	switch o.Checksum {
	case object.ChecksumNone:
		o.Checksum = ""
	case "":
		o.Checksum = t.e.defaultChecksum(ctx, t.it.Object.Bucket)
	}
	return &o
}

// ChecksumDefaulter is the optional store capability of saying which checksum uploads to a
// bucket send when the caller names none (s3store: the provider's). Without it, CRC32C.
type ChecksumDefaulter interface {
	DefaultChecksum(ctx context.Context, bucket string) string
}

// defaultChecksum asks the store once per bucket for its default checksum.
func (e *Engine) defaultChecksum(ctx context.Context, bucket string) string {
	if v, ok := e.checksums.Load(bucket); ok {
		return v.(string)
	}
	alg := object.ChecksumCRC32C
	if d, ok := e.store.(ChecksumDefaulter); ok {
		alg = d.DefaultChecksum(ctx, bucket)
	}
	e.checksums.Store(bucket, alg)
	return alg
}

func (t *task) putFile(ctx context.Context, f *os.File, fi os.FileInfo, dst object.Ref, o *object.Options) error {
	if fi.Size() <= smallFileMax {
		return t.putSmallFile(ctx, f, fi, dst, o)
	}
	sums, err := sumFile(ctx, o.Checksum, f, fi.Size(), max(fi.Size(), 1))
	if err != nil {
		return err
	}
	sum, o := t.singlePart(sums, o)
	return t.call(ctx, false, func(ctx context.Context) error {
		body := newPartReader(f, fi, 0, fi.Size(), true, t.moved(ctx))
		w, err := t.e.store.PutObject(ctx, dst, t.upBody(ctx, body), fi.Size(), o, sum)
		if err != nil {
			body.undo()
			return changedOr(f, fi, err)
		}
		t.etag, t.version = w.ETag, w.VersionID
		return nil
	})
}

// singlePart returns the checksum a single PutObject sends with its body (none without a
// checksum algorithm), and o with the whole file's checksum in its metadata, which the
// task records.
func (t *task) singlePart(sums fileSums, o *object.Options) (object.Checksum, *object.Options) {
	t.whole = sums.whole
	if sums.parts == nil {
		return object.Checksum{}, withChecksumMetadata(o, sums.whole)
	}
	return sums.parts[0], withChecksumMetadata(o, sums.whole)
}

// smallFileMax is the largest file read whole into memory to be uploaded: once, for its
// checksum and its body both (putSmallFile), where a larger file is read twice from the
// page cache and never held whole. It is the size up to which s3store sends a body from
// memory anyway.
const smallFileMax = 128 << 10

// putSmallFile sends a file of at most smallFileMax bytes in one PutObject from a single
// read: the bytes are read into memory, the file checked unchanged since it was opened
// (so the checksum and the body are the bytes of the file as it was), summed, and sent
// from there, on every attempt.
func (t *task) putSmallFile(ctx context.Context, f *os.File, fi os.FileInfo, dst object.Ref, o *object.Options) error {
	buf := make([]byte, fi.Size())
	if n, err := f.ReadAt(buf, 0); n < len(buf) {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: it ended early", errChanged)
		}
		return &SourceError{Path: f.Name(), Err: err}
	}
	if err := checkUnchanged(f, fi.Size(), fi.ModTime()); err != nil {
		return err
	}
	sums := sumBytes(o.Checksum, buf)
	sum, o := t.singlePart(sums, o)
	return t.call(ctx, false, func(ctx context.Context) error {
		body := newMemBody(buf, t.moved(ctx))
		w, err := t.e.store.PutObject(ctx, dst, t.upBody(ctx, body), int64(len(buf)), o, sum)
		if err != nil {
			body.undo()
			return err
		}
		t.etag, t.version = w.ETag, w.VersionID
		return nil
	})
}

func newPartReader(f *os.File, fi os.FileInfo, off, length int64, last bool, progress func(int64)) *partReader {
	return &partReader{reported: reported{progress: progress}, sr: io.NewSectionReader(f, off, length), f: f,
		off: off, length: length, last: last, size: fi.Size(), mtime: fi.ModTime()}
}

// uploadParts sends a file as a multipart upload with its parts in parallel (one session).
// Without a journal it aborts the upload if anything fails or ctx is cancelled; with one it
// keeps the upload for the next run, unless the file changed, and continues a recorded
// upload by sending only the parts the server does not already hold.
func (t *task) uploadParts(ctx context.Context, f *os.File, fi os.FileInfo, dst object.Ref, o *object.Options) (err error) {
	size := fi.Size()
	partSize, err := PartSize(size, t.e.opts.PartSize)
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.Name(), err)
	}
	id, have, err := t.resumeUpload(ctx, f.Name(), dst, journal.FingerprintOf(fi), partSize)
	if err != nil {
		return err
	}
	sums, err := sumFile(ctx, o.Checksum, f, size, partSize)
	if err != nil {
		return err
	}
	j := t.e.opts.Journal
	resumed := id != ""
	t.whole = sums.whole
	s, err := t.newSession(ctx, dst, withChecksumMetadata(o, sums.whole), id, j != nil)
	if err != nil {
		return err
	}
	defer func() { s.end(ctx, err) }()
	if err := s.record(resumed, journal.FingerprintOf(fi), partSize); err != nil {
		return err
	}
	parts := make([]object.Part, PartCount(size, partSize))
	t.eachMissing(parts, have, func(i int, num int32) bool {
		off := int64(i) * partSize
		length := min(partSize, size-off)
		var sum object.Checksum
		if sums.parts != nil {
			sum = sums.parts[i]
		}
		open := func(progress func(int64)) partBody { return newPartReader(f, fi, off, length, false, progress) }
		return s.send(num, length, sum, open, func(p object.Part, err error) { parts[i] = p })
	})
	if err := s.wait(ctx); err != nil {
		return err
	}
	if err := checkUnchanged(f, size, fi.ModTime()); err != nil {
		return err
	}
	if resumed {
		if err := t.reconcileParts(ctx, s, f, fi, partSize, parts); err != nil {
			return err
		}
	}
	return s.complete(ctx, parts, sums.whole)
}

// createUpload starts a multipart upload. The request itself runs on a detached context so
// that a cancel cannot lose an upload ID the server has already handed out; if ctx was
// cancelled meanwhile the new upload is aborted at once. When an attempt failed before the
// one that succeeded, the server may have started an upload whose answer was lost: that
// one is found and aborted.
func (t *task) createUpload(ctx context.Context, dst object.Ref, o *object.Options) (string, error) {
	var id string
	attempts, start := 0, time.Now()
	err := t.call(ctx, false, func(ctx context.Context) error {
		attempts++
		dctx, cancel := detached(ctx, cleanupTimeout)
		defer cancel()
		var err error
		id, err = t.e.store.CreateMultipartUpload(dctx, dst, o)
		return err
	})
	if err != nil && id != "" {
		t.abort(ctx, dst, id)
	}
	if err == nil && ctx.Err() != nil {
		t.abort(ctx, dst, id)
		return "", ctx.Err()
	}
	if err == nil && attempts > 1 {
		t.abortLostUploads(ctx, dst, id, time.Since(start))
	}
	return id, err
}

// abortLostUploads aborts the uploads of dst's key that were started no earlier than span
// before ours: those a CreateMultipartUpload whose answer never arrived left behind. The
// server's own Initiated times are compared, so clock skew does not matter; they have
// one-second resolution, hence the margin. An upload of the same key that another client
// started in that same window would be aborted too; two writers of one key at once lose
// one of their objects anyway.
func (t *task) abortLostUploads(ctx context.Context, dst object.Ref, ours string, span time.Duration) {
	lister, ok := t.e.store.(UploadLister)
	if !ok {
		return
	}
	var ups []object.Upload
	err := t.call(ctx, false, func(ctx context.Context) error {
		ups = ups[:0]
		return lister.ListUploads(ctx, dst.Bucket, dst.Key, func(u object.Upload) error {
			if u.Key == dst.Key {
				ups = append(ups, u)
			}
			return nil
		})
	})
	if err != nil {
		t.notice("could not look for an upload left by a lost CreateMultipartUpload answer: " + err.Error())
		return
	}
	var mine time.Time
	for _, u := range ups {
		if u.UploadID == ours {
			mine = u.Initiated
		}
	}
	if mine.IsZero() {
		return
	}
	for _, u := range ups {
		if u.UploadID != ours && !u.Initiated.After(mine) && mine.Sub(u.Initiated) <= span+2*time.Second {
			t.notice("aborting upload " + u.UploadID + ", started by a CreateMultipartUpload whose answer was lost")
			t.abort(ctx, dst, u.UploadID)
		}
	}
}

// complete finishes an upload whose parts are all sent. It runs detached from ctx: once
// every byte is there, finishing is cheaper and tidier than aborting. whole is the file's
// checksum recorded in the object's metadata (zero if none).
func (t *task) complete(ctx context.Context, dst object.Ref, id string, parts []object.Part, whole object.Checksum) error {
	return t.completeWith(ctx, dst, parts, whole, func(ctx context.Context) (object.Written, error) {
		return t.e.store.CompleteMultipartUpload(ctx, dst, id, parts)
	})
}

// completeWith is complete with the request made by do (one attempt).
func (t *task) completeWith(ctx context.Context, dst object.Ref, parts []object.Part, whole object.Checksum, do func(ctx context.Context) (object.Written, error)) error {
	dctx, cancel := detached(ctx, cleanupTimeout)
	defer cancel()
	attempts := 0
	err := t.slotted(dctx, false, 0, func(ctx context.Context) error {
		attempts++
		w, err := do(ctx)
		t.etag, t.version = w.ETag, w.VersionID
		return err
	})
	if err != nil && attempts > 1 && notFound(err) && t.completedEarlier(dctx, dst, parts, whole) {
		return nil
	}
	return err
}

// completedEarlier reports whether the object at dst is the one these parts make. An
// attempt at completing can succeed with its answer lost; the server then answers the
// next attempt NoSuchUpload (MinIO does), and the upload is done, not failed.
func (t *task) completedEarlier(ctx context.Context, dst object.Ref, parts []object.Part, whole object.Checksum) bool {
	info, err := t.head(ctx, dst)
	if err != nil {
		return false
	}
	var size int64
	for _, p := range parts {
		size += p.Size
	}
	if info.Size != size {
		return false
	}
	t.etag = info.ETag
	if etag, ok := multipartETag(parts); ok && sameETag(info.ETag, etag) {
		return true
	}
	stored, ok := StoredChecksum(info.Metadata)
	return ok && whole.Algorithm != "" && stored == whole
}

// multipartETag is the ETag S3 gives a multipart object: the MD5 of its parts' MD5s, then
// "-" and the number of parts. ok is false when a part's ETag is not an MD5 (SSE-KMS).
func multipartETag(parts []object.Part) (string, bool) {
	h := md5.New() //nolint:gosec // S3's multipart ETag is defined with MD5
	for _, p := range parts {
		b, err := hex.DecodeString(strings.Trim(p.ETag, `"`))
		if err != nil || len(b) != md5.Size {
			return "", false
		}
		h.Write(b)
	}
	return fmt.Sprintf("%x-%d", h.Sum(nil), len(parts)), true
}

// abort aborts a multipart upload on a detached context with its own timeout, retrying, and
// without waiting for a request slot. The Aborted event carries an Err when it failed: the
// upload ID is in it, so a person can abort it by hand.
func (t *task) abort(ctx context.Context, dst object.Ref, id string) {
	t.abortUpload(ctx, dst, id, false)
}

// abortSettle is how long after an abort haul looks again whether the upload is gone, and
// how many times it aborts again while it is not.
var abortSettle = []time.Duration{300 * time.Millisecond, time.Second, 2 * time.Second}

// abortUpload aborts an upload; with partsInFlight it then makes sure the upload stays
// gone. A part whose request was already on its way when the run was cancelled can still
// land after the abort, and some servers then bring the upload back with that one part
// (AWS documents this and says to abort again until ListParts answers NoSuchUpload; the
// e2e suite caught versitygw doing it). So it waits a moment, asks, and aborts again while
// the upload is still listed.
func (t *task) abortUpload(ctx context.Context, dst object.Ref, id string, partsInFlight bool) {
	dctx, cancel := detached(ctx, cleanupTimeout)
	defer cancel()
	abort := func() error {
		return t.retry(dctx, func(ctx context.Context) error {
			return t.e.store.AbortMultipartUpload(ctx, dst, id)
		})
	}
	err := abort()
	lister, canList := t.e.store.(PartLister)
	for i := 0; err == nil && partsInFlight && canList && i < len(abortSettle); i++ {
		select {
		case <-time.After(abortSettle[i]):
		case <-dctx.Done():
			err = dctx.Err()
			continue
		}
		if _, lerr := lister.ListParts(dctx, dst, id); lerr != nil {
			// NoSuchUpload is what we hope for; any other answer (no permission to
			// list parts, say) cannot tell us more, and the abort itself succeeded.
			break
		}
		if err = abort(); err == nil && i == len(abortSettle)-1 {
			err = errors.New("the upload came back after every abort")
		}
	}
	if err != nil {
		err = fmt.Errorf("could not abort multipart upload %s of %s; abort it by hand: %w", id, dst, err)
	}
	t.emit(Event{Kind: Aborted, Item: t.it, UploadID: id, Err: err})
}
