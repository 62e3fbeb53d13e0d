package transfer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3url"
)

// streamBuf is one part's buffer, holding its share of the memory budget until released.
type streamBuf struct {
	data   []byte
	pooled *[]byte // the buffer as the pool holds it
	e      *Engine
	held   int64
}

func (e *Engine) getBuf(ctx context.Context, size int64) (*streamBuf, error) {
	held := min(size, e.opts.MemoryBudget)
	if err := e.mem.Acquire(ctx, held); err != nil {
		return nil, err
	}
	p, _ := e.bufs.Get().(*[]byte)
	if p == nil || int64(cap(*p)) < size {
		b := make([]byte, size) // first use, or the part size grew
		p = &b
	}
	return &streamBuf{data: (*p)[:size], pooled: p, e: e, held: held}, nil
}

// release gives the buffer back for the next part and its bytes back to the budget.
func (b *streamBuf) release() {
	b.e.bufs.Put(b.pooled)
	b.e.mem.Release(b.held)
	b.data, b.pooled = nil, nil
}

// fill reads the next part of src into a new buffer. eof is true when src has ended.
func (t *task) fill(ctx context.Context, src io.Reader, size int64) (buf *streamBuf, n int, eof bool, err error) {
	buf, err = t.e.getBuf(ctx, size)
	if err != nil {
		return nil, 0, false, err
	}
	n, err = io.ReadFull(src, buf.data)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return buf, n, true, nil
	}
	if err != nil {
		buf.release()
		return nil, 0, false, &SourceError{Path: "standard input", Err: err}
	}
	return buf, n, false, nil
}

func (t *task) uploadStream(ctx context.Context, src io.Reader, dst object.Ref) (total int64, err error) {
	if err := s3url.CheckKey(dst.Key); err != nil {
		return 0, err
	}
	base := t.e.opts.PartSize
	if base <= 0 {
		base = firstPartSize
	}
	o := t.e.opts.Object
	in := bufio.NewReader(src) // lets us peek for the end after a full first part
	src = in
	buf, n, eof, err := t.fill(ctx, src, base)
	if err == nil && !eof {
		if _, perr := in.Peek(1); errors.Is(perr, io.EOF) {
			eof = true // exactly one part long: one PutObject is enough
		}
	}
	if err != nil {
		return 0, err
	}
	if eof {
		defer buf.release()
		return int64(n), t.putBytes(ctx, dst, buf.data[:n], &o)
	}
	id, err := t.createUpload(ctx, dst, &o)
	if err != nil {
		buf.release()
		return 0, err
	}
	defer func() {
		if err != nil {
			t.abort(ctx, dst, id)
		}
	}()
	var parts []*object.Part // pointers: each part's goroutine fills in its ETag
	g, gctx := errgroup.WithContext(ctx)
	for num := 1; ; num++ {
		if num > MaxParts {
			buf.release()
			_ = g.Wait()
			return total, fmt.Errorf("the stream is longer than %d parts can hold; give a larger --part-size", MaxParts)
		}
		total += int64(n)
		part := &object.Part{Number: int32(num), Size: int64(n)}
		parts = append(parts, part)
		if err := t.e.limit.acquire(gctx); err != nil {
			buf.release()
			break
		}
		g.Go(t.sendStreamPart(gctx, dst, id, part, buf))
		if eof {
			break
		}
		buf, n, eof, err = t.fill(gctx, src, streamPartSize(base, num+1))
		if err != nil {
			_ = g.Wait()
			return total, err
		}
		if n == 0 && eof {
			buf.release()
			break
		}
	}
	if err := g.Wait(); err != nil {
		return total, err
	}
	if err := ctx.Err(); err != nil {
		return total, err
	}
	done := make([]object.Part, len(parts))
	for i, p := range parts {
		done[i] = *p
	}
	return total, t.complete(ctx, dst, id, done, object.Checksum{})
}

// sendStreamPart returns the goroutine that uploads one buffered part, holding a request
// slot already, records the part's ETag and gives the buffer back.
func (t *task) sendStreamPart(ctx context.Context, dst object.Ref, id string, part *object.Part, buf *streamBuf) func() error {
	return func() error {
		defer buf.release()
		data := buf.data[:part.Size]
		part.Checksum = sumBytes(t.e.opts.Object.Checksum, data)
		return t.call(ctx, true, func(ctx context.Context) error {
			body := &countingReader{Reader: bytes.NewReader(data), progress: t.moved(ctx)}
			etag, err := t.e.store.UploadPart(ctx, dst, id, part.Number, body, part.Size, part.Checksum)
			if err != nil {
				body.undo()
				return err
			}
			part.ETag = etag
			return nil
		})
	}
}

func (t *task) putBytes(ctx context.Context, dst object.Ref, data []byte, o *object.Options) error {
	sum := sumBytes(o.Checksum, data)
	whole := sum
	if walg := wholeAlgorithm(o.Checksum); walg != o.Checksum {
		whole = sumBytes(walg, data)
	}
	o = withChecksumMetadata(o, whole)
	return t.call(ctx, false, func(ctx context.Context) error {
		body := &countingReader{Reader: bytes.NewReader(data), progress: t.moved(ctx)}
		err := t.e.store.PutObject(ctx, dst, body, int64(len(data)), o, sum)
		if err != nil {
			body.undo()
		}
		return err
	})
}

// countingReader reports progress for an in-memory body as it is first read.
type countingReader struct {
	*bytes.Reader
	hw       int64
	progress func(int64)
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.Reader.Read(b)
	if pos := c.Size() - int64(c.Len()); pos > c.hw {
		c.progress(pos - c.hw)
		c.hw = pos
	}
	return n, err
}

func (c *countingReader) undo() { c.progress(-c.hw); c.hw = 0 }
