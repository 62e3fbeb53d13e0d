package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer/journal"
)

// DownloadFile downloads the object src to the file path. The bytes go to a temporary file
// beside path that is renamed onto path only when every byte has arrived; on failure or
// cancel it is removed and path is left as it was.
func (e *Engine) DownloadFile(ctx context.Context, src object.Ref, path string) (Summary, error) {
	r := e.newRun(Download)
	info, err := r.head(ctx, src, path)
	if err != nil {
		return r.finish(ctx, err)
	}
	r.emit(Event{Kind: Queued, Src: src.String(), Dst: path, Size: info.Size})
	r.item(src.String(), path, func() (int64, error) { return info.Size, r.download(ctx, src, info, path) })
	return r.finish(ctx, nil)
}

// head asks for an object's size and ETag, retrying like any request.
func (r *run) head(ctx context.Context, src object.Ref, dst string) (object.Info, error) {
	var info object.Info
	err := r.call(ctx, false, src.String(), dst, func(ctx context.Context) error {
		var err error
		info, err = r.e.store.HeadObject(ctx, src)
		return err
	})
	return info, err
}

// DownloadPrefix downloads every object whose key starts with src.Key (which should be
// empty or end in "/") into dir, at dir joined with the rest of the key. Keys ending in "/"
// (directory markers) are skipped. A key that would land outside dir, or could be read as
// another path, is refused and reported as a failure; the other keys go on.
func (e *Engine) DownloadPrefix(ctx context.Context, src object.Ref, dir string) (Summary, error) {
	r := e.newRun(Download)
	var g errgroup.Group
	g.SetLimit(e.opts.Concurrency)
	var dirs sync.Map // directories already created
	listErr := r.retry(ctx, src.String(), dir, func(ctx context.Context) error {
		return e.store.List(ctx, src.Bucket, src.Key, func(info object.Info) error {
			if strings.HasSuffix(info.Key, "/") {
				return nil
			}
			ref := object.Ref{Bucket: src.Bucket, Key: info.Key}
			path, err := localfs.SafeJoin(dir, strings.TrimPrefix(info.Key, src.Key))
			if err != nil {
				r.failed(ref.String(), "", fmt.Errorf("refused: %w", err))
				return nil
			}
			r.emit(Event{Kind: Queued, Src: ref.String(), Dst: path, Size: info.Size})
			g.Go(func() error {
				r.item(ref.String(), path, func() (int64, error) {
					if _, ok := dirs.Load(filepath.Dir(path)); !ok {
						if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
							return 0, err
						}
						dirs.Store(filepath.Dir(path), true)
					}
					return info.Size, r.download(ctx, ref, info, path)
				})
				return nil
			})
			return nil
		})
	})
	_ = g.Wait()
	return r.finish(ctx, listErr)
}

// download fetches one object into a temporary file and renames it onto path. With a
// journal, a large object's temporary file and the ranges written are recorded, kept when
// the run fails or is cancelled, and continued by the next run if the object is unchanged.
func (r *run) download(ctx context.Context, src object.Ref, info object.Info, path string) (err error) {
	j := r.e.opts.Journal
	if j != nil && j.Downloaded(path, info.Size) {
		if fi, serr := os.Stat(path); serr == nil && fi.Size() == info.Size {
			return errAlreadyDone
		}
	}
	ranged := info.Size > r.e.opts.MultipartThreshold
	partSize, err := PartSize(info.Size, r.e.opts.PartSize)
	if err != nil {
		return err
	}
	keepTemp := ranged && j != nil // a journalled large download keeps its partial file
	f, written, err := r.openTemp(src, info, path, partSize, keepTemp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			if !keepTemp {
				os.Remove(f.Name())
			}
		}
	}()
	if ranged {
		err = r.getParts(ctx, src, info, f, partSize, written, path)
	} else {
		err = r.call(ctx, false, src.String(), path, func(ctx context.Context) error {
			return r.getRange(ctx, src, info.ETag, f, 0, info.Size, true)
		})
	}
	if err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if !info.LastModified.IsZero() {
		_ = os.Chtimes(f.Name(), info.LastModified, info.LastModified)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}

	if j != nil {
		return j.DownloadDone(path, info.Size)
	}
	return nil
}

