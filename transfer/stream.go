package transfer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/haul-s3/haul/object"
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
		return nil, 0, false, &SourceError{Path: t.it.Path, Err: err}
	}
	return buf, n, false, nil
}

func (t *task) uploadStream(ctx context.Context, src io.Reader, dst object.Ref) (total int64, err error) {
	if err := object.CheckKey(dst.Key); err != nil {
		return 0, err
	}
	base := t.e.opts.PartSize
	if base <= 0 {
		base = firstPartSize
	}
	if base < MinPartSize || base > MaxPartSize {
		return 0, fmt.Errorf("part size %d is outside S3's limits of 5 MiB to 5 GiB", base)
	}
	o := *t.objectOptions(ctx, "")
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
	s, err := t.newSession(ctx, dst, &o, "", false)
	if err != nil {
		buf.release()
		return 0, err
	}
	defer func() { s.end(ctx, err) }()
	var parts []*object.Part // pointers: each part's goroutine fills in its ETag
	for num := 1; ; num++ {
		if num > MaxParts {
			buf.release()
			_ = s.wait(ctx)
			return total, &TooManyPartsError{Size: -1, Parts: MaxParts}
		}
		total += int64(n)
		part := &object.Part{Number: int32(num), Size: int64(n)}
		parts = append(parts, part)
		if !t.sendBuffer(s, &o, part, buf) {
			break
		}
		if eof {
			break
		}
		buf, n, eof, err = t.fill(s.gctx, src, streamPartSize(base, num+1))
		if err != nil {
			_ = s.wait(ctx)
			return total, err
		}
		if n == 0 && eof {
			buf.release()
			break
		}
	}
	if err := s.wait(ctx); err != nil {
		return total, err
	}
	done := make([]object.Part, len(parts))
	for i, p := range parts {
		done[i] = *p
	}
	return total, s.complete(ctx, done, object.Checksum{})
}

// sendBuffer sends one buffered part of a stream in the session, giving the buffer back
// when the part is acknowledged or fails; false when the session sends no more.
func (t *task) sendBuffer(s *session, o *object.Options, part *object.Part, buf *streamBuf) bool {
	data := buf.data[:part.Size]
	part.Checksum = object.Sum(o.Checksum, data)
	open := func(progress func(int64)) partBody {
		return &countingReader{Reader: bytes.NewReader(data), progress: progress}
	}
	ok := s.send(part.Number, part.Size, part.Checksum, open, func(p object.Part, _ error) {
		part.ETag = p.ETag
		buf.release()
	})
	if !ok {
		buf.release()
	}
	return ok
}

func (t *task) putBytes(ctx context.Context, dst object.Ref, data []byte, o *object.Options) error {
	sum := object.Sum(o.Checksum, data)
	whole := sum
	if walg := wholeAlgorithm(o.Checksum); walg != o.Checksum {
		whole = object.Sum(walg, data)
	}
	o = withChecksumMetadata(o, whole)
	t.whole = whole
	return t.call(ctx, false, func(ctx context.Context) error {
		body := &countingReader{Reader: bytes.NewReader(data), progress: t.moved(ctx)}
		w, err := t.e.store.PutObject(ctx, dst, t.upBody(ctx, body), int64(len(data)), o, sum)
		if err != nil {
			body.undo()
		}
		t.etag, t.version = w.ETag, w.VersionID
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

// failed returns err: an in-memory body cannot change under the request.
func (c *countingReader) failed(err error) error { return err }
