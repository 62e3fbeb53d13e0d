package transfer

import (
	"context"
	"io"

	"github.com/haul-s3/haul/object"
)

// Writer uploads everything written to it as one object, for a producer that writes
// (an encoder, an archiver, a database dump) rather than one that can be read. Make it
// with Engine.NewWriter.
//
// The upload is UploadStream's: the bytes written become a single PutObject when they fit
// in the first part, else a multipart upload whose parts are sent while more are written,
// under the Engine's request limit and memory budget, shared with every other call into
// the Engine.
//
// Write is not safe for concurrent use: one goroutine writes, then closes. Close and
// CloseWithError may be called more than once; only the first has an effect, and every call
// returns the upload's error. Summary may be called at any time.
type Writer struct {
	pw   *io.PipeWriter
	done chan struct{} // closed once the upload has ended; sum and err are set before
	sum  Summary
	err  error
}

// NewWriter starts an upload to dst of the bytes that will be written to the returned
// Writer, of a length not known in advance (see UploadStream for how it is sent; opts apply
// as they do to UploadStream). The upload runs in a goroutine of its own until Close or
// CloseWithError, which the caller must call (or cancel ctx): until then the goroutine, and
// for a long stream a multipart upload, stay open.
//
// Cancelling ctx ends the upload without waiting for the writer: a blocked Write returns
// ctx's error, as does every Write once the cancel has taken effect (a Write racing the
// cancel may still be taken); the multipart upload, if one was started, is aborted, even if
// Close is never called; and Close returns ctx's error (context.Canceled). Only a cancel
// that comes after Close has begun completing the upload can be too late: Close then
// returns nil, and the object is stored.
func (e *Engine) NewWriter(ctx context.Context, dst object.Ref, opts ...CallOption) *Writer {
	pr, pw := io.Pipe()
	w := &Writer{pw: pw, done: make(chan struct{})}
	// A cancel must reach the upload even while it waits for a Write that may never come.
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	go func() {
		defer close(w.done)
		sum, err := e.UploadStream(ctx, pr, dst, opts...) // nil only when the object is stored
		stop()
		// Writes from now on fail with the upload's error (io.ErrClosedPipe after success,
		// which only a Write after Close can meet).
		pr.CloseWithError(err)
		w.sum, w.err = sum, err
	}()
	return w
}

// Write hands p to the upload. It returns once the Engine has copied all of p into its part
// buffers, so it blocks while the memory budget is spent on parts not yet sent: the writer
// goes at the pace of the upload. Each Write is a hand-over to the upload's goroutine, so
// a producer that makes many small writes (fmt.Fprintf per line) should go through a
// bufio.Writer, flushed before Close. When the upload has already failed or ctx was cancelled,
// Write returns that error and the upload is over (Close returns the same error); after
// Close or CloseWithError, Write returns io.ErrClosedPipe.
func (w *Writer) Write(p []byte) (int, error) {
	return w.pw.Write(p)
}

// Close completes the upload with the bytes written so far and returns its error: nil only
// when the object is stored. It waits for the last part and the completion of a multipart
// upload. Close must be called after the last Write has returned, not during a Write.
func (w *Writer) Close() error {
	return w.CloseWithError(nil)
}

// CloseWithError abandons the upload because of err: nothing is stored and a multipart
// upload that was started is aborted before CloseWithError returns (the Aborted event tells
// whether the abort succeeded). It returns the upload's error, which wraps err
// (errors.Is(returned, err) holds; the failure is a *SourceError, as a failed read of
// UploadStream's source is). It may be called from another goroutine while a Write is in
// progress; that Write then returns io.ErrClosedPipe.
//
// As with io.PipeWriter, CloseWithError(nil) is Close: it completes the upload. This suits
// the pattern
//
//	err := produce(w)
//	return w.CloseWithError(err)
//
// An upload that has already ended (Close was called, ctx was cancelled, the upload
// failed) is not changed: CloseWithError returns its error.
func (w *Writer) CloseWithError(err error) error {
	_ = w.pw.CloseWithError(err) // never fails; only the first close counts
	<-w.done
	return w.err
}

// Summary returns what the upload did, as UploadStream returns it (Done == 1 when the object
// is stored; Bytes, the bytes written), once the upload has ended: always after Close or
// CloseWithError has returned. While the upload runs it returns the zero Summary.
func (w *Writer) Summary() Summary {
	select {
	case <-w.done:
		return w.sum
	default:
		return Summary{}
	}
}