// openTemp returns the temporary file to download into and the ranges already in it. When
// the download is journalled it continues a recorded temporary file of the same object
// version, or starts a new one and records it.
func (r *run) openTemp(src object.Ref, info object.Info, path string, partSize int64, journalled bool) (*os.File, map[int64]int64, error) {
	j := r.e.opts.Journal
	if journalled {
		if d, ok := j.Download(path); ok {
			switch {
			case d.ETag != info.ETag || d.Size != info.Size:
				r.notice(src.String(), path, "the object changed since the interrupted run: starting it over")
			case d.PartSize != partSize:
				r.notice(src.String(), path, "the part size differs from the interrupted run: starting it over")
			default:
				f, err := os.OpenFile(d.Temp, os.O_RDWR, 0)
				if err == nil {
					return f, d.Ranges, nil
				}
				r.notice(src.String(), path, "the partial file of the interrupted run is gone: starting it over")
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
// the ranges in written. With a journal each range is synced and recorded once written.
func (r *run) getParts(ctx context.Context, src object.Ref, info object.Info, f *os.File, partSize int64, written map[int64]int64, target string) error {
	if err := f.Truncate(info.Size); err != nil {
		return err
	}
	j := r.e.opts.Journal
	g, gctx := errgroup.WithContext(ctx)
	for off := int64(0); off < info.Size; off += partSize {
		length := min(partSize, info.Size-off)
		if written[off] == length {
			r.progress(length)
			continue
		}
		if gctx.Err() != nil || r.e.slots.Acquire(gctx, 1) != nil {
			break
		}
		g.Go(func() error {
			err := r.call(gctx, true, src.String(), f.Name(), func(ctx context.Context) error {
				return r.getRange(ctx, src, info.ETag, f, off, length, false)
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
	return ctx.Err()
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// getRange fetches length bytes from off (the whole object, without a Range header, when
// whole is set) with one GET pinned to etag and writes them to f at off. It fails unless
// exactly length bytes arrive; progress is taken back on failure.
func (r *run) getRange(ctx context.Context, src object.Ref, etag string, f io.WriterAt, off, length int64, whole bool) error {
	rangeLen := length
	if whole {
		rangeLen = -1
	}
	body, err := r.e.store.GetObject(ctx, src, off, rangeLen, etag)
	if err != nil {
		return err
	}
	defer body.Close()
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	w := &progressWriter{w: io.NewOffsetWriter(f, off), progress: r.progress}
	var sum hash.Hash
	var dst io.Writer = w
	if whole && !r.e.opts.SkipVerify && isMD5ETag(etag) && etagMayBeMD5(body) {
		sum = md5.New() //nolint:gosec // S3's ETag of a single-part object is its MD5
		dst = io.MultiWriter(w, sum)
	}
	n, err := io.CopyBuffer(dst, io.LimitReader(body, length+1), *bp)
	if err == nil && n != length {
		err = &lengthError{ref: src, want: length, got: n}
	}
	if err == nil && sum != nil {
		if got := hex.EncodeToString(sum.Sum(nil)); got != etag {
			err = &VerifyError{Ref: src, Algorithm: "md5", Want: etag, Got: got}
		} else {
			r.verified.Store(src.String(), "md5")
		}
	}
	if err != nil {
		r.progress(-w.n)
	}
	return err
}

// etagMayBeMD5 asks the body (an optional capability of the store) whether the object's ETag
// can be its MD5; a body that cannot say is taken to be plain S3.
func etagMayBeMD5(body io.Reader) bool {
	m, ok := body.(interface{ ETagMayBeMD5() bool })
	return !ok || m.ETagMayBeMD5()
}

// isMD5ETag reports whether an ETag is the MD5 of the object: 32 hex digits, as S3 gives a
// single-part upload without SSE-KMS or SSE-C. Multipart ETags ("...-N") are not.
func isMD5ETag(etag string) bool {
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
	Algorithm string
	Want, Got string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("GetObject %s: the %s of the bytes received is %s, the object's is %s: corrupted in transit, the file was not written (if this server's ETags are not MD5s, use --verify=false)", e.Ref, e.Algorithm, e.Got, e.Want)
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

// DownloadStream writes the object src to w in order. A failed read is resumed from the
// last byte written, pinned to the object's ETag, so w never receives a byte twice or a
// byte of another version. w is not closed.
func (e *Engine) DownloadStream(ctx context.Context, src object.Ref, w io.Writer) (Summary, error) {
	r := e.newRun(Download)
	r.item(src.String(), "-", func() (int64, error) {
		info, err := r.head(ctx, src, "-")
		if err != nil {
			return 0, err
		}
		var written int64
		err = r.call(ctx, false, src.String(), "-", func(ctx context.Context) error {
			if written == info.Size {
				return nil
			}
			body, err := e.store.GetObject(ctx, src, written, -1, info.ETag)
			if err != nil {
				return err
			}
			defer body.Close()
			pw := &progressWriter{w: w, progress: r.progress}
			_, err = io.Copy(pw, io.LimitReader(body, info.Size-written))
			written += pw.n // a failed write to w is not retryable: it ends the loop
			if err == nil && written != info.Size {
				err = &lengthError{ref: src, want: info.Size, got: written}
			}
			return err
		})
		return written, err
	})
	return r.finish(ctx, nil)
}
